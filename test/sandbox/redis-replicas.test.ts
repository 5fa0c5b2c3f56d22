// Two replicas on one Redis are one sandbox: two child processes (test/support/redis-child.ts: the sandbox's start
// function with `store: 'redis://…'`), each on its own ports, on a real redis-server of this file's own
// (test/support/redis-server.ts). What one accepts the other reads at once; concurrent creates across both never
// collide; the control API answers the same from both; a delivery being retried by a replica killed with SIGKILL
// is finished by the other, once; tenant keys expire; health answers 503 while Redis is away.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killStarted, startChildServer } from '../support/child-server.ts';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { openRedisStore, tenantKey } from '../../mocks/sandbox/redis-store.ts';
import { JOURNAL_LIMIT } from '../../mocks/sandbox/journal.ts';
import { DELIVERY_LOG_LIMIT } from '../../mocks/sandbox/deliveries.ts';
import { startMock } from '../support/mock.ts';
import { startSandbox } from '../../mocks/start-sandbox.ts';
import { UsageError } from '../../mocks/catalogue.ts';
import { repositoryCatalogue } from '../../scripts/lib/sandbox-catalogue.ts';
import { freePort, startRedis, type RunningRedis } from '../support/redis-server.ts';

const VTN = 'openadr3-vtn';
const SPARK = 'energy-coordination';
// Short on purpose: retries within a second, tenants idle for 2.5 s expire, a claimed attempt is another
// replica's to make 1.5 s after a replica died making it.
const RETRY_DELAYS_MS = [300, 300, 300, 300];
const TENANT_IDLE_MS = 2500;
const DELIVERY_LEASE_MS = 1500;

interface Replica {
  child: ChildProcess;
  urls: Record<string, string>;
  stderr: () => string;
}

const children: ChildProcess[] = [];
let redis: RunningRedis;
let client: Redis;
let a: Replica;
let b: Replica;
/** A third replica, killed in the middle of an attempt. */
let c: Replica;

async function startReplica(url: string): Promise<Replica> {
  const options = JSON.stringify({ retryDelaysMs: RETRY_DELAYS_MS, tenantIdleMs: TENANT_IDLE_MS, deliveryLeaseMs: DELIVERY_LEASE_MS });
  const started = await startChildServer<{ urls: Replica['urls'] }>(join(projectRoot, 'test/support/redis-child.ts'), [`${VTN},${SPARK}`, url, options], children, {}, 60_000);
  return { child: started.child, urls: started.ready.urls, stderr: started.stderr };
}

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 });
  client.on('error', () => undefined);
  await client.connect();
  [a, b, c] = await Promise.all([startReplica(redis.url), startReplica(redis.url), startReplica(redis.url)]);
}, 120_000);

afterAll(async () => {
  // Only the processes this file started, by their own handles.
  killStarted(children);
  client?.disconnect();
  await redis?.close();
});

const request = (token: string, method = 'GET', body?: unknown): RequestInit => ({
  method,
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

async function json(url: string, init: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const subscription = (name: string) => ({ clientName: name, programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] });
const vtn = (replica: Replica, path: string) => `${replica.urls[VTN]}/api/openadr/v1${path}`;

/** Polls until `read` gives what `done` accepts (what replicas record after an answer lands within milliseconds). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((wait) => setTimeout(wait, 50));
  }
}

describe('two replicas on one Redis', () => {
  it('what one accepts the other reads at once; 20 concurrent creates on each: 40 distinct ids, all listed by both', async () => {
    const created = await json(vtn(a, '/subscriptions'), request('team-one', 'POST', subscription('first')));
    expect(created.status).toBe(201);
    const read = await json(vtn(b, `/subscriptions/${created.body.id}`), request('team-one'));
    expect(read).toMatchObject({ status: 200, body: { id: created.body.id, clientName: 'first' } });

    const creates = await Promise.all(
      Array.from({ length: 40 }, (_, index) => json(vtn(index % 2 ? b : a, '/subscriptions'), request('team-many', 'POST', subscription(`c-${index}`)))),
    );
    expect(creates.map((answer) => answer.status)).toEqual(Array(40).fill(201));
    const ids = creates.map((answer) => answer.body.id as string);
    expect(new Set(ids).size).toBe(40);
    for (const replica of [a, b]) {
      // The VTN answers at most 50 per page.
      const pages = await Promise.all([0, 50].map((skip) => json(vtn(replica, `/subscriptions?skip=${skip}&limit=50`), request('team-many'))));
      const listedIds = pages.flatMap((page) => (page.body as { id: string }[]).map((item) => item.id));
      expect(listedIds.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
      expect(new Set(listedIds).size, 'no item stored twice').toBe(listedIds.length);
    }
  });

  it('an update and a delete on one are what the other answers next', async () => {
    const created = await json(vtn(a, '/subscriptions'), request('team-edit', 'POST', subscription('before')));
    const updated = await json(vtn(b, `/subscriptions/${created.body.id}`), request('team-edit', 'PUT', { ...subscription('after') }));
    expect(updated).toMatchObject({ status: 200, body: { clientName: 'after' } });
    expect(await json(vtn(a, `/subscriptions/${created.body.id}`), request('team-edit'))).toMatchObject({ status: 200, body: { clientName: 'after' } });
    expect((await json(vtn(a, `/subscriptions/${created.body.id}`), request('team-edit', 'DELETE'))).status).toBe(200);
    expect((await json(vtn(b, `/subscriptions/${created.body.id}`), request('team-edit'))).status).toBe(404);
  });

  it('reset, state, events, deliveries and requests answer the same from both', async () => {
    const received: string[] = [];
    const receiver = createServer((incoming, reply) => {
      incoming.resume();
      incoming.on('end', () => (received.push(incoming.url ?? ''), reply.writeHead(204).end()));
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const token = 'team-control';
    const spark = (replica: Replica, path: string) => `${replica.urls[SPARK]}${path}`;
    try {
      // Without the seeded subscriber (it names a public host).
      expect((await json(spark(a, '/_sandbox/state'), request(token, 'PUT', { subscriptions: [] }))).status).toBe(200);
      const subscribed = await json(spark(a, '/energy-coordination/v1/subscriptions'), request(token, 'POST', { webhookUrl: `${receiverOrigin}/hook`, webhookSecret: 'k', operationTypes: ['Create'], eventPayloadTypes: ['PowerLevel'] }));
      expect(subscribed.status).toBe(200);
      const emitted = await json(spark(b, '/_sandbox/events'), request(token, 'POST', { webhook: 'eventCreated', payload: { payloadType: 'PowerLevel' } }));
      expect(emitted.status).toBe(200);
      expect(emitted.body).toEqual([expect.objectContaining({ status: 204, attempts: 1 })]);
      expect(received).toEqual(['/hook']);

      const stateA = await json(spark(a, '/_sandbox/state'), request(token));
      expect(stateA.status).toBe(200);
      expect(await json(spark(b, '/_sandbox/state'), request(token))).toEqual(stateA);
      const deliveriesA = await json(spark(a, '/_sandbox/deliveries'), request(token));
      expect(deliveriesA.body).toEqual([expect.objectContaining({ url: `${receiverOrigin}/hook`, state: 'delivered' })]);
      expect(await json(spark(b, '/_sandbox/deliveries'), request(token))).toEqual(deliveriesA);
      const redelivered = await json(spark(a, `/_sandbox/deliveries/${deliveriesA.body[0].id}/redeliver`), request(token, 'POST'));
      expect(redelivered).toMatchObject({ status: 200, body: { status: 204 } });
      expect((await json(spark(b, '/_sandbox/deliveries'), request(token))).body.map((record: { redeliveryOf?: string }) => record.redeliveryOf)).toEqual([deliveriesA.body[0].id, undefined]);

      // The journal is written just after each answer: both replicas list the same two requests, newest first.
      const requestsA = await eventually(() => json(spark(a, '/_sandbox/requests'), request(token)), (answer) => answer.body.length === 1);
      expect(requestsA.body.map((entry: { method: string; path: string }) => `${entry.method} ${entry.path}`)).toEqual(['POST /energy-coordination/v1/subscriptions']);
      expect(await json(spark(b, '/_sandbox/requests'), request(token))).toEqual(requestsA);

      const replaced = await json(spark(b, '/_sandbox/state'), request(token, 'PUT', { ...stateA.body, subscriptions: [] }));
      expect(replaced.status).toBe(200);
      expect((await json(spark(a, '/_sandbox/state'), request(token))).body.subscriptions).toEqual([]);

      const reset = await json(spark(a, '/_sandbox/reset'), request(token, 'POST'));
      expect(reset.status).toBe(200);
      expect(await json(spark(b, '/_sandbox/state'), request(token))).toEqual(reset);
      expect((await json(spark(b, '/_sandbox/deliveries'), request(token))).body).toEqual([]);
      expect((await json(spark(b, '/_sandbox/requests'), request(token))).body).toEqual([]);
    } finally {
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
    }
  });

  it("a tenant's keys expire after tenantIdleMs without requests, and each request sets the clock back", async () => {
    const created = await json(vtn(a, '/subscriptions'), request('team-idle', 'POST', subscription('idle')));
    const prefix = tenantKey(VTN, 'bearer:team-idle');
    const pttl = await client.pttl(`${prefix}:c:subscriptions`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(TENANT_IDLE_MS);
    await new Promise((wait) => setTimeout(wait, 1000));
    expect((await json(vtn(b, `/subscriptions/${created.body.id}`), request('team-idle'))).status).toBe(200);
    expect(await client.pttl(`${prefix}:v`), 'refreshed by the read').toBeGreaterThan(TENANT_IDLE_MS - 800);
    const gone = await eventually(() => client.exists(`${prefix}:v`, `${prefix}:c:subscriptions`, `${prefix}:req`), (count) => count === 0, TENANT_IDLE_MS + 2000);
    expect(gone).toBe(0);
    expect((await json(vtn(a, `/subscriptions/${created.body.id}`), request('team-idle'))).status).toBe(404);
  });

  it('a replica killed with SIGKILL in the middle of an attempt: its lease expires and another replica makes the attempt, once', async () => {
    const received: { path: string; answered: boolean }[] = [];
    const receiver: Server = createServer((incoming, reply) => {
      incoming.resume();
      incoming.on('end', () => {
        // The first request is never answered: the replica making it dies meanwhile.
        const first = received.length === 0;
        received.push({ path: incoming.url ?? '', answered: !first });
        if (!first) reply.writeHead(204).end();
      });
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const token = 'team-mid-attempt';
    try {
      const put = await json(`${c.urls[SPARK]}/_sandbox/state`, request(token, 'PUT', { subscriptions: [{ id: 'only', webhookUrl: `${receiverOrigin}/hook`, webhookSecret: 'k' }] }));
      expect(put.status).toBe(200);
      // Answered only after the first attempt, which never ends: the test does not wait for it.
      fetch(`${c.urls[SPARK]}/_sandbox/events`, request(token, 'POST', { webhook: 'eventCreated', payload: { payloadType: 'PowerLevel' } })).catch(() => undefined);
      await eventually(async () => received.length, (count) => count === 1);
      expect(received).toHaveLength(1);
      await new Promise<void>((exited) => (c.child.once('exit', () => exited()), c.child.kill('SIGKILL')));
      const after = await eventually(async () => received.length, (count) => count === 2, DELIVERY_LEASE_MS + 5000);
      expect(after).toBe(2);
      await new Promise((wait) => setTimeout(wait, 500));
      expect(received).toEqual([{ path: '/hook', answered: false }, { path: '/hook', answered: true }]);
      const log = (await json(`${a.urls[SPARK]}/_sandbox/deliveries`, request(token))).body;
      expect(log).toEqual([expect.objectContaining({ url: `${receiverOrigin}/hook`, state: 'delivered', attempts: [expect.objectContaining({ status: 204 })] })]);
    } finally {
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
    }
  });

  it('a delivery being retried by a replica killed with SIGKILL is finished by the other, once per event', async () => {
    const failures = 2;
    const received: { path: string; status: number }[] = [];
    const receiver: Server = createServer((incoming, reply) => {
      incoming.resume();
      incoming.on('end', () => {
        // Each event's first two attempts fail; the third succeeds.
        const path = incoming.url ?? '';
        const status = received.filter((entry) => entry.path === path).length < failures ? 500 : 204;
        received.push({ path, status });
        reply.writeHead(status).end();
      });
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const token = 'team-retry';
    const spark = (replica: Replica, path: string) => `${replica.urls[SPARK]}${path}`;
    try {
      // One subscriber of CurrentLevel events (/current), two of PowerLevel events (/power-1, /power-2).
      expect((await json(spark(b, '/_sandbox/state'), request(token, 'PUT', { subscriptions: [] }))).status).toBe(200);
      const subscribers = { '/current': 'CurrentLevel', '/power-1': 'PowerLevel', '/power-2': 'PowerLevel' };
      for (const [path, type] of Object.entries(subscribers)) {
        const subscribed = await json(spark(a, '/energy-coordination/v1/subscriptions'), request(token, 'POST', { webhookUrl: `${receiverOrigin}${path}`, webhookSecret: 'k', operationTypes: ['Create'], eventPayloadTypes: [type] }));
        expect(subscribed.status).toBe(200);
      }
      const statusesAt = (path: string) => received.filter((entry) => entry.path === path).map((entry) => entry.status);
      // While both run: each attempt is made by one replica only (3 requests for the event, not 3 per replica).
      const first = await json(spark(a, '/_sandbox/events'), request(token, 'POST', { webhook: 'eventCreated', payload: { payloadType: 'CurrentLevel' } }));
      expect(first.body).toEqual([expect.objectContaining({ status: 500 })]);
      await eventually(async () => statusesAt('/current'), (statuses) => statuses.includes(204));
      await new Promise((wait) => setTimeout(wait, RETRY_DELAYS_MS[0]! * 2));
      expect(statusesAt('/current')).toEqual([500, 500, 204]);

      // Replica A makes the first attempt of a PowerLevel event's two deliveries, then dies between attempts: B finishes both.
      const sent = await json(spark(a, '/_sandbox/events'), request(token, 'POST', { webhook: 'eventCreated', payload: { payloadType: 'PowerLevel' } }));
      expect(sent.body).toEqual([expect.objectContaining({ status: 500 }), expect.objectContaining({ status: 500 })]);
      await new Promise<void>((exited) => (a.child.once('exit', () => exited()), a.child.kill('SIGKILL')));
      const done = await eventually(async () => received.filter((entry) => entry.status === 204).map((entry) => entry.path).sort(), (paths) => paths.length === 3, 10_000);
      expect(done).toEqual(['/current', '/power-1', '/power-2']);
      await new Promise((wait) => setTimeout(wait, RETRY_DELAYS_MS[0]! * 2));
      for (const path of Object.keys(subscribers)) expect(statusesAt(path), path).toEqual([500, 500, 204]);
      const log = (await json(spark(b, '/_sandbox/deliveries'), request(token))).body as { url: string; state: string; attempts: { status: number }[] }[];
      for (const path of Object.keys(subscribers)) {
        expect(log.find((record) => record.url === `${receiverOrigin}${path}`)).toMatchObject({ state: 'delivered', attempts: [{ status: 500 }, { status: 500 }, { status: 204 }] });
      }
    } finally {
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
    }
  });

  it('GET /_sandbox/health answers 503 while Redis is unreachable, 200 again once it is back', async () => {
    const health = () => fetch(`${b.urls[VTN]}/_sandbox/health`).then(async (response) => ({ status: response.status, body: await response.json() }));
    expect((await health()).status).toBe(200);
    await redis.stop();
    const down = await eventually(health, (answer) => answer.status === 503);
    expect(down).toMatchObject({ status: 503, body: { status: 'unavailable', reason: expect.stringContaining(redis.url) } });
    const refused = await json(vtn(b, '/subscriptions'), request('team-down'));
    expect(refused.status).toBe(503);
    expect(JSON.stringify(refused.body)).toContain('Redis');
    await redis.start();
    expect((await eventually(health, (answer) => answer.status === 200, 10_000)).status).toBe(200);
  });
});

describe('choosing the Redis store', () => {
  const catalogue = repositoryCatalogue();

  it('a store that is not a Redis URL, or beside a state file, is a usage error naming it', async () => {
    await expect(startSandbox({ apis: [VTN], catalogue, store: 'ftp://127.0.0.1/0' })).rejects.toThrow(new UsageError('store: ftp: is not redis: or rediss: (give redis://host:port/db)'));
    await expect(startSandbox({ apis: [VTN], catalogue, store: 'redis://127.0.0.1:6379/first' })).rejects.toThrow(/store: the database "first" is not a number/);
    await expect(startSandbox({ apis: [VTN], catalogue, store: 'redis://127.0.0.1:6379/0', stateFile: 'state.json' })).rejects.toThrow(UsageError);
  });

  it('a Redis that cannot be reached stops the start, naming the URL (its password hidden)', async () => {
    const closed = await freePort();
    await expect(startSandbox({ apis: [VTN], catalogue, store: `redis://team:secret@127.0.0.1:${closed}/0`, log: () => undefined })).rejects.toThrow(`store: cannot connect to redis://team:***@127.0.0.1:${closed}/0`);
  });

  it('--emit-every with two replicas: one of them emits each period, to the tenants Redis holds (not one event per replica)', async () => {
    const hits: number[] = [];
    const receiver = createServer((incoming, reply) => (incoming.resume(), incoming.on('end', () => (hits.push(Date.now()), reply.writeHead(204).end()))));
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const replicas = await Promise.all([0, 1].map(() => startSandbox({ apis: [SPARK], catalogue, store: redis.url, emitEvery: 0.3, log: () => undefined })));
    try {
      // Subscribed through one replica only; a subscription without filters takes every event.
      const token = 'team-emit-every';
      const put = await json(`${replicas[0]!.urls[SPARK]}/_sandbox/state`, request(token, 'PUT', { subscriptions: [{ id: 'everything', webhookUrl: `${receiverOrigin}/all`, webhookSecret: 'k' }] }));
      expect(put.status).toBe(200);
      const started = Date.now();
      await new Promise((wait) => setTimeout(wait, 1700));
      const periods = (Date.now() - started) / 300;
      // Each replica ticks every 0.3 s: one event a period, not two.
      expect(hits.length).toBeGreaterThanOrEqual(2);
      expect(hits.length).toBeLessThanOrEqual(Math.ceil(periods) + 1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
    }
  });
});

describe('bounds in Redis', () => {
  it(`the request journal keeps the ${JOURNAL_LIMIT} newest requests of a tenant, the delivery log the ${DELIVERY_LOG_LIMIT} newest deliveries (and only their records)`, async () => {
    const store = await openRedisStore(redis.url);
    const mock = await startMock(SPARK, { sharedStore: store.forApi(SPARK) });
    try {
      const { journal, deliveries, state } = mock.server.sandbox;
      for (let index = 0; index < JOURNAL_LIMIT + 10; index++) {
        journal.record('Bearer team-bounds', { at: new Date().toISOString(), method: 'GET', path: `/${index}`, query: {}, headers: {}, body: null, status: 200, operationId: null, problems: [] });
      }
      const kept = await journal.list('bearer:team-bounds');
      expect(kept).toHaveLength(JOURNAL_LIMIT);
      expect([kept[0]!.path, kept.at(-1)!.path]).toEqual([`/${JOURNAL_LIMIT + 9}`, '/10']);

      // A subscriber on a public host: each delivery is refused at once (one attempt, failed), and logged.
      const tenant = 'bearer:team-bounds';
      const lease = await state.store.open!(tenant);
      state.store.replace(tenant, { ...state.seed(), subscriptions: [{ item: { id: 'far', webhookUrl: 'https://partner.example/hook', webhookSecret: 'k' } }] });
      await lease.release();
      for (let index = 0; index < DELIVERY_LOG_LIMIT + 5; index++) {
        const held = await state.store.open!(tenant);
        await deliveries.trigger(tenant, 'eventDeleted');
        await held.release();
      }
      const log = await deliveries.log(tenant);
      expect(log).toHaveLength(DELIVERY_LOG_LIMIT);
      expect(log.every((record) => record.state === 'failed')).toBe(true);
      expect(await client.hlen(`${tenantKey(SPARK, tenant)}:drec`)).toBe(DELIVERY_LOG_LIMIT);
    } finally {
      await mock.close();
      await store.close();
    }
  });

  it("HanChuESS's test delivery on a replica: the subscription it turns active is active on the other replica", async () => {
    const store = await openRedisStore(redis.url);
    const replicas = await Promise.all([0, 1].map(() => startMock('hanchuess', { sharedStore: store.forApi('hanchuess') })));
    const received: string[] = [];
    const receiver = createServer((incoming, reply) => (incoming.resume(), incoming.on('end', () => (received.push(incoming.url ?? ''), reply.writeHead(200).end()))));
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    try {
      const port = (receiver.address() as AddressInfo).port;
      // https to a loopback receiver that answers in plain HTTP: the sandbox falls back to HTTP and says so.
      const created = await json(`${replicas[0]!.origin}/portal/v1/oem/subscribe`, request('team-test-delivery', 'POST', { oem: 'OEM-9', webhookUrl: `https://127.0.0.1:${port}/test`, secret: 's', devices: ['d'], events: ['inverter:data:telemetry'] }));
      expect(created.body.data.status).toBe('inactive');
      const tested = await json(`${replicas[1]!.origin}/portal/v1/oem/subscriptions/test`, request('team-test-delivery', 'POST', { oem: 'OEM-9', subscriptionId: created.body.data.subscriptionId }));
      expect(tested.body.data.status).toBe('active');
      expect(received).toEqual(['/test']);
      const state = await json(`${replicas[0]!.origin}/_sandbox/state`, request('team-test-delivery'));
      const items = Object.values(state.body as Record<string, unknown>).flatMap((collection) => (Array.isArray(collection) ? collection : Object.values(collection as object).flat())) as { subscriptionId?: string; status?: string }[];
      expect(items.find((item) => item.subscriptionId === created.body.data.subscriptionId)).toMatchObject({ status: 'active' });
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
      await store.close();
    }
  });
});

