// One API's mock. A request goes through named stages, each its own module under mocks/sandbox/:
//   transport (target, body) -> control (/_sandbox/) -> faults (Prefer: delay/fault) -> route (router) ->
//   validate (request-check, with validators compiled at build time) -> dispatch (state, deliveries) -> answer.
// That is the fast path. Prism (prism-engine, imported on first use) answers what the fast path leaves to it:
// `Prefer: code=|example=|dynamic=`, operations without state, an Accept it does not negotiate. Every error,
// whoever finds it, is answered in the vendor's envelope; nothing a client sends makes this server answer 5xx
// or stop, unless a fault was asked for.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { basePathsOf, parameterNamesOf, stripBasePath } from './shared/openapi-json.ts';
import { loadDeclaration } from './shared/declaration.ts';
import { createAnswers, type Answers } from './sandbox/answer.ts';
import { AnswerCache, checkedHeadersOf, type CachedAnswer } from './sandbox/answer-cache.ts';
import { loadSandboxValidators, type OperationModel, type SandboxValidators } from './sandbox/compiled.ts';
import type { Connector, Resolver } from './sandbox/callback-guard.ts';
import { createControl, type Journal } from './sandbox/control.ts';
import { createDeliveries, type Deliveries, type DeliveryDeclaration, type SharedDeliveries } from './sandbox/deliveries.ts';
import { createResponseCheck, dispatchToState, isStateful } from './sandbox/dispatch.ts';
import type { Reason } from './sandbox/errors.ts';
import { faultOf } from './sandbox/faults.ts';
import { RequestJournal, type JournalEntry } from './sandbox/journal.ts';
import { PendingEntry } from './sandbox/journal-entry.ts';
import { lazyPrism, type PrismEngine, type PrismInput } from './sandbox/prism-engine.ts';
import { checkRequest, documentedStatus, expectedStatuses, negotiatedSuccessType, undocumentedRejection } from './sandbox/request-check.ts';
import { createRouter, type Route } from './sandbox/router.ts';
import { createState, type Change, type SandboxState, type StateDeclaration } from './sandbox/state.ts';
import { clientOfToken } from './sandbox/oauth.ts';
import { tenantOf, type TenantLease } from './sandbox/store.ts';
import { headerSafe, parseBody, payloadOf, queryOf, readBody, send, sendPayload, targetOf, MAX_BODY_BYTES } from './sandbox/transport.ts';

export interface MockOptions {
  /** Bundled spec (generated/<api>/openapi.json). */
  specPath: string;
  /** The API's sandbox declaration (specs/<api>/sandbox.yaml); without it errors are problem+json. */
  declarationPath?: string;
  /**
   * The validators compiled at build time (generated/<api>/sandbox-validators.js); by default the file of that
   * name beside specPath. Without one, every request goes through Prism (slower, same answers).
   */
  validatorsPath?: string;
  /** Called once per request, and once per callback attempt, with a short log line; omit for silence. */
  log?: (line: string) => void;
  /** Called once per answered request to the API (not the control API's), after the answer is written; the request journal gets the same record. */
  onRequest?: (record: RequestRecord) => void;
  /** Let deliveries go to hosts other than loopback (off by default: samples name public hosts). */
  allowRemoteCallbacks?: boolean;
  /** Resolver and connector of delivery targets (mocks/sandbox/callback-guard.ts); tests inject both. */
  callbackResolver?: Resolver;
  callbackConnector?: Connector;
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
  /** Items per collection per tenant (default 1,000), tenants kept, idle expiry: see mocks/sandbox/store.ts. */
  maxItems?: number;
  maxTenants?: number;
  tenantIdleMs?: number;
  /**
   * A store replicas share (`store: 'redis://…'` of startSandbox; mocks/sandbox/redis-store.ts): given the mock's
   * state, makes its store a cache of the shared one, and gives the shared deliveries and request journal.
   */
  sharedStore?: (state: SandboxState) => { deliveries: SharedDeliveries; journal: RequestJournalLike };
}

/** The request journal: in memory (sandbox/journal.ts), or shared by replicas. */
export type RequestJournalLike = Journal & { record(authorization: string | undefined, entry: JournalEntry): void };

/** What one request was and how it was answered: the request journal's entry (credentials left out). */
export type RequestRecord = JournalEntry;

/** The state and deliveries behind a running mock, for `npm start` (state file, --emit-every) and tests. */
export interface Sandbox {
  state: SandboxState;
  deliveries: Deliveries;
  journal: RequestJournalLike;
  /** Reads answered again from the bytes of an earlier answer; none with random faults, a shared store, or without compiled validators. */
  answerCache?: AnswerCache;
}

export type MockServer = Server & { sandbox: Sandbox };

/** What the stages learn about a request, for the log line and the request journal. */
interface Exchange {
  /** performance.now() when the request arrived. */
  started: number;
  notes: string[];
  /** The reasons it was refused (as its error answer names them), or the problems of the sandbox's own answer. */
  problems: string[];
  /** Control API requests are the test's own, not the service's: not journaled. */
  skip?: boolean;
  body: unknown;
  operationId: string | null;
}

function setCorsHeaders(request: IncomingMessage, reply: ServerResponse) {
  reply.setHeader('Access-Control-Allow-Origin', request.headers.origin ?? '*');
  reply.setHeader('Access-Control-Allow-Headers', request.headers['access-control-request-headers'] ?? '*');
  reply.setHeader('Access-Control-Allow-Credentials', 'true');
  reply.setHeader('Access-Control-Expose-Headers', '*');
}

/** What the answer cache may answer: a GET with credentials, without a body and without `Prefer`. */
function cacheableRequest(request: IncomingMessage): request is IncomingMessage & { headers: { authorization: string } } {
  const { headers } = request;
  return (
    request.method === 'GET' &&
    typeof headers.authorization === 'string' &&
    headers.prefer === undefined &&
    headers['transfer-encoding'] === undefined &&
    (headers['content-length'] === undefined || headers['content-length'] === '0')
  );
}

const headerOf = (headers: Record<string, unknown> | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1] as string | undefined;

/** Prism's own preference query parameters (`__code`, `__example`, `__dynamic`, `__seed`). */
const prismQuery = (query: Record<string, unknown>) => Object.keys(query).some((key) => key.startsWith('__'));

export async function createPrismMock(options: MockOptions): Promise<MockServer> {
  const spec = JSON.parse(readFileSync(options.specPath, 'utf8'));
  const declaration = loadDeclaration(options.declarationPath);
  const router = createRouter(spec);
  const parameterNames = parameterNamesOf(spec);
  let answers: Answers;
  const exchanges = new WeakMap<ServerResponse, Exchange>();
  let state: SandboxState;
  let deliveries: Deliveries;
  let shared: ReturnType<NonNullable<MockOptions['sharedStore']>> | undefined;
  try {
    // Whoever refuses a request, the journal keeps the reasons its error answer names.
    answers = createAnswers(spec, declaration.errors, router.challengeOf, parameterNames, (reply, status, reasons, message) => {
      const exchange = exchanges.get(reply);
      if (exchange) exchange.problems = reasons.length ? reasons.map((reason) => reason.text) : [message ?? `answered ${status}`];
    });
    const limits = { maxItems: options.maxItems, maxTenants: options.maxTenants, tenantIdleMs: options.tenantIdleMs };
    state = createState(spec, declaration as StateDeclaration, { ids: options.ids, clock: options.clock, limits });
    shared = options.sharedStore?.(state);
    deliveries = createDeliveries(spec, (declaration.deliveries ?? {}) as Record<string, DeliveryDeclaration>, state, {
      log: options.log,
      allowRemote: options.allowRemoteCallbacks,
      retryDelaysMs: options.retryDelaysMs,
      attemptTimeoutMs: options.attemptTimeoutMs,
      insecureTls: options.insecureTls,
      clock: options.clock,
      resolve: options.callbackResolver,
      connector: options.callbackConnector,
      shared: shared?.deliveries,
    });
  } catch (error) {
    throw new Error(`${options.declarationPath}: ${(error as Error).message}`);
  }
  const validatorsPath = options.validatorsPath ?? join(dirname(options.specPath), 'sandbox-validators.js');
  const compiled: SandboxValidators | undefined = options.validatorsPath || existsSync(validatorsPath) ? await loadSandboxValidators(validatorsPath) : undefined;
  const journal: RequestJournalLike = shared?.journal ?? new RequestJournal(undefined, options.maxTenants);
  // A tenant the store drops (idle, or over the tenant limit) takes its request journal with it.
  state.store.onDrop((tenant) => void journal.clear(tenant));
  const control = createControl(spec, state, deliveries, router.challengeOf(), journal);
  const responseCheck = createResponseCheck(spec, compiled);
  // Random faults are drawn per request: with them on, no answer is reused. Nor with a store replicas share:
  // another replica's change is only seen when the tenant is opened, which an answer from the cache would skip.
  const cache = compiled && !options.faultShare && !state.store.open ? new AnswerCache() : undefined;
  if (cache) state.store.onChange((change) => cache.changed(change));
  const prism: PrismEngine = lazyPrism(spec);
  const basePaths = basePathsOf(spec);

  /** The fast path: true when it answered; false leaves the request to Prism. */
  async function fastPath(reply: ServerResponse, route: Route, input: PrismInput, bodyInvalid: string | undefined, exchange: Exchange, cacheKey?: string): Promise<boolean> {
    const model = compiled?.operationOf(route.method, route.path);
    if (!model || input.headers.prefer !== undefined || prismQuery(input.query)) return false;
    const violations = checkRequest(model, compiled!.validators, { headers: input.headers, query: input.query, pathParams: route.params, body: input.body });
    if (violations.length > 0) {
      const statuses = expectedStatuses(violations);
      const status = documentedStatus(model, statuses);
      const reasons = answers.rejection(reply, status === undefined ? { kind: 'undocumented', ...undocumentedRejection(violations) } : { kind: 'documented', status, violations }, bodyInvalid, route);
      return reasons !== undefined;
    }
    if (!isStateful(state, route)) return false;
    const contentType = negotiatedSuccessType(model, input.headers.accept);
    if (contentType === undefined) return false;
    await answerFromState(reply, route, input, contentType, exchange, cacheKey === undefined ? undefined : { key: cacheKey, model });
    return true;
  }

  /** Answers a request the state answered before, when nothing the answer depends on changed since. */
  function answerFromCache(request: IncomingMessage & { headers: { authorization: string } }, reply: ServerResponse, exchange: Exchange): boolean {
    const { headers } = request;
    // A read marks the tenant as seen (it does not expire while in use), as the state's own read does.
    const entry = cache!.answer(AnswerCache.key(request.url ?? '/', headers.authorization, headers.accept), headers, markSeen);
    if (!entry) return false;
    // The same headers, in the same order, as setCorsHeaders and send write them on the way through the stages.
    reply.writeHead(entry.status, {
      'Access-Control-Allow-Origin': headers.origin ?? '*',
      'Access-Control-Allow-Headers': headers['access-control-request-headers'] ?? '*',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': '*',
      'content-type': entry.contentType,
      'content-length': entry.length,
    });
    reply.end(entry.payload);
    exchange.operationId = entry.operationId;
    return true;
  }

  const markSeen = (tenant: string) => void state.store.peek(tenant);

  /** A read the state answered without changing anything: kept for the next identical request. */
  function keepAnswer(cacheKey: { key: string; model: OperationModel }, headers: PrismInput['headers'], tenant: string, version: number, route: Route, status: number, contentType: string, payload: string, length: number) {
    const declared = route.operationId ? state.operations[route.operationId] : undefined;
    if (!declared || (declared.action !== 'list' && declared.action !== 'read') || declared.deliver || status < 200 || status > 299) return;
    const entry: CachedAnswer = {
      tenant,
      version,
      headers: checkedHeadersOf(cacheKey.model).map((name) => [name, headers[name] as string | undefined]),
      status,
      contentType: headerSafe(contentType),
      payload,
      length,
      operationId: route.operationId ?? null,
    };
    cache!.keep(cacheKey.key, entry);
  }

  /**
   * Waits until the store keeps every change so far (on disk, with a state file; in the shared store, the lease
   * released); else answers 503 and false.
   */
  async function kept(reply: ServerResponse, route?: Route, lease?: TenantLease): Promise<boolean> {
    try {
      await state.store.flushed();
      if (lease) await lease.release();
      return true;
    } catch (error) {
      answers.error(reply, 503, [{ text: `the sandbox could not store the change: ${(error as Error).message}` }], route);
      return false;
    }
  }

  async function answerFromState(reply: ServerResponse, route: Route, input: PrismInput, contentType: string, exchange: Exchange, cacheKey?: { key: string; model: OperationModel }) {
    const tenant = tenantOf(input.headers.authorization);
    if (router.requiresCredentials(route) && !tenant) return rejectCredential(reply, route, input.headers.authorization);
    // A shared store (replicas): the tenant is held and current for this request; in memory there is no such step.
    const opening = state.store.open?.(tenant ?? 'anonymous');
    if (!opening) return answerFromTenant(reply, route, input, contentType, exchange, tenant, undefined, cacheKey);
    let lease: TenantLease;
    try {
      lease = await opening;
    } catch (error) {
      return answers.error(reply, 503, [{ text: `the sandbox could not reach its store: ${(error as Error).message}` }], route);
    }
    try {
      await answerFromTenant(reply, route, input, contentType, exchange, tenant, lease);
    } finally {
      lease.release().catch(() => undefined);
    }
  }

  async function answerFromTenant(
    reply: ServerResponse,
    route: Route,
    input: PrismInput,
    contentType: string,
    exchange: Exchange,
    tenant: string | undefined,
    lease?: TenantLease,
    cacheKey?: { key: string; model: OperationModel },
  ) {
    const versionBefore = cache && tenant ? cache.version(tenant) : undefined;
    const dispatched = await dispatchToState(state, deliveries, responseCheck, { route, query: input.query, body: input.body, tenant: tenant ?? 'anonymous' });
    if (!dispatched) return;
    if (dispatched.kind === 'error') {
      return answers.error(reply, dispatched.answer.status, dispatched.answer.reasons, route, {}, dispatched.answer.message);
    }
    if (dispatched.problems.length) {
      exchange.notes.push(`answer breaks the spec: ${dispatched.problems.join('; ')}`);
      exchange.problems.push(...dispatched.problems);
      reply.setHeader('x-sandbox-response-violations', headerSafe(dispatched.problems.join('; ')).slice(0, 4000));
    }
    if (dispatched.change) options.onChange?.(dispatched.change);
    if ((dispatched.change || lease) && !(await kept(reply, route, lease))) return;
    if (cacheKey && tenant && dispatched.body !== undefined && !dispatched.change && dispatched.problems.length === 0 && versionBefore === cache!.version(tenant)) {
      const payload = payloadOf(dispatched.body, contentType);
      const length = sendPayload(reply, dispatched.status, { 'content-type': contentType }, payload);
      return keepAnswer(cacheKey, input.headers, tenant, versionBefore, route, dispatched.status, contentType, payload, length);
    }
    send(reply, dispatched.status, dispatched.body === undefined ? {} : { 'content-type': contentType }, dispatched.body);
  }

  /** Prism takes any `Bearer <anything>`; a tenant needs a well-formed credential (`Bearer a b c` is not one). */
  function rejectCredential(reply: ServerResponse, route: Route, authorization?: string) {
    const bearer = /^\s*Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    const expired = bearer !== undefined && clientOfToken(bearer) === null;
    const text = expired
      ? 'header.Authorization: the sandbox token has expired; get a new one from POST /_sandbox/oauth/token'
      : `header.Authorization: not a well-formed ${router.challengeOf(route).split(' ')[0]} credential`;
    const reason: Reason = { field: 'header.Authorization', text };
    answers.error(reply, 401, [reason], route);
  }

  /** Prism's path: fixed answers (Prefer), operations without state, and whatever the fast path leaves. */
  async function prismPath(reply: ServerResponse, route: Route | undefined, input: PrismInput, bodyInvalid: string | undefined, exchange: Exchange) {
    const result = await prism.request(input);
    if (result.kind === 'bad-preference') return answers.error(reply, 400, [{ field: 'header.Prefer', text: `header.Prefer: ${result.detail}` }], route);
    const rejection = answers.rejection(
      reply,
      result.kind === 'problem' ? { kind: 'undocumented', status: result.status, detail: result.detail || result.message } : { kind: 'documented', status: result.status, violations: result.violations },
      bodyInvalid,
      route,
    );
    if (rejection) return;
    if (result.kind === 'problem') return;
    const outputHeaders = result.headers;
    if (result.status === 401) outputHeaders['WWW-Authenticate'] = router.challengeOf(route);
    const success = result.status >= 200 && result.status < 300;
    if (success && route && router.requiresCredentials(route) && !tenantOf(input.headers.authorization)) return void rejectCredential(reply, route, input.headers.authorization);
    if (success && route && !result.fixedAnswer && isStateful(state, route)) {
      return void (await answerFromState(reply, route, input, headerOf(outputHeaders, 'content-type') ?? 'application/json', exchange));
    }
    if (!headerOf(outputHeaders, 'content-type') && result.body !== undefined) outputHeaders['content-type'] = 'application/json';
    send(reply, result.status, outputHeaders, result.body);
  }

  async function handle(request: IncomingMessage, reply: ServerResponse, exchange: Exchange) {
    setCorsHeaders(request, reply);
    const method = (request.method ?? 'GET').toUpperCase();
    if (method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.setHeader('Access-Control-Allow-Methods', String(request.headers['access-control-request-method']));
      reply.writeHead(204, { 'content-length': 0 }).end();
      return;
    }
    // transport
    const target = targetOf(request.url);
    // control
    if (target.path.startsWith('/_sandbox/') && !target.invalid) {
      const received = await readBody(request);
      if (received.kind === 'aborted') return;
      if (received.kind === 'too-large') return send(reply, 413, { 'content-type': 'application/problem+json', connection: 'close' }, { title: 'Payload Too Large', status: 413, detail: `body: larger than ${MAX_BODY_BYTES} bytes` });
      const parsed = parseBody(received.kind === 'body' ? received.bytes : undefined, request.headers['content-type'] ?? 'application/json');
      exchange.skip = true;
      const answer = await control(method, target.path, request.headers.authorization, parsed.body, parsed.invalid);
      // A change the control API made is kept before it is answered; reads (health included) need not wait.
      if (method !== 'GET' && answer.status < 300 && !(await kept(reply))) return;
      return send(reply, answer.status, answer.headers, answer.body);
    }
    // faults
    const fault = faultOf(request.headers.prefer, options.faultShare);
    if (fault.delayMs > 0) await sleep(fault.delayMs);
    if (fault.fault === 'reset') {
      exchange.notes.push('fault: connection reset');
      request.socket.destroy();
      return;
    }
    // route
    const path = stripBasePath(target.path, basePaths);
    const match = target.invalid ? undefined : router.match(method, path);
    const route = match?.kind === 'ok' ? match.route : undefined;
    if (fault.invalid) return answers.error(reply, 400, [{ field: 'header.Prefer', text: fault.invalid }], route);
    if (typeof fault.fault === 'number') {
      exchange.notes.push(`fault: ${fault.fault}`);
      return answers.error(reply, fault.fault, [{ text: `fault injected on request (Prefer: fault=${fault.fault}, a sandbox extension)` }], route, fault.headers);
    }
    if (target.invalid) return answers.error(reply, 400, [{ field: 'path', text: target.invalid }]);

    const received = await readBody(request);
    if (received.kind === 'aborted') return;
    if (received.kind === 'too-large') {
      return answers.error(reply, 413, [{ field: 'body', text: `body: larger than the sandbox's limit of ${MAX_BODY_BYTES} bytes` }], route, { connection: 'close' });
    }
    if (!match || match.kind === 'no-path') return answers.error(reply, 404, [{ field: 'path', text: `path: no operation at ${target.path}` }]);
    if (match.kind === 'no-method' && method === 'OPTIONS') {
      // A plain OPTIONS (not a CORS preflight) asks what the path allows.
      reply.writeHead(204, { Allow: match.allowed.join(', '), 'content-length': 0 }).end();
      return;
    }
    if (match.kind === 'no-method') {
      return answers.error(reply, 405, [{ field: 'method', text: `method: ${method} is not allowed on ${target.path}; allowed: ${match.allowed.join(', ')}` }], undefined, {
        Allow: match.allowed.join(', '),
      });
    }

    // validate -> dispatch -> answer (fast path), else Prism
    const parsed = parseBody(received.kind === 'body' ? received.bytes : undefined, request.headers['content-type']);
    exchange.body = parsed.body ?? null;
    exchange.operationId = route?.operationId ?? null;
    // Prism reads only the Prefer tokens that are not the sandbox's own (delay, fault).
    let headers = request.headers as Record<string, string>;
    if (headers.prefer !== undefined) {
      headers = { ...headers };
      if (fault.remainingPrefer) headers.prefer = fault.remainingPrefer;
      else delete headers.prefer;
    }
    const input: PrismInput = { method, path, query: target.invalid ? {} : queryOf(target.search), headers, body: parsed.body };
    const cacheKey = cache && received.kind === 'none' && cacheableRequest(request) ? AnswerCache.key(request.url ?? '/', request.headers.authorization, request.headers.accept) : undefined;
    if (await fastPath(reply, match.route, input, parsed.invalid, exchange, cacheKey)) return;
    await prismPath(reply, match.route, input, parsed.invalid, exchange);
  }

  /** After the answer: the log line, and the journal's entry (built only when the journal is read). */
  function finish(request: IncomingMessage, reply: ServerResponse, exchange: Exchange) {
    options.log?.(`${request.method} ${request.url} -> ${reply.statusCode}${exchange.notes.length ? ` (${exchange.notes.join(', ')})` : ''} ${Math.round(performance.now() - exchange.started)} ms`);
    if (exchange.skip) return;
    const entry = new PendingEntry({
      time: Date.now(),
      method: (request.method ?? 'GET').toUpperCase(),
      url: request.url ?? '/',
      headers: request.headers,
      body: exchange.body,
      status: reply.statusCode,
      operationId: exchange.operationId,
      problems: exchange.problems,
    });
    // A journal other than the in-memory one (a shared store's) is given the entry built.
    journal.record(request.headers.authorization, journal instanceof RequestJournal ? entry : entry.toJSON());
    options.onRequest?.(entry.toJSON());
  }

  // No closure is made per request on the way through the cache (each costs, under the tsx loader more so).
  // A repeated read is answered before any stage runs; everything else goes through them.
  const server = createServer((request, reply) => {
    const exchange: Exchange = { started: performance.now(), notes: [], problems: [], body: null, operationId: null };
    if (cache && cacheableRequest(request)) {
      try {
        if (answerFromCache(request, reply, exchange)) return finish(request, reply, exchange);
      } catch {
        // A header value Node will not write: the stages below answer it as they always have.
      }
    }
    exchanges.set(reply, exchange);
    handle(request, reply, exchange)
      .catch((error: Error) => {
        // Our own defect, not the client's: logged, answered, and the server keeps serving.
        exchange.notes.push(`internal error: ${error.stack ?? error.message}`);
        if (!reply.headersSent) answers.error(reply, 500, [{ text: `the sandbox failed on this request: ${error.message}` }]);
        else reply.destroy();
      })
      .finally(() => finish(request, reply, exchange));
  });
  // Requests Node's HTTP parser refuses (raw non-ASCII in the target, malformed headers) never reach the
  // handler: answer them in the vendor's envelope too, instead of Node's bare 400.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const reason = error.code === 'HPE_HEADER_OVERFLOW' ? 'request: the request headers are too large' : `request: not a valid HTTP request (${error.code ?? error.message})`;
    const { contentType, body } = answers.envelope(status, [{ field: 'request', text: reason }]);
    const payload = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${contentType}\r\ncontent-length: ${Buffer.byteLength(payload)}\r\nconnection: close\r\n\r\n${payload}`,
    );
    options.log?.(`(unparsable request) -> ${status} ${reason}`);
  });
  return Object.assign(server, { sandbox: { state, deliveries, journal, answerCache: cache } });
}
