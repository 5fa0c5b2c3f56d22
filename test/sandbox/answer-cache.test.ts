// The answer cache of the fast path (mocks/sandbox/answer-cache.ts): a read the state answered is answered again
// with the same bytes while the tenant's state stays as it was, and never once it changed, for another tenant,
// another Accept, a Prefer, or a token that has expired since. And the request journal still keeps every request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnswerCache, checkedHeadersOf, type CachedAnswer } from '../../mocks/sandbox/answer-cache.ts';
import type { OperationModel } from '../../mocks/sandbox/compiled.ts';
import { RequestJournal, type JournalEntry } from '../../mocks/sandbox/journal.ts';
import { PendingEntry } from '../../mocks/sandbox/journal-entry.ts';
import { startMock, type RunningMock } from '../support/mock.ts';

let vtn: RunningMock;
let redex: RunningMock;
beforeAll(async () => {
  [vtn, redex] = await Promise.all([startMock('openadr3-vtn'), startMock('redex')]);
});
afterAll(() => Promise.all([vtn.close(), redex.close()]));

const VTN = '/api/openadr/v1';
const DEVICES = '/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?CurrentPage=1&ItemsPerPage=10';

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function call(mock: RunningMock, path: string, headers: Record<string, string>, method = 'GET', body?: unknown): Promise<Answer> {
  const response = await fetch(mock.origin + path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answerHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => name !== 'date' && (answerHeaders[name] = value));
  return { status: response.status, headers: answerHeaders, text: await response.text() };
}

const subscription = (clientName: string) => ({
  clientName,
  programID: 'cache-program',
  objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:1/callback' }],
});

describe('answer cache on a running mock', () => {
  it('answers a repeated read with the same status, headers and bytes, CORS per request, and journals every request', async () => {
    const cache = redex.server.sandbox.answerCache!;
    const auth = { Authorization: 'Bearer cache-same-bytes' };
    const hitsBefore = cache.hits;
    const first = await call(redex, DEVICES, { ...auth, Origin: 'https://one.example' });
    const second = await call(redex, DEVICES, { ...auth, Origin: 'https://two.example' });
    const third = await call(redex, DEVICES, auth);
    expect(first.status).toBe(200);
    expect(cache.hits - hitsBefore).toBe(2);
    expect(second.text).toBe(first.text);
    expect(third.text).toBe(first.text);
    expect(first.headers['access-control-allow-origin']).toBe('https://one.example');
    expect(second.headers['access-control-allow-origin']).toBe('https://two.example');
    expect(third.headers['access-control-allow-origin']).toBe('*');
    expect({ ...second.headers, 'access-control-allow-origin': '' }).toEqual({ ...first.headers, 'access-control-allow-origin': '' });
    expect(Object.keys(second.headers)).toEqual(Object.keys(first.headers));

    const journal = JSON.parse((await call(redex, '/_sandbox/requests', auth)).text);
    expect(journal).toHaveLength(3);
    expect(journal.map((entry: { headers: Record<string, string> }) => entry.headers.origin)).toEqual([undefined, 'https://two.example', 'https://one.example']);
    for (const entry of journal) {
      expect(entry).toMatchObject({ method: 'GET', status: 200, operationId: 'listDeviceApplicationDevices', body: null, problems: [], query: { CurrentPage: '1', ItemsPerPage: '10' } });
      expect(entry.path).toBe(DEVICES.split('?')[0]);
      expect(entry.headers).not.toHaveProperty('authorization');
      expect(Date.parse(entry.at)).not.toBeNaN();
    }
  });

  it('answers a read again only while the tenant changed nothing: create, update, delete, reset and a state load are seen at once', async () => {
    const cache = vtn.server.sandbox.answerCache!;
    const auth = { Authorization: 'Bearer cache-changes' };
    const list = async () => JSON.parse((await call(vtn, `${VTN}/subscriptions`, auth)).text).map((item: { clientName: string }) => item.clientName);
    const seeded = await list();
    // The repeated reads are answered from the cache: what follows tests its invalidation, not its absence.
    let hits = cache.hits;
    expect(await list()).toEqual(seeded);
    expect(cache.hits).toBe(hits + 1);

    const created = JSON.parse((await call(vtn, `${VTN}/subscriptions`, auth, 'POST', subscription('CACHE-A'))).text);
    expect(await list()).toEqual([...seeded, 'CACHE-A']);
    const read = async () => call(vtn, `${VTN}/subscriptions/${created.id}`, auth);
    expect(JSON.parse((await read()).text).clientName).toBe('CACHE-A');
    hits = cache.hits;
    expect(JSON.parse((await read()).text).clientName).toBe('CACHE-A');
    expect(cache.hits).toBe(hits + 1);

    expect((await call(vtn, `${VTN}/subscriptions/${created.id}`, auth, 'PUT', subscription('CACHE-B'))).status).toBe(200);
    expect(JSON.parse((await read()).text).clientName).toBe('CACHE-B');
    expect(await list()).toEqual([...seeded, 'CACHE-B']);

    expect((await call(vtn, `${VTN}/subscriptions/${created.id}`, auth, 'DELETE')).status).toBe(200);
    expect((await read()).status).toBe(404);
    expect(await list()).toEqual(seeded);

    await call(vtn, `${VTN}/subscriptions`, auth, 'POST', subscription('CACHE-C'));
    expect(await list()).toEqual([...seeded, 'CACHE-C']);
    expect((await call(vtn, '/_sandbox/reset', auth, 'POST')).status).toBeLessThan(300);
    expect(await list()).toEqual(seeded);

    const state = JSON.parse((await call(vtn, '/_sandbox/state', auth)).text);
    const loaded = { ...state, subscriptions: [{ ...state.subscriptions[0], clientName: 'CACHE-LOADED' }] };
    expect((await call(vtn, '/_sandbox/state', auth, 'PUT', loaded)).status).toBe(200);
    expect(await list()).toEqual(['CACHE-LOADED']);
  });

  it("never answers one tenant's read with another's, and a token that expired since is refused", async () => {
    const cache = vtn.server.sandbox.answerCache!;
    await call(vtn, `${VTN}/subscriptions`, { Authorization: 'Bearer cache-team-a' }, 'POST', subscription('ONLY-A'));
    const listOf = async (authorization: string) => call(vtn, `${VTN}/subscriptions`, { Authorization: authorization });
    expect((await listOf('Bearer cache-team-a')).text).toContain('ONLY-A');
    const teamB = await listOf('Bearer cache-team-b');
    // A list that is not A's, not an error that would not contain it either.
    expect(teamB.status).toBe(200);
    expect(teamB.text).not.toContain('ONLY-A');

    // A sandbox token is stateless (mocks/sandbox/oauth.ts): this one expires in half a second.
    const token = `sbx_${Buffer.from('cache-client').toString('base64url')}.${(Date.now() + 500).toString(36)}.0a1b2c`;
    const before = await listOf(`Bearer ${token}`);
    const hits = cache.hits;
    expect((await listOf(`Bearer ${token}`)).text).toBe(before.text);
    expect(cache.hits).toBe(hits + 1);
    await new Promise((wait) => setTimeout(wait, 600));
    const after = await listOf(`Bearer ${token}`);
    expect(after.status).toBe(401);
    expect(after.text).toContain('expired');
  });

  it('an Accept the answer was not made for, or a Prefer, goes through the stages', async () => {
    const auth = { Authorization: 'Bearer cache-prefer' };
    await call(vtn, `${VTN}/subscriptions`, auth, 'POST', subscription('CACHE-PREFER'));
    const fromState = await call(vtn, `${VTN}/subscriptions`, auth);
    expect(fromState.text).toContain('CACHE-PREFER');
    expect((await call(vtn, `${VTN}/subscriptions`, auth)).text).toBe(fromState.text);
    // Prism's example answer, not the tenant's state.
    const example = await call(vtn, `${VTN}/subscriptions`, { ...auth, Prefer: 'code=200' });
    expect(example.status).toBe(200);
    expect(example.text).not.toContain('CACHE-PREFER');
    const notJson = await call(vtn, `${VTN}/subscriptions`, { ...auth, Accept: 'text/html' });
    expect(notJson.headers['content-type']).not.toBe(fromState.headers['content-type']);
  });
});

describe('AnswerCache', () => {
  const entry = (tenant: string, version: number, payload: string): CachedAnswer => ({
    tenant,
    version,
    headers: [['content-type', undefined]],
    status: 200,
    contentType: 'application/json',
    payload,
    length: payload.length,
    operationId: 'op',
  });
  const seen = () => {};

  it('answers only for the same checked headers and the version it was built at', () => {
    const cache = new AnswerCache();
    const key = AnswerCache.key('/items', 'Bearer a', undefined);
    cache.keep(key, entry('bearer:a', cache.version('bearer:a'), '[]'));
    expect(cache.answer(key, { authorization: 'Bearer a' }, seen)?.payload).toBe('[]');
    expect(cache.answer(key, { authorization: 'Bearer a', 'content-type': 'text/plain' }, seen)).toBeUndefined();
    cache.changed({ op: 'add', tenant: 'bearer:b', collection: 'items', stored: { item: {} } });
    expect(cache.answer(key, { authorization: 'Bearer a' }, seen)).toBeDefined();
    cache.changed({ op: 'add', tenant: 'bearer:a', collection: 'items', stored: { item: {} } });
    expect(cache.answer(key, { authorization: 'Bearer a' }, seen)).toBeUndefined();
  });

  it('marks the tenant as seen before it reads the version (an idle tenant may be dropped on the way)', () => {
    const cache = new AnswerCache();
    cache.changed({ op: 'tenant', tenant: 'bearer:a', state: {} });
    const key = AnswerCache.key('/items', 'Bearer a', undefined);
    cache.keep(key, entry('bearer:a', cache.version('bearer:a'), '[]'));
    expect(cache.answer(key, { authorization: 'Bearer a' }, (tenant) => cache.changed({ op: 'drop', tenant }))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most its entries and bytes, the oldest going first, and forgets a dropped tenant', () => {
    const cache = new AnswerCache(3, 1_000);
    const kept = (key: string) => cache.answer(key, { authorization: 'Bearer a' }, seen) !== undefined;
    for (let index = 0; index < 5; index++) cache.keep(`k${index}`, entry('bearer:a', 0, 'x'));
    expect(['k0', 'k1', 'k2', 'k3', 'k4'].map(kept)).toEqual([false, false, true, true, true]);
    // 3 bytes a small entry (key and payload), 998 the large one: the three small ones go to make room.
    cache.keep('big', entry('bearer:b', 0, 'y'.repeat(995)));
    expect(cache.size).toBe(1);
    cache.keep('k5', entry('bearer:a', 0, 'x'));
    expect(cache.size).toBe(1);
    expect(kept('k5')).toBe(true);
    cache.keep('big', entry('bearer:b', 0, 'y'.repeat(100)));
    expect(cache.size).toBe(2);
    cache.changed({ op: 'drop', tenant: 'bearer:b' });
    expect(cache.size).toBe(1);
    expect(kept('k5')).toBe(true);
  });

  it('checks Content-Type, header parameters and API keys in headers', () => {
    const model = {
      security: [[{ type: 'apiKey', in: 'header', name: 'X-Api-Key' }], [{ type: 'http', scheme: 'bearer' }]],
      header: [{ name: 'X-Request-Region', style: 'simple', explode: false }],
    } as unknown as OperationModel;
    expect(checkedHeadersOf(model)).toEqual(['content-type', 'x-request-region', 'x-api-key']);
  });
});

describe('RequestJournal order', () => {
  it('lists newest first across many drops of the oldest', () => {
    const journal = new RequestJournal(10, 10, 10_000_000);
    for (let index = 0; index < 300; index++) {
      journal.record('Bearer order', { at: '', method: 'GET', path: `/${index}`, query: {}, headers: {}, body: null, status: 200, operationId: null, problems: [] });
    }
    expect(journal.list('bearer:order').map((entry) => entry.path)).toEqual(Array.from({ length: 10 }, (_, index) => `/${299 - index}`));
  });
});

describe('PendingEntry', () => {
  const pieces = {
    time: Date.UTC(2026, 0, 2, 3, 4, 5),
    method: 'GET',
    url: '/items/a%20b?x=1&x=2&y=',
    headers: { authorization: 'Bearer secret-token', cookie: 'c=secret-cookie', accept: 'application/json', 'x-multi': ['1', '2'] },
    body: null,
    status: 200,
    operationId: 'getItem',
    problems: [],
  };

  it('builds the same entry the journal always kept, and its JSON, spread and fields never carry credentials', () => {
    const entry = new PendingEntry(pieces);
    const built = { at: '2026-01-02T03:04:05.000Z', method: 'GET', path: '/items/a%20b', query: { x: ['1', '2'], y: '' }, headers: { accept: 'application/json', 'x-multi': '1, 2' }, body: null, status: 200, operationId: 'getItem', problems: [] };
    expect(JSON.parse(JSON.stringify(entry))).toEqual(built);
    expect(entry.toJSON()).toEqual(built);
    expect(JSON.stringify({ ...entry })).not.toMatch(/secret/);
    expect(entry.headers).toEqual(built.headers);
  });

  it('is listed by the journal as plain data, newest first', () => {
    const journal = new RequestJournal();
    journal.record('Bearer pending', new PendingEntry(pieces));
    journal.record('Bearer pending', new PendingEntry({ ...pieces, url: '/second' }));
    const listed = journal.list('bearer:pending');
    expect(listed.map((entry) => entry.path)).toEqual(['/second', '/items/a%20b']);
    expect(listed.every((entry) => Object.getPrototypeOf(entry) === Object.prototype)).toBe(true);
  });
});

describe('onRequest', () => {
  it("is given each answered request's journal entry, cache hits and refusals included, control API calls not", async () => {
    const records: JournalEntry[] = [];
    const mock = await startMock('redex', { onRequest: (record) => records.push(record) });
    try {
      const auth = { Authorization: 'Bearer on-request' };
      await call(mock, DEVICES, auth);
      await call(mock, DEVICES, auth);
      expect(mock.server.sandbox.answerCache!.hits).toBe(1);
      expect((await call(mock, DEVICES, {})).status).toBe(401);
      const journal = JSON.parse((await call(mock, '/_sandbox/requests', auth)).text);
      expect(records.map((record) => record.status)).toEqual([200, 200, 401]);
      expect(records[2]!.problems).not.toEqual([]);
      // The journal (newest first) keeps the tenant's two; the refused request had no tenant to keep it under.
      expect(JSON.parse(JSON.stringify(records.slice(0, 2).reverse()))).toEqual(journal);
    } finally {
      await mock.close();
    }
  });
});
