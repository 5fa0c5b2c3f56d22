// The generated OpenADR 3 VTN client against the real (stateful) Prism mock of the bundled spec, the
// subscription notifications included.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, defaultBaseUrl, type components } from '../../generated/openadr3-vtn/client.ts';
import { validatorFor } from '../support/contract.ts';
import { vtnDocumentSubscription } from '../support/document-samples.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

// Deterministic VTN-assigned fields: ids vtn-1, vtn-2, ... and one instant.
const NOW = '2024-03-01T12:00:00.000Z';
let nextId = 0;
let mock: RunningMock;

beforeAll(async () => {
  mock = await startMock('openadr3-vtn', { ids: () => `vtn-${++nextId}`, clock: () => new Date(NOW) });
});
afterAll(() => mock.close());

/** A client on a tenant of its own (a token no other test uses), so every test starts from the seed. */
let tenants = 0;
function freshClient() {
  const token = `vtn-mock-test-${++tenants}`;
  return { token, client: createClient({ baseUrl: mock.baseUrlFor(defaultBaseUrl), auth: { token: async () => token } }) };
}

type Subscription = components['schemas']['Subscription'];

/** The subscription sample the vendor document prints for every operation, exactly as printed. */
const documentSample: Subscription = vtnDocumentSubscription;

/** A client-side subscription (no VTN-assigned fields), as a VEN would send it. */
const newSubscription: Subscription = {
  clientName: 'MY-VEN',
  programID: 'program-1',
  objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'https://myserver.com/send/callback/here' }],
};

/** What the VTN stores for newSubscription: the spec's defaults filled in at every depth (OpenADR 3.0.1). */
const withDefaults = (subscription: Subscription) => ({
  ...subscription,
  objectOperations: subscription.objectOperations.map((operation) => ({ bearerToken: null, ...operation })),
  targets: subscription.targets ?? null,
});

const expectValid = (method: string, path: string, status: number, body: unknown) => expect(answerErrors('openadr3-vtn', method, path, status, body)).toEqual([]);

describe('openadr3-vtn client against the mock', () => {
  it('reaches the mock at the production base path, /api/openadr/v1 included', () => {
    expect(mock.baseUrlFor(defaultBaseUrl)).toBe(`${mock.origin}/api/openadr/v1`);
  });

  it('searchVtnSubscriptions: GET /subscriptions with every filter answers what matches them', async () => {
    const { client } = freshClient();
    const matching = await client.POST('/subscriptions', {
      body: {
        clientName: 'MY-VEN',
        programID: 'program-7',
        objectOperations: [{ objects: ['PROGRAM'], operations: ['POST'], callbackUrl: 'https://myserver.com/send/callback/here' }],
        targets: [{ type: 'GROUP', values: ['group-2'] }],
      },
    });
    expect(matching.response.status).toBe(201);
    // The same but for one filter each: none of them may come back.
    const others: Subscription[] = [
      { ...matching.data!, clientName: 'OTHER-VEN' },
      { ...matching.data!, programID: 'program-8' },
      { ...matching.data!, targets: [{ type: 'PRICE', values: ['group-2'] }] },
      { ...matching.data!, targets: [{ type: 'GROUP', values: ['group-3'] }] },
      { ...matching.data!, objectOperations: [{ objects: ['REPORT' as const], operations: ['POST' as const], callbackUrl: 'https://myserver.com/send/callback/here' }] },
    ].map(({ id: _id, createdDateTime: _c, modificationDateTime: _m, objectType: _o, ...sent }) => sent);
    for (const body of others) expect((await client.POST('/subscriptions', { body })).response.status).toBe(201);

    const { data, error, response } = await client.GET('/subscriptions', {
      params: {
        query: {
          programID: 'program-7',
          clientName: 'MY-VEN',
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
    expect(data).toEqual([matching.data]);
    expectValid('get', '/subscriptions', 200, data);

    // Without filters: the seed, then the six created in order; skip and limit page through them.
    const all = await client.GET('/subscriptions');
    expect(all.data?.map((subscription) => subscription.id)).toEqual(['object-999', matching.data!.id, ...Array.from({ length: 5 }, (_, index) => expect.any(String))]);
    const page = await client.GET('/subscriptions', { params: { query: { skip: 2, limit: 3 } } });
    expect(page.data).toEqual(all.data!.slice(2, 5));
  });

  it('createVtnSubscription: POST /subscriptions answers 201 with what was sent plus the VTN-assigned fields', async () => {
    const { client } = freshClient();
    const { data, error, response } = await client.POST('/subscriptions', { body: newSubscription });
    expect(error).toBeUndefined();
    expect(response.status).toBe(201);
    expect(data).toEqual({
      ...withDefaults(newSubscription), // targets and each objectOperations item's bearerToken: the spec's default null
      id: expect.stringMatching(/^vtn-\d+$/),
      createdDateTime: NOW,
      modificationDateTime: NOW,
      objectType: 'SUBSCRIPTION',
    });
    expectValid('post', '/subscriptions', 201, data);
    // A second create gets another id; both are listed.
    const second = await client.POST('/subscriptions', { body: newSubscription });
    expect(second.data?.id).not.toBe(data?.id);
    const listed = await client.GET('/subscriptions', { params: { query: { clientName: 'MY-VEN' } } });
    expect(listed.data?.map((subscription) => subscription.id)).toEqual([data?.id, second.data?.id]);
  });

  it('getVtnSubscription: GET /subscriptions/{subscriptionID} answers the stored subscription', async () => {
    const { client } = freshClient();
    const { data, response } = await client.GET('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
    });
    expect(response.status).toBe(200);
    expect(new URL(response.url).pathname).toBe('/api/openadr/v1/subscriptions/object-999');
    expect(data).toEqual(documentSample);
    const created = await client.POST('/subscriptions', { body: newSubscription });
    const read = await client.GET('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: created.data!.id! } } });
    expect(read.data).toEqual(created.data);
  });

  it("an unknown subscriptionID answers the spec's 404 problem", async () => {
    const { client } = freshClient();
    const { data, error, response } = await client.GET('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'does-not-exist' } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({ title: 'Not Found', status: 404 });
    expect(error?.detail).toContain('does-not-exist');
    expectValid('get', '/subscriptions/{subscriptionID}', 404, error);
    for (const method of ['PUT', 'DELETE'] as const) {
      const answer =
        method === 'PUT'
          ? await client.PUT('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'does-not-exist' } }, body: newSubscription })
          : await client.DELETE('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'does-not-exist' } } });
      expect(answer.response.status).toBe(404);
      expect(answer.error).toMatchObject({ title: 'Not Found', status: 404 });
    }
  });

  it('updateVtnSubscription: PUT /subscriptions/{subscriptionID} with only the required fields replaces it', async () => {
    const { client } = freshClient();
    const { data, error, response } = await client.PUT('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
      body: newSubscription,
    });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    // What was sent, the id, creation time and objectType kept, a new modification time.
    expect(data).toEqual({
      ...withDefaults(newSubscription),
      id: 'object-999',
      createdDateTime: '2023-06-15T09:30:00Z',
      modificationDateTime: NOW,
      objectType: 'SUBSCRIPTION',
    });
    expectValid('put', '/subscriptions/{subscriptionID}', 200, data);
    const read = await client.GET('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'object-999' } } });
    expect(read.data).toEqual(data);
  });

  it('deleteVtnSubscription: DELETE /subscriptions/{subscriptionID} answers the deleted subscription, then it is gone', async () => {
    const { client } = freshClient();
    const { data, response } = await client.DELETE('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
    });
    expect(response.status).toBe(200);
    expect(data).toEqual(documentSample);
    expectValid('delete', '/subscriptions/{subscriptionID}', 200, data);
    expect((await client.GET('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'object-999' } } })).response.status).toBe(404);
    expect((await client.GET('/subscriptions')).data).toEqual([]);
    expect((await client.DELETE('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'object-999' } } })).response.status).toBe(404);
  });

  it('limit=51 comes back as a typed 400 problem naming limit', async () => {
    const { client } = freshClient();
    const { data, error, response } = await client.GET('/subscriptions', { params: { query: { limit: 51 } } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ title: 'Bad Request', status: 400 });
    expect(error?.detail).toMatch(/limit.*50/);
  });

  it('a body without clientName comes back as a typed 400 problem naming the field, and nothing is stored', async () => {
    const { client } = freshClient();
    const { clientName: _omitted, ...withoutClientName } = newSubscription;
    // @ts-expect-error clientName is required by the spec, so the type checker rejects this body too
    const { data, error, response } = await client.POST('/subscriptions', { body: withoutClientName });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error?.status).toBe(400);
    expect(error?.detail).toContain("required property 'clientName'");
    expect((await client.GET('/subscriptions')).data).toEqual([documentSample]);
  });

  it('a programID with a space is rejected with the pattern named, and the subscription is unchanged', async () => {
    const { client } = freshClient();
    const { error, response } = await client.PUT('/subscriptions/{subscriptionID}', {
      params: { path: { subscriptionID: 'object-999' } },
      body: { ...newSubscription, programID: 'object 999' },
    });
    expect(response.status).toBe(400);
    expect(error?.detail).toMatch(/programID.*pattern/);
    expect((await client.GET('/subscriptions/{subscriptionID}', { params: { path: { subscriptionID: 'object-999' } } })).data).toEqual(documentSample);
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
    // The document's token is everyone's: put its tenant back to the seed before each request.
    beforeEach(async () => {
      expect((await fetch(`${mock.origin}/_sandbox/reset`, { method: 'POST', headers })).status).toBe(200);
    });

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
      // The document's subscription, with the id and times the VTN assigns (the ones sent are not kept).
      const created = await response.json();
      expect(created).toEqual({ ...documentSample, id: expect.stringMatching(/^vtn-\d+$/), createdDateTime: NOW, modificationDateTime: NOW });
      const listed = await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, { headers });
      expect(await listed.json()).toEqual([documentSample, created]);
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
      expect(await response.json()).toEqual({ ...documentSample, modificationDateTime: NOW });
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
    let subscriber: ReturnType<typeof freshClient>;

    beforeAll(async () => {
      subscriber = freshClient();
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

    const deliveryLog = async (token: string) =>
      (await (await fetch(`${mock.origin}/_sandbox/deliveries`, { headers: { Authorization: `Bearer ${token}` } })).json()) as unknown[];

    it('a subscriber of SUBSCRIPTION/POST gets a Notification of the created subscription, with its bearerToken', async () => {
      const delivered = nextDelivery(10_000);
      const { data, response } = await subscriber.client.POST('/subscriptions', {
        body: {
          ...newSubscription,
          objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['POST'], callbackUrl, bearerToken: 'callback-token' }],
        },
      });
      expect(response.status).toBe(201);
      expect(data?.id).toMatch(/^vtn-\d+$/);

      const delivery = await delivered;
      expect(deliveries).toHaveLength(1);
      expect(delivery.method).toBe('POST');
      expect(delivery.url).toBe('/send/callback/here');
      expect(delivery.headers['content-type']).toMatch(/^application\/json/);
      expect(delivery.headers.authorization).toBe('Bearer callback-token');
      const notification: components['schemas']['Notification'] = JSON.parse(delivery.body);
      const validate = validatorFor('openadr3-vtn', '#/components/schemas/Notification');
      expect(validate(notification), JSON.stringify(validate.errors)).toBe(true);
      expect(notification.objectType).toBe('SUBSCRIPTION');
      expect(notification.operation).toBe('POST');
      expect(notification.object).toEqual(data);
      expect(await deliveryLog(subscriber.token)).toHaveLength(1);
    });

    it('a rejected create (invalid body, no credentials, a Prefer: code= answer) sends nothing', async () => {
      const before = deliveries.length;
      const logged = (await deliveryLog(subscriber.token)).length;
      const body = { ...newSubscription, objectOperations: [{ objects: ['SUBSCRIPTION'], operations: ['POST'], callbackUrl }] } as Subscription;
      const { clientName: _omitted, ...invalid } = body;
      // @ts-expect-error clientName is required by the spec
      expect((await subscriber.client.POST('/subscriptions', { body: invalid })).response.status).toBe(400);
      const anonymous = await fetch(`${mock.baseUrlFor(defaultBaseUrl)}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(anonymous.status).toBe(401);
      for (const code of ['201', '400', '409']) {
        const fixed = await subscriber.client.POST('/subscriptions', { body, headers: { Prefer: `code=${code}` } });
        expect(fixed.response.status).toBe(Number(code));
      }
      // The log is written when a delivery starts; wait a little for any stray request to reach the receiver too.
      expect(await deliveryLog(subscriber.token)).toHaveLength(logged);
      await new Promise((wait) => setTimeout(wait, 300));
      expect(deliveries).toHaveLength(before);
      // Nor was anything stored: the seed and the one subscriber.
      expect((await subscriber.client.GET('/subscriptions')).data?.map((subscription) => subscription.id)).toEqual(['object-999', expect.stringMatching(/^vtn-\d+$/)]);
    });
  });
});
