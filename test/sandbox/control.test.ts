// The control API under /_sandbox/ on every mock's port (reset, state, events, deliveries): the API's own
// credentials, problem+json errors naming the field; and the fixed answers (`Prefer: code=`, `example=`,
// `dynamic=`) that still come from the spec without touching the state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';
import { hanchuessSeededSubscriptions } from '../support/document-samples.ts';

type Api = 'hanchuess' | 'openadr3-vtn' | 'bajie-charging' | 'energy-coordination' | 'redex';
const APIS: Api[] = ['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex'];
const mocks = new Map<Api, RunningMock>();
beforeAll(async () => {
  await Promise.all(APIS.map(async (api) => mocks.set(api, await startMock(api))));
});
afterAll(() => Promise.all([...mocks.values()].map((mock) => mock.close())));

const credentialsOf = (api: Api, name = 'control-test') =>
  api === 'bajie-charging' ? `Basic ${Buffer.from(`${name}:secret`).toString('base64')}` : `Bearer ${name}`;
const wrongScheme = (api: Api) => (api === 'bajie-charging' ? 'Bearer control-test' : `Basic ${Buffer.from('control-test:secret').toString('base64')}`);

async function send(api: Api, method: string, path: string, init: { authorization?: string; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.authorization) headers.Authorization = init.authorization;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(mocks.get(api)!.origin + path, { method, headers, body: init.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : undefined };
}

describe.each(APIS)('%s: the control API', (api) => {
  it('answers 401 with WWW-Authenticate without credentials, or with the other scheme', async () => {
    const scheme = api === 'bajie-charging' ? 'Basic' : 'Bearer';
    for (const authorization of [undefined, wrongScheme(api)]) {
      for (const [method, path] of [['POST', '/_sandbox/reset'], ['GET', '/_sandbox/state'], ['PUT', '/_sandbox/state'], ['GET', '/_sandbox/deliveries'], ['POST', '/_sandbox/events']]) {
        const answer = await send(api, method!, path!, { authorization, body: method === 'GET' ? undefined : '{}' });
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.headers.get('www-authenticate')).toMatch(new RegExp(`^${scheme} realm="`));
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toMatchObject({ status: 401, title: 'Unauthorized' });
        expect(answer.body.detail).toMatch(/Authorization/);
      }
    }
  });

  it('answers 404 on an unknown endpoint and 405 with Allow on an unknown method', async () => {
    const authorization = credentialsOf(api);
    const unknown = await send(api, 'GET', '/_sandbox/nothing-here', { authorization });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(unknown.body).toMatchObject({ status: 404, title: 'Not Found' });
    expect(unknown.body.detail).toContain('/_sandbox/nothing-here');

    for (const [method, path, allow] of [['GET', '/_sandbox/reset', 'POST'], ['DELETE', '/_sandbox/state', 'GET, PUT'], ['PATCH', '/_sandbox/deliveries', 'GET'], ['GET', '/_sandbox/events', 'POST']]) {
      const answer = await send(api, method!, path!, { authorization });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.get('allow')).toBe(allow);
      expect(answer.body).toMatchObject({ status: 405, title: 'Method Not Allowed' });
    }
  });

  it('GET /_sandbox/state answers the seed of a fresh tenant; PUT rejects what is not a state, naming the field', async () => {
    const authorization = credentialsOf(api, `state-${api}`);
    const state = await send(api, 'GET', '/_sandbox/state', { authorization });
    expect(state.status).toBe(200);
    expect(state.headers.get('content-type')).toMatch(/^application\/json/);
    const collections = Object.keys(state.body);
    expect(collections.length).toBeGreaterThan(0);
    const first = collections[0]!;

    const rejected = async (body: string, detail: RegExp) => {
      const answer = await send(api, 'PUT', '/_sandbox/state', { authorization, body });
      expect(answer.status, body).toBe(400);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 400, title: 'Bad Request' });
      expect(answer.body.detail, body).toMatch(detail);
    };
    await rejected('{"not json', /./);
    await rejected('[]', /^body: must be an object/);
    await rejected('{"no-such-collection": []}', new RegExp(`^body\\.no-such-collection: no such collection; this sandbox keeps ${collections.join(', ')}`));
    const parented = !Array.isArray(state.body[first]);
    if (parented) await rejected(JSON.stringify({ [first]: { parent: [42] } }), new RegExp(`^body\\.${first}\\.parent\\[0\\]: must be an object`));
    else await rejected(JSON.stringify({ [first]: [42] }), new RegExp(`^body\\.${first}\\[0\\]: must be an object`));
    // Nothing was changed by the rejected requests.
    expect((await send(api, 'GET', '/_sandbox/state', { authorization })).body).toEqual(state.body);
  });
});

describe('PUT /_sandbox/state checks items against the spec schema, naming the field', () => {
  const cases: [Api, unknown, RegExp][] = [
    ['openadr3-vtn', { subscriptions: [{ clientName: 5, programID: 'p', objectOperations: [] }] }, /^body\.subscriptions\[0\]\.clientName: must be string/],
    ['openadr3-vtn', { subscriptions: [{ programID: 'p', objectOperations: [] }] }, /^body\.subscriptions\[0\]: must have required property 'clientName'/],
    ['redex', { devices: { '347847fa-68c0-4418-9119-08dc3993455a': [{ Id: 'not-a-uuid' }] } }, /^body\.devices\.347847fa-68c0-4418-9119-08dc3993455a\[0\]\.Id: must match format "uuid"/],
    ['bajie-charging', { pushConfig: [{ eventSubscriptions: [] }] }, /^body\.pushConfig\[0\]: must have required property 'pushUrl'/],
    ['energy-coordination', { resources: [{ metadata: { year: 'new' } }] }, /^body\.resources\[0\]\.metadata\.year: must be integer/],
  ];
  it.each(cases)('%s: %j', async (api, body, detail) => {
    const answer = await send(api, 'PUT', '/_sandbox/state', { authorization: credentialsOf(api, 'schema-check'), body: JSON.stringify(body) });
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toMatch(detail);
  });
});

describe('GET /_sandbox/state shows what the partner did', () => {
  it('openadr3-vtn: a created subscription, then its deletion', async () => {
    const authorization = credentialsOf('openadr3-vtn', 'state-view');
    const created = await send('openadr3-vtn', 'POST', '/api/openadr/v1/subscriptions', {
      authorization,
      body: JSON.stringify({ clientName: 'VIEW', programID: 'p', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }] }),
    });
    expect(created.status).toBe(201);
    const state = await send('openadr3-vtn', 'GET', '/_sandbox/state', { authorization });
    expect(state.body.subscriptions.map((item: { id: string }) => item.id)).toEqual(['object-999', created.body.id]);
    expect(state.body.subscriptions[1]).toEqual(created.body);
    await send('openadr3-vtn', 'DELETE', '/api/openadr/v1/subscriptions/object-999', { authorization });
    expect((await send('openadr3-vtn', 'GET', '/_sandbox/state', { authorization })).body).toEqual({ subscriptions: [created.body] });
  });

  it('hanchuess: the state keeps the secret the API never answers', async () => {
    const authorization = credentialsOf('hanchuess', 'state-view');
    const created = await send('hanchuess', 'POST', '/portal/v1/oem/subscribe', {
      authorization,
      body: JSON.stringify({ oem: 'OEM-V', webhookUrl: 'https://partner.tech/v', secret: 'kept-secret', devices: ['D1'] }),
    });
    expect(created.body.data).not.toHaveProperty('secret');
    const state = await send('hanchuess', 'GET', '/_sandbox/state', { authorization });
    // After the seeded subscriptions of the list example.
    expect(state.body.subscriptions[hanchuessSeededSubscriptions.length]).toEqual({ ...created.body.data, secret: 'kept-secret' });
  });

  it('redex: PUT then GET answers the same state, and the API pages from it', async () => {
    const authorization = credentialsOf('redex', 'state-view');
    const { body: seed } = await send('redex', 'GET', '/_sandbox/state', { authorization });
    const application = Object.keys(seed.devices)[0]!;
    const device = seed.devices[application][0];
    const devices = { [application]: Array.from({ length: 12 }, (_, index) => ({ ...device, InstallationName: `Site ${index}` })) };
    const put = await send('redex', 'PUT', '/_sandbox/state', { authorization, body: JSON.stringify({ devices }) });
    expect(put).toMatchObject({ status: 200, body: { devices } });
    expect((await send('redex', 'GET', '/_sandbox/state', { authorization })).body).toEqual({ devices });
    const page = await send('redex', 'GET', `/public/v2/device-applications/${application}/devices?CurrentPage=2&ItemsPerPage=10`, { authorization });
    expect(page.body.Data.map((item: { InstallationName: string }) => item.InstallationName)).toEqual(['Site 10', 'Site 11']);
    expect(page.body.Meta).toEqual({ CurrentPage: 2, ItemsPerPage: 10, TotalItems: 12, TotalPage: 2 });
  });
});

describe('fixed answers: Prefer code=, example= and dynamic= answer from the spec without touching state', () => {
  const vtn = (method: string, path: string, authorization: string, prefer?: string, body?: unknown) =>
    send('openadr3-vtn', method, `/api/openadr/v1${path}`, { authorization, headers: prefer ? { Prefer: prefer } : {}, body: body === undefined ? undefined : JSON.stringify(body) });
  const newSubscription = { clientName: 'FIXED', programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://partner.example/cb' }] };

  it('openadr3-vtn: creates, updates, deletes and reads with Prefer leave the state as it was', async () => {
    const authorization = credentialsOf('openadr3-vtn', 'fixed-answers');
    const before = (await send('openadr3-vtn', 'GET', '/_sandbox/state', { authorization })).body;
    const documentSample = before.subscriptions[0];

    // code=: the documented answer for that status.
    const conflict = await vtn('POST', '/subscriptions', authorization, 'code=409', newSubscription);
    expect(conflict.status).toBe(409);
    expect(answerErrors('openadr3-vtn', 'post', '/subscriptions', 409, conflict.body)).toEqual([]);
    const notFound = await vtn('GET', '/subscriptions/object-999', authorization, 'code=404');
    expect(notFound.status).toBe(404);
    expect(answerErrors('openadr3-vtn', 'get', '/subscriptions/{subscriptionID}', 404, notFound.body)).toEqual([]);
    const created = await vtn('POST', '/subscriptions', authorization, 'code=201', newSubscription);
    expect(created).toMatchObject({ status: 201, body: documentSample });

    // example=: that named example, as documented (not what was sent).
    const example = await vtn('POST', '/subscriptions', authorization, 'example=documentSample', newSubscription);
    expect(example).toMatchObject({ status: 201, body: documentSample });
    const deleted = await vtn('DELETE', '/subscriptions/object-999', authorization, 'example=documentSample');
    expect(deleted).toMatchObject({ status: 200, body: documentSample });
    const updated = await vtn('PUT', '/subscriptions/object-999', authorization, 'code=200', newSubscription);
    expect(updated).toMatchObject({ status: 200, body: documentSample });

    // dynamic=: a body generated from the schema, valid against it.
    const dynamic = await vtn('POST', '/subscriptions', authorization, 'dynamic=true', newSubscription);
    expect(dynamic.status).toBe(201);
    expect(answerErrors('openadr3-vtn', 'post', '/subscriptions', 201, dynamic.body)).toEqual([]);
    const dynamicList = await vtn('GET', '/subscriptions', authorization, 'dynamic=true');
    expect(dynamicList.status).toBe(200);
    expect(answerErrors('openadr3-vtn', 'get', '/subscriptions', 200, dynamicList.body)).toEqual([]);

    expect((await send('openadr3-vtn', 'GET', '/_sandbox/state', { authorization })).body).toEqual(before);
    expect((await vtn('GET', '/subscriptions', authorization)).body).toEqual([documentSample]);
  });

  it('bajie-charging: a set with Prefer example= leaves the configuration as it was', async () => {
    const authorization = credentialsOf('bajie-charging', 'fixed-answers');
    const before = await send('bajie-charging', 'GET', '/cdb-open-api/v1/cabinet/eventPush/config/get', { authorization });
    for (const prefer of ['code=200', 'dynamic=true']) {
      const answer = await send('bajie-charging', 'POST', '/cdb-open-api/v1/cabinet/eventPush/config', {
        authorization,
        headers: { Prefer: prefer },
        body: JSON.stringify({ pushUrl: 'https://receiving.push.com/changed' }),
      });
      expect(answer.status, prefer).toBe(200);
    }
    expect((await send('bajie-charging', 'GET', '/cdb-open-api/v1/cabinet/eventPush/config/get', { authorization })).body).toEqual(before.body);
  });

  it('redex: Prefer code=404 on a known application answers the documented 404; the devices stay listed', async () => {
    const authorization = credentialsOf('redex', 'fixed-answers');
    const path = '/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices';
    const fixed = await send('redex', 'GET', path, { authorization, headers: { Prefer: 'code=404' } });
    expect(fixed.status).toBe(404);
    expect(fixed.body.Message).toBe('The Device Application ID: bfa462c1-7e98-4f7b-8521-08dc7920a5f2 does not exist.');
    expect((await send('redex', 'GET', path, { authorization })).body.Data).toHaveLength(1);
  });
});
