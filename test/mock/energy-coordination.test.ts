// The generated Volue Spark Energy Coordination client against the real Prism mock of the bundled spec.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl, type components } from '../../generated/energy-coordination/client.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  mock = await startMock('energy-coordination');
  client = createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => 'test-token' } });
});
afterAll(() => mock.close());

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

    it('getEvent: GET /events/{eventId}', async () => {
      const { data, response } = await client.GET('/events/{eventId}', { params: { path: { eventId: 'event-1' } } });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe('/energy-coordination/v1/events/event-1');
      expect(data?.payload?.payloadType).toBe('CurrentLevel');
      expect(data?.createdDateTime).toBe('2019-08-24T14:15:22Z');
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
      expect(data?.programId).toBe('string');
      expect(data?.modificationDateTime).toBe('2019-08-24T14:15:22Z');
    });
  });

  describe('Resources', () => {
    it('listResources: GET /resources', async () => {
      const { data, response } = await client.GET('/resources');
      expect(response.status).toBe(200);
      expect(data?.[0]?.metadata?.resourceType).toBe('Unknown');
    });

    it('createResource: POST /resources', async () => {
      const { data, error, response } = await client.POST('/resources', { body: resource });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data?.id).toBe('string');
      expect(data?.metadata?.year).toBe(0);
    });

    it('updateResource: PUT /resources?resourceId=', async () => {
      const { data, error, response } = await client.PUT('/resources', {
        params: { query: { resourceId: 'vehicle-1' } },
        body: resource,
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      const url = new URL(response.url);
      expect(url.pathname).toBe('/energy-coordination/v1/resources');
      expect(url.searchParams.get('resourceId')).toBe('vehicle-1');
      expect(data?.resourceId).toBe('string');
    });

    it('updateResource without the required resourceId query parameter is a 400', async () => {
      // @ts-expect-error resourceId is a required query parameter, so the type checker rejects this call too
      const { error, response } = await client.PUT('/resources', { body: resource });
      expect(response.status).toBe(400);
      // Prism lower-cases the name ('resourceid'); the mock restores the spec's spelling.
      expect(error?.detail).toContain("required property 'resourceId'");
      expect(error?.errors).toHaveProperty('resourceId');
    });

    it('deleteResource: DELETE /resources?resourceId= answers 204 without a body', async () => {
      const { data, error, response } = await client.DELETE('/resources', { params: { query: { resourceId: 'vehicle-1' } } });
      expect(error).toBeUndefined();
      expect(response.status).toBe(204);
      expect(new URL(response.url).search).toBe('?resourceId=vehicle-1');
      expect(data).toBeUndefined();
    });

    it('getResource: GET /resources/{resourceId}', async () => {
      const { data, response } = await client.GET('/resources/{resourceId}', {
        params: { path: { resourceId: 'vehicle-1' } },
      });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe('/energy-coordination/v1/resources/vehicle-1');
      expect(data?.metadata?.vin).toBe('string');
    });
  });

  describe('Subscriptions', () => {
    it('listSparkSubscriptions: GET /subscriptions', async () => {
      const { data, response } = await client.GET('/subscriptions');
      expect(response.status).toBe(200);
      expect(data?.[0]?.operationTypes).toEqual(['Create']);
    });

    it('createSparkSubscription: POST /subscriptions', async () => {
      const { data, error, response } = await client.POST('/subscriptions', { body: subscription });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data?.id).toBe('string');
      expect(data?.eventPayloadTypes).toEqual(['Unknown']);
    });

    it('getSparkSubscription: GET /subscriptions/{subscriptionId}', async () => {
      const { data, response } = await client.GET('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId: 'sub-1' } },
      });
      expect(response.status).toBe(200);
      expect(pathOf(response)).toBe('/energy-coordination/v1/subscriptions/sub-1');
      expect(data?.webhookUrl).toBe('string');
    });

    it('updateSparkSubscription: PUT /subscriptions/{subscriptionId}', async () => {
      const { data, error, response } = await client.PUT('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId: 'sub-1' } },
        body: { id: 'sub-1', ...subscription, operationTypes: ['Delete'] },
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(200);
      expect(data?.webhookSecret).toBe('string');
    });

    it('deleteSparkSubscription: DELETE /subscriptions/{subscriptionId} answers 204 without a body', async () => {
      const { data, error, response } = await client.DELETE('/subscriptions/{subscriptionId}', {
        params: { path: { subscriptionId: 'sub-1' } },
      });
      expect(error).toBeUndefined();
      expect(response.status).toBe(204);
      expect(pathOf(response)).toBe('/energy-coordination/v1/subscriptions/sub-1');
      expect(data).toBeUndefined();
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
