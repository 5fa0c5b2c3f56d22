// `npm start` as a user runs it: one process serving all five mocks and the reference site, production paths,
// vendor envelopes on 401/400, a clear failure when a port is taken, and nothing left behind after SIGTERM.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../scripts/lib/apis.ts';
import { portIsOpen } from '../scripts/lib/net.ts';
import { startServing } from '../scripts/lib/npm-start.ts';
import * as bajie from '../generated/bajie-charging/client.ts';
import * as energy from '../generated/energy-coordination/client.ts';
import * as hanchuess from '../generated/hanchuess/client.ts';
import * as vtn from '../generated/openadr3-vtn/client.ts';
import * as redex from '../generated/redex/client.ts';

// Port 0 everywhere: the system picks free ports and the banner tells which, so several checkouts can run this
// test on one machine at once.
const HOST = '127.0.0.1';
const apis = loadApis();
const startArgs = ['--port-base', '0', '--docs-port', '0'];
const origins = new Map<string, string>();
const mockOrigin = (id: string) => origins.get(id)!;
const swapOrigin = (productionBaseUrl: string, id: string) => mockOrigin(id) + new URL(productionBaseUrl).pathname.replace(/\/+$/, '');
const portOf = (origin: string) => Number(new URL(origin).port);

let server: ChildProcess;
let banner: string;

beforeAll(async () => {
  const serving = await startServing(startArgs);
  server = serving.child;
  banner = serving.output();
  for (const [label, origin] of serving.origins) origins.set(label, origin);
});

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
});

describe('npm start', () => {
  it('prints a table of every API, its URL and its docs link', () => {
    for (const api of apis) {
      expect(banner).toMatch(new RegExp(`${api.id}\\s+http://${HOST}:\\d+\\s+${origins.get('reference site')}/${api.id}/`));
    }
  });

  it('serves every API through its generated client at the production base path', async () => {
    const token = { token: 'partner-token' };
    const h = hanchuess.createClient({ baseUrl: swapOrigin(hanchuess.defaultBaseUrl, 'hanchuess'), auth: token });
    expect((await h.POST('/v1/oem/subscriptions', { body: { oem: 'H03Z****SY37' } })).response.status).toBe(200);

    const v = vtn.createClient({ baseUrl: swapOrigin(vtn.defaultBaseUrl, 'openadr3-vtn'), auth: token });
    const vtnList = await v.GET('/subscriptions', { params: { query: { limit: 50 } } });
    expect(vtnList.response.status).toBe(200);
    expect(vtnList.data?.[0]?.objectType).toBe('SUBSCRIPTION');

    const b = bajie.createClient({ baseUrl: swapOrigin(bajie.defaultBaseUrl, 'bajie-charging'), auth: { username: 'agent', password: 'secret' } });
    const config = await b.GET('/cabinet/eventPush/config/get');
    expect(config.data?.data.pushUrl).toBe('https://receiving.push.com/event');

    const e = energy.createClient({ baseUrl: swapOrigin(energy.defaultBaseUrl, 'energy-coordination'), auth: token });
    expect((await e.GET('/events')).response.status).toBe(200);

    const r = redex.createClient({ baseUrl: swapOrigin(redex.defaultBaseUrl, 'redex'), auth: token });
    const devices = await r.GET('/public/v2/device-applications/{deviceApplicationId}/devices', {
      params: { path: { deviceApplicationId: '347847fa-68c0-4418-9119-08dc3993455a' }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
    });
    expect(devices.data?.Data?.[0]?.InstallationName).toBe('Kong Meng San Phor Kark See Monastery');
  });

  it("answers the vendors' documented requests with only the origin swapped", async () => {
    const bajieCurl = await fetch(`${mockOrigin('bajie-charging')}/cdb-open-api/v1/cabinet/eventPush/config/get`, {
      headers: { Authorization: 'Basic Og==' },
    });
    expect(bajieCurl.status).toBe(200);
    expect((await bajieCurl.json()).msg).toBe('Successful operation');

    const redexCurl = await fetch(
      `${mockOrigin('redex')}/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?CurrentPage=1&ItemsPerPage=10`,
      { headers: { Authorization: 'Bearer <access_token>', accept: 'application/json' } },
    );
    expect(redexCurl.status).toBe(200);
    expect((await redexCurl.json()).Message).toBe('Success');

    const vtnGet = await fetch(`${mockOrigin('openadr3-vtn')}/api/openadr/v1/subscriptions`, { headers: { Authorization: 'Bearer JWT', Accept: '*/*' } });
    expect(vtnGet.status).toBe(200);

    const energyGet = await fetch(`${mockOrigin('energy-coordination')}/energy-coordination/v1/events`, { headers: { Authorization: 'Bearer jwt' } });
    expect(energyGet.status).toBe(200);

    const hanchuessPost = await fetch(`${mockOrigin('hanchuess')}/portal/v1/oem/subscriptions`, {
      method: 'POST',
      headers: { Authorization: 'Bearer token', 'content-type': 'application/json' },
      body: JSON.stringify({ oem: 'H03Z****SY37' }),
    });
    expect(hanchuessPost.status).toBe(200);
  });

  // Each API: a request without credentials and an invalid one, the envelope's fields and its message field.
  const failures = [
    {
      id: 'hanchuess',
      request: ['/portal/v1/oem/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      envelope: ['errno', 'msg', 'data'],
      message: 'msg',
      field: 'oem',
    },
    {
      id: 'openadr3-vtn',
      request: ['/api/openadr/v1/subscriptions?limit=51', { method: 'GET' }],
      envelope: ['title', 'status', 'detail'],
      message: 'detail',
      field: 'limit',
    },
    {
      id: 'bajie-charging',
      request: ['/cdb-open-api/v1/cabinet/eventPush/config', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }],
      envelope: ['code', 'msg', 'data'],
      message: 'msg',
      field: 'pushUrl',
    },
    {
      id: 'energy-coordination',
      request: ['/energy-coordination/v1/subscriptions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"operationTypes":["Bogus"]}' }],
      envelope: ['title', 'status', 'detail'],
      message: 'detail',
      field: 'operationTypes',
    },
    {
      id: 'redex',
      request: ['/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?ItemsPerPage=5', { method: 'GET' }],
      envelope: ['Data', 'Meta', 'Errors', 'StatusCode', 'Message'],
      message: 'Message',
      field: 'ItemsPerPage',
    },
  ] as const;

  it.each(failures)('$id: no credentials get 401 and an invalid request 400, in the vendor envelope', async ({ id, request, envelope, message, field }) => {
    const [path, init] = request;
    const unauthorized = await fetch(mockOrigin(id) + path, init as RequestInit);
    expect(unauthorized.status).toBe(401);
    const unauthorizedBody = await unauthorized.json();
    for (const key of envelope) expect(unauthorizedBody).toHaveProperty(key);

    const authorization = id === 'bajie-charging' ? 'Basic YWdlbnQ6c2VjcmV0' : 'Bearer token';
    const invalid = await fetch(mockOrigin(id) + path, { ...(init as RequestInit), headers: { ...(init as { headers?: object }).headers, Authorization: authorization } });
    expect(invalid.status).toBe(400);
    const invalidBody = await invalid.json();
    for (const key of envelope) expect(invalidBody).toHaveProperty(key);
    expect(invalidBody[message]).toContain(field);
  });

  it('answers an unknown path with 404', async () => {
    expect((await fetch(`${mockOrigin('redex')}/public/v2/no-such-thing`, { headers: { Authorization: 'Bearer t' } })).status).toBe(404);
  });

  it('serves the reference site', async () => {
    const page = await fetch(`${origins.get('reference site')}/redex/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('a second npm start fails at once, naming the port that is taken', () => {
    const started = Date.now();
    const taken = portOf(mockOrigin('hanchuess'));
    const second = spawnSync('npm', ['start', '--', '--port-base', String(taken), '--docs-port', '0', '--no-build'], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`port ${taken} \\(hanchuess\\) is already in use`));
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a malformed URL on the reference site gets 400 and every server keeps serving', async () => {
    expect((await fetch(`${origins.get('reference site')}/%E0%A4%A`)).status).toBe(400);
    expect((await fetch(`${origins.get('reference site')}/redex/`)).status).toBe(200);
    expect((await fetch(`${mockOrigin('redex')}/public/v2/no-such-thing`, { headers: { Authorization: 'Bearer t' } })).status).toBe(404);
  });

  it('SIGTERM stops everything: every port is free and no process it started is left', async () => {
    const started = [server.pid!, ...descendantsOf(server.pid!)];
    expect(started.length).toBeGreaterThan(1);
    server.kill('SIGTERM');
    const ports = [...origins.values()].map(portOf);
    const { open, alive } = await waitUntilGone(ports, started, 10_000);
    expect(open).toEqual([]);
    expect(alive).toEqual([]);
  });

  it('SIGKILL of the npm process: the server notices within 2 s, exits and frees every port', async () => {
    const { child: killed, origins: killedOrigins } = await startServing([...startArgs, '--no-build', '--quiet'], { timeoutMs: 60_000 });
    const ports = [...killedOrigins.values()].map(portOf);
    expect(ports.length).toBeGreaterThanOrEqual(6);
    const children = descendantsOf(killed.pid!);
    expect(children.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    killed.kill('SIGKILL');
    const { open, alive } = await waitUntilGone(ports, children, 2_000);
    expect({ open, alive, withinMs: 2_000 }).toEqual({ open: [], alive: [], withinMs: 2_000 });
    expect(Date.now() - killedAt).toBeLessThanOrEqual(2_500);
  });
});

/** The process ids below `pid` (children, grandchildren...), read from `ps`: only processes this test started. */
function descendantsOf(pid: number): number[] {
  const table = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout;
  const children = new Map<number, number[]>();
  for (const line of table.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    children.set(parent!, [...(children.get(parent!) ?? []), child!]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) for (const child of children.get(queue.shift()!) ?? []) found.push(child), queue.push(child);
  return found;
}

/**
 * Whether a process still runs. An exited process whose new parent (after npm died: init, or whatever PID 1 is in
 * a container) has not reaped it yet is a zombie: it holds no port and runs no code, so it counts as gone.
 */
const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** Waits (bounded) until no port accepts connections and none of the processes lives; returns what is left. */
async function waitUntilGone(ports: number[], pids: number[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let open = ports;
  let alive = pids;
  while (Date.now() < deadline) {
    open = (await Promise.all(ports.map(async (port) => ((await portIsOpen(port, HOST)) ? port : 0)))).filter(Boolean);
    alive = pids.filter(isAlive);
    if (open.length === 0 && alive.length === 0) break;
    await new Promise((wait) => setTimeout(wait, 50));
  }
  return { open, alive };
}
