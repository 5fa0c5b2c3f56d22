// One API's mock. The request path reads top-down: transport (target, body) -> faults -> routing -> Prism
// (request and security validation, examples, Prefer) -> the sandbox (state, deliveries) -> the answer. Every
// error, whoever finds it, is answered in the vendor's envelope (mocks/sandbox/errors.ts); nothing a client sends
// makes this server answer 5xx or stop, unless a fault was asked for.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@stoplight/prism-core';
import { createInstance, getHttpOperationsFromSpec, type IHttpConfig, type IHttpRequest } from '@stoplight/prism-http';
import type { IHttpOperation } from '@stoplight/types';
import { getHttpConfigFromRequest } from '@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js';
import { basePathsOf, parameterNamesOf, stripBasePath } from './shared/openapi-json.ts';
import { loadDeclaration } from './shared/declaration.ts';
import { createErrorWriter, type Reason } from './sandbox/errors.ts';
import { faultOf } from './sandbox/faults.ts';
import { createRouter, type Route } from './sandbox/router.ts';
import { createControl } from './sandbox/control.ts';
import { createDeliveries, type Deliveries, type DeliveryDeclaration } from './sandbox/deliveries.ts';
import { createState, type Change, type SandboxState, type StateDeclaration } from './sandbox/state.ts';
import { tenantOf } from './sandbox/store.ts';
import { createResponseValidator } from './sandbox/validate.ts';
import { headerSafe, parseBody, readBody, send, targetOf, MAX_BODY_BYTES } from './sandbox/transport.ts';
import { journalHeaders, RequestJournal } from './sandbox/journal.ts';

export interface MockOptions {
  /** Bundled spec (generated/<api>/openapi.json). */
  specPath: string;
  /** The API's sandbox declaration (specs/<api>/sandbox.yaml); without it errors are problem+json. */
  declarationPath?: string;
  /** Called once per request, and once per callback attempt, with a short log line; omit for silence. */
  log?: (line: string) => void;
  /** Let deliveries go to hosts other than loopback (off by default: samples name public hosts). */
  allowRemoteCallbacks?: boolean;
  /** Share of requests (0 to 1) that get a random injected fault. */
  faultShare?: number;
  /** Accept self-signed certificates of https receivers (--insecure-tls). */
  insecureTls?: boolean;
  /** Id source and clock of the state layer and of the send times stamped into events (deterministic tests). */
  ids?: () => string;
  clock?: () => Date;
  /** Told of every change the partner's requests make to the state. */
  onChange?: (change: Change) => void;
  /** Waits between delivery attempts (default 1, 2, 4, 8 s) and the per-attempt timeout (default 5 s). */
  retryDelaysMs?: number[];
  attemptTimeoutMs?: number;
}

/** The state and deliveries behind a running mock, for `npm start` (state file, --emit-every) and tests. */
export interface Sandbox {
  state: SandboxState;
  deliveries: Deliveries;
  journal: RequestJournal;
}

/** What the request journal learns of a request while it is handled. */
interface Trace {
  /** Control API requests are the test's own, not the service's: not journaled. */
  skip?: boolean;
  body: unknown;
  operationId: string | null;
  problems: string[];
}

export type MockServer = Server & { sandbox: Sandbox };

/** A Prism validation result; severity 0 is DiagnosticSeverity.Error. */
interface Violation {
  path?: (string | number)[];
  message: string;
  severity: number;
}

/** Statuses Prism answers for a request it rejects; their bodies are rewritten into the vendor's envelope. */
const REJECTION_STATUSES = new Set([400, 401, 403, 404, 405, 406, 413, 415, 422]);

function reasonOf({ path = [], message }: Violation, parameterNames: Map<string, string>): Reason {
  const segments = path.map(String);
  const location = segments[0];
  if (location === 'query' || location === 'header' || location === 'path') {
    if (segments[1]) {
      const declared = parameterNames.get(segments[1].toLowerCase()) ?? segments[1];
      message = message.replace(new RegExp(`\\b${segments[1].replace(/[^\w]/g, '\\$&')}\\b`, 'g'), declared);
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
  // The field as the vendor's `errors` maps name it (`resourceId`, `eventPayloadTypes.0`), without the location.
  const field = segments.slice(1).join('.') || segments[0] || 'request';
  return { field, text: segments.length > 1 ? `${segments.join('.')}: ${message}` : message };
}

function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  const searchParams = new URLSearchParams(search);
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0]! : values;
  }
  return query;
}

function setCorsHeaders(request: IncomingMessage, reply: ServerResponse) {
  reply.setHeader('Access-Control-Allow-Origin', request.headers.origin ?? '*');
  reply.setHeader('Access-Control-Allow-Headers', request.headers['access-control-request-headers'] ?? '*');
  reply.setHeader('Access-Control-Allow-Credentials', 'true');
  reply.setHeader('Access-Control-Expose-Headers', '*');
}

const headerOf = (headers: Record<string, unknown> | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1] as string | undefined;

export async function createPrismMock(options: MockOptions): Promise<MockServer> {
  const spec = JSON.parse(readFileSync(options.specPath, 'utf8'));
  const declaration = loadDeclaration(options.declarationPath);
  let errorAnswer: ReturnType<typeof createErrorWriter>;
  try {
    errorAnswer = createErrorWriter(spec, declaration.errors);
  } catch (error) {
    throw new Error(`${options.declarationPath}: ${(error as Error).message}`);
  }
  // Deliveries (the VTN's callback included) are the sandbox's, sent only for requests that succeeded.
  const operations: IHttpOperation[] = (await getHttpOperationsFromSpec(spec)).map((operation) => ({ ...operation, callbacks: [] }));
  const router = createRouter(spec);
  let state: SandboxState;
  let deliveries: Deliveries;
  try {
    state = createState(spec, declaration as StateDeclaration, { ids: options.ids, clock: options.clock });
    deliveries = createDeliveries(spec, (declaration.deliveries ?? {}) as Record<string, DeliveryDeclaration>, state, {
      log: options.log,
      allowRemote: options.allowRemoteCallbacks,
      retryDelaysMs: options.retryDelaysMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      insecureTls: options.insecureTls,
      clock: options.clock,
    });
  } catch (error) {
    throw new Error(`${options.declarationPath}: ${(error as Error).message}`);
  }
  const journal = new RequestJournal();
  const control = createControl(spec, state, deliveries, router.challengeOf(), journal);
  const responseErrors = createResponseValidator(spec);
  const basePaths = basePathsOf(spec);
  const parameterNames = parameterNamesOf(spec);
  const logger = createLogger('MOCK', { level: 'silent' });
  // The same configuration `prism mock` uses: validate requests and security, static examples unless asked.
  const config: IHttpConfig = {
    mock: { dynamic: false },
    validateRequest: true,
    validateResponse: false,
    checkSecurity: true,
    errors: false,
    upstreamProxy: undefined,
    isProxy: false,
  };
  const prism = createInstance(config, { logger });

  function answerError(reply: ServerResponse, status: number, reasons: Reason[], route?: Route, extraHeaders: Record<string, string> = {}, message?: string) {
    const trace = traces.get(reply);
    if (trace) trace.problems = reasons.length ? reasons.map((reason) => reason.text) : [message ?? `answered ${status}`];
    const { contentType, body } = errorAnswer(status, reasons, route?.operation, message);
    const headers: Record<string, string> = { 'content-type': contentType, ...extraHeaders };
    if (status === 401) headers['WWW-Authenticate'] = router.challengeOf(route);
    send(reply, status, headers, body);
  }

  const traces = new WeakMap<ServerResponse, Trace>();

  async function handle(request: IncomingMessage, reply: ServerResponse, note: (text: string) => void, trace: Trace) {
    setCorsHeaders(request, reply);
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.setHeader('Access-Control-Allow-Methods', String(request.headers['access-control-request-method']));
      reply.writeHead(204, { 'content-length': 0 }).end();
      return;
    }
    const target = targetOf(request.url);
    if (target.path.startsWith('/_sandbox/') && !target.invalid) {
      const received = await readBody(request);
      if (received.kind === 'aborted') return;
      if (received.kind === 'too-large') return send(reply, 413, { 'content-type': 'application/problem+json', connection: 'close' }, { title: 'Payload Too Large', status: 413, detail: `body: larger than ${MAX_BODY_BYTES} bytes` });
      const parsed = parseBody(received.kind === 'body' ? received.bytes : undefined, request.headers['content-type'] ?? 'application/json');
      trace.skip = true;
      const answer = await control(method, target.path, request.headers.authorization, parsed.body, parsed.invalid);
      return send(reply, answer.status, answer.headers, answer.body);
    }
    const fault = faultOf(request.headers.prefer, options.faultShare);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.fault === 'reset') {
      note('fault: connection reset');
      request.socket.destroy();
      return;
    }
    const path = stripBasePath(target.path, basePaths);
    const match = target.invalid ? undefined : router.match(method, path);
    const route = match?.kind === 'ok' ? match.route : undefined;
    if (fault.invalid) return answerError(reply, 400, [{ field: 'header.Prefer', text: fault.invalid }], route);
    if (typeof fault.fault === 'number') {
      note(`fault: ${fault.fault}`);
      return answerError(reply, fault.fault, [{ text: `fault injected on request (Prefer: fault=${fault.fault}, a sandbox extension)` }], route, fault.headers);
    }
    if (target.invalid) return answerError(reply, 400, [{ field: 'path', text: target.invalid }]);

    const received = await readBody(request);
    if (received.kind === 'aborted') return;
    if (received.kind === 'too-large') {
      return answerError(reply, 413, [{ field: 'body', text: `body: larger than the sandbox's limit of ${MAX_BODY_BYTES} bytes` }], route, { connection: 'close' });
    }
    if (!match || match.kind === 'no-path') return answerError(reply, 404, [{ field: 'path', text: `path: no operation at ${target.path}` }]);
    if (match.kind === 'no-method' && method === 'OPTIONS') {
      // A plain OPTIONS (not a CORS preflight) asks what the path allows.
      reply.writeHead(204, { Allow: match.allowed.join(', '), 'content-length': 0 }).end();
      return;
    }
    if (match.kind === 'no-method') {
      return answerError(reply, 405, [{ field: 'method', text: `method: ${method} is not allowed on ${target.path}; allowed: ${match.allowed.join(', ')}` }], undefined, {
        Allow: match.allowed.join(', '),
      });
    }

    const parsed = parseBody(received.kind === 'body' ? received.bytes : undefined, request.headers['content-type']);
    trace.body = parsed.body ?? null;
    trace.operationId = route?.operationId ?? null;
    const headers = { ...(request.headers as Record<string, string>) };
    if (fault.remainingPrefer) headers.prefer = fault.remainingPrefer;
    else delete headers.prefer;
    const input: IHttpRequest = {
      method: method.toLowerCase() as IHttpRequest['method'],
      url: { path, query: queryOf(target.search) },
      headers,
      body: parsed.body,
    };
    // Prefer: code=, example=, dynamic= (or __code... query parameters), parsed exactly as `prism mock` does.
    const preferences = getHttpConfigFromRequest(input);
    if (preferences._tag === 'Left') {
      return answerError(reply, 400, [{ field: 'header.Prefer', text: `header.Prefer: ${preferences.left.detail ?? preferences.left.message}` }], route);
    }
    const result = await prism.request(input, operations, { ...config, mock: { ...config.mock, ...preferences.right } })();
    if (result._tag === 'Left') {
      const problem = result.left as Error & { status?: number; detail?: string };
      // A Prism 5xx here means it could not pick an answer (no 400 documented, a schema too complex): the request's fault.
      const status = problem.status && problem.status < 500 ? problem.status : 400;
      const reasons: Reason[] = parsed.invalid ? [{ field: 'body', text: parsed.invalid }] : [{ text: problem.detail || problem.message }];
      return answerError(reply, status, reasons, route);
    }
    const { output, validations } = result.right;
    const violations = (validations.input as unknown as Violation[]).filter((violation) => violation.severity === 0);
    const reasons = violations.map((violation) => reasonOf(violation, parameterNames));
    // Prism reports a media type it cannot take as a violation with code 415, then answers the documented 400.
    const unsupportedMedia = violations.some((violation) => String((violation as { code?: unknown }).code) === '415');
    if (parsed.invalid) reasons.unshift({ field: 'body', text: parsed.invalid });
    if (reasons.length > 0) reply.setHeader('sl-violations', headerSafe(JSON.stringify(reasons)).slice(0, 8000));
    const outputHeaders = { ...(output.headers ?? {}) } as Record<string, string>;
    if (REJECTION_STATUSES.has(output.statusCode) && (reasons.length > 0 || output.statusCode === 401)) {
      return answerError(reply, unsupportedMedia && output.statusCode === 400 ? 415 : output.statusCode, reasons, route);
    }
    if (output.statusCode === 401) outputHeaders['WWW-Authenticate'] = router.challengeOf(route);
    // Prism takes any `Bearer <anything>`; a tenant needs a well-formed credential (`Bearer a b c` is not one).
    if (output.statusCode >= 200 && output.statusCode < 300 && route && router.requiresCredentials(route) && !tenantOf(request.headers.authorization)) {
      return answerError(reply, 401, [{ field: 'header.Authorization', text: `header.Authorization: not a well-formed ${router.challengeOf(route).split(' ')[0]} credential` }], route);
    }
    const fixedAnswer = preferences.right.code !== undefined || preferences.right.exampleKey !== undefined || preferences.right.dynamic !== undefined;
    if (route && !fixedAnswer && output.statusCode >= 200 && output.statusCode < 300) {
      // The sandbox answers from the tenant's state where the declaration covers the operation.
      const stateRequest = { route, query: input.url.query ?? {}, body: parsed.body, tenant: tenantOf(request.headers.authorization) ?? 'anonymous' };
      let answer = state.handle(stateRequest);
      if (answer?.kind === 'answer' && answer.deliver && answer.subject) {
        // The vendor delivers to the item first (HanChuESS's test), then answers it as it now stands.
        const { webhook, example, onDelivered } = answer.deliver;
        const subject = answer.subject;
        await deliveries.trigger(stateRequest.tenant, webhook, undefined, {
          item: subject,
          exampleName: example,
          onDelivered: () => (Object.assign(subject, onDelivered ?? {}), state.store.changed()),
        });
        answer = state.handle(stateRequest);
      }
      if (answer?.kind === 'error') return answerError(reply, answer.status, answer.reasons, route, {}, answer.message);
      if (answer?.kind === 'answer') {
        const problems = responseErrors(route, answer.status, answer.body);
        if (problems.length) {
          note(`answer breaks the spec: ${problems.join('; ')}`);
          reply.setHeader('x-sandbox-response-violations', headerSafe(problems.join('; ')).slice(0, 4000));
        }
        if (answer.change) {
          deliveries.onChange(answer.change.tenant, answer.change.collection, answer.change.action, answer.change.item);
          options.onChange?.(answer.change);
        }
        const headers: Record<string, string> = { 'content-type': headerOf(outputHeaders, 'content-type') ?? 'application/json' };
        return send(reply, answer.status, answer.body === undefined ? {} : headers, answer.body);
      }
    }
    if (!headerOf(outputHeaders, 'content-type') && output.body !== undefined) outputHeaders['content-type'] = 'application/json';
    send(reply, output.statusCode, outputHeaders, output.body);
  }

  const server = createServer((request, reply) => {
    const started = performance.now();
    const notes: string[] = [];
    const trace: Trace = { body: null, operationId: null, problems: [] };
    traces.set(reply, trace);
    const done = () => {
      options.log?.(`${request.method} ${request.url} -> ${reply.statusCode}${notes.length ? ` (${notes.join(', ')})` : ''} ${Math.round(performance.now() - started)} ms`);
      if (trace.skip) return;
      const target = targetOf(request.url);
      journal.record(request.headers.authorization, {
        at: new Date().toISOString(),
        method: (request.method ?? 'GET').toUpperCase(),
        path: target.path,
        query: queryOf(target.search),
        headers: journalHeaders(request.headers),
        body: trace.body,
        status: reply.statusCode,
        operationId: trace.operationId,
        problems: trace.problems,
      });
    };
    handle(request, reply, (text) => notes.push(text), trace)
      .catch((error: Error) => {
        // Our own defect, not the client's: logged, answered, and the server keeps serving.
        notes.push(`internal error: ${error.stack ?? error.message}`);
        if (!reply.headersSent) answerError(reply, 500, [{ text: `the sandbox failed on this request: ${error.message}` }]);
        else reply.destroy();
      })
      .finally(done);
  });
  // Requests Node's HTTP parser refuses (raw non-ASCII in the target, malformed headers) never reach the
  // handler: answer them in the vendor's envelope too, instead of Node's bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const reason = error.code === 'HPE_HEADER_OVERFLOW' ? 'request: the request headers are too large' : `request: not a valid HTTP request (${error.code ?? error.message})`;
    const { contentType, body } = errorAnswer(status, [{ field: 'request', text: reason }]);
    const payload = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
    );
    options.log?.(`(unparsable request) -> ${status} ${reason}`);
  });
  return Object.assign(server, { sandbox: { state, deliveries, journal } });
}
