// OAuth 2.0 client credentials (RFC 6749 section 4.4) as a token provider for `auth: { token }`: one token request
// for many concurrent calls, the token kept until shortly before `expires_in`, and a fresh one after the API
// answers 401 to it (the client runtime calls `invalidate`, then sends the call again once).
import { utf8Base64, type TokenProvider } from './client.js';

export interface ClientCredentialsOptions {
  /** The authorization server's token endpoint. */
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for. */
  scope?: string;
  /** How the client authenticates (RFC 6749 section 2.3.1): HTTP Basic (default) or the form fields. */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** More form fields for the token request (an `audience`, a `resource`). */
  params?: Record<string, string>;
  /** A fetch implementation for the token request; defaults to globalThis.fetch. */
  fetch?: (input: Request) => Promise<Response>;
  /** Limit of the token request in ms (default 30000). */
  timeoutMs?: number;
}

/** The token request failed: its URL, the HTTP status and the OAuth `error` code when the server sent one. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    message: string,
    readonly tokenUrl: string,
    readonly status?: number,
    /** RFC 6749 section 5.2: `invalid_client`, `invalid_request`, `unsupported_grant_type`, ... */
    readonly error?: string,
  ) {
    super(message);
  }
}

/** Form encoding of a credential before Basic, as RFC 6749 section 2.3.1 asks. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

function invalid(field: string, reason: string): TypeError {
  return new TypeError(`clientCredentials: options.${field} ${reason}`);
}

/** A token provider for `createClient({ auth: { token: clientCredentials({ ... }) } })`. */
export function clientCredentials(options: ClientCredentialsOptions): TokenProvider {
  if (!options || typeof options !== 'object') throw invalid('', 'must be an object { tokenUrl, clientId, clientSecret }');
  const { tokenUrl, clientId, clientSecret, scope, authMethod = 'client_secret_basic', params = {}, timeoutMs = 30_000 } = options;
  for (const [field, value] of Object.entries({ tokenUrl, clientId, clientSecret })) {
    if (typeof value !== 'string' || value === '') throw invalid(field, 'must be a non-empty string');
  }
  if (!URL.canParse(tokenUrl)) throw invalid('tokenUrl', 'must be an absolute URL');
  if (authMethod !== 'client_secret_basic' && authMethod !== 'client_secret_post') throw invalid('authMethod', 'must be client_secret_basic or client_secret_post');

  let cached: { token: string; refreshAt: number } | undefined;
  let pending: Promise<string> | undefined;

  async function requestToken(): Promise<string> {
    const form = new URLSearchParams({ ...params, grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (authMethod === 'client_secret_basic') headers.authorization = `Basic ${utf8Base64(`${formEncode(clientId)}:${formEncode(clientSecret)}`)}`;
    else form.set('client_id', clientId), form.set('client_secret', clientSecret);
    const init: RequestInit = { method: 'POST', headers, body: form.toString(), signal: AbortSignal.timeout(timeoutMs) };
    let response: Response;
    try {
      response = await (options.fetch ? options.fetch(new Request(tokenUrl, init)) : fetch(tokenUrl, init));
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : ((error as Error).message ?? String(error));
      throw new OAuthError(`token request to ${tokenUrl} failed: ${reason}`, tokenUrl);
    }
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // reported below
    }
    if (!response.ok) {
      const code = typeof body.error === 'string' ? body.error : undefined;
      const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
      throw new OAuthError(`token request to ${tokenUrl} answered ${response.status} ${code ?? '(no OAuth error code)'}${description}`, tokenUrl, response.status, code);
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new OAuthError(`token request to ${tokenUrl} answered ${response.status} without an access_token`, tokenUrl, response.status);
    }
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : Infinity;
    // Renew a little early (a tenth of the lifetime, at most a minute) so a call never leaves with a dying token.
    cached = { token: body.access_token, refreshAt: Date.now() + lifetimeMs - Math.min(60_000, lifetimeMs / 10) };
    return body.access_token;
  }

  const provider: TokenProvider = () => {
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    return (pending ??= requestToken().finally(() => (pending = undefined)));
  };
  provider.invalidate = (token) => {
    if (cached?.token === token) cached = undefined;
  };
  return provider;
}
