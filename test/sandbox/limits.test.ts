// Limits of a shared sandbox: no tenant stores without bound (items per collection; past the limit a 409 in the
// vendor's envelope naming it, nothing stored), the store keeps a bounded number of tenants and lets idle ones
// expire, and GET /_sandbox/health answers load balancers without credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxStore, DEFAULT_MAX_ITEMS, type TenantState } from '../../mocks/sandbox/store.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

type Json = Record<string, any>;

let vtn: RunningMock;
let spark: RunningMock;
let vtnDefault: RunningMock;
let vtnFewTenants: RunningMock;
beforeAll(async () => {
  [vtn, spark, vtnDefault, vtnFewTenants] = await Promise.all([
    startMock('openadr3-vtn', { maxItems: 3 }),
    startMock('energy-coordination', { maxItems: 2 }),
    startMock('openadr3-vtn'),
    startMock('openadr3-vtn', { maxTenants: 2 }),
  ]);
});
afterAll(() => Promise.all([vtn, spark, vtnDefault, vtnFewTenants].map((mock) => mock.close())));

async function call(mock: RunningMock, token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; type: string | null; body: any }> {
  const response = await fetch(mock.origin + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}

const SUBSCRIPTIONS = '/api/openadr/v1/subscriptions';
const subscription = (name: string) => ({ clientName: name, programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] });

describe('items per collection per tenant', () => {
  it('a create past the limit is a 409 in the vendor envelope naming the limit, and nothing is stored; another tenant and a delete make room', async () => {
    // The seed holds one subscription (object-999): two more reach the limit of 3.
    for (const name of ['A', 'B']) expect((await call(vtn, 'full-team', 'POST', SUBSCRIPTIONS, subscription(name))).status).toBe(201);
    const refused = await call(vtn, 'full-team', 'POST', SUBSCRIPTIONS, subscription('C'));
    expect(refused.status).toBe(409);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ status: 409, title: 'Conflict' });
    expect(refused.body.detail).toContain('subscriptions: at most 3 items per tenant');
    const listed = (await call(vtn, 'full-team', 'GET', SUBSCRIPTIONS)).body as Json[];
    expect(listed.map((item) => item.clientName)).not.toContain('C');
    expect(listed).toHaveLength(3);

    expect((await call(vtn, 'roomy-team', 'POST', SUBSCRIPTIONS, subscription('C'))).status).toBe(201);
    expect((await call(vtn, 'full-team', 'DELETE', `${SUBSCRIPTIONS}/object-999`)).status).toBe(200);
    expect((await call(vtn, 'full-team', 'POST', SUBSCRIPTIONS, subscription('C'))).status).toBe(201);
  });

  it('PUT /_sandbox/state over the limit is a 409 naming it, and the state stays as it was', async () => {
    const before = (await call(vtn, 'put-team', 'GET', '/_sandbox/state')).body;
    const tooMany = { subscriptions: ['1', '2', '3', '4'].map((id) => ({ ...subscription(id), id, objectType: 'SUBSCRIPTION' })) };
    const refused = await call(vtn, 'put-team', 'PUT', '/_sandbox/state', tooMany);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/subscriptions: at most 3 items per tenant/);
    expect((await call(vtn, 'put-team', 'GET', '/_sandbox/state')).body).toEqual(before);
  });

  it('a vendor event past the limit (a Spark eventCreated adds an event) is a 409 naming it, and the event is not added', async () => {
    expect((await call(spark, 'event-team', 'PUT', '/_sandbox/state', {})).status).toBe(200);
    const emit = (id: string) => call(spark, 'event-team', 'POST', '/_sandbox/events', { webhook: 'eventCreated', payload: { event: { id } } });
    expect((await emit('e-1')).status).toBe(200);
    expect((await emit('e-2')).status).toBe(200);
    const refused = await emit('e-3');
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/events: at most 2 items per tenant/);
    const events = (await call(spark, 'event-team', 'GET', '/_sandbox/state')).body.events as Json[];
    expect(events.map((event) => event.id)).toEqual(['e-1', 'e-2']);
  });

  it(`the default limit is ${DEFAULT_MAX_ITEMS} items`, async () => {
    const items = (count: number) => ({ subscriptions: Array.from({ length: count }, (_, index) => ({ ...subscription(`s-${index}`), id: `s-${index}`, objectType: 'SUBSCRIPTION' })) });
    const over = await call(vtnDefault, 'bulk-team', 'PUT', '/_sandbox/state', items(DEFAULT_MAX_ITEMS + 1));
    expect(over.status).toBe(409);
    expect(over.body.detail).toContain(`at most ${DEFAULT_MAX_ITEMS} items`);
    expect((await call(vtnDefault, 'bulk-team', 'PUT', '/_sandbox/state', items(DEFAULT_MAX_ITEMS))).status).toBe(200);
    const refused = await call(vtnDefault, 'bulk-team', 'POST', SUBSCRIPTIONS, subscription('one more'));
    expect(refused.status).toBe(409);
    expect((await call(vtnDefault, 'bulk-team', 'GET', `${SUBSCRIPTIONS}?limit=1&skip=${DEFAULT_MAX_ITEMS - 1}`)).body.map((item: Json) => item.id)).toEqual([`s-${DEFAULT_MAX_ITEMS - 1}`]);
  });
});

describe('tenants', () => {
  it('past the tenant limit the least recently seen tenant is dropped (it starts again from the seed), the others are kept', async () => {
    const names = async (token: string) => ((await call(vtnFewTenants, token, 'GET', SUBSCRIPTIONS)).body as Json[]).map((item) => item.clientName);
    expect((await call(vtnFewTenants, 'first', 'POST', SUBSCRIPTIONS, subscription('first-kept'))).status).toBe(201);
    expect((await call(vtnFewTenants, 'second', 'POST', SUBSCRIPTIONS, subscription('second-kept'))).status).toBe(201);
    // Reading `second` makes `first` the least recently seen.
    expect(await names('second')).toContain('second-kept');
    expect((await call(vtnFewTenants, 'third', 'POST', SUBSCRIPTIONS, subscription('third-kept'))).status).toBe(201);
    expect(await names('first')).not.toContain('first-kept');
    expect(await names('second')).toContain('second-kept');
    expect(await names('third')).toContain('third-kept');
  });

  it('requests under ever-new tokens keep at most the tenant limit of request journals', async () => {
    const journal = async (token: string) => ((await call(vtnFewTenants, token, 'GET', '/_sandbox/requests')).body as { path: string }[]).map((entry) => entry.path);
    for (const token of ['reader-1', 'reader-2']) expect((await call(vtnFewTenants, token, 'GET', SUBSCRIPTIONS)).status).toBe(200);
    expect(await journal('reader-1')).toEqual([SUBSCRIPTIONS]);
    // A third reader: the journal of the least recent sender (reader-1) goes.
    expect((await call(vtnFewTenants, 'reader-3', 'GET', SUBSCRIPTIONS)).status).toBe(200);
    expect(await journal('reader-1')).toEqual([]);
    expect(await journal('reader-2')).toEqual([SUBSCRIPTIONS]);
    expect(await journal('reader-3')).toEqual([SUBSCRIPTIONS]);
  });

  it('a tenant not seen for the idle time expires; one seen within it stays', () => {
    let now = 1_000_000;
    const seed = (): TenantState => ({ things: [] });
    const store = new SandboxStore(seed, { tenantIdleMs: 60_000, now: () => now });
    const dropped: string[] = [];
    store.onDrop((tenant) => dropped.push(tenant));
    store.add('idle', 'things', { item: { id: 'a' } });
    store.add('busy', 'things', { item: { id: 'b' } });
    now += 40_000;
    store.peek('busy');
    now += 30_000;
    // 70 s since `idle` was seen, 30 s since `busy`.
    store.peek('someone-new');
    expect(dropped).toEqual(['idle']);
    expect(Object.keys(store.snapshot())).toEqual(['busy']);
    expect(store.peek('idle').things).toEqual([]);
    expect(store.tenant('busy').things).toEqual([{ item: { id: 'b' } }]);
  });
});

describe('GET /_sandbox/health', () => {
  it('answers 200 without credentials while the mock and its store are usable', async () => {
    const health = await call(vtn, undefined, 'GET', '/_sandbox/health');
    expect(health).toEqual({ status: 200, type: 'application/json', body: { status: 'ok' } });
    expect((await call(vtn, undefined, 'POST', '/_sandbox/health')).status).toBe(405);
  });
});
