// The sandbox's token endpoint, `POST /_sandbox/oauth/token`: OAuth 2.0 client credentials (RFC 6749 section
// 4.4), a stand-in for the vendors' token endpoints, which their pages mention but do not describe. Tokens are
// stateless (`sbx_<client id, base64url>.<expiry, base36 ms>.<random>`), so any mock process reads them and
// `tenantOf` maps every token of one client id to the same tenant. The sandbox's own rules (documented in README):
// a client's secret is fixed by its first token request to this mock, a wrong one is `invalid_client`;
// `expires_in` (seconds, 1 to 86400, default 3600) is a form field of the request; `announce_expires_in=false`
// leaves it out of the answer, as some servers do, so a client learns of the expiry only from a 401.
import { randomBytes } from 'node:crypto';

export const TOKEN_PATH = '/_sandbox/oauth/token';
const TOKEN_PATTERN = /^sbx_([A-Za-z0-9_-]+)\.([0-9a-z]+)\.[0-9a-z]+$/;
const DEFAULT_LIFETIME_S = 3600;
const MAX_LIFETIME_S = 86_400;

export interface TokenAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The client id a sandbox token was issued to; null for an expired one; undefined for any other token. */
export function clientOfToken(token: string, now = Date.now()): string | null | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  if (parseInt(match[2]!, 36) <= now) return null;
  return Buffer.from(match[1]!, 'base64url').toString('utf8');
}

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** RFC 6749 section 5.2: `{ error, error_description }`, 401 with a challenge for client authentication. */
function oauthError(error: string, description: string, basicAttempted = false): TokenAnswer {
  const status = error === 'invalid_client' ? 401 : 400;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...NO_STORE };
  if (status === 401) headers['WWW-Authenticate'] = `Basic realm="sandbox token endpoint"${basicAttempted ? ', error="invalid_client"' : ''}`;
  return { status, headers, body: { error, error_description: description } };
}

/** Client id and secret from `Authorization: Basic` (each form-encoded first, RFC 6749 section 2.3.1). */
function basicCredentials(authorization: string): { id: string; secret: string } | undefined {
  const match = /^\s*Basic\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const formDecode = (value: string) => {
    try {
      return decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      return value;
    }
  };
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/** One mock's token endpoint; it remembers the secret each client id first came with. */
export function createTokenEndpoint(clock: () => number = Date.now) {
  const secrets = new Map<string, string>();

  return function tokenEndpoint(authorization: string | undefined, body: unknown): TokenAnswer {
    if (body !== undefined && typeof body !== 'string') {
      return oauthError('invalid_request', 'body: must be application/x-www-form-urlencoded (grant_type=client_credentials&...)');
    }
    const form = new URLSearchParams(body ?? '');
    for (const name of new Set(form.keys())) {
      if (form.getAll(name).length > 1) return oauthError('invalid_request', `${name}: given more than once`);
    }
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError('invalid_request', 'grant_type: required, client_credentials');
    if (grantType !== 'client_credentials') return oauthError('unsupported_grant_type', `grant_type: ${grantType} is not supported; this endpoint grants client_credentials only`);

    const basic = authorization ? basicCredentials(authorization) : undefined;
    if (authorization && !basic) return oauthError('invalid_client', 'header.Authorization: must be Basic base64(client_id:client_secret)', true);
    const posted = form.has('client_id') || form.has('client_secret');
    if (basic && posted) return oauthError('invalid_request', 'client authentication: use either Authorization: Basic or client_id and client_secret in the body, not both');
    const id = basic?.id ?? form.get('client_id') ?? '';
    const secret = basic?.secret ?? form.get('client_secret') ?? '';
    if (!id || !secret) {
      return oauthError('invalid_client', 'client authentication: required, Authorization: Basic base64(client_id:client_secret) or client_id and client_secret in the body', Boolean(basic));
    }
    const known = secrets.get(id);
    if (known === undefined) secrets.set(id, secret);
    else if (known !== secret) {
      return oauthError('invalid_client', `client_secret: not the secret client ${id} first asked for a token with on this sandbox`, Boolean(basic));
    }

    const lifetime = form.get('expires_in');
    if (lifetime !== null && (!/^\d+$/.test(lifetime) || Number(lifetime) < 1 || Number(lifetime) > MAX_LIFETIME_S)) {
      return oauthError('invalid_request', `expires_in: must be whole seconds from 1 to ${MAX_LIFETIME_S} (a sandbox extension)`);
    }
    const announce = form.get('announce_expires_in');
    if (announce !== null && announce !== 'true' && announce !== 'false') return oauthError('invalid_request', 'announce_expires_in: must be true or false (a sandbox extension)');
    const seconds = lifetime === null ? DEFAULT_LIFETIME_S : Number(lifetime);
    const token = `sbx_${Buffer.from(id, 'utf8').toString('base64url')}.${(clock() + seconds * 1000).toString(36)}.${randomBytes(12).toString('hex')}`;
    const scope = form.get('scope');
    return {
      status: 200,
      headers: { 'content-type': 'application/json', ...NO_STORE },
      body: { access_token: token, token_type: 'Bearer', ...(announce === 'false' ? {} : { expires_in: seconds }), ...(scope ? { scope } : {}) },
    };
  };
}
