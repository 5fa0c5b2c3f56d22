// The sandbox's token endpoint, POST /_sandbox/oauth/token, on every mock: client credentials with either client
// authentication method, RFC 6749 error answers, settable expires_in, tokens whose tenant is the client id; and
// `Prefer: fault=429` in the vendor's envelope with Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOfToken } from '../../mocks/sandbox/oauth.ts';
import { tenantOf } from '../../mocks/sandbox/store.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

const APIS = ['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex'] as const;
const mocks = new Map<string, RunningMock>();
beforeAll(async () => {
  await Promise.all(APIS.map(async (api) => mocks.set(api, await startMock(api))));
});
afterAll(() => Promise.all([...mocks.values()].map((mock) => mock.close())));

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function tokenRequest(api: string, body: string | undefined, headers: Record<string, string> = {}) {
  const response = await fetch(`${mocks.get(api)!.origin}/_sandbox/oauth/token`, { method: 'POST', headers: { ...FORM, ...headers }, body });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

let clients = 0;
const clientId = (name: string) => `oauth-test-${name}-${++clients}`;

describe.each(APIS)('%s: POST /_sandbox/oauth/token', (api) => {
  it('grants a bearer token to client_secret_basic and client_secret_post alike, with expires_in and scope', async () => {
    const id = clientId('grant');
    const byBasic = await tokenRequest(api, 'grant_type=client_credentials&scope=read%20write', { Authorization: basic(id, 's3cret') });
    expect(byBasic.status).toBe(200);
    expect(byBasic.headers.get('cache-control')).toBe('no-store');
    expect(byBasic.body).toEqual({ access_token: expect.stringMatching(/^sbx_/), token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    const byPost = await tokenRequest(api, `grant_type=client_credentials&client_id=${id}&client_secret=s3cret&expires_in=60`);
    expect(byPost.status).toBe(200);
    expect(byPost.body.expires_in).toBe(60);
    expect(byPost.body.access_token).not.toBe(byBasic.body.access_token);
    // Both belong to the client id's tenant.
    expect(tenantOf(`Bearer ${byBasic.body.access_token}`)).toBe(`bearer:${id}`);
    expect(tenantOf(`Bearer ${byPost.body.access_token}`)).toBe(`bearer:${id}`);
    const hidden = await tokenRequest(api, 'grant_type=client_credentials&announce_expires_in=false', { Authorization: basic(id, 's3cret') });
    expect(hidden.body).not.toHaveProperty('expires_in');
  });

  it('answers RFC 6749 errors: unsupported_grant_type, invalid_request, invalid_client', async () => {
    const id = clientId('errors');
    const cases: [string | undefined, Record<string, string>, number, string, RegExp][] = [
      ['grant_type=password&username=a&password=b', { Authorization: basic(id, 's') }, 400, 'unsupported_grant_type', /^grant_type: password is not supported/],
      ['scope=x', { Authorization: basic(id, 's') }, 400, 'invalid_request', /^grant_type: required/],
      [undefined, { Authorization: basic(id, 's') }, 400, 'invalid_request', /^grant_type: required/],
      ['grant_type=client_credentials', {}, 401, 'invalid_client', /^client authentication: required/],
      ['grant_type=client_credentials&client_id=x', {}, 401, 'invalid_client', /^client authentication: required/],
      ['grant_type=client_credentials', { Authorization: 'Bearer not-a-client' }, 401, 'invalid_client', /^header\.Authorization: must be Basic/],
      [`grant_type=client_credentials&client_id=${id}&client_secret=s`, { Authorization: basic(id, 's') }, 400, 'invalid_request', /either Authorization: Basic or client_id/],
      ['grant_type=client_credentials&expires_in=0', { Authorization: basic(id, 's') }, 400, 'invalid_request', /^expires_in: must be whole seconds from 1 to 86400/],
      ['grant_type=client_credentials&grant_type=client_credentials', { Authorization: basic(id, 's') }, 400, 'invalid_request', /^grant_type: given more than once/],
    ];
    for (const [body, headers, status, error, description] of cases) {
      const answer = await tokenRequest(api, body, headers);
      expect([answer.status, answer.body.error], body).toEqual([status, error]);
      expect(answer.body.error_description, body).toMatch(description);
      if (status === 401) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="sandbox token endpoint"/);
    }
    const json = await tokenRequest(api, '{"grant_type":"client_credentials"}', { 'content-type': 'application/json', Authorization: basic(id, 's') });
    expect([json.status, json.body.error]).toEqual([400, 'invalid_request']);
    expect(json.body.error_description).toMatch(/application\/x-www-form-urlencoded/);
    const get = await fetch(`${mocks.get(api)!.origin}/_sandbox/oauth/token`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it("a client's secret is fixed by its first token request: another one is invalid_client, never echoed", async () => {
    const id = clientId('secret');
    expect((await tokenRequest(api, 'grant_type=client_credentials', { Authorization: basic(id, 'first-secret') })).status).toBe(200);
    const wrong = await tokenRequest(api, 'grant_type=client_credentials', { Authorization: basic(id, 'second-secret') });
    expect([wrong.status, wrong.body.error]).toEqual([401, 'invalid_client']);
    expect(JSON.stringify(wrong.body)).not.toMatch(/first-secret|second-secret/);
    expect((await tokenRequest(api, `grant_type=client_credentials&client_id=${id}&client_secret=first-secret`)).status).toBe(200);
  });
});

describe('sandbox tokens on the APIs', () => {
  it('a token sees its client id\'s objects, and an expired one gets 401', async () => {
    const origin = mocks.get('openadr3-vtn')!.origin;
    const id = clientId('tenant');
    const first = (await tokenRequest('openadr3-vtn', 'grant_type=client_credentials', { Authorization: basic(id, 's') })).body.access_token;
    const second = (await tokenRequest('openadr3-vtn', 'grant_type=client_credentials', { Authorization: basic(id, 's') })).body.access_token;
    const created = await fetch(`${origin}/api/openadr/v1/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${first}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientName: 'TOKEN-TENANT', programID: 'p', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }] }),
    });
    expect(created.status).toBe(201);
    const listed = await fetch(`${origin}/api/openadr/v1/subscriptions?clientName=TOKEN-TENANT`, { headers: { Authorization: `Bearer ${second}` } }).then((answer) => answer.json());
    expect(listed.map((item: { clientName: string }) => item.clientName)).toEqual(['TOKEN-TENANT']);

    const expired = `sbx_${Buffer.from(id).toString('base64url')}.${(Date.now() - 1000).toString(36)}.abc`;
    expect(clientOfToken(expired)).toBeNull();
    const refused = await fetch(`${origin}/api/openadr/v1/subscriptions`, { headers: { Authorization: `Bearer ${expired}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(JSON.stringify(await refused.json())).toContain('the sandbox token has expired');
  });
});

/** The status field of each vendor's error envelope (README, Errors). */
const ENVELOPE_STATUS: Record<string, string> = { hanchuess: 'errno', 'openadr3-vtn': 'status', 'bajie-charging': 'code', 'energy-coordination': 'status', redex: 'StatusCode' };

describe('Prefer: fault=429', () => {
  it.each(APIS)('%s answers 429 in its own envelope with Retry-After', async (api) => {
    const origin = mocks.get(api)!.origin;
    const credentials = api === 'bajie-charging' ? basic('u', 'p') : 'Bearer t';
    const path = api === 'redex' ? '/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices' : '/any/path';
    const answer = await fetch(origin + path, { headers: { Authorization: credentials, Prefer: 'fault=429' } });
    expect(answer.status).toBe(429);
    expect(answer.headers.get('retry-after')).toBe('1');
    const body = await answer.json();
    expect(body[ENVELOPE_STATUS[api]!]).toBe(429);
    expect(JSON.stringify(body)).toMatch(/fault injected on request \(Prefer: fault=429/);
    const later = await fetch(origin + path, { headers: { Authorization: credentials, Prefer: 'fault=503, retry-after=7' } });
    expect([later.status, later.headers.get('retry-after')]).toEqual([503, '7']);
    const plain = await fetch(origin + path, { headers: { Authorization: credentials, Prefer: 'fault=502' } });
    expect([plain.status, plain.headers.get('retry-after')]).toEqual([502, null]);
  });
});
