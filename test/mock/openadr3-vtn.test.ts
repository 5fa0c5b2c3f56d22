// The generated OpenADR 3 VTN client against the real Prism mock of the bundled spec, the callback included.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl, type components } from '../../generated/openadr3-vtn/client.ts';
import { validatorFor } from '../support/contract.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

let mock: RunningMock;
let client: ReturnType<typeof createClient>;

beforeAll(async () => {
  mock = await startMock('openadr3-vtn');
  client = createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => 'test-jwt' } });
});
afterAll(() => mock.close());

type Subscription = components['schemas']['Subscription'];

/** The subscription sample the vendor document prints for every operation, exactly as printed. */
const documentSample: Subscription = {
  id: 'object-999',
  createdDateTime: '2023-06-15T09:30:00Z',
  modificationDateTime: '2023-06-15T09:30:00Z',
  objectType: 'SUBSCRIPTION',
  clientName: 'VEN-999',
  programID: 'object-999',
  objectOperations: [
    {
      objects: ['EVENT'],
      operations: ['POST'],
      callbackUrl: 'https://myserver.com/send/callback/here',
      bearerToken: 'NCEJGI9E8ER9802UT9HUG',
    },
  ],
  targets: [{ type: 'PRICE', values: [0.17] }],
};

/** A client-side subscription (no VTN-assigned fields), as a VEN would send it. */
const newSubscription: Subscription = {
  clientName: 'VEN-999',
  programID: 'object-999',
  objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://myserver.com/send/callback/here' }],
};

describe('openadr3-vtn client against the mock', () => {
  it('reaches the mock at the production base path, /api/openadr/v1 included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/api/openadr/v1`);
  });

  it('searchVtnSubscriptions: GET /subscriptions with every filter answers the document list', async () => {
    const { data, error, response } = await client.GET('/subscriptions', {
      params: {
        query: {
          programID: 'object-999',
          clientName: 'VEN-999',
          targetType: 'GROUP',
          targetValues: ['group-1', 'group-2'],
          objects: ['EVENT', 'PROGRAM'],
          skip: 0,
          limit: 50,
        },
      },
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    const url = new URL(response.url);
    expect(url.pathname).toBe('/api/openadr/v1/subscriptions');
    expect(url.searchParams.getAll('targetValues')).toEqual(['group-1', 'group-2']);
    expect(url.searchParams.getAll('objects')).toEqual(['EVENT', 'PROGRAM']);
    expect(data).toHaveLength(1);
    expect(data?.[0]?.id).toBe('object-999');
    expect(data?.[0]?.objectOperations[0]?.callbackUrl).toBe('https://myserver.com/send/callback/here');
    expect(data?.[0]?.targets?.[0]?.values).toEqual([0.17]);
  });

  it('createVtnSubscription: POST /subscriptions answers 201 with the subscription', async () => {
    // The callback goes to a closed loopback port (discard), not to the document's public myserver.com host.
    const objectOperations = [{ ...documentSample.objectOperations[0]!, callbackUrl: 'http://127.0.0.1:9/send/callback/here' }];
    const { data, error, response } = await client.POST('/subscriptions', { body: { ...documentSample, objectOperations } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data).toEqual(documentSample);
  });

  it('getVtnSubscription: GET /subscriptions/{subscriptionID}', async () => {
    const { data, response } = await client.GET('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
    });
    expect(response.status).toBe(200);
    expect(new URL(response.url).pathname).toBe('/api/openadr/v1/subscriptions/object-999');
    expect(data?.objectType).toBe('SUBSCRIPTION');
    expect(data?.clientName).toBe('VEN-999');
  });

  it('updateVtnSubscription: PUT /subscriptions/{subscriptionID} with only the required fields', async () => {
    const { data, error, response } = await client.PUT('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
      body: newSubscription,
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data?.programID).toBe('object-999');
    expect(data?.modificationDateTime).toBe('2023-06-15T09:30:00Z');
  });

  it('deleteVtnSubscription: DELETE /subscriptions/{subscriptionID} answers the deleted subscription', async () => {
    const { data, response } = await client.DELETE('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
    });
    expect(response.status).toBe(200);
    expect(data).toEqual(documentSample);
  });

  it('limit=51 comes back as a typed 400 problem naming limit', async () => {
    const { data, error, response } = await client.GET('/subscriptions', { params: { query: { limit: 51 } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ title: 'Bad Request', status: 400 });
    expect(error?.detail).toMatch(/limit.*50/);
  });

  it('a body without clientName comes back as a typed 400 problem naming the field', async () => {
    const { clientName: _omitted, ...withoutClientName } = newSubscription;
    // @ts-expect-error clientName is required by the spec, so the type checker rejects this body too
    const { data, error, response } = await client.POST('/subscriptions', { body: withoutClientName });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error?.status).toBe(400);
    expect(error?.detail).toContain("required property 'clientName'");
  });

  it('a programID with a space is rejected with the pattern named', async () => {
    const { error, response } = await client.PUT('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
      body: { ...newSubscription, programID: 'object 999' },
    });
    expect(response.status).toBe(400);
    expect(error?.detail).toMatch(/programID.*pattern/);
  });

  it('a request without a bearer token gets 401 in the problem body', async () => {
    const response = await fetch(`${mock.baseUrlFor(defaultBaseUrl)}/subscriptions`);
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body).toMatchObject({ title: 'Unauthorized', status: 401 });
    expect(body.detail).toMatch(/^Unauthorized/);
  });

  describe("the document's sample requests, with only the origin swapped", () => {
    const headers = { Authorization: 'Bearer JWT', Accept: '*/*' };

    it('GET /api/openadr/v1/subscriptions', async () => {
      const response = await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([documentSample]);
    });

    it('POST /api/openadr/v1/subscriptions', async () => {
      const response = await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(documentSample),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toEqual(documentSample);
    });

    it('GET /api/openadr/v1/subscriptions/{subscriptionID}', async () => {
      const response = await fetch(`${mock.origin}/api/openadr/v1/subscriptions/object-999`, { headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(documentSample);
    });

    it('PUT /api/openadr/v1/subscriptions/{subscriptionID}', async () => {
      const response = await fetch(`${mock.origin}/api/openadr/v1/subscriptions/object-999`, {
        method: 'PUT',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(documentSample),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(documentSample);
    });

    it('DELETE /api/openadr/v1/subscriptions/{subscriptionID}', async () => {
      const response = await fetch(`${mock.origin}/api/openadr/v1/subscriptions/object-999`, { method: 'DELETE', headers });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(documentSample);
    });
  });

  describe('the subscriptionNotification callback', () => {
    interface Delivery {
      method: string | undefined;
      url: string | undefined;
      headers: IncomingHttpHeaders;
      body: string;
    }
    let receiver: Server;
    let callbackUrl: string;
    const deliveries: Delivery[] = [];
    const waiters: ((delivery: Delivery) => void)[] = [];

    beforeAll(async () => {
      receiver = createServer((request, reply) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const delivery = { method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
          deliveries.push(delivery);
          waiters.splice(0).forEach((resolveWaiter) => resolveWaiter(delivery));
          reply.writeHead(200).end();
        });
      });
      await new Promise<void>((resolveListen) => receiver.listen(0, '127.0.0.1', resolveListen));
      callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/send/callback/here`;
    });
    afterAll(
      () =>
        new Promise<void>((resolveClose) => {
          receiver.closeAllConnections();
          receiver.close(() => resolveClose());
        }),
    );

    function nextDelivery(timeoutMs: number): Promise<Delivery> {
      return new Promise((resolveDelivery, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification at ${callbackUrl} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((delivery) => {
          clearTimeout(timer);
          resolveDelivery(delivery);
        });
      });
    }

    it('Prism POSTs a Notification to objectOperations[0].callbackUrl after answering the create', async () => {
      const delivered = nextDelivery(10_000);
      const { data, response } = await client.POST('/subscriptions', {
        body: {
          ...newSubscription,
          objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['POST'], callbackUrl, bearerToken: 'callback-token' }],
        },
      });
      expect(response.status).toBe(201);
      expect(data?.id).toBe('object-999');

      const delivery = await delivered;
      expect(deliveries).toHaveLength(1);
      expect(delivery.method).toBe('POST');
      expect(delivery.url).toBe('/send/callback/here');
      expect(delivery.headers['content-type']).toMatch(/^application\/json/);
      const notification: components['schemas']['Notification'] = JSON.parse(delivery.body);
      const validate = validatorFor('openadr3-vtn', '#/components/schemas/Notification');
      expect(validate(notification), JSON.stringify(validate.errors)).toBe(true);
      expect(notification.objectType).toBe('SUBSCRIPTION');
      expect(notification.operation).toBe('POST');
      expect(notification.object.objectType).toBe('SUBSCRIPTION');
    });
  });
});
