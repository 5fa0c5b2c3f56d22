// The generated HanChuESS client against the real Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl } from '../../generated/hanchuess/client.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  mock = await startMock('hanchuess');
  client = createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => 'test-token' } });
});
afterAll(() => mock.close());

const subscription = {
  oem: 'H03Z****SY37',
  webhookUrl: 'https://partner.tech/api/callback',
  events: ['inverter:data:telemetry', 'hanchuess:subscription:test'],
  secret: 'JSrruXM******yrWaTz',
  version: '1.0.0',
  devices: ['H01****G1H', 'H02****D6C'],
};

describe('hanchuess client against the mock', () => {
  it('reaches the mock at the production base path, /portal included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/portal`);
  });

  it('createOemSubscription: POST /v1/oem/subscribe answers the subscription envelope', async () => {
    const { data, error, response } = await client.POST('/v1/oem/subscribe', { body: subscription });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.errno).toBe(0);
    expect(data?.data?.subscriptionId).toBe('RD*****ZrWO');
    expect(data?.data?.status).toBe('inactive');
  });

  it('listOemSubscriptions: POST /v1/oem/subscriptions answers the wrapped list', async () => {
    const { data, response } = await client.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } });
    expect(response.status).toBe(200);
    expect(data?.devices?.[0]?.data?.oem).toBe('H03Z****SY37');
  });

  it('updateOemSubscription: POST /v1/oem/resubscribe with only the required fields', async () => {
    const { data, response } = await client.POST('/v1/oem/resubscribe', {
      body: { oem: 'H03Z****SY37', subscriptionId: 'RD*****ZrWO' },
    });
    expect(response.status).toBe(200);
    expect(data?.errno).toBe(0);
  });

  it('deleteOemSubscription: DELETE /v1/oem/{oem}/unsubscribe/{subscriptionId}', async () => {
    const { data, response } = await client.DELETE('/v1/oem/{oem}/unsubscribe/{subscriptionId}', {
      params: { path: { oem: 'H03Z****SY37', subscriptionId: '72PX****j6j' } },
    });
    expect(response.status).toBe(200);
    expect(new URL(response.url).pathname).toBe('/portal/v1/oem/H03Z****SY37/unsubscribe/72PX****j6j');
    expect(data?.errno).toBe(0);
  });

  it('testOemSubscription: POST /v1/oem/subscriptions/test', async () => {
    const { data, response } = await client.POST('/v1/oem/subscriptions/test', {
      body: { oem: 'H03Z****SY37', subscriptionId: '72PX****6j' },
    });
    expect(response.status).toBe(200);
    expect(data?.data).toBeDefined();
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
    const { oem: _omitted, ...withoutOem } = subscription;
    // @ts-expect-error oem is required by the spec, so the type checker rejects this body too
    const { data, error, response } = await client.POST('/v1/oem/subscribe', { body: withoutOem });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ errno: 400, data: null });
    expect(error?.msg).toContain("required property 'oem'");
  });

  it('a webhookUrl that is not HTTPS is rejected with the pattern named', async () => {
    const { error, response } = await client.POST('/v1/oem/subscribe', {
      body: { ...subscription, webhookUrl: 'http://partner.tech/api/callback' },
    });
    expect(response.status).toBe(400);
    expect(error?.msg).toMatch(/webhookUrl.*pattern/);
  });
});
