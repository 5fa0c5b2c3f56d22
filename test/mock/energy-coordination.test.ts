// The generated Volue Spark Energy Coordination client against the real Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl, type components } from '../../generated/energy-coordination/client.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

const NOW = '2024-03-01T12:00:00.000Z';
let nextId = 0;
let mock: RunningMock;
let client: ReturnType<typeof createClient>;

/** A client on a tenant of its own (a token no other test uses), so every test starts from the seed. */
let tenants = 0;
const freshClient = () => {
  const token = `spark-mock-test-${++tenants}`;
  return createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => token } });
};

beforeAll(async () => {
  mock = await startMock('energy-coordination', { ids: () => `spark-${++nextId}`, clock: () => new Date(NOW) });
  client = freshClient();
});
afterAll(() => mock.close());

/** The illustrative items every fresh tenant is seeded with (the spec's list examples). */
const SEEDED_EVENT = '6a9d2f14-8c3e-4b57-9e02-d4f1a7b5c863';
const SEEDED_RESOURCE_ID = 'd2a47b93-6e15-4c08-b3f9-81c5e2a0d764';
const SEEDED_SUBSCRIPTION = '3d8f6a21-c4b9-4e57-a013-7e2b5c9d1f86';

const expectValid = (method: string, path: string, status: number, body: unknown) =>
  expect(answerErrors('energy-coordination', method, path, status, body)).toEqual([]);

const resource: components['schemas']['ResourceRequest'] = {
  userId: 'user-1',
  resourceId: 'vehicle-1',
  metadata: { resourceType: 'Vehicle', brand: 'Volvo', model: 'EX30', year: 2024, vin: 'YV1AB12C3D4567890' },
};

const subscription: components['schemas']['CreateSparkSubscriptionRequest'] = {
  webhookSecret: 'secret',
  webhookUrl: 'https://partner.example/spark/webhook',
  eventPayloadTypes: ['CurrentLevel', 'PowerLevel'],
  operationTypes: ['Create', 'Update', 'Delete'],
};

/** The path of the request the client actually sent, to show the production base path is kept. */
const pathOf = (response: Response) => new URL(response.url).pathname;

describe('energy-coordination client against the mock', () => {
  it('reaches the mock at the production base path, /energy-coordination/v1 included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/energy-coordination/v1`);
  });

  describe('Events', () => {
    it('listEvents: GET /events', async () => {
      const { data, error, response } = await client.GET('/events');
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe('/energy-coordination/v1/events');
      expect(data?.[0]?.intervalPeriod?.duration).toBe('02:00:00');
    });

    it('getEvent: GET /events/{eventId} answers the seeded event; an unknown id is a 404 problem', async () => {
      const { data, response } = await client.GET('/events/{eventId}', { params: { path: { eventId: SEEDED_EVENT } } });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe(`/energy-coordination/v1/events/${SEEDED_EVENT}`);
      expect(data?.payload?.payloadType).toBe('CurrentLevel');
      expect(data?.payload).toEqual({ payloadType: 'CurrentLevel', targetCurrent: 16 });
      expect(data?.createdDateTime).toBe('2024-11-12T09:30:00Z');
      expect(data).toEqual((await client.GET('/events')).data?.[0]);
      expectValid('get', '/events/{eventId}', 200, data);

      const unknown = await client.GET('/events/{eventId}', { params: { path: { eventId: 'event-1' } } });
      expect(unknown.response.status).toBe(404);
      expect(unknown.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(unknown.error).toMatchObject({ status: 404, title: 'Not Found' });
      expect(unknown.error?.detail).toContain('event-1');
      expectValid('get', '/events/{eventId}', 404, unknown.error);
    });
  });

  describe('Reports', () => {
    it('createReport: POST /reports', async () => {
      const { data, error, response } = await client.POST('/reports', {
        body: {
          eventId: 'event-1',
          name: 'charge actions',
          payloads: [
            {
              payloadType: 'VehicleChargeAction',
              resourceId: 'vehicle-1',
              location: { latitude: 59.91, longitude: 10.75 },
              actionType: 'Start',
              current: 16,
              power: 11000,
              stateOfCharge: 40,
              batteryCapacity: 64,
            },
          ],
        },
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data).toMatchObject({ id: expect.stringMatching(/^spark-\d+$/), eventId: 'event-1', name: 'charge actions', createdDateTime: NOW, modificationDateTime: NOW });
      expectValid('post', '/reports', 200, data);
    });
  });

  describe('Resources', () => {
    it('listResources: GET /resources answers the seeded sample', async () => {
      const { data, response } = await freshClient().GET('/resources');
      expect(response.status).toBe(200);
      expect(data).toHaveLength(1);
      expect(data?.[0]?.metadata).toMatchObject({ resourceType: 'Vehicle', brand: 'Volvo', vin: 'YV1XZEFV8R2157346' });
      expectValid('get', '/resources', 200, data);
      // The reference page's resourceId example is the partner's resourceId of that seeded vehicle.
      const byResourceId = await freshClient().GET('/resources/{resourceId}', { params: { path: { resourceId: data![0]!.resourceId! } } });
      expect(byResourceId.data).toEqual(data?.[0]);
      expect(data?.[0]?.id).toBe(SEEDED_RESOURCE_ID);
    });

    it('createResource: POST /resources answers what was sent plus Spark\'s id, and lists it', async () => {
      const own = freshClient();
      const { data, error, response } = await own.POST('/resources', { body: resource });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data).toEqual({ ...resource, id: expect.stringMatching(/^spark-\d+$/) });
      expectValid('post', '/resources', 200, data);
      expect((await own.GET('/resources')).data?.map((item) => item.id)).toEqual([SEEDED_RESOURCE_ID, data?.id]);
    });

    it('updateResource: PUT /resources?resourceId= replaces it, keeping its ids', async () => {
      const own = freshClient();
      const created = await own.POST('/resources', { body: resource });
      const changed = { ...resource, metadata: { ...resource.metadata!, year: 2025 } };
      const { data, error, response } = await own.PUT('/resources', {
        params: { query: { resourceId: 'vehicle-1' } },
        body: changed,
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      const url = new URL(response.url);
      expect(url.pathname).toBe('/energy-coordination/v1/resources');
      expect(url.searchParams.get('resourceId')).toBe('vehicle-1');
      expect(data).toEqual({ ...changed, id: created.data?.id });
      expectValid('put', '/resources', 200, data);
      expect((await own.GET('/resources/{resourceId}', { params: { path: { resourceId: 'vehicle-1' } } })).data).toEqual(data);
      const unknown = await own.PUT('/resources', { params: { query: { resourceId: 'vehicle-404' } }, body: resource });
      expect(unknown.response.status).toBe(404);
      expect(unknown.error).toMatchObject({ status: 404 });
    });

    it('updateResource without the required resourceId query parameter is a 400', async () => {
      // @ts-expect-error resourceId is a required query parameter, so the type checker rejects this call too
      const { error, response } = await client.PUT('/resources', { body: resource });
      expect(response.status).toBe(400);
      // Prism lower-cases the name ('resourceid'); the mock restores the spec's spelling.
      expect(error?.detail).toContain("required property 'resourceId'");
      expect(error?.errors).toHaveProperty('resourceId');
    });

    it('deleteResource: DELETE /resources?resourceId= answers 204 without a body, then it is gone', async () => {
      const own = freshClient();
      await own.POST('/resources', { body: resource });
      const { data, error, response } = await own.DELETE('/resources', { params: { query: { resourceId: 'vehicle-1' } } });
      expect(error).toBeUndefined();
      expect(response.status).toBe(204);
      expect(new URL(response.url).search).toBe('?resourceId=vehicle-1');
      expect(data).toBeUndefined();
      expect((await own.GET('/resources/{resourceId}', { params: { path: { resourceId: 'vehicle-1' } } })).response.status).toBe(404);
      const again = await own.DELETE('/resources', { params: { query: { resourceId: 'vehicle-1' } } });
      expect(again.response.status).toBe(404);
      expectValid('delete', '/resources', 404, again.error);
    });

    it('getResource: GET /resources/{resourceId} finds it by resourceId or by Spark\'s id', async () => {
      const own = freshClient();
      const created = await own.POST('/resources', { body: resource });
      const { data, response } = await own.GET('/resources/{resourceId}', {
        params: { path: { resourceId: 'vehicle-1' } },
      });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe('/energy-coordination/v1/resources/vehicle-1');
      expect(data).toEqual(created.data);
      expect(data?.metadata?.vin).toBe('YV1AB12C3D4567890');
      expectValid('get', '/resources/{resourceId}', 200, data);
      expect((await own.GET('/resources/{resourceId}', { params: { path: { resourceId: created.data!.id! } } })).data).toEqual(created.data);
      const unknown = await own.GET('/resources/{resourceId}', { params: { path: { resourceId: 'vehicle-404' } } });
      expect(unknown.response.status).toBe(404);
      expectValid('get', '/resources/{resourceId}', 404, unknown.error);
    });
  });

  describe('Subscriptions', () => {
    it('listSparkSubscriptions: GET /subscriptions answers the seeded sample', async () => {
      const { data, response } = await freshClient().GET('/subscriptions');
      expect(response.status).toBe(200);
      expect(data).toHaveLength(1);
      expect(data?.[0]).toMatchObject({ id: SEEDED_SUBSCRIPTION, operationTypes: ['Create', 'Update', 'Delete'] });
      expectValid('get', '/subscriptions', 200, data);
    });

    it('createSparkSubscription: POST /subscriptions answers what was sent plus a new id', async () => {
      const own = freshClient();
      const { data, error, response } = await own.POST('/subscriptions', { body: subscription });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data).toEqual({ ...subscription, id: expect.stringMatching(/^spark-\d+$/) });
      expectValid('post', '/subscriptions', 200, data);
      expect((await own.GET('/subscriptions')).data?.map((item) => item.id)).toEqual([SEEDED_SUBSCRIPTION, data?.id]);
    });

    it('getSparkSubscription: GET /subscriptions/{subscriptionId}', async () => {
      const own = freshClient();
      const created = await own.POST('/subscriptions', { body: subscription });
      const subscriptionId = created.data!.id!;
      const { data, response } = await own.GET('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId } },
      });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe(`/energy-coordination/v1/subscriptions/${subscriptionId}`);
      expect(data).toEqual(created.data);
      expect(data?.webhookUrl).toBe('https://partner.example/spark/webhook');
      const unknown = await own.GET('/subscriptions/{subscriptionId}', { params: { path: { subscriptionId: 'sub-1' } } });
      expect(unknown.response.status).toBe(404);
      expect(unknown.error).toMatchObject({ status: 404, title: 'Not Found' });
      expectValid('get', '/subscriptions/{subscriptionId}', 404, unknown.error);
    });

    it('updateSparkSubscription: PUT /subscriptions/{subscriptionId} replaces it', async () => {
      const own = freshClient();
      const subscriptionId = (await own.POST('/subscriptions', { body: subscription })).data!.id!;
      const { data, error, response } = await own.PUT('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId } },
        body: { id: subscriptionId, ...subscription, operationTypes: ['Delete'] },
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data).toEqual({ id: subscriptionId, ...subscription, operationTypes: ['Delete'] });
      expectValid('put', '/subscriptions/{subscriptionId}', 200, data);
      expect((await own.GET('/subscriptions/{subscriptionId}', { params: { path: { subscriptionId } } })).data).toEqual(data);
    });

    it('deleteSparkSubscription: DELETE /subscriptions/{subscriptionId} answers 204 without a body, then it is gone', async () => {
      const own = freshClient();
      const { data, error, response } = await own.DELETE('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId: SEEDED_SUBSCRIPTION } },
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(204);
      expect(pathOf(response)).toBe(`/energy-coordination/v1/subscriptions/${SEEDED_SUBSCRIPTION}`);
      expect(data).toBeUndefined();
      expect((await own.GET('/subscriptions')).data).toEqual([]);
      const again = await own.DELETE('/subscriptions/{subscriptionId}', { params: { path: { subscriptionId: SEEDED_SUBSCRIPTION } } });
      expect(again.response.status).toBe(404);
    });
  });

  describe('errors', () => {
    it('an unknown eventPayloadTypes value comes back as a typed problem+json 400 naming the field', async () => {
      const { data, error, response } = await client.POST('/subscriptions', {
        // @ts-expect-error 'Bogus' is not a SparkEventPayloadType, so the type checker rejects it too
        body: { ...subscription, eventPayloadTypes: ['Bogus'] },
      });
      expect(data).toBeUndefined();
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(error?.status).toBe(400);
      expect(error?.detail).toMatch(/eventPayloadTypes.*allowed values/);
      expect(Object.keys(error?.errors ?? {})).toEqual(['eventPayloadTypes.0']);
    });

    it('a request without a bearer token gets 401 in problem+json', async () => {
      const response = await fetch(`${mock.baseUrlFor(defaultBaseUrl)}/events`);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = await response.json();
      expect(body).toMatchObject({ title: 'Unauthorized', status: 401 });
      expect(body.detail).toMatch(/^Unauthorized/);
    });
  });
});
