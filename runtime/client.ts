// The hand-written half of every generated client: options, authentication and base URL, written once.
// Each generated/<api>/client.ts only supplies its spec's types, servers and auth kind.
import createFetchClient, { type Client, type ClientOptions as FetchClientOptions, type Middleware } from 'openapi-fetch';

/** Bearer APIs: a fixed token, or a provider called before every request (for refreshing tokens). */
export interface BearerAuth {
  token: string | (() => string | Promise<string>);
}

/** Basic APIs: sent as `Authorization: Basic base64(username:password)`. */
export interface BasicAuth {
  username: string;
  password: string;
}

export interface ClientOptions<Auth extends BearerAuth | BasicAuth> {
  /** Origin and base path; defaults to the spec's first server. Swap the origin to reach a mock. */
  baseUrl?: string;
  auth: Auth;
  /** A fetch implementation, e.g. for tests or instrumentation; defaults to globalThis.fetch. */
  fetch?: FetchClientOptions['fetch'];
  /** Headers sent with every request. */
  headers?: FetchClientOptions['headers'];
}

export type AuthKind = 'bearer' | 'basic';

function utf8Base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function invalidOption(field: string, reason: string): TypeError {
  return new TypeError(`createClient: options.${field} ${reason}`);
}

function authMiddleware(kind: AuthKind, auth: BearerAuth | BasicAuth): Middleware {
  if (kind === 'basic') {
    const { username, password } = auth as BasicAuth;
    if (typeof username !== 'string') throw invalidOption('auth.username', 'must be a string (HTTP Basic API)');
    if (typeof password !== 'string') throw invalidOption('auth.password', 'must be a string (HTTP Basic API)');
    const header = `Basic ${utf8Base64(`${username}:${password}`)}`;
    return { onRequest: ({ request }) => void request.headers.set('Authorization', header) };
  }
  const { token } = auth as BearerAuth;
  if (typeof token !== 'string' && typeof token !== 'function') {
    throw invalidOption('auth.token', 'must be a string or a function returning one (Bearer API)');
  }
  if (typeof token === 'string') {
    if (token === '') throw invalidOption('auth.token', 'is empty');
    // A fixed token needs no promise per request.
    const header = `Bearer ${token}`;
    return { onRequest: ({ request }) => void request.headers.set('Authorization', header) };
  }
  return {
    async onRequest({ request }) {
      const value = await token();
      if (typeof value !== 'string' || value === '') {
        throw invalidOption('auth.token', 'provider returned no token');
      }
      request.headers.set('Authorization', `Bearer ${value}`);
    },
  };
}

/** Builds an openapi-fetch client over a spec's `paths`; non-2xx answers come back as typed `error` values. */
export function createTypedClient<Paths extends {}>(
  defaultBaseUrl: string,
  authKind: AuthKind,
  options: ClientOptions<BearerAuth | BasicAuth>,
): Client<Paths, `${string}/${string}`> {
  if (!options || typeof options !== 'object') throw invalidOption('', 'must be an object with at least `auth`');
  if (!options.auth || typeof options.auth !== 'object') {
    throw invalidOption('auth', authKind === 'basic' ? 'is required: { username, password }' : 'is required: { token }');
  }
  const client = createFetchClient<Paths, `${string}/${string}`>({
    baseUrl: (options.baseUrl ?? defaultBaseUrl).replace(/\/+$/, ''),
    fetch: options.fetch,
    headers: options.headers,
  });
  client.use(authMiddleware(authKind, options.auth));
  return client;
}
