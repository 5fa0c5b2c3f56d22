// The validating proxy behind `npm run proxy`: Prism's proxy mode (@stoplight/prism-http createInstance with
// isProxy and upstream) routes each request to its operation and validates the request (security, parameters,
// body) and the upstream's response against the bundle. Prism's own forwarder is swapped for one that keeps the
// bytes: Prism's decompresses, parses and re-serializes bodies and drops headers, and a conformance tool must hand
// the partner exactly what the vendor sent. So the raw answer goes back unchanged, a parsed copy goes to Prism.
import { request as httpRequest, createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { createLogger } from '@stoplight/prism-core';
import { createInstance, getHttpOperationsFromSpec, type IHttpProxyConfig, type IHttpRequest, type IHttpResponse } from '@stoplight/prism-http';
import { formatPath } from '../shared/webhook-payloads.ts';
import { basePathsOf, parameterNamesOf } from '../shared/openapi-json.ts';
import { formatTable } from '../shared/table.ts';

/** One way a request or an upstream answer broke the contract. */
export interface ProxyViolation {
  /** `GET /public/v2/device-applications/{deviceApplicationId}/devices`, or the raw path when no operation matches. */
  operation: string;
  /** Prism's location: `['response', 'body', 'Data', '0', 'InstallationName']`. */
  location: string[];
  /** `response body.Data[0].InstallationName`, `request query.ItemsPerPage`, `request` (the whole request). */
  field: string;
  reason: string;
  severity: 'Error' | 'Warning' | 'Information' | 'Hint';
  code?: string | number;
}

export interface OperationStats {
  requests: number;
  violations: number;
}

export interface ProxyOptions {
  /** The bundle to validate against (generated/<id>/openapi.json). */
  specPath: string;
  /** The vendor's origin (`https://uat-api.redex.eco`); a path on it is prepended unless the request already has it. */
  upstream: string;
  /** Called once per violation, as it is found. */
  onViolation?: (violation: ProxyViolation) => void;
  /** Called when the upstream cannot be reached (the partner gets a 502), with a line naming it and the reason. */
  onUpstreamError?: (line: string) => void;
  /** Called once per answered request with a short access-log line. */
  log?: (line: string) => void;
  /** Give up on the upstream after this long (default 30 s); the partner gets a 502. */
  timeoutMs?: number;
}

export interface ValidatingProxy {
  server: Server;
  /** Requests and violations per operation, in the order operations were first seen. */
  stats: Map<string, OperationStats>;
}

type Diagnostic = { path?: (string | number)[]; message: string; severity: number; code?: string | number; tags?: string[] };

const SEVERITIES = ['Error', 'Warning', 'Information', 'Hint'] as const;
// Connection-level headers (RFC 9110 7.6.1): they describe one hop, so they are not forwarded either way.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
const MAX_BODY_BYTES = 10 * 1024 * 1024;
// Prism's proxy server caps sl-violations near 8 KB too: many servers refuse larger headers.
const MAX_HEADER_CHARS = 8 * 1024 - 100;

/** Raised by the forwarder so the caller can tell "upstream unreachable" from a Prism error. */
class UpstreamError extends Error {}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
      else chunks.push(chunk);
    });
    request.on('end', () => resolveBody(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const isJson = (contentType: string | undefined) => /^application\/([\w.+-]*\+)?json\b/i.test(contentType ?? '');

/** The body as Prism's validators want it: parsed JSON for JSON media types, text otherwise. */
function parseForValidation(bytes: Buffer, contentType: string | undefined): { body: unknown; error?: string } {
  if (bytes.length === 0) return { body: undefined };
  const text = bytes.toString('utf8');
  if (!isJson(contentType)) return { body: text };
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return { body: text, error: `body is not valid JSON (${(error as Error).message})` };
  }
}

function decompress(bytes: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(bytes);
    case 'deflate':
      return inflateSync(bytes);
    case 'br':
      return brotliDecompressSync(bytes);
    default:
      return bytes;
  }
}

/** Raw header pairs, minus the hop-by-hop ones, as a name -> value(s) object keeping the sender's spelling. */
function forwardableHeaders(rawHeaders: string[]): { pairs: [string, string][]; object: OutgoingHttpHeaders } {
  const pairs: [string, string][] = [];
  const object: OutgoingHttpHeaders = {};
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    const value = rawHeaders[index + 1]!;
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    pairs.push([name, value]);
    const existing = object[name];
    object[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  return { pairs, object };
}

/** Lower-case names, repeated headers joined: the shape Prism's validators read. */
function headersForPrism(pairs: [string, string][]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return headers;
}

interface RawAnswer {
  status: number;
  statusMessage: string;
  pairs: [string, string][];
  body: Buffer;
}

function send(target: URL, method: string, headers: OutgoingHttpHeaders, body: Buffer, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolveAnswer, reject) => {
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolveAnswer({
          status: response.statusCode ?? 502,
          statusMessage: response.statusMessage ?? '',
          pairs: forwardableHeaders(response.rawHeaders).pairs,
          body: Buffer.concat(chunks),
        }),
      );
      response.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    request.on('error', reject);
    request.end(body.length > 0 ? body : undefined);
  });
}

/** Words for a failed connection; Node's AggregateError (several addresses tried) has an empty message. */
function reasonOf(error: unknown): string {
  const failure = error as NodeJS.ErrnoException & { errors?: Error[] };
  return failure.message || failure.errors?.map((inner) => inner.message).join('; ') || failure.code || String(error);
}

const safeDecode = (path: string) => {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

/** JSON that is safe in an HTTP header: every character beyond ASCII escaped (Node throws on non-Latin-1). */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The sl-violations value: Prism's format plus `field`, cut to whole entries under the size cap. */
function violationsHeader(violations: ProxyViolation[]): string {
  const entries = violations.map(({ location, severity, code, reason, field }) => ({ location, severity, code, message: reason, field }));
  let value = asciiJson(entries);
  for (let kept = entries.length - 1; value.length > MAX_HEADER_CHARS && kept >= 0; kept--) {
    value = asciiJson([...entries.slice(0, kept), { location: [], severity: 'Warning', message: `${entries.length - kept} more violations not listed (header size)` }]);
  }
  return value;
}

export async function createValidatingProxy(options: ProxyOptions): Promise<ValidatingProxy> {
  const spec = JSON.parse(readFileSync(options.specPath, 'utf8'));
  const operations = await getHttpOperationsFromSpec(spec);
  const basePaths = basePathsOf(spec);
  const parameterNames = parameterNamesOf(spec);
  const upstream = new URL(options.upstream);
  const upstreamPath = upstream.pathname.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;
  const logger = createLogger('PROXY', { level: 'silent' });
  const stats = new Map<string, OperationStats>();
  // Prism's proxy mode: forward even an invalid request (errors: false) and report, as `prism proxy` does.
  const config: IHttpProxyConfig = {
    isProxy: true,
    upstream,
    upstreamProxy: undefined,
    errors: false,
    validateRequest: true,
    validateResponse: true,
    checkSecurity: true,
    mock: { dynamic: false },
  };

  function describe(operation: string, side: 'request' | 'response', diagnostic: Diagnostic): ProxyViolation {
    const tokens = (diagnostic.path ?? []).map(String);
    let reason = diagnostic.message;
    const [where, name] = tokens;
    if ((where === 'query' || where === 'header' || where === 'path') && name) {
      const declared = parameterNames.get(name.toLowerCase()) ?? name;
      reason = reason.replace(new RegExp(`\\b${name.replace(/[^\w-]/g, '')}\\b`, 'g'), declared);
      tokens[1] = declared;
    }
    const rest = formatPath(tokens.slice(1));
    const location = [side, ...tokens];
    // Prism's security failure has no path; "security" says where to look, its tags what was expected.
    if (tokens.length === 0 && diagnostic.code === 401) {
      tokens.push('security');
      if (diagnostic.tags?.length) reason += ` (expected ${diagnostic.tags.join(' or ')})`;
    }
    const field = [side, tokens[0] ? `${tokens[0]}${rest ? (rest.startsWith('[') ? rest : `.${rest}`) : ''}` : ''].filter(Boolean).join(' ');
    return {
      operation,
      location,
      field,
      reason,
      severity: SEVERITIES[diagnostic.severity] ?? 'Error',
      ...(diagnostic.code !== undefined ? { code: diagnostic.code } : {}),
    };
  }

  async function handle(request: IncomingMessage, reply: ServerResponse) {
    const started = performance.now();
    const incoming = new URL(request.url ?? '/', 'http://proxy');
    const method = (request.method ?? 'GET').toUpperCase();
    const requestBytes = await readBody(request);
    const { pairs: requestPairs, object: outgoingHeaders } = forwardableHeaders(request.rawHeaders);
    delete outgoingHeaders.host;
    delete outgoingHeaders.Host;
    outgoingHeaders.host = upstream.host;
    // Production paths (`/public/v2/...`) go to the same path upstream; Prism routes on the path below the base.
    const basePath = basePaths.find((base) => incoming.pathname === base || incoming.pathname.startsWith(`${base}/`)) ?? '';
    const specPath = incoming.pathname.slice(basePath.length) || '/';
    const forwardPath = upstreamPath && !incoming.pathname.startsWith(`${upstreamPath}/`) ? upstreamPath + incoming.pathname : incoming.pathname;
    const target = new URL(forwardPath + incoming.search, upstream.origin);

    const requestContentType = request.headers['content-type'];
    const parsedRequest = parseForValidation(requestBytes, requestContentType);
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(incoming.searchParams.keys())) {
      const values = incoming.searchParams.getAll(key);
      query[key] = values.length === 1 ? values[0]! : values;
    }
    const input: IHttpRequest = {
      method: method.toLowerCase() as IHttpRequest['method'],
      url: { path: specPath, query },
      headers: headersForPrism(requestPairs),
      body: parsedRequest.body,
    };

    let answer: RawAnswer | undefined;
    let routed: { method: string; path: string } | undefined;
    let responseParseError: string | undefined;
    const prism = createInstance(config, {
      logger,
      // Prism calls this with the operation it routed to (none when no path matches); we send the original bytes.
      forward: (_input, _baseUrl, _proxy, resource) => () => async () => {
        if (resource) routed = { method: resource.method, path: resource.path };
        try {
          answer = await send(target, method, outgoingHeaders, requestBytes, timeoutMs);
        } catch (error) {
          return { _tag: 'Left', left: new UpstreamError(reasonOf(error)) };
        }
        const headers = headersForPrism(answer.pairs);
        let decoded: Buffer;
        try {
          decoded = decompress(answer.body, headers['content-encoding']);
        } catch (error) {
          decoded = Buffer.alloc(0);
          responseParseError = `body could not be decoded (${headers['content-encoding']}: ${(error as Error).message})`;
        }
        const parsed = parseForValidation(decoded, headers['content-type']);
        responseParseError ??= parsed.error;
        const output: IHttpResponse = { statusCode: answer.status, headers, body: parsed.body };
        return { _tag: 'Right', right: output };
      },
    });

    const result = await prism.request(input, operations, config)();
    const operation = routed ? `${routed.method.toUpperCase()} ${basePath}${routed.path}` : `${method} ${incoming.pathname} (not in the spec)`;
    const entry = stats.get(operation) ?? { requests: 0, violations: 0 };
    stats.set(operation, entry);
    entry.requests++;

    if (result._tag === 'Left' || !answer) {
      const reason = result._tag === 'Left' ? result.left.message : 'no answer';
      const unreachable = result._tag === 'Left' && result.left instanceof UpstreamError;
      const problem = {
        type: 'about:blank',
        title: 'Bad Gateway',
        status: 502,
        detail: unreachable ? `${upstream.origin} did not answer ${method} ${target.pathname}: ${reason}` : reason,
        upstream: upstream.origin,
      };
      const body = asciiJson(problem);
      reply.writeHead(502, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) }).end(body);
      options.onUpstreamError?.(`${method} ${incoming.pathname}${incoming.search} -> 502: ${problem.detail}`);
      return;
    }

    const { validations } = result.right;
    const violations: ProxyViolation[] = [];
    if (!routed) {
      violations.push({ operation, location: ['request'], field: 'request', reason: `no operation in the spec for ${method} ${safeDecode(specPath)}`, severity: 'Warning' });
    }
    if (parsedRequest.error) violations.push(describe(operation, 'request', { path: ['body'], message: parsedRequest.error, severity: 0 }));
    for (const diagnostic of validations.input as Diagnostic[]) {
      if (!routed && diagnostic.message === 'Selected route not found') continue; // reported above, in words
      violations.push(describe(operation, 'request', diagnostic));
    }
    if (responseParseError) violations.push(describe(operation, 'response', { path: ['body'], message: responseParseError, severity: 0 }));
    for (const diagnostic of validations.output as Diagnostic[]) violations.push(describe(operation, 'response', diagnostic));
    entry.violations += violations.length;
    violations.forEach((violation) => options.onViolation?.(violation));

    // The upstream's status line, headers and bytes as they came, plus sl-violations.
    const rawHeaders = answer.pairs.flat();
    if (violations.length > 0) rawHeaders.push('sl-violations', violationsHeader(violations));
    reply.writeHead(answer.status, answer.statusMessage, rawHeaders);
    reply.end(method === 'HEAD' ? undefined : answer.body);
    options.log?.(`${method} ${incoming.pathname}${incoming.search} -> ${answer.status} (${violations.length} violations, ${Math.round(performance.now() - started)} ms)`);
  }

  const server = createServer((request, reply) => {
    handle(request, reply).catch((error: Error) => {
      // Keep serving: a proxy bug answers 502 in problem+json rather than dropping the connection.
      if (!reply.headersSent) {
        const body = asciiJson({ type: 'about:blank', title: 'Proxy error', status: 502, detail: error.message, upstream: upstream.origin });
        reply.writeHead(502, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) }).end(body);
      } else reply.end();
    });
  });
  return { server, stats };
}

/** The per-operation summary printed on exit. */
export function formatSummary(stats: Map<string, OperationStats>): string {
  const rows = [...stats].map(([operation, { requests, violations }]) => [operation, String(requests), String(violations)]);
  if (rows.length === 0) return 'No requests were proxied.';
  return formatTable([['operation', 'requests', 'violations'], ...rows], [1, 2]).join('\n');
}
