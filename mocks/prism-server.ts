// One API's mock: a node:http server whose every answer comes from Prism (@stoplight/prism-http): routing,
// request and security validation, examples, Prefer headers, callbacks. What this file adds is transport:
// the vendor's base path (so production URLs work with only the origin swapped) and, on a rejected request,
// Prism's own violation text written into the message field of the vendor's error envelope.
import http, { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import https from 'node:https';
import { isIP, Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { createLogger } from '@stoplight/prism-core';
import { createInstance, getHttpOperationsFromSpec, ProblemJsonError, type IHttpRequest, type IHttpConfig } from '@stoplight/prism-http';
import { getHttpConfigFromRequest } from '@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js';

export interface MockOptions {
  /** Bundled spec (generated/<api>/openapi.json). */
  specPath: string;
  /** Called once per request with a short access-log line; omit for silence. */
  log?: (line: string) => void;
  /** Let Prism fire callbacks at hosts other than loopback (off by default: samples name public hosts). */
  allowRemoteCallbacks?: boolean;
}

const isLoopbackHost = (host: string) =>
  host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));

/**
 * Prism fires callbacks (the VTN notification) with node-fetch over Node's global agents. The document's own
 * samples name public callback hosts, so by default the mock refuses to connect anywhere but loopback.
 */
function restrictCallbacksToLoopback() {
  for (const [module, Agent] of [[http, http.Agent], [https, https.Agent]] as const) {
    type Connect = (options: { host?: string | null }, callback?: unknown) => unknown;
    const agent = new Agent({ keepAlive: false }) as unknown as { createConnection: Connect };
    const connect: Connect = agent.createConnection.bind(agent);
    agent.createConnection = (options, callback) => {
      const host = String(options.host ?? 'localhost').replace(/^\[|\]$/g, '');
      if (isLoopbackHost(host)) return connect(options, callback);
      const refused = new Socket();
      process.nextTick(() => refused.destroy(new Error(`mock: callback to ${host} refused (loopback only; start with --remote-callbacks to allow)`)));
      return refused;
    };
    (module as { globalAgent: unknown }).globalAgent = agent;
  }
}

/** A Prism validation result; severity 0 is DiagnosticSeverity.Error. */
interface Violation {
  path?: (string | number)[];
  message: string;
  severity: number;
  code?: string | number;
}

/** Error envelopes name their message field differently; the first of these found in the body is filled in. */
const MESSAGE_FIELDS = ['msg', 'Message', 'message', 'detail'];
const REJECTION_STATUSES = new Set([400, 401, 415, 422]);
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Server base paths of the spec (`/cdb-open-api/v1`...), longest first, without trailing slash. */
export function basePathsOf(spec: { servers?: { url: string }[] }): string[] {
  const paths = (spec.servers ?? [])
    .map((server) => new URL(server.url, 'http://placeholder').pathname.replace(/\/+$/, ''))
    .filter((path) => path !== '');
  return [...new Set(paths)].sort((a, b) => b.length - a.length);
}

function stripBasePath(pathname: string, basePaths: string[]): string {
  for (const base of basePaths) {
    if (pathname === base) return '/';
    if (pathname.startsWith(base + '/')) return pathname.slice(base.length);
  }
  return pathname;
}

/** Prism reports query and header names lower-cased; map them back to the spec's spelling (`ItemsPerPage`). */
function parameterNamesOf(spec: unknown): Map<string, string> {
  const names = new Map<string, string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.name === 'string' && typeof record.in === 'string') names.set(record.name.toLowerCase(), record.name);
    Object.values(record).forEach(visit);
  };
  visit(spec);
  return names;
}

function describeViolation({ path = [], message }: Violation, parameterNames: Map<string, string>): { field: string; text: string } {
  const segments = path.map(String);
  const location = segments[0];
  if (location === 'query' || location === 'header' || location === 'path') {
    if (segments[1]) {
      const declared = parameterNames.get(segments[1].toLowerCase()) ?? segments[1];
      message = message.replace(new RegExp(`\\b${segments[1]}\\b`, 'g'), declared);
      segments[1] = declared;
    } else {
      // A missing required parameter: the name is only inside the message ("must have required property 'x'").
      const missing = /required property '([^']+)'/.exec(message)?.[1];
      if (missing) {
        const declared = parameterNames.get(missing.toLowerCase()) ?? missing;
        message = message.replace(`'${missing}'`, `'${declared}'`);
        segments.push(declared);
      }
    }
  }
  const field = segments.slice(1).join('.') || segments[0] || 'request';
  return { field, text: segments.length > 1 ? `${segments.join('.')}: ${message}` : message };
}

/**
 * Puts Prism's violation text into the vendor envelope Prism picked from the spec: the message field, the HTTP
 * status of a problem body, and a problem body's `errors` map (field -> messages), keeping everything else.
 */
function withViolations(body: unknown, statusCode: number, contentType: string, violations: Violation[], parameterNames: Map<string, string>): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const described = violations.filter((violation) => violation.severity === 0).map((v) => describeViolation(v, parameterNames));
  if (described.length === 0) return body;
  const envelope = { ...(body as Record<string, unknown>) };
  const isProblem = /problem\+json/i.test(contentType);
  const field = MESSAGE_FIELDS.find((name) => name in envelope) ?? (isProblem ? 'detail' : undefined);
  if (field) envelope[field] = `${statusCode === 401 ? 'Unauthorized' : 'Invalid request'}: ${described.map((d) => d.text).join('; ')}`;
  if (isProblem && 'status' in envelope) envelope.status = statusCode;
  if (isProblem && envelope.errors && typeof envelope.errors === 'object' && !Array.isArray(envelope.errors)) {
    const errors: Record<string, string[]> = {};
    for (const { field: name, text } of described) (errors[name] ??= []).push(text);
    envelope.errors = errors;
  }
  return envelope;
}

function readBody(request: IncomingMessage): Promise<Buffer | null> {
  if (request.headers['content-length'] === '0') return Promise.resolve(null);
  if (request.headers['content-length'] === undefined && request.headers['transfer-encoding'] === undefined) {
    return Promise.resolve(null);
  }
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

function parseBody(raw: Buffer | null, contentType: string | undefined): { body: unknown; error?: string } {
  if (raw === null) return { body: undefined };
  const text = raw.toString('utf8');
  if (/^application\/([\w.+-]*\+)?json/i.test(contentType ?? '')) {
    try {
      return { body: JSON.parse(text) };
    } catch (error) {
      return { body: text, error: `Request body is not valid JSON (${(error as Error).message})` };
    }
  }
  return { body: text };
}

function queryOf(searchParams: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function sendJson(reply: ServerResponse, statusCode: number, headers: Record<string, string>, body: unknown) {
  const contentType = headers['content-type'] ?? headers['Content-type'] ?? headers['Content-Type'];
  const payload = body === undefined ? '' : typeof body === 'string' && !/json/i.test(contentType ?? '') ? body : JSON.stringify(body);
  reply.writeHead(statusCode, { ...headers, 'content-length': Buffer.byteLength(payload) });
  reply.end(payload);
}

function setCorsHeaders(request: IncomingMessage, reply: ServerResponse) {
  reply.setHeader('Access-Control-Allow-Origin', request.headers.origin ?? '*');
  reply.setHeader('Access-Control-Allow-Headers', request.headers['access-control-request-headers'] ?? '*');
  reply.setHeader('Access-Control-Allow-Credentials', 'true');
  reply.setHeader('Access-Control-Expose-Headers', '*');
}

export async function createPrismMock(options: MockOptions): Promise<Server> {
  if (!options.allowRemoteCallbacks) restrictCallbacksToLoopback();
  const spec = JSON.parse(readFileSync(options.specPath, 'utf8'));
  const operations = await getHttpOperationsFromSpec(spec);
  const basePaths = basePathsOf(spec);
  const parameterNames = parameterNamesOf(spec);
  const logger = createLogger('MOCK', { level: 'silent' });
  // The same configuration `prism mock` uses: validate requests and security, static examples unless asked.
  const config: IHttpConfig = {
    mock: { dynamic: false },
    validateRequest: true,
    validateResponse: true,
    checkSecurity: true,
    errors: false,
    upstreamProxy: undefined,
    isProxy: false,
  };
  const prism = createInstance(config, { logger });

  async function handle(request: IncomingMessage, reply: ServerResponse) {
    const started = performance.now();
    setCorsHeaders(request, reply);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.setHeader('Access-Control-Allow-Methods', String(request.headers['access-control-request-method']));
      reply.writeHead(204, { 'content-length': 0 }).end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://mock');
    const { body, error: bodyError } = parseBody(await readBody(request), request.headers['content-type']);
    const input: IHttpRequest = {
      method: (request.method ?? 'GET').toLowerCase() as IHttpRequest['method'],
      url: { path: stripBasePath(url.pathname, basePaths), query: queryOf(url.searchParams) },
      headers: request.headers as Record<string, string>,
      body,
    };
    // Prefer: code=, example=, dynamic= (or __code... query parameters), parsed exactly as `prism mock` does.
    const preferences = getHttpConfigFromRequest(input);
    const result =
      preferences._tag === 'Left'
        ? preferences
        : await prism.request(input, operations, { ...config, mock: { ...config.mock, ...preferences.right } })();
    if (result._tag === 'Left') {
      const problem = result.left as ProblemJsonError & { additional?: { headers?: Record<string, string> } };
      const status = problem.status ?? 500;
      sendJson(reply, status, { 'content-type': 'application/problem+json', ...problem.additional?.headers }, ProblemJsonError.toProblemJson(problem));
    } else {
      const { output, validations } = result.right;
      const violations = validations.input as unknown as Violation[];
      if (bodyError) violations.unshift({ path: ['body'], message: bodyError, severity: 0 });
      if (violations.length > 0) {
        reply.setHeader('sl-violations', JSON.stringify(violations).slice(0, 8000));
      }
      const contentType = Object.entries(output.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
      const answer = REJECTION_STATUSES.has(output.statusCode)
        ? withViolations(output.body, output.statusCode, contentType, violations, parameterNames)
        : output.body;
      sendJson(reply, output.statusCode, output.headers ?? {}, answer);
    }
    options.log?.(`${request.method} ${url.pathname}${url.search} -> ${reply.statusCode} (${Math.round(performance.now() - started)} ms)`);
  }

  return createServer((request, reply) => {
    handle(request, reply).catch((error: Error) => {
      // A mock must never crash on a bad request: answer 500 in problem+json and keep serving.
      if (!reply.headersSent) {
        sendJson(reply, 500, { 'content-type': 'application/problem+json' }, { type: 'about:blank', title: 'Mock error', status: 500, detail: error.message });
      } else reply.end();
    });
  });
}
