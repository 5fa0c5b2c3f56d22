// The generated HanChuESS client against the real (stateful) Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl } from '../../generated/hanchuess/client.ts';
import { hanchuessDocumentSubscription, hanchuessSeededSubscriptions, hanchuessThirdSubscription } from '../support/document-samples.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let nextId = 0;

beforeAll(async () => {
  mock = await startMock('hanchuess', { ids: () => `SUB${++nextId}` });
});
afterAll(() => mock.close());

/** A client on a tenant of its own (a token no other test uses), so every test starts from the seed. */
let tenants = 0;
const freshClient = () => {
  const token = `hanchuess-mock-test-${++tenants}`;
  return createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => token } });
};

const subscription = {
  oem: 'H03Z****SY37',
  webhookUrl: 'https://partner.tech/api/callback',
  events: ['inverter:data:telemetry', 'hanchuess:subscription:test'],
  secret: 'JSrruXM******yrWaTz',
  version: '1.0.0',
  devices: ['H01****G1H', 'H02****D6C'],
};
/** What HanChuESS answers for it: the secret is kept to sign with but never shown. */
const { secret: _secret, ...shown } = subscription;

/** The subscriptions of the list example, which a fresh sandbox holds: RD*****ZrWO, 72PX****j6j, then 72PX****6j. */
const documentSubscription = hanchuessDocumentSubscription;
const seeded = hanchuessSeededSubscriptions;
const SUCCESS = 'The operation has been successful';

const expectValid = (method: string, path: string, status: number, body: unknown) => expect(answerErrors('hanchuess', method, path, status, body)).toEqual([]);

describe('hanchuess client against the mock', () => {
  it('reaches the mock at the production base path, /portal included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/portal`);
  });

  it('createOemSubscription: POST /v1/oem/subscribe answers the subscription envelope with a new id, inactive', async () => {
    const client = freshClient();
    const { data, error, response } = await client.POST('/v1/oem/subscribe', { body: subscription });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.errno).toBe(0);
    expect(data?.data).toEqual({ ...shown, subscriptionId: expect.stringMatching(/^SUB\d+$/), status: 'inactive', createAt: expect.any(String) });
    expect(Date.parse(data!.data!.createAt as string)).not.toBeNaN();
    expectValid('post', '/v1/oem/subscribe', 200, data);
    // Without events, the spec's default ['*'] is stored.
    const { events: _events, ...withoutEvents } = subscription;
    const defaulted = await client.POST('/v1/oem/subscribe', { body: withoutEvents });
    expect(defaulted.data?.data?.events).toEqual(['*']);
    expect(defaulted.data?.data?.subscriptionId).not.toBe(data?.data?.subscriptionId);
  });

  it('listOemSubscriptions: POST /v1/oem/subscriptions answers the wrapped list of that oem', async () => {
    const client = freshClient();
    const { data, response } = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(response.status).toBe(200);
    expect(data?.devices).toEqual(seeded.map((item) => ({ errno: 0, msg: SUCCESS, data: item })));
    expectValid('post', '/v1/oem/subscriptions', 200, data);

    const created = await client.POST('/v1/oem/subscribe', { body: { ...subscription, oem: 'OTHER-OEM' } });
    const other = await client.POST('/v1/oem/subscriptions', { body: { oem: 'OTHER-OEM' } });
    expect(other.data?.devices?.map((entry) => entry.data)).toEqual([created.data?.data]);
    const first = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(first.data?.devices).toHaveLength(seeded.length);
  });

  it('updateOemSubscription: POST /v1/oem/resubscribe with only the required fields keeps the rest', async () => {
    const client = freshClient();
    const { data, response } = await client.POST('/v1/oem/resubscribe', {
      body: { oem: 'H03Z****SY37', subscriptionId: 'RD*****ZrWO' },
    });
    expect(response.status).toBe(200);
    expect(data?.errno).toBe(0);
    expect(data?.data).toEqual(documentSubscription);
    expectValid('post', '/v1/oem/resubscribe', 200, data);

    const changed = await client.POST('/v1/oem/resubscribe', {
      body: { oem: 'H03Z****SY37', subscriptionId: 'RD*****ZrWO', webhookUrl: 'https://partner.tech/api/other', devices: ['H09****X'] },
    });
    expect(changed.data?.data).toEqual({ ...documentSubscription, webhookUrl: 'https://partner.tech/api/other', devices: ['H09****X'] });
    const listed = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(listed.data?.devices?.[0]?.data).toEqual(changed.data?.data);
  });

  it('deleteOemSubscription: DELETE /v1/oem/{oem}/unsubscribe/{subscriptionId} removes it', async () => {
    const client = freshClient();
    const created = await client.POST('/v1/oem/subscribe', { body: subscription });
    const subscriptionId = created.data!.data!.subscriptionId!;
    const { data, response } = await client.DELETE('/v1/oem/{oem}/unsubscribe/{subscriptionId}', {
      params: { path: { oem: 'H03Z****SY37', subscriptionId } },
    });
    expect(response.status).toBe(200);
    expect(new URL(response.url).pathname).toBe(`/portal/v1/oem/H03Z****SY37/unsubscribe/${subscriptionId}`);
    expect(data).toEqual({ errno: 0, msg: SUCCESS, data: null });
    const listed = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(listed.data?.devices?.map((entry) => entry.data?.subscriptionId)).toEqual(['RD*****ZrWO', '72PX****j6j', '72PX****6j']);
    // The document's delete example names a seeded subscription: deleting it answers 200 and removes it.
    const documentDelete = await client.DELETE('/v1/oem/{oem}/unsubscribe/{subscriptionId}', { params: { path: { oem: 'H03Z****SY37', subscriptionId: '72PX****j6j' } } });
    expect(documentDelete.response.status).toBe(200);
    const after = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(after.data?.devices?.map((entry) => entry.data?.subscriptionId)).toEqual(['RD*****ZrWO', '72PX****6j']);
    // Deleting either again is the spec's 404.
    for (const id of [subscriptionId, '72PX****j6j']) {
      const again = await client.DELETE('/v1/oem/{oem}/unsubscribe/{subscriptionId}', { params: { path: { oem: 'H03Z****SY37', subscriptionId: id } } });
      expect(again.response.status).toBe(404);
      expect(again.error).toMatchObject({ errno: 404, data: null });
      expectValid('delete', '/v1/oem/{oem}/unsubscribe/{subscriptionId}', 404, again.error);
    }
  });

  it('a subscription of another oem is not found under this one', async () => {
    const client = freshClient();
    const { error, response } = await client.DELETE('/v1/oem/{oem}/unsubscribe/{subscriptionId}', {
      params: { path: { oem: 'OTHER-OEM', subscriptionId: 'RD*****ZrWO' } },
    });
    expect(response.status).toBe(404);
    expect(error).toMatchObject({ errno: 404, data: null });
    const resubscribe = await client.POST('/v1/oem/resubscribe', { body: { oem: 'OTHER-OEM', subscriptionId: 'RD*****ZrWO' } });
    expect(resubscribe.response.status).toBe(404);
  });

  it('testOemSubscription: POST /v1/oem/subscriptions/test answers the subscription; an unknown id is a 404', async () => {
    const client = freshClient();
    const { data, response } = await client.POST('/v1/oem/subscriptions/test', {
      body: { oem: 'H03Z****SY37', subscriptionId: 'RD*****ZrWO' },
    });
    expect(response.status).toBe(200);
    // partner.tech is not loopback, so the test delivery is refused and the subscription stays inactive.
    expect(data?.data).toEqual(documentSubscription);
    expectValid('post', '/v1/oem/subscriptions/test', 200, data);
    // The document's own test example id (72PX****6j, one character off the delete example) is seeded too.
    const documentTest = await client.POST('/v1/oem/subscriptions/test', { body: { oem: 'H03Z****SY37', subscriptionId: '72PX****6j' } });
    expect(documentTest.response.status).toBe(200);
    expect(documentTest.data?.data).toEqual(hanchuessThirdSubscription);
    const unknown = await client.POST('/v1/oem/subscriptions/test', { body: { oem: 'H03Z****SY37', subscriptionId: 'NOPE****0' } });
    expect(unknown.response.status).toBe(404);
    expect(unknown.error).toMatchObject({ errno: 404, data: null });
  });

  it('sends the bearer token from the provider, and a request without one gets 401 in the envelope', async () => {
    const response = await fetch(`${mock.baseUrlFor(defaultBaseUrl)}/v1/oem/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ oem: 'H03Z****SY37' }),
    });
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body).toMatchObject({ errno: 401, data: null });
    expect(body.msg).toMatch(/^Unauthorized/);
  });

  it('a body without oem comes back as a typed 400 error naming the field', async () => {
    const client = freshClient();
    const { oem: _omitted, ...withoutOem } = subscription;
    // @ts-expect-error oem is required by the spec, so the type checker rejects this body too
    const { data, error, response } = await client.POST('/v1/oem/subscribe', { body: withoutOem });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ errno: 400, data: null });
    expect(error?.msg).toContain("required property 'oem'");
  });

  it('a webhookUrl that is not HTTPS is rejected with the pattern named, and nothing is stored', async () => {
    const client = freshClient();
    const { error, response } = await client.POST('/v1/oem/subscribe', {
      body: { ...subscription, webhookUrl: 'http://partner.tech/api/callback' },
    });
    expect(response.status).toBe(400);
    expect(error?.msg).toMatch(/webhookUrl.*pattern/);
    expect((await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } })).data?.devices).toHaveLength(seeded.length);
  });
});
