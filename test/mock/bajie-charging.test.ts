// The generated Bajie Charging client (HTTP Basic) against the real Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl, type components } from '../../generated/bajie-charging/client.ts';
import { resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { bundledSpec } from '../support/contract.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let client: ReturnType<typeof createClient>;

/** A client on a tenant of its own (a Basic user no other test uses): it starts from the seeded configuration. */
let tenants = 0;
const freshClient = () => createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { username: `agent-${++tenants}`, password: 'secret' } });

beforeAll(async () => {
  mock = await startMock('bajie-charging');
  client = freshClient();
});
afterAll(() => mock.close());

/** The seven subscriptions of the document's "GET Cabinet Event Push Config" example, in order. */
const documentEvents = [
  'CABINET_ONLINE',
  'CABINET_OFFLINE',
  'CABINET_STATUS',
  'BATTERY_IN',
  'BATTERY_BORROW_OUT',
  'BATTERY_ABNORMAL_WARNING',
  'ADMIN_RENTAL_ORDER',
] as const;

const config: components['schemas']['AgentCabinetEventPushConfig'] = {
  pushUrl: 'https://receiving.push.com/event',
  eventSubscriptions: [
    { event: 'CABINET_ONLINE', pushUrl: '', enable: true },
    { event: 'BATTERY_POPUP', pushUrl: 'https://receiving.push.com/popup', enable: false },
  ],
};

describe('bajie-charging client against the mock', () => {
  it('reaches the mock at the production base path, /cdb-open-api/v1 included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/cdb-open-api/v1`);
  });

  it("getCabinetEventPushConfig: GET /cabinet/eventPush/config/get answers the document's example", async () => {
    const { data, error, response } = await client.GET('/cabinet/eventPush/config/get');
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(new URL(response.url).pathname).toBe('/cdb-open-api/v1/cabinet/eventPush/config/get');
    expect(data?.code).toBe(0);
    expect(data?.msg).toBe('Successful operation');
    expect(data?.data.pushUrl).toBe('https://receiving.push.com/event');
    expect(data?.data.eventSubscriptions).toEqual(documentEvents.map((event) => ({ event, pushUrl: '', enable: true })));
  });

  it('setCabinetEventPushConfig: POST /cabinet/eventPush/config answers the success envelope, and get answers what was set', async () => {
    const own = freshClient();
    const { data, error, response } = await own.POST('/cabinet/eventPush/config', { body: config });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data).toEqual({ code: 0, msg: 'Successful operation', data: null });
    expect(answerErrors('bajie-charging', 'post', '/cabinet/eventPush/config', 200, data)).toEqual([]);

    const read = await own.GET('/cabinet/eventPush/config/get');
    expect(read.data).toEqual({ code: 0, msg: 'Successful operation', data: config });
    expect(answerErrors('bajie-charging', 'get', '/cabinet/eventPush/config/get', 200, read.data)).toEqual([]);

    // Setting replaces the whole configuration: a second one without eventSubscriptions has none.
    await own.POST('/cabinet/eventPush/config', { body: { pushUrl: 'https://receiving.push.com/second' } });
    expect((await own.GET('/cabinet/eventPush/config/get')).data?.data).toEqual({ pushUrl: 'https://receiving.push.com/second' });
    // Another agent still has the seeded configuration.
    expect((await freshClient().GET('/cabinet/eventPush/config/get')).data?.data.pushUrl).toBe('https://receiving.push.com/event');
  });

  it('sends Basic base64(username:password), and a request without credentials gets 401 in the envelope', async () => {
    const seen: string[] = [];
    const recording = createClient({
      baseUrl: mock.baseUrlFor(defaultBaseUrl),
      auth: { username: 'agent', password: 'secret' },
      fetch: async (request: Request) => {
        seen.push(request.headers.get('Authorization') ?? '');
        return fetch(request);
      },
    });
    expect((await recording.GET('/cabinet/eventPush/config/get')).response.status).toBe(200);
    expect(seen).toEqual([`Basic ${Buffer.from('agent:secret').toString('base64')}`]);

    const response = await fetch(`${mock.baseUrlFor(defaultBaseUrl)}/cabinet/eventPush/config/get`);
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body).toMatchObject({ code: 401, data: null });
    expect(body.msg).toMatch(/^Unauthorized/);
  });

  it('a body without pushUrl comes back as a typed 400 error in the envelope naming pushUrl, and nothing changes', async () => {
    const { pushUrl: _omitted, ...withoutPushUrl } = config;
    // @ts-expect-error pushUrl is required by the spec, so the type checker rejects this body too
    const { data, error, response } = await client.POST('/cabinet/eventPush/config', { body: withoutPushUrl });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ code: 400, data: null });
    expect(error?.msg).toContain("required property 'pushUrl'");
    expect((await client.GET('/cabinet/eventPush/config/get')).data?.data.eventSubscriptions).toHaveLength(7);
  });

  it("the document's curl request, with only the origin swapped, is answered 200 with the example", async () => {
    // curl --location --request GET 'https://developer.chargenow.top/cdb-open-api/v1/cabinet/eventPush/config/get'
    //   --header 'Authorization: Basic Og=='
    const production = new URL('https://developer.chargenow.top/cdb-open-api/v1/cabinet/eventPush/config/get');
    // The document's credentials are everyone's: put that tenant back to the seed first.
    expect((await fetch(`${mock.origin}/_sandbox/reset`, { method: 'POST', headers: { Authorization: 'Basic Og==' } })).status).toBe(200);
    const response = await fetch(`${mock.origin}${production.pathname}`, { headers: { Authorization: 'Basic Og==' } });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.code).toBe(0);
    expect(body.data.eventSubscriptions).toHaveLength(7);
    expect(body.data.eventSubscriptions.map((item: { event: string }) => item.event)).toEqual([...documentEvents]);
  });

  it('every request example of the write operation is accepted, and the read answers it back', async () => {
    const spec = bundledSpec('bajie-charging') as Record<string, any>;
    const examples = spec.paths['/cabinet/eventPush/config'].post.requestBody.content['application/json'].examples as Record<string, unknown>;
    const values = Object.values(examples).map((example) => resolveLocalRef(spec, example).value.value as components['schemas']['AgentCabinetEventPushConfig']);
    expect(values.map((value) => value.pushUrl)).toEqual(['https://cdb.partner.example/bajie/events', 'https://receiving.push.com/event']);
    for (const body of values) {
      const own = freshClient();
      const { data, response } = await own.POST('/cabinet/eventPush/config', { body });
      expect(response.status).toBe(200);
      expect(data?.code).toBe(0);
      expect((await own.GET('/cabinet/eventPush/config/get')).data?.data).toEqual(body);
    }
  });
});
