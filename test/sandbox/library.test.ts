// The sandbox as a partner's test suite uses it: startSandbox() on free ports, a tenant handle that emits, waits for
// a delivery, reads the request journal and redelivers; HTTPS receivers (a test CA, a self-signed certificate with
// insecureTls, a plain-HTTP receiver behind an https URL on loopback); send times stamped into events.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../mocks/index.ts';
import { repositoryCatalogue } from '../../scripts/lib/sandbox-catalogue.ts';
import { RequestJournal } from '../../mocks/sandbox/journal.ts';
import { parseEventCreated } from '../../generated/energy-coordination/webhooks.ts';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 (HTTP, or HTTPS with the given key and certificate) that answers 204 and keeps what it got. */
async function receiver(tls?: { key: string; cert: string }) {
  const received: Received[] = [];
  const handler = async (request: IncomingMessage, reply: import('node:http').ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
    reply.writeHead(204).end();
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createHttpServer(handler);
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return {
    received,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((done) => (server.closeAllConnections(), server.close(() => done()))),
  };
}

/** A test CA and a certificate it signed for 127.0.0.1, and a self-signed one, made by Debian's openssl. */
function certificates(dir: string) {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sandbox test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.pem', '-extfile', 'san.cnf']);
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', 'self.key', '-out', 'self.pem']);
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { ca: join(dir, 'ca.pem'), key: read('server.key'), cert: read('server.pem'), selfSigned: { key: read('self.key'), cert: read('self.pem') } };
}

const spark = { token: 'library-team' };
const han = { token: 'library-han' };

describe('startSandbox and a tenant handle', () => {
  let sandbox: RunningSandbox;
  let plain: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    sandbox = await startSandbox({ apis: ['energy-coordination', 'hanchuess'], catalogue: repositoryCatalogue() });
    plain = await receiver();
  });
  afterAll(async () => {
    await sandbox.close();
    await plain.close();
  });

  it('serves the APIs asked for on free loopback ports, and nothing else', () => {
    expect(Object.keys(sandbox.urls)).toEqual(['hanchuess', 'energy-coordination']);
    for (const url of Object.values(sandbox.urls)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(() => sandbox.api('redex')).toThrow(/serves hanchuess, energy-coordination/);
  });

  it('a signed Spark delivery reaches the receiver: waitForDelivery returns it, requests() shows the create, redeliver sends it again', async () => {
    const api = sandbox.api('energy-coordination');
    const tenant = api.tenant(spark);
    await tenant.reset();
    const hook = `http://127.0.0.1:${plain.port}/spark`;
    const created = await fetch(`${api.url}/energy-coordination/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spark.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhookUrl: hook, webhookSecret: 'library-secret', operationTypes: ['Create'], eventPayloadTypes: null }),
    });
    expect(created.status).toBe(200);
    const sent = (await tenant.emit('eventCreated', { example: 'powerLevel' })).find((result) => result.url === hook);
    expect(sent).toMatchObject({ url: hook, status: 204, attempts: 1, error: null });
    const delivery = await tenant.waitForDelivery({ webhook: 'eventCreated', url: hook, timeoutMs: 3000 });
    expect(delivery.id).toBe(sent!.delivery);
    const got = plain.received.filter((entry) => entry.path === '/spark');
    expect(got).toHaveLength(1);
    // The package's own receiver checks the vendor's signature with the subscription's secret.
    const event = await parseEventCreated(got[0]!.body, got[0]!.headers as Record<string, string>, { secret: 'library-secret' });
    expect(event).toMatchObject({ operationType: 'Create' });

    const journal = await tenant.requests();
    const create = journal.find((entry) => entry.method === 'POST' && entry.operationId !== null);
    expect(create).toMatchObject({ path: '/energy-coordination/v1/subscriptions', status: 200, problems: [] });
    expect((create!.body as { webhookUrl: string }).webhookUrl).toBe(hook);
    expect(create!.headers.authorization).toBeUndefined();
    expect(journal.some((entry) => entry.path.startsWith('/_sandbox/'))).toBe(false);

    const again = await tenant.redeliver(delivery.id);
    expect(again).toMatchObject({ url: hook, status: 204 });
    expect(again.delivery).not.toBe(delivery.id);
    expect(plain.received.filter((entry) => entry.path === '/spark').map((entry) => entry.body)).toEqual([got[0]!.body, got[0]!.body]);
    const log = await tenant.deliveries();
    expect(log[0]).toMatchObject({ id: again.delivery, redeliveryOf: delivery.id });
  });

  it('a refused request is journaled with its status and the problem named', async () => {
    const api = sandbox.api('energy-coordination');
    const tenant = api.tenant(spark);
    await fetch(`${api.url}/energy-coordination/v1/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spark.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhookUrl: 12, webhookSecret: 'a number is no URL' }),
    });
    const [latest] = await tenant.requests();
    expect(latest!.status).toBe(400);
    expect(latest!.problems.join(' ')).toMatch(/webhookUrl/);
  });

  it('redelivering an unknown id is a 404 naming the id; waitForDelivery times out naming what it waited for', async () => {
    const tenant = sandbox.api('energy-coordination').tenant(spark);
    await expect(tenant.redeliver('no-such-delivery')).rejects.toThrow(/404: id: no delivery "no-such-delivery"/);
    await expect(tenant.waitForDelivery({ webhook: 'eventDeleted', timeoutMs: 200 })).rejects.toThrow(/no webhook eventDeleted got a 2xx within 200 ms/);
  });

  it("a HanChuESS test delivery's timestamps are the send time, not the example's", async () => {
    const api = sandbox.api('hanchuess');
    const tenant = api.tenant(han);
    const hook = `https://127.0.0.1:${plain.port}/han-plain`;
    const before = Date.now();
    const subscribed = await fetch(`${api.url}/portal/v1/oem/subscribe`, {
      method: 'POST',
      headers: { authorization: `Bearer ${han.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ oem: 'OEM-1', webhookUrl: hook, secret: 's', devices: ['H01****G1H'], version: '1.0.0', events: ['*'] }),
    });
    expect(subscribed.status).toBe(200);
    const delivery = (await tenant.emit('eventDelivery', { example: 'inverterDataTelemetry' })).find((result) => result.url === hook);
    // https to a plain-HTTP receiver on loopback: sent again over HTTP, and the log says so.
    expect(delivery).toMatchObject({ url: hook, status: 204 });
    const record = (await tenant.deliveries()).find((entry) => entry.url === hook);
    expect(record!.attempts[0]!.note).toMatch(/plain HTTP/);
    const sentNow = (body: { timestamp: string; data: { timestamp: string }[] }) => {
      for (const stamp of [body.timestamp, ...body.data.map((event) => event.timestamp)]) {
        expect(Date.parse(stamp)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now());
      }
    };
    sentNow(JSON.parse(plain.received.find((entry) => entry.path === '/han-plain')!.body));
    // The vendor's own test delivery (POST /v1/oem/subscriptions/test) is stamped with the send time too.
    const { subscriptions } = (await tenant.state()) as { subscriptions: { subscriptionId: string; webhookUrl: string }[] };
    const mine = subscriptions.find((subscription) => subscription.webhookUrl === hook)!;
    const tested = await fetch(`${api.url}/portal/v1/oem/subscriptions/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${han.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ oem: 'OEM-1', subscriptionId: mine.subscriptionId }),
    });
    expect(tested.status).toBe(200);
    const test = plain.received.filter((entry) => entry.path === '/han-plain').map((entry) => JSON.parse(entry.body)).find((body) => body.data[0].type === 'hanchuess:subscription:test');
    expect(test, 'the test delivery reached the receiver').toBeDefined();
    sentNow(test);
  });
});

describe('HTTPS receivers', () => {
  let dir: string;
  let tls: ReturnType<typeof certificates>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-tls-'));
    tls = certificates(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function deliverTo(options: { insecureTls?: boolean; extraCa?: string; selfSigned?: boolean }) {
    const previous = process.env.NODE_EXTRA_CA_CERTS;
    if (options.extraCa) process.env.NODE_EXTRA_CA_CERTS = options.extraCa;
    else delete process.env.NODE_EXTRA_CA_CERTS;
    const secure = await receiver(options.selfSigned ? tls.selfSigned : { key: tls.key, cert: tls.cert });
    const sandbox = await startSandbox({ apis: ['hanchuess'], catalogue: repositoryCatalogue(), insecureTls: options.insecureTls });
    try {
      const api = sandbox.api('hanchuess');
      const hook = `https://127.0.0.1:${secure.port}/han`;
      await fetch(`${api.url}/portal/v1/oem/subscribe`, {
        method: 'POST',
        headers: { authorization: 'Bearer tls-team', 'content-type': 'application/json' },
        body: JSON.stringify({ oem: 'OEM-1', webhookUrl: hook, secret: 's', devices: ['H01****G1H'], version: '1.0.0', events: ['*'] }),
      });
      const result = (await api.tenant({ token: 'tls-team' }).emit('eventDelivery')).find((sent) => sent.url === hook);
      return { result, received: secure.received.length };
    } finally {
      await sandbox.close();
      await secure.close();
      if (previous === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
      else process.env.NODE_EXTRA_CA_CERTS = previous;
    }
  }

  it('a receiver whose certificate a CA in NODE_EXTRA_CA_CERTS signed gets the delivery over TLS', async () => {
    const { result, received } = await deliverTo({ extraCa: tls.ca });
    expect(result).toMatchObject({ status: 204, error: null });
    expect(received).toBe(1);
  });

  it('a self-signed receiver is refused by certificate verification, and reached with insecureTls', async () => {
    const refused = await deliverTo({ selfSigned: true });
    expect(refused.result).toMatchObject({ status: null });
    expect(refused.result!.error).toMatch(/CERT|certificate/i);
    expect(refused.received).toBe(0);
    const accepted = await deliverTo({ selfSigned: true, insecureTls: true });
    expect(accepted.result).toMatchObject({ status: 204, error: null });
    expect(accepted.received).toBe(1);
  });
});

describe('the request journal', () => {
  it('keeps a large body as a note of its size, not the body', async () => {
    const sandbox = await startSandbox({ apis: ['hanchuess'], catalogue: repositoryCatalogue() });
    try {
      const api = sandbox.api('hanchuess');
      const big = JSON.stringify({ filler: 'x'.repeat(100_000) });
      await fetch(`${api.url}/portal/v1/oem/subscribe`, {
        method: 'POST',
        headers: { authorization: 'Bearer journal-team', 'content-type': 'application/json' },
        body: big,
      });
      const [entry] = await api.tenant({ token: 'journal-team' }).requests();
      expect(entry!.method).toBe('POST');
      expect(entry!.body).toMatch(/^\(body of 100013 characters not kept/);
    } finally {
      await sandbox.close();
    }
  });
});

describe('RequestJournal bounds', () => {
  const entry = (path: string, body: unknown) => ({ at: '', method: 'POST', path, query: {}, headers: {}, body, status: 200, operationId: null, problems: [] });
  const bearer = (token: string) => `Bearer ${token}`;

  it('keeps at most `limit` entries per tenant, newest first', () => {
    const journal = new RequestJournal(3, 10, 1_000_000);
    for (let index = 0; index < 5; index++) journal.record(bearer('a'), entry(`/${index}`, null));
    expect(journal.list('bearer:a').map((kept) => kept.path)).toEqual(['/4', '/3', '/2']);
  });

  it('past its byte budget, the least recently active tenant loses its oldest entries first; the active one keeps its newest', () => {
    const journal = new RequestJournal(100, 10, 10_000);
    const body = { text: 'x'.repeat(1_000) };
    for (let index = 0; index < 4; index++) journal.record(bearer('old'), entry(`/old/${index}`, body));
    for (let index = 0; index < 8; index++) journal.record(bearer('new'), entry(`/new/${index}`, body));
    const old = journal.list('bearer:old').length;
    const recent = journal.list('bearer:new').map((kept) => kept.path);
    expect(old).toBe(0);
    expect(recent[0]).toBe('/new/7');
    // About 1.3 kB an entry against a 10 kB budget.
    expect(recent.length).toBeGreaterThan(4);
    expect(recent.length).toBeLessThan(8);
  });
});
