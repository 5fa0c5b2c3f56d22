// The client options of every subpath: auth headers, token providers, base URL, and errors naming the option.
import { describe, expect, it } from 'vitest';
import { createClient as createBasicClient } from '../../generated/bajie-charging/client.ts';
import { createClient as createBearerClient, defaultBaseUrl } from '../../generated/redex/client.ts';

/** A fetch that records the request and answers 200 with an empty JSON object (the documented `fetch` option). */
function recordingFetch() {
  const requests: Request[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { requests, fetch };
}

const devices = ['/public/v2/device-applications/{deviceApplicationId}/devices', { params: { path: { deviceApplicationId: '347847fa-68c0-4418-9119-08dc3993455a' } } }] as const;

describe('createClient', () => {
  it('defaults to the spec first server and sends a fixed bearer token', async () => {
    const { requests, fetch } = recordingFetch();
    await createBearerClient({ auth: { token: 'fixed' }, fetch }).GET(...devices);
    expect(requests[0]!.url.startsWith(`${defaultBaseUrl}/public/v2/`)).toBe(true);
    expect(requests[0]!.headers.get('Authorization')).toBe('Bearer fixed');
  });

  it('calls a token provider before every request', async () => {
    const { requests, fetch } = recordingFetch();
    let issued = 0;
    const client = createBearerClient({ baseUrl: 'http://127.0.0.1:9/', auth: { token: async () => `token-${++issued}` }, fetch, headers: { 'x-trace': 'abc' } });
    await client.GET(...devices);
    await client.GET(...devices);
    expect(requests.map((request) => request.headers.get('Authorization'))).toEqual(['Bearer token-1', 'Bearer token-2']);
    expect(requests[0]!.headers.get('x-trace')).toBe('abc');
    expect(requests[0]!.url.startsWith('http://127.0.0.1:9/public/v2/')).toBe(true);
  });

  it('encodes Basic credentials as UTF-8 base64', async () => {
    const { requests, fetch } = recordingFetch();
    await createBasicClient({ auth: { username: 'agent', password: 'pässword' }, fetch }).GET('/cabinet/eventPush/config/get');
    const encoded = requests[0]!.headers.get('Authorization')!.replace(/^Basic /, '');
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toBe('agent:pässword');
  });

  it('rejects missing or malformed auth with an error naming the option', () => {
    // @ts-expect-error auth is required
    expect(() => createBearerClient({})).toThrow(/options\.auth is required: \{ token \}/);
    // @ts-expect-error a Basic API needs username and password
    expect(() => createBasicClient({ auth: { token: 'x' } })).toThrow(/options\.auth\.username must be a string/);
    expect(() => createBearerClient({ auth: { token: '' } })).toThrow(/options\.auth\.token is empty/);
  });

  it('surfaces a provider that returns no token as a failed request naming the option', async () => {
    const client = createBearerClient({ auth: { token: () => '' }, fetch: recordingFetch().fetch });
    await expect(client.GET(...devices)).rejects.toThrow(/options\.auth\.token provider returned no token/);
  });
});
