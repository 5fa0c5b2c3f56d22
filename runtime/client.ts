// The hand-written half of every generated client: options, authentication, retries, timeouts and the call itself,
// written once. Each generated/<api>/client.ts only supplies its spec's types, servers, auth kind and which
// operations are safe to repeat. URLs and bodies are serialized by openapi-fetch's own serializers; the call is a
// plain `fetch(url, init)` (no Request object built and copied per attempt), so a body goes out intact on every
// attempt and a call costs little more than a raw fetch.
import {
  createFinalURL,
  createQuerySerializer,
  defaultBodySerializer,
  defaultPathSerializer,
  type BodySerializer,
  type FetchResponse,
  type HeadersOptions,
  type MaybeOptionalInit,
  type ParseAs,
  type QuerySerializerOptions,
} from 'openapi-fetch';

/** A token provider; one with `invalidate` (such as `clientCredentials`) is told of a 401 and asked again once. */
export interface TokenProvider {
  (): string | Promise<string>;
  /** Forget `token`: the API answered 401 to it. The next call fetches a fresh one. */
  invalidate?: (token: string) => void;
}

/** Bearer APIs: a fixed token, or a provider called before every attempt (for refreshing tokens). */
export interface BearerAuth {
  token: string | TokenProvider;
}

/** Basic APIs: sent as `Authorization: Basic base64(username:password)`. */
export interface BasicAuth {
  username: string;
  password: string;
}

/** Retries of a call that is safe to repeat; `false` turns them off. */
export interface RetryOptions {
  /** Retries after the first try (default 2). */
  attempts?: number;
  /** Cap of one wait, backoff or `Retry-After` alike, in ms (default 8000). */
  maxDelayMs?: number;
}

/** What can be set per client and per call (the same keys in a call's options). */
export interface CallOptions {
  retry?: RetryOptions | false;
  /** Limit of one attempt, from sending to the parsed body, in ms (default 30000; 0 for none). */
  timeoutMs?: number;
}

export interface ClientOptions<Auth extends BearerAuth | BasicAuth> extends CallOptions {
  /** Origin and base path; defaults to the spec's first server. Swap the origin to reach a mock. */
  baseUrl?: string;
  auth: Auth;
  /** A fetch implementation, e.g. for tests or instrumentation; defaults to globalThis.fetch. */
  fetch?: (input: Request) => Promise<Response>;
  /** Headers sent with every request. */
  headers?: HeadersOptions;
}

export type AuthKind = 'bearer' | 'basic';

/** An attempt got no complete answer within `timeoutMs`. */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${url}: no complete answer within ${timeoutMs} ms (timeoutMs)`);
  }
}

type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';
type PathsWith<Paths, Method extends HttpMethod> = {
  [Path in keyof Paths]: Paths[Path] extends { [K in Method]: any } ? Path : never;
}[keyof Paths];
type Media = `${string}/${string}`;

/** A call's options as openapi-fetch types them, plus `retry` and `timeoutMs`. */
export type CallInit<PathItem, Method extends keyof PathItem> =
  MaybeOptionalInit<PathItem, Method> extends infer Init ? (Init extends undefined ? undefined : Init & CallOptions) : never;
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
/** The init argument: optional when the operation needs no parameters or body. */
export type InitArgs<Init> = RequiredKeys<Init> extends never ? [init?: Init] : [init: Init];

export type TypedMethod<Paths, Method extends HttpMethod> = <Path extends PathsWith<Paths, Method>, Init extends CallInit<Paths[Path], Method & keyof Paths[Path]>>(
  url: Path,
  ...init: InitArgs<Init>
) => Promise<FetchResponse<Paths[Path][Method & keyof Paths[Path]] & Record<string | number, any>, Init, Media>>;

/** The client: one method per HTTP method over the spec's paths; non-2xx answers come back as typed `error`. */
export interface TypedClient<Paths> {
  GET: TypedMethod<Paths, 'get'>;
  PUT: TypedMethod<Paths, 'put'>;
  POST: TypedMethod<Paths, 'post'>;
  DELETE: TypedMethod<Paths, 'delete'>;
  OPTIONS: TypedMethod<Paths, 'options'>;
  HEAD: TypedMethod<Paths, 'head'>;
  PATCH: TypedMethod<Paths, 'patch'>;
  TRACE: TypedMethod<Paths, 'trace'>;
}

/** What the generator read from the spec: operations (`METHOD /path`) whose `x-idempotent` overrides the method's rule. */
export interface OperationRules {
  idempotent?: Record<string, boolean>;
}

type Answer = { data?: unknown; error?: unknown; response: Response };
/** How one attempt ended: an answer that stands, or one that asks for a refreshed token or another try. */
type AttemptOutcome = { kind: 'answer'; answer: Answer } | { kind: 'refresh' | 'retry'; response: Response };
type RawCall = (method: string, path: string, init?: Record<string, any>) => Promise<Answer>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const DEFAULT_ATTEMPTS = 2;
const DEFAULT_MAX_DELAY_MS = 8000;
const DEFAULT_TIMEOUT_MS = 30_000;
const defaultQuerySerializer = createQuerySerializer();
const isPrimitive = (value: unknown) => typeof value !== 'object' || value === null;

/** A path template cut once into its literal parts and simple parameter names; null when it has styled ones. */
type PathTemplate = { literals: string[]; names: string[] } | null;
const pathTemplates = new Map<string, PathTemplate>();

function templateOf(path: string): PathTemplate {
  let template = pathTemplates.get(path);
  if (template !== undefined) return template;
  template = /\{[.;]|\*\}/.test(path) ? null : { literals: path.split(/\{[^{}]+\}/), names: [...path.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1]!) };
  // Paths are the spec's templates; a caller building paths at run time must not grow this without bound.
  if (pathTemplates.size < 1000) pathTemplates.set(path, template);
  return template;
}

/**
 * The URL as openapi-fetch's default serializers build it, written out for the common case (simple path
 * parameters, primitive query values) because it is on every call; anything else goes to openapi-fetch's own.
 */
function simpleUrl(baseUrl: string, path: string, params: { path?: Record<string, unknown>; query?: Record<string, unknown> }): string {
  const { path: pathParams, query } = params;
  const template = templateOf(path);
  let url = baseUrl;
  let simple = template !== null;
  if (template) {
    const { literals, names } = template;
    url += literals[0];
    for (let index = 0; index < names.length; index++) {
      const value = pathParams?.[names[index]!];
      if (value === undefined || value === null) url += `{${names[index]}}`;
      else if (isPrimitive(value)) url += encodeURIComponent(value as string);
      else simple = false;
      url += literals[index + 1];
    }
  }
  let search = '';
  for (const name in query) {
    if (!simple) break;
    const value = query[name];
    if (value === undefined || value === null) continue;
    if (!isPrimitive(value)) simple = false;
    else search += `${search ? '&' : ''}${name}=${encodeURIComponent(value as string)}`;
  }
  if (!simple) return createFinalURL(path, { baseUrl, params, querySerializer: defaultQuerySerializer, pathSerializer: defaultPathSerializer });
  return search ? `${url}?${search}` : url;
}

/** Base64 of the UTF-8 bytes (btoa alone takes only Latin-1); also the OAuth client's Basic credentials. */
export function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function invalidOption(field: string, reason: string, where = 'createClient'): TypeError {
  return new TypeError(`${where}: options.${field} ${reason}`);
}

/** Checks `retry` and `timeoutMs`, of a client or of a call; the error names the option and the reason. */
function checkCallOptions(where: string, retry: unknown, timeoutMs: unknown) {
  const fail = (field: string, reason: string) => invalidOption(field, reason, where);
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs === Infinity)) throw fail('timeoutMs', 'must be a number of milliseconds, 0 or more (0: no limit)');
  if (retry === undefined || retry === false) return;
  if (!retry || typeof retry !== 'object') throw fail('retry', 'must be false or { attempts?, maxDelayMs? }');
  const { attempts, maxDelayMs } = retry as RetryOptions;
  if (attempts !== undefined && !(Number.isInteger(attempts) && attempts >= 0)) throw fail('retry.attempts', 'must be a whole number, 0 or more (retries after the first try)');
  if (maxDelayMs !== undefined && !(typeof maxDelayMs === 'number' && maxDelayMs >= 0)) throw fail('retry.maxDelayMs', 'must be a number of milliseconds, 0 or more');
}

/** The Authorization header per attempt, and the provider to tell of a 401. */
function authHeaderOf(kind: AuthKind, auth: BearerAuth | BasicAuth): { fixed?: string; provider?: TokenProvider } {
  if (kind === 'basic') {
    const { username, password } = auth as BasicAuth;
    if (typeof username !== 'string') throw invalidOption('auth.username', 'must be a string (HTTP Basic API)');
    if (typeof password !== 'string') throw invalidOption('auth.password', 'must be a string (HTTP Basic API)');
    return { fixed: `Basic ${utf8Base64(`${username}:${password}`)}` };
  }
  const { token } = auth as BearerAuth;
  if (typeof token === 'function') return { provider: token };
  if (typeof token !== 'string') throw invalidOption('auth.token', 'must be a string or a function returning one (Bearer API)');
  if (token === '') throw invalidOption('auth.token', 'is empty');
  return { fixed: `Bearer ${token}` };
}

/** Headers as a plain object with lower-case names (null removes, as in openapi-fetch). */
function mergeInto(target: Record<string, string>, headers: HeadersOptions | undefined) {
  if (!headers || typeof headers !== 'object') return;
  const entries: [string, unknown][] = [];
  if (headers instanceof Headers) headers.forEach((value, name) => entries.push([name, value]));
  else entries.push(...(Array.isArray(headers) ? headers : Object.entries(headers)));
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (value === null) delete target[key];
    else if (value !== undefined) target[key] = Array.isArray(value) ? value.join(', ') : String(value);
  }
}

/** Milliseconds the answer asks to wait (`Retry-After`: seconds or an HTTP date), if it says. */
export function retryAfterMs(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const ignore = () => {};

/** Releases the connection of an answer that will not be read. */
const discard = (response: Response) => response.body?.cancel().catch(ignore);

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolveSleep, rejectSleep) => {
    if (signal?.aborted) return rejectSleep(signal.reason);
    const onAbort = () => (clearTimeout(timer), rejectSleep(signal!.reason));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolveSleep()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The answer as openapi-fetch returns it: `data` for a 2xx, `error` (JSON when it parses) otherwise. A 2xx JSON
 * body never gets here: attemptOnce reads it on its own path.
 */
async function parseAnswer(response: Response, method: string, parseAs: ParseAs) {
  if (response.status === 204 || method === 'HEAD') return response.ok ? { data: undefined, response } : { error: undefined, response };
  if (!response.ok) {
    let error: unknown = await response.text();
    try {
      error = error === '' ? undefined : JSON.parse(error as string);
    } catch {
      // not JSON: the text as received
    }
    return { error, response };
  }
  if (parseAs === 'stream') return { data: response.body, response };
  const contentLength = response.headers.get('content-length');
  if (contentLength === '0' && !response.headers.get('transfer-encoding')?.includes('chunked')) return { data: undefined, response };
  return { data: await response[parseAs](), response };
}

/**
 * Deadlines of the attempts in flight, all under one timer set for the earliest (instead of a timer per attempt:
 * this is on every call). The timer is unref'd: an attempt in flight holds its own socket open.
 */
interface Deadline {
  at: number;
  expire: () => void;
}
const deadlines = new Set<Deadline>();
let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
let deadlineTimerAt = Infinity;

function armDeadlineTimer(at: number) {
  clearTimeout(deadlineTimer);
  deadlineTimerAt = at;
  deadlineTimer = setTimeout(expireDeadlines, Math.max(0, at - performance.now()));
  (deadlineTimer as { unref?: () => void }).unref?.();
}

function expireDeadlines() {
  deadlineTimerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const deadline of deadlines) {
    if (deadline.at <= now) {
      deadlines.delete(deadline);
      deadline.expire();
    } else if (deadline.at < next) next = deadline.at;
  }
  if (next < Infinity) armDeadlineTimer(next);
}

/** `work`, or a TimeoutError if it does not settle within `timeoutMs`; what it gives late goes to `abandon`. */
function withDeadline<T>(work: Promise<T>, url: string, timeoutMs: number, abandon: (late: T) => void): Promise<T> {
  if (!(timeoutMs > 0)) return work;
  return new Promise<T>((resolve, reject) => {
    const deadline: Deadline = {
      at: performance.now() + timeoutMs,
      expire: () => {
        reject(new TimeoutError(url, timeoutMs));
        work.then(abandon, ignore);
      },
    };
    deadlines.add(deadline);
    if (deadline.at < deadlineTimerAt) armDeadlineTimer(deadline.at);
    work.then(
      (value) => (deadlines.delete(deadline), resolve(value)),
      (error) => (deadlines.delete(deadline), reject(error)),
    );
  });
}

/** Releases the connection of an attempt's answer that came after its deadline. */
const abandonAttempt = (late: AttemptOutcome) => discard(late.kind === 'answer' ? late.answer.response : late.response);

/** Builds the typed client over a spec's `paths`; non-2xx answers come back as typed `error` values. */
export function createTypedClient<Paths extends {}>(
  defaultBaseUrl: string,
  authKind: AuthKind,
  options: ClientOptions<BearerAuth | BasicAuth>,
  rules: OperationRules = {},
): TypedClient<Paths> {
  if (!options || typeof options !== 'object') throw invalidOption('', 'must be an object with at least `auth`');
  if (!options.auth || typeof options.auth !== 'object') {
    throw invalidOption('auth', authKind === 'basic' ? 'is required: { username, password }' : 'is required: { token }');
  }
  const auth = authHeaderOf(authKind, options.auth);
  checkCallOptions('createClient', options.retry, options.timeoutMs);
  const baseUrl = (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, '');
  const baseHeaders: Record<string, string> = {};
  mergeInto(baseHeaders, options.headers);
  const clientRetry = options.retry;
  const clientTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const idempotent = rules.idempotent ?? {};

  const call: RawCall = async (method, path, init = {}) => {
    const {
      baseUrl: callBaseUrl,
      fetch: callFetch = options.fetch,
      headers: callHeaders,
      params = {},
      parseAs = 'json',
      querySerializer: callQuerySerializer,
      bodySerializer = defaultBodySerializer as BodySerializer<unknown>,
      body,
      signal: callerSignal,
      retry = clientRetry,
      timeoutMs = clientTimeoutMs,
      ...rest
    } = init as Record<string, any> & { signal?: AbortSignal };
    if (retry !== clientRetry || timeoutMs !== clientTimeoutMs) checkCallOptions(`${method} ${path}`, retry, timeoutMs);
    const finalBaseUrl = callBaseUrl ? callBaseUrl.replace(/\/+$/, '') : baseUrl;
    const url = callQuerySerializer
      ? createFinalURL(path, {
          baseUrl: finalBaseUrl,
          params,
          querySerializer: typeof callQuerySerializer === 'function' ? callQuerySerializer : createQuerySerializer(callQuerySerializer as QuerySerializerOptions),
          pathSerializer: defaultPathSerializer,
        })
      : simpleUrl(finalBaseUrl, path, params);
    const headers: Record<string, string> = { ...baseHeaders };
    mergeInto(headers, callHeaders);
    mergeInto(headers, params.header);
    const serialized = body === undefined ? undefined : bodySerializer(body, headers as never);
    if (serialized !== undefined && !(serialized instanceof FormData) && !('content-type' in headers)) headers['content-type'] = 'application/json';
    // Only the keys in use: undici's Request reads every key of the init it is given.
    const requestInit: RequestInit = rest;
    requestInit.method = method;
    requestInit.headers = headers;
    if (serialized !== undefined) requestInit.body = serialized;

    // Only what is safe to repeat is retried: the method's rule or the spec's x-idempotent, and a body that can be sent again.
    const declared = idempotent[`${method} ${path}`];
    const repeatable = (declared ?? SAFE_METHODS.has(method)) && !(serialized instanceof ReadableStream);
    const retries = repeatable && retry !== false ? (retry?.attempts ?? DEFAULT_ATTEMPTS) : 0;
    const maxDelayMs = (retry ? retry.maxDelayMs : undefined) ?? DEFAULT_MAX_DELAY_MS;
    let refreshedAfter401 = false;

    if (callerSignal) requestInit.signal = callerSignal;
    for (let attempt = 0; ; attempt++) {
      let token: string | undefined;
      if (auth.fixed) headers.authorization = auth.fixed;
      else {
        token = await auth.provider!();
        if (typeof token !== 'string' || token === '') throw invalidOption('auth.token', 'provider returned no token');
        headers.authorization = `Bearer ${token}`;
      }
      // One deadline covers the attempt, from sending to the parsed body. It races the attempt instead of aborting
      // it (an AbortSignal on every fetch costs undici about a tenth of a loopback call); a timed-out attempt is
      // abandoned, and its answer discarded if one still comes.
      let outcome: AttemptOutcome;
      try {
        outcome = await withDeadline(attemptOnce(attempt, token), url, timeoutMs, abandonAttempt);
      } catch (error) {
        if (callerSignal?.aborted) throw callerSignal.reason;
        // A connection error or a timed-out attempt is retried (an answer that does not parse is not); the caller's
        // own abort never is.
        if (attempt < retries && !(error instanceof SyntaxError)) {
          await sleep(backoffMs(attempt, maxDelayMs), callerSignal);
          continue;
        }
        throw error;
      }
      if (outcome.kind === 'answer') return outcome.answer;
      await discard(outcome.response);
      if (outcome.kind === 'refresh') {
        refreshedAfter401 = true;
        auth.provider!.invalidate!(token!);
        attempt--;
        continue;
      }
      const asked = retryAfterMs(outcome.response);
      await sleep(asked === undefined ? backoffMs(attempt, maxDelayMs) : Math.min(asked, maxDelayMs), callerSignal);
    }

    async function attemptOnce(attempt: number, token: string | undefined): Promise<AttemptOutcome> {
      const response = await (callFetch ? callFetch(new Request(url, requestInit)) : fetch(url, requestInit));
      // A 401 means nothing was done: a provider that can refresh gets one more go, whatever the method.
      if (response.status === 401 && token && auth.provider?.invalidate && !refreshedAfter401) return { kind: 'refresh', response };
      if (attempt < retries && RETRY_STATUSES.has(response.status)) return { kind: 'retry', response };
      // The common answer (JSON, 2xx) read here rather than one async step further: this is on every call. It is
      // read as text first: an empty body (content-length 0, or chunked and empty) is no data, not a parse error.
      if (parseAs === 'json' && response.ok && response.status !== 204 && method !== 'HEAD') {
        const raw = await response.text();
        return { kind: 'answer', answer: { data: raw === '' ? undefined : JSON.parse(raw), response } };
      }
      return { kind: 'answer', answer: await parseAnswer(response, method, parseAs) };
    }
  };

  const method = (name: string) => (path: string, init?: Record<string, unknown>) => call(name, path, init);
  return {
    GET: method('GET'),
    PUT: method('PUT'),
    POST: method('POST'),
    DELETE: method('DELETE'),
    OPTIONS: method('OPTIONS'),
    HEAD: method('HEAD'),
    PATCH: method('PATCH'),
    TRACE: method('TRACE'),
  } as unknown as TypedClient<Paths>;
}

/** Exponential backoff from 0.5 s with up to 25% jitter, under the cap. */
function backoffMs(attempt: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, 500 * 2 ** attempt) * (1 - Math.random() * 0.25);
}
