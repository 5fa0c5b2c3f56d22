// The durable store under kill -9: a child process serves a real mock with the state file's journal, is killed
// with SIGKILL while creates are in flight, and restarts on the same file: every create answered 2xx is there.
// And deliveries: a delivery being retried when the process is killed resumes after the restart, an overdue
// retry at once, a later one on its schedule, and the receiver gets it.
import type { ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killStarted, startChildServer } from '../support/child-server.ts';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { openDurableStore } from '../../mocks/sandbox/durable-store.ts';
import { STATE_FILE_FORMAT } from '../../mocks/sandbox/state-file.ts';
import { startMock } from '../support/mock.ts';

// Two child starts per test; each can take a minute on a shared machine under load.
const CHILD_TEST_TIMEOUT_MS = 300_000;

const directory = mkdtempSync(join(tmpdir(), 'sandbox-durable-'));
const children: ChildProcess[] = [];

afterAll(() => {
  // Only the processes this file started, by their own handle.
  killStarted(children);
  rmSync(directory, { recursive: true, force: true });
});

interface Child {
  child: ChildProcess;
  origin: string;
  stderr: () => string;
}

/** Starts test/support/durable-child.ts and resolves once it prints its origin. */
async function startChild(api: string, stateFile: string, retryDelays?: number[], env: Record<string, string> = {}): Promise<Child> {
  const args = [api, stateFile, ...(retryDelays ? [retryDelays.join(',')] : [])];
  const started = await startChildServer<{ origin: string }>(join(projectRoot, 'test/support/durable-child.ts'), args, children, env);
  return { child: started.child, origin: started.ready.origin, stderr: started.stderr };
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolveExit();
    child.once('exit', () => resolveExit());
    child.kill('SIGKILL');
  });
}

const json = (token: string, body?: unknown): RequestInit => ({
  method: body === undefined ? 'GET' : 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

describe('the durable store (--state-file)', () => {
  it('kill -9 while creates are in flight: after the restart every create answered 2xx is there, once', async () => {
    const stateFile = join(directory, 'creates.json');
    // Compactions every few kilobytes, so the kill can land during one as well as during an append.
    const first = await startChild('openadr3-vtn', stateFile, undefined, { DURABLE_COMPACT_BYTES: '8192' });
    const tokens = ['team-a', 'team-b', 'team-c'];
    const answered = new Map<string, string[]>(tokens.map((token) => [token, []]));
    let sent = 0;
    let killed: Promise<void> | undefined;
    const worker = async () => {
      while (!killed) {
        const token = tokens[sent % tokens.length]!;
        const body = { clientName: `create-${sent++}`, programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] };
        try {
          const response = await fetch(`${first.origin}/api/openadr/v1/subscriptions`, json(token, body));
          if (response.status === 201) answered.get(token)!.push((await response.json()).id);
        } catch {
          // The kill cut this request: it was never answered.
        }
        const total = [...answered.values()].reduce((count, ids) => count + ids.length, 0);
        if (total >= 150 && !killed) killed = killHard(first.child);
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    await killed;
    const answeredCount = [...answered.values()].reduce((count, ids) => count + ids.length, 0);
    expect(answeredCount).toBeGreaterThanOrEqual(150);

    const second = await startChild('openadr3-vtn', stateFile);
    try {
      for (const [token, ids] of answered) {
        const state = (await (await fetch(`${second.origin}/_sandbox/state`, json(token))).json()) as { subscriptions: { id: string }[] };
        const stored = state.subscriptions.map((subscription) => subscription.id);
        expect(new Set(stored).size, token).toBe(stored.length);
        expect(ids.filter((id) => !stored.includes(id)), `${token}: answered 201 but lost`).toEqual([]);
      }
    } finally {
      await killHard(second.child);
    }
  }, CHILD_TEST_TIMEOUT_MS);

  it('a retrying delivery survives kill -9: an overdue retry goes at once after the restart, a later one on its schedule', async () => {
    const stateFile = join(directory, 'deliveries.json');
    let failing = true;
    const received: { path: string; at: number; status: number }[] = [];
    const receiver: Server = createServer((request, reply) => {
      request.resume();
      request.on('end', () => {
        const status = failing ? 500 : 204;
        received.push({ path: request.url ?? '', at: Date.now(), status });
        reply.writeHead(status).end();
      });
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    const receiverOrigin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      // Retries after 2 s, then after 8 s.
      const delays = [2000, 8000];
      const first = await startChild('energy-coordination', stateFile, delays);
      const token = 'retry-team';
      // Each path takes one payload type, so each event goes to one of them.
      const payloadTypes = { '/later': 'PowerLevel', '/overdue': 'CurrentLevel' };
      for (const [path, payloadType] of Object.entries(payloadTypes)) {
        const subscribed = await fetch(`${first.origin}/energy-coordination/v1/subscriptions`, json(token, { webhookUrl: receiverOrigin + path, webhookSecret: 'k', operationTypes: ['Create'], eventPayloadTypes: [payloadType] }));
        expect(subscribed.status).toBe(200);
      }
      const emit = (payloadType: string) => fetch(`${first.origin}/_sandbox/events`, json(token, { webhook: 'eventCreated', payload: { payloadType } }));
      // `later` fails its first two attempts (at once and 2 s on): its third is due 8 s after the second.
      expect((await emit(payloadTypes['/later'])).status).toBe(200);
      const deadline = Date.now() + 20_000;
      while (received.filter((entry) => entry.path === '/later').length < 2 && Date.now() < deadline) await new Promise((wait) => setTimeout(wait, 20));
      // `overdue` fails its first attempt; its retry (2 s on) falls while the process is down.
      expect((await emit(payloadTypes['/overdue'])).status).toBe(200);
      const log = (await (await fetch(`${first.origin}/_sandbox/deliveries`, json(token))).json()) as { url: string; state: string; nextAttemptAt?: string; attempts: unknown[] }[];
      await killHard(first.child);
      const later = log.find((record) => record.url === `${receiverOrigin}/later`)!;
      expect(later).toMatchObject({ state: 'retrying', attempts: [expect.anything(), expect.anything()] });
      const laterDue = Date.parse(later.nextAttemptAt!);
      const overdue = log.find((record) => record.url === `${receiverOrigin}/overdue`)!;
      expect(overdue).toMatchObject({ state: 'retrying', attempts: [expect.anything()] });
      expect(received.filter((entry) => entry.path === '/overdue')).toHaveLength(1);

      failing = false;
      // Down until the overdue retry's time has passed.
      await new Promise((wait) => setTimeout(wait, Math.max(0, Date.parse(overdue.nextAttemptAt!) - Date.now() + 100)));
      const second = await startChild('energy-coordination', stateFile, delays);
      try {
        const wait = async (path: string, timeoutMs: number) => {
          const until = Date.now() + timeoutMs;
          while (!received.some((entry) => entry.path === path && entry.status === 204) && Date.now() < until) await new Promise((pause) => setTimeout(pause, 20));
          return received.find((entry) => entry.path === path && entry.status === 204);
        };
        expect(await wait('/overdue', 20_000), 'the overdue retry after the restart').toBeDefined();
        const laterDelivered = await wait('/later', 30_000);
        expect(laterDelivered, 'the later retry after the restart').toBeDefined();
        // On its schedule: not before the time stored when the process was killed.
        expect(laterDelivered!.at).toBeGreaterThanOrEqual(laterDue - 50);
        await new Promise((pause) => setTimeout(pause, 200));
        const after = (await (await fetch(`${second.origin}/_sandbox/deliveries`, json(token))).json()) as { url: string; state: string; attempts: { status: number }[] }[];
        expect(after.find((record) => record.url === `${receiverOrigin}/overdue`)).toMatchObject({ state: 'delivered', attempts: [{ status: 500 }, { status: 204 }] });
        expect(after.find((record) => record.url === `${receiverOrigin}/later`)).toMatchObject({ state: 'delivered', attempts: [{ status: 500 }, { status: 500 }, { status: 204 }] });
        // One successful delivery per event.
        expect(received.filter((entry) => entry.status === 204).map((entry) => entry.path).sort()).toEqual(['/later', '/overdue']);
      } finally {
        await killHard(second.child);
      }
    } finally {
      await new Promise<void>((closed) => (receiver.closeAllConnections(), receiver.close(() => closed())));
    }
  }, CHILD_TEST_TIMEOUT_MS);

  it("today's state files load as they are; a torn last journal line is cut off; a corrupt line stops the load naming the file and the line", async () => {
    const stateFile = join(directory, 'old-format.json');
    const subscription = { id: 'kept-1', clientName: 'OLD', programID: 'p-1', objectType: 'SUBSCRIPTION', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] };
    writeFileSync(stateFile, JSON.stringify({ format: STATE_FILE_FORMAT, apis: { 'openadr3-vtn': { 'bearer:old-team': { subscriptions: [{ item: subscription }] } } } }, null, 2) + '\n');
    // A torn append (a kill in the middle of a write that was never answered).
    writeFileSync(`${stateFile}.journal`, '{"s":1,"a":"openadr3-vtn","c":{"op":"drop","ten');
    const durable = openDurableStore(stateFile);
    expect(durable.tenantCount).toBe(1);
    expect(readFileSync(`${stateFile}.journal`, 'utf8')).toBe('');
    const mock = await startMock('openadr3-vtn');
    try {
      durable.attach([['openadr3-vtn', mock.server]]);
      const listed = (await (await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, json('old-team'))).json()) as { id: string }[];
      expect(listed.map((item) => item.id)).toEqual(['kept-1']);
      const created = await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, json('old-team', { ...subscription, id: undefined, clientName: 'NEW' }));
      expect(created.status).toBe(201);
      // The create is one journal line, not a rewrite of the state.
      const lines = readFileSync(`${stateFile}.journal`, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ a: 'openadr3-vtn', c: { op: 'add', tenant: 'bearer:old-team', collection: 'subscriptions', stored: { item: { clientName: 'NEW' } } } });
      expect((await fetch(`${mock.origin}/_sandbox/health`)).status).toBe(200);
      durable.closeSync();
      // A closed store is no longer usable: load balancers are told.
      const health = await fetch(`${mock.origin}/_sandbox/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('closed') });
    } finally {
      await mock.close();
    }
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.apis['openadr3-vtn']['bearer:old-team'].subscriptions.map((stored: { item: { clientName: string } }) => stored.item.clientName)).toEqual(['OLD', 'NEW']);

    writeFileSync(`${stateFile}.journal`, `${JSON.stringify({ s: saved.journalSeq + 1, a: 'openadr3-vtn', c: { op: 'drop', tenant: 'bearer:old-team' } })}\nnot json\n`);
    expect(() => openDurableStore(stateFile)).toThrow(`${stateFile}.journal: line 2 is not valid JSON`);
  });

  it('a store that cannot write answers the change 503 in the vendor envelope, and health says why', async () => {
    const stateFile = join(directory, 'unwritable.json');
    const durable = openDurableStore(stateFile);
    // The journal's place is taken by a directory: the first append fails.
    mkdirSync(`${stateFile}.journal`);
    const mock = await startMock('openadr3-vtn');
    try {
      durable.attach([['openadr3-vtn', mock.server]]);
      const created = await fetch(`${mock.origin}/api/openadr/v1/subscriptions`, json('stuck-team', { clientName: 'LOST', programID: 'p-1', objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:9/cb' }] }));
      expect(created.status).toBe(503);
      expect(await created.json()).toMatchObject({ status: 503, detail: expect.stringContaining('the sandbox could not store the change') });
      const health = await fetch(`${mock.origin}/_sandbox/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/unwritable\.json: cannot write the state file \(EISDIR\)/) });
    } finally {
      await mock.close();
    }
  });
});
