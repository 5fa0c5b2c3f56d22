// Retries, timeouts, pages and OAuth2 tokens of the generated clients against the real mocks: faults come from the
// sandbox's `Prefer: fault=` and `delay=`, tokens from its `POST /_sandbox/oauth/token`, and what reached the mock
// is counted on the mock's side (its request log).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as hanchuessPackage from '../../generated/hanchuess/index.ts';
import * as redexPackage from '../../generated/redex/index.ts';
import * as vtnPackage from '../../generated/openadr3-vtn/index.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

const { OAuthError, PaginationError, TimeoutError, clientCredentials } = vtnPackage;

/** A mock whose request log (`POST /path -> 503 ...`) the test can count. */
async function loggedMock(api: string) {
  const lines: string[] = [];
  const mock = await startMock(api, { log: (line) => lines.push(line) });
  return { mock, lines, count: (pattern: RegExp) => lines.filter((line) => pattern.test(line)).length };
}

let vtn: Awaited<ReturnType<typeof loggedMock>>;
let redex: Awaited<ReturnType<typeof loggedMock>>;
let hanchuess: Awaited<ReturnType<typeof loggedMock>>;
beforeAll(async () => {
  [vtn, redex, hanchuess] = await Promise.all([loggedMock('openadr3-vtn'), loggedMock('redex'), loggedMock('hanchuess')]);
});
afterAll(() => Promise.all([vtn.mock.close(), redex.mock.close(), hanchuess.mock.close()]));

let tenants = 0;
const tenant = (name: string) => `resilience-${name}-${++tenants}`;

/**
 * The documented `fetch` option wrapping the real fetch: the first `faulty` attempts carry `Prefer: <fault>`, so the
 * real mock answers them with the fault; every attempt's time and body are kept.
 */
function faultyFetch(faulty: number, prefer: string) {
  const attempts: { at: number; body: string }[] = [];
  const fetchWithFaults = async (request: Request) => {
    const body = request.body ? await request.clone().text() : '';
    attempts.push({ at: performance.now(), body });
    if (attempts.length <= faulty) request.headers.set('Prefer', prefer);
    return fetch(request);
  };
  return { attempts, fetch: fetchWithFaults };
}

const vtnClient = (options: Partial<Parameters<typeof vtnPackage.createClient>[0]> = {}) =>
  vtnPackage.createClient({ baseUrl: vtn.mock.baseUrlFor(vtnPackage.defaultBaseUrl), auth: { token: tenant('vtn') }, ...options });

const newSubscription = (clientName: string) => ({
  clientName,
  programID: 'program-resilience',
  objectOperations: [{ objects: ['EVENT' as const], operations: ['POST' as const], callbackUrl: 'https://partner.example/vtn/callback' }],
});

describe('retries against the sandbox', () => {
  it('a GET is retried through two 503s and answers the third attempt', async () => {
    const faults = faultyFetch(2, 'fault=503');
    const before = vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 503/);
    const { data, error, response } = await vtnClient({ fetch: faults.fetch, retry: { maxDelayMs: 50 } }).GET('/subscriptions');
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.map((subscription) => subscription.id)).toContain('object-999');
    expect(faults.attempts).toHaveLength(3);
    expect(vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 503/) - before).toBe(2);
  });

  it('a create under a 503 is sent exactly once and nothing is created', async () => {
    const token = tenant('vtn-create');
    const client = vtnClient({ auth: { token } });
    const before = vtn.count(/^POST \/api\/openadr\/v1\/subscriptions -> /);
    const { error, response } = await client.POST('/subscriptions', { body: newSubscription('ONCE'), headers: { Prefer: 'fault=503' }, retry: { attempts: 5, maxDelayMs: 10 } });
    expect(response.status).toBe(503);
    expect(error).toMatchObject({ status: 503 });
    expect(vtn.count(/^POST \/api\/openadr\/v1\/subscriptions -> /) - before).toBe(1);
    // A dropped connection is not retried either: the client cannot know whether the vendor created it.
    const reset = faultyFetch(0, '');
    await expect(vtnClient({ auth: { token }, fetch: reset.fetch }).POST('/subscriptions', { body: newSubscription('ONCE'), headers: { Prefer: 'fault=reset' }, retry: { attempts: 5, maxDelayMs: 10 } })).rejects.toThrow();
    expect(reset.attempts).toHaveLength(1);
    const state = await fetch(`${vtn.mock.origin}/_sandbox/state`, { headers: { Authorization: `Bearer ${token}` } }).then((answer) => answer.json());
    expect(state.subscriptions.map((item: { clientName: string }) => item.clientName)).not.toContain('ONCE');
  });

  it("HanChuESS's list POST is declared idempotent and retried with its body intact; its subscribe is not", async () => {
    const faults = faultyFetch(2, 'fault=502');
    const client = hanchuessPackage.createClient({
      baseUrl: hanchuess.mock.baseUrlFor(hanchuessPackage.defaultBaseUrl),
      auth: { token: tenant('hanchuess') },
      fetch: faults.fetch,
      retry: { maxDelayMs: 20 },
    });
    const { data, response } = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(response.status).toBe(200);
    expect(data?.devices?.length).toBeGreaterThan(0);
    expect(faults.attempts.map((attempt) => JSON.parse(attempt.body))).toEqual([{ oem: 'H03Z****SY37' }, { oem: 'H03Z****SY37' }, { oem: 'H03Z****SY37' }]);

    const before = hanchuess.count(/^POST \/portal\/v1\/oem\/subscribe -> 503/);
    const subscribe = await client.POST('/v1/oem/subscribe', {
      body: { oem: 'H03Z****SY37', webhookUrl: 'https://partner.example/hook', secret: 'JSrruXM******yrWaTz', version: '1.0.0', devices: ['H01****G1H'] },
      headers: { Prefer: 'fault=503' },
    });
    expect(subscribe.response.status).toBe(503);
    expect(hanchuess.count(/^POST \/portal\/v1\/oem\/subscribe -> 503/) - before).toBe(1);
  });

  it('Retry-After of a 429 is waited for (capped by maxDelayMs)', async () => {
    const faults = faultyFetch(1, 'fault=429, retry-after=1');
    const { response } = await vtnClient({ fetch: faults.fetch }).GET('/subscriptions');
    expect(response.status).toBe(200);
    expect(faults.attempts).toHaveLength(2);
    // The backoff alone would have waited at most 500 ms.
    expect(faults.attempts[1]!.at - faults.attempts[0]!.at).toBeGreaterThanOrEqual(990);

    const capped = faultyFetch(1, 'fault=429, retry-after=30');
    const started = performance.now();
    expect((await vtnClient({ fetch: capped.fetch, retry: { maxDelayMs: 100 } }).GET('/subscriptions')).response.status).toBe(200);
    // Two attempts, or the 200 came without the 429 and the cap was never put to the test.
    expect(capped.attempts).toHaveLength(2);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('retry: false, per call or per client, sends once and answers the 503', async () => {
    const before = vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 503/);
    const perCall = await vtnClient().GET('/subscriptions', { headers: { Prefer: 'fault=503' }, retry: false });
    expect(perCall.response.status).toBe(503);
    const perClient = await vtnClient({ retry: false, headers: { Prefer: 'fault=503' } }).GET('/subscriptions');
    expect(perClient.response.status).toBe(503);
    expect(vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 503/) - before).toBe(2);
  });
});

describe('timeouts against the sandbox', () => {
  it('an attempt beyond timeoutMs throws TimeoutError naming the URL and the limit; retries time out too', async () => {
    const faults = faultyFetch(0, '');
    const client = vtnClient({ timeoutMs: 200, fetch: faults.fetch });
    const failure = await client.GET('/subscriptions', { headers: { Prefer: 'delay=3000' }, retry: { attempts: 1, maxDelayMs: 10 } }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TimeoutError);
    expect(faults.attempts).toHaveLength(2);
    expect((failure as Error).message).toBe(`${vtn.mock.origin}/api/openadr/v1/subscriptions: no complete answer within 200 ms (timeoutMs)`);
    // Per call beats per client.
    const quick = await client.GET('/subscriptions', { headers: { Prefer: 'delay=300' }, timeoutMs: 5000 });
    expect(quick.response.status).toBe(200);
  });

  it('each call keeps its own deadline: a shorter one set after a longer one still fires first', async () => {
    const client = vtnClient({ retry: false });
    let longSettled = false;
    const long = client.GET('/subscriptions', { headers: { Prefer: 'delay=400' }, timeoutMs: 5000 }).finally(() => (longSettled = true));
    const short = await client.GET('/subscriptions', { headers: { Prefer: 'delay=3000' }, timeoutMs: 150 }).catch((error: unknown) => error);
    expect(short).toBeInstanceOf(TimeoutError);
    expect((short as Error).message).toMatch(/within 150 ms/);
    expect(longSettled).toBe(false);
    expect((await long).response.status).toBe(200);
    // After a deadline has fired, the next call's deadline is set again.
    const next = await client.GET('/subscriptions', { headers: { Prefer: 'delay=3000' }, timeoutMs: 100 }).catch((error: unknown) => error);
    expect(next).toBeInstanceOf(TimeoutError);
  });

  it("the caller's abort throws the caller's reason and is never retried", async () => {
    const faults = faultyFetch(0, '');
    const controller = new AbortController();
    const reason = new Error('the user went away');
    setTimeout(() => controller.abort(reason), 100);
    const call = vtnClient({ fetch: faults.fetch }).GET('/subscriptions', { headers: { Prefer: 'delay=3000' }, signal: controller.signal });
    await expect(call).rejects.toBe(reason);
    expect(faults.attempts).toHaveLength(1);
    // An abort during the wait before a retry ends the call too: it comes 50 ms after the 503 arrived, well inside
    // the backoff (375 ms or more), and no second attempt is sent.
    const waiting = new AbortController();
    const beforeWait = faultyFetch(0, '');
    const abortAfterAnswer = async (request: Request) => {
      const answer = await beforeWait.fetch(request);
      setTimeout(() => waiting.abort(reason), 50);
      return answer;
    };
    const during = vtnClient({ fetch: abortAfterAnswer }).GET('/subscriptions', { headers: { Prefer: 'fault=503' }, retry: { attempts: 2, maxDelayMs: 5000 }, signal: waiting.signal });
    await expect(during).rejects.toBe(reason);
    expect(beforeWait.attempts).toHaveLength(1);
  });
});

describe('pages against the sandbox', () => {
  const deviceApplicationId = '347847fa-68c0-4418-9119-08dc3993455a';
  const devicesPath = '/public/v2/device-applications/{deviceApplicationId}/devices';

  it('every RedEx device over 3 pages of 10, as items and as whole pages', async () => {
    const token = tenant('redex');
    const state = await fetch(`${redex.mock.origin}/_sandbox/state`, { headers: { Authorization: `Bearer ${token}` } }).then((answer) => answer.json());
    const seed = state.devices[deviceApplicationId][0];
    const devices = Array.from({ length: 25 }, (_, index) => ({ ...seed, InstallationName: `Installation ${index + 1}` }));
    const put = await fetch(`${redex.mock.origin}/_sandbox/state`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ devices: { [deviceApplicationId]: devices } }),
    });
    expect(put.status).toBe(200);
    const client = redexPackage.createClient({ baseUrl: redex.mock.baseUrlFor(redexPackage.defaultBaseUrl), auth: { token } });
    const init = { params: { path: { deviceApplicationId }, query: { ItemsPerPage: 10 } } };

    const before = redex.count(/^GET \/public\/v2\/device-applications\/[^ ]+\/devices\?/);
    const names: string[] = [];
    for await (const device of client.paginate(devicesPath, init)) names.push(device.InstallationName ?? '');
    expect(names).toEqual(devices.map((device) => device.InstallationName));
    expect(redex.count(/^GET \/public\/v2\/device-applications\/[^ ]+\/devices\?/) - before).toBe(3);

    const pages = [];
    for await (const page of client.paginate(devicesPath, init).pages()) pages.push(page);
    expect(pages.map((page) => [page.Meta?.CurrentPage, page.Data.length])).toEqual([[1, 10], [2, 10], [3, 5]]);
  });

  it('a non-2xx page is an error naming the page; so is a bound passed', async () => {
    const client = redexPackage.createClient({ baseUrl: redex.mock.baseUrlFor(redexPackage.defaultBaseUrl), auth: { token: tenant('redex-404') } });
    const unknown = 'bfa462c1-7e98-4f7b-8521-08dc7920a5f2';
    const walk = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable);
    };
    const failure = await walk(client.paginate(devicesPath, { params: { path: { deviceApplicationId: unknown } } })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaginationError);
    expect((failure as Error).message).toMatch(/^GET \/public\/v2\/device-applications\/\{deviceApplicationId\}\/devices page 1 \(CurrentPage=1\) answered 404: .*does not exist/);
    expect((failure as InstanceType<typeof PaginationError>).page).toBe(1);

    const bounded = await walk(client.paginate(devicesPath, { params: { path: { deviceApplicationId }, query: { ItemsPerPage: 10 } }, maxPages: 0 })).catch((error: unknown) => error);
    expect((bounded as Error).message).toMatch(/page 1 \(CurrentPage=1\): more than 0 pages \(maxPages\)/);
  });

  it('a VTN search at limit 2 walks skip until a page is shorter than the limit', async () => {
    const client = vtnClient();
    for (const name of ['A', 'B', 'C', 'D', 'E']) expect((await client.POST('/subscriptions', { body: newSubscription(`PAGED-${name}`) })).response.status).toBe(201);
    const before = vtn.count(/^GET \/api\/openadr\/v1\/subscriptions\?/);
    const names: string[] = [];
    for await (const subscription of client.paginate('/subscriptions', { params: { query: { programID: 'program-resilience', limit: 2 } } })) names.push(subscription.clientName ?? '');
    expect(names).toEqual(['PAGED-A', 'PAGED-B', 'PAGED-C', 'PAGED-D', 'PAGED-E']);
    expect(vtn.count(/^GET \/api\/openadr\/v1\/subscriptions\?/) - before).toBe(3);
    expect(vtn.lines.filter((line) => line.startsWith('GET /api/openadr/v1/subscriptions?')).slice(-3).map((line) => /skip=(\d+)/.exec(line)?.[1])).toEqual(['0', '2', '4']);
  });
});

describe('OAuth2 client credentials against the sandbox token endpoint', () => {
  const tokenUrl = () => `${vtn.mock.origin}/_sandbox/oauth/token`;
  const tokenRequests = () => vtn.count(/^POST \/_sandbox\/oauth\/token -> 200/);

  it('20 concurrent calls make one token request, and every token of one client id is one tenant', async () => {
    const clientId = tenant('oauth-client');
    const client = vtnClient({ auth: { token: clientCredentials({ tokenUrl: tokenUrl(), clientId, clientSecret: 'sandbox-secret' }) } });
    const before = tokenRequests();
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.GET('/subscriptions')));
    expect(answers.map((answer) => answer.response.status)).toEqual(Array(20).fill(200));
    expect(tokenRequests() - before).toBe(1);

    // A second provider of the same client id (client_secret_post this time) gets another token, on the same tenant.
    expect((await client.POST('/subscriptions', { body: newSubscription('OAUTH-TENANT') })).response.status).toBe(201);
    const other = vtnClient({ auth: { token: clientCredentials({ tokenUrl: tokenUrl(), clientId, clientSecret: 'sandbox-secret', authMethod: 'client_secret_post' }) } });
    const { data } = await other.GET('/subscriptions', { params: { query: { clientName: 'OAUTH-TENANT' } } });
    expect(data?.map((subscription) => subscription.clientName)).toEqual(['OAUTH-TENANT']);
    expect(tokenRequests() - before).toBe(2);
  });

  it('a token is fetched again after its expires_in', async () => {
    const provider = clientCredentials({ tokenUrl: tokenUrl(), clientId: tenant('oauth-expiry'), clientSecret: 's', params: { expires_in: '1' } });
    const client = vtnClient({ auth: { token: provider } });
    const before = tokenRequests();
    expect((await client.GET('/subscriptions')).response.status).toBe(200);
    const first = await provider();
    await new Promise((resolveWait) => setTimeout(resolveWait, 1000));
    expect((await client.GET('/subscriptions')).response.status).toBe(200);
    expect(await provider()).not.toBe(first);
    expect(tokenRequests() - before).toBe(2);
  });

  it('after a 401 the token is refreshed once and the call, a create included, is sent again', async () => {
    // The sandbox leaves expires_in out of the answer: the client learns of the expiry from the API's 401.
    const clientId = tenant('oauth-401');
    const provider = clientCredentials({ tokenUrl: tokenUrl(), clientId, clientSecret: 's', params: { expires_in: '1', announce_expires_in: 'false' } });
    const client = vtnClient({ auth: { token: provider } });
    expect((await client.GET('/subscriptions')).response.status).toBe(200);
    await new Promise((resolveWait) => setTimeout(resolveWait, 1100));
    const unauthorized = vtn.count(/^POST \/api\/openadr\/v1\/subscriptions -> 401/);
    const created = await client.POST('/subscriptions', { body: newSubscription('AFTER-401') });
    expect(created.response.status).toBe(201);
    expect(vtn.count(/^POST \/api\/openadr\/v1\/subscriptions -> 401/) - unauthorized).toBe(1);
    const { data } = await client.GET('/subscriptions', { params: { query: { clientName: 'AFTER-401' } } });
    expect(data).toHaveLength(1);

    // A provider that keeps getting 401s refreshes once, then answers the 401.
    const neverValid = vtnClient({ auth: { token: Object.assign(() => 'sbx_eA.1.0', { invalidate: () => {} }) } });
    const before = vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 401/);
    expect((await neverValid.GET('/subscriptions')).response.status).toBe(401);
    expect(vtn.count(/^GET \/api\/openadr\/v1\/subscriptions -> 401/) - before).toBe(2);
  });

  it('a wrong secret fails with an error naming the token URL and invalid_client, never the secret', async () => {
    const clientId = tenant('oauth-secret');
    await clientCredentials({ tokenUrl: tokenUrl(), clientId, clientSecret: 'the-right-secret' })();
    const client = vtnClient({ auth: { token: clientCredentials({ tokenUrl: tokenUrl(), clientId, clientSecret: 'a-wrong-secret-42' }) } });
    const failure = await client.GET('/subscriptions').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OAuthError);
    const { message, error, status } = failure as InstanceType<typeof OAuthError>;
    expect(message).toContain(`token request to ${tokenUrl()} answered 401 invalid_client`);
    expect([error, status]).toEqual(['invalid_client', 401]);
    expect(message).not.toContain('a-wrong-secret-42');
    expect(message).not.toContain('the-right-secret');
  });
});
