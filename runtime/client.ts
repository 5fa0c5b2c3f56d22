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

type RawCall = (method: string, path: string, init?: Record<string, any>) => Promise<{ data?: unknown; error?: unknown; response: Response }>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);
const DEFAULT_ATTEMPTS = 2;
const DEFAULT_MAX_DELAY_MS = 8000;
const DEFAULT_TIMEOUT_MS = 30_000;
const defaultQuerySerializer = createQuerySerializer();
const SIMPLE_PATH_PARAMETER = /\{([^{}.;*]+)\}/g;
const isPrimitive = (value: unknown) => typeof value !== 'object' || value === null;

/**
 * The URL as openapi-fetch's default serializers build it, written out for the common case (simple path
 * parameters, primitive query values) because it is on every call; anything else goes to openapi-fetch's own.
 */
function simpleUrl(baseUrl: string, path: string, params: { path?: Record<string, unknown>; query?: Record<string, unknown> }): string {
  const { path: pathParams, query } = params;
  let simple = !pathParams || !/\{[.;]|\*\}/.test(path);
  let url = baseUrl + path;
  if (pathParams && simple) {
    url = baseUrl + path.replace(SIMPLE_PATH_PARAMETER, (whole, name: string) => {
      const value = pathParams[name];
      if (value === undefined || value === null) return whole;
      if (!isPrimitive(value)) return (simple = false), whole;
      return encodeURIComponent(value as string);
    });
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

function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function invalidOption(field: string, reason: string): TypeError {
  return new TypeError(`createClient: options.${field} ${reason}`);
}

/** Checks `retry` and `timeoutMs`, of a client or of a call; the error names the option and the reason. */
function checkCallOptions(where: string, retry: unknown, timeoutMs: unknown) {
  const fail = (field: string, reason: string) => new TypeError(`${where}: options.${field} ${reason}`);
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

async function parseAnswer(response: Response, method: string, parseAs: ParseAs) {
  const contentLength = response.headers.get('content-length');
  if (response.status === 204 || method === 'HEAD' || (contentLength === '0' && !response.headers.get('transfer-encoding')?.includes('chunked'))) {
    return response.ok ? { data: undefined, response } : { error: undefined, response };
  }
  if (response.ok) {
    if (parseAs === 'stream') return { data: response.body, response };
    if (parseAs === 'json' && !contentLength) {
      const raw = await response.text();
      return { data: raw ? JSON.parse(raw) : undefined, response };
    }
    return { data: await response[parseAs](), response };
  }
  let error: unknown = await response.text();
  try {
    error = JSON.parse(error as string);
  } catch {
    // not JSON: the text as received
  }
  return { error, response };
}

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
    const maxDelayMs = (retry && retry.maxDelayMs) ?? DEFAULT_MAX_DELAY_MS;
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
      // The deadline races the attempt instead of aborting it: an AbortSignal on every fetch costs undici about a
      // tenth of a loopback call. A timed-out attempt is abandoned, and its answer discarded if one still comes.
      let timer: ReturnType<typeof setTimeout> | undefined;
      let timedOut = false;
      const deadline =
        timeoutMs > 0
          ? new Promise<never>((_, reject) => {
              timer = setTimeout(() => ((timedOut = true), reject(new TimeoutError(url, timeoutMs))), timeoutMs);
            })
          : undefined;
      deadline?.catch(ignore);
      const sending = callFetch ? callFetch(new Request(url, requestInit)) : fetch(url, requestInit);
      let response: Response;
      try {
        response = await (deadline ? Promise.race([sending, deadline]) : sending);
      } catch (error) {
        clearTimeout(timer);
        if (timedOut) sending.then(discard, ignore);
        if (callerSignal?.aborted) throw callerSignal.reason;
        // A connection error or a timed-out attempt is retried; the caller's own abort never is.
        if (attempt < retries) {
          await sleep(backoffMs(attempt, maxDelayMs), callerSignal);
          continue;
        }
        throw error;
      }
      // A 401 means nothing was done: a provider that can refresh gets one more go, whatever the method.
      if (response.status === 401 && auth.provider?.invalidate && token && !refreshedAfter401) {
        refreshedAfter401 = true;
        clearTimeout(timer);
        await discard(response);
        auth.provider.invalidate(token);
        attempt--;
        continue;
      }
      if (attempt < retries && RETRY_STATUSES.has(response.status)) {
        clearTimeout(timer);
        const asked = retryAfterMs(response);
        await discard(response);
        await sleep(asked === undefined ? backoffMs(attempt, maxDelayMs) : Math.min(asked, maxDelayMs), callerSignal);
        continue;
      }
      const parsing = parseAnswer(response, method, parseAs);
      try {
        return await (deadline ? Promise.race([parsing, deadline]) : parsing);
      } catch (error) {
        parsing.catch(ignore);
        if (callerSignal?.aborted) throw callerSignal.reason;
        throw error;
      } finally {
        clearTimeout(timer);
      }
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
