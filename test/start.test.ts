// `npm start` as a user runs it: one process serving all five mocks and the reference site, production paths,
// vendor envelopes on 401/400, a clear failure when a port is taken, and nothing left behind after SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../scripts/lib/apis.ts';
import { portIsOpen } from '../scripts/lib/net.ts';
import * as bajie from '../generated/bajie-charging/client.ts';
import * as energy from '../generated/energy-coordination/client.ts';
import * as hanchuess from '../generated/hanchuess/client.ts';
import * as vtn from '../generated/openadr3-vtn/client.ts';
import * as redex from '../generated/redex/client.ts';

// Away from the default ports so a developer's own `npm start` does not collide with the test.
const PORT_BASE = 24010;
const DOCS_PORT = 24000;
const HOST = '127.0.0.1';
const apis = loadApis();
const mockOrigin = (id: string) => `http://${HOST}:${apis.find((api) => api.id === id)!.port - 4010 + PORT_BASE}`;
const swapOrigin = (productionBaseUrl: string, id: string) => mockOrigin(id) + new URL(productionBaseUrl).pathname.replace(/\/+$/, '');
const startArgs = ['start', '--', '--port-base', String(PORT_BASE), '--docs-port', String(DOCS_PORT)];

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolveWait, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolveWait(output);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before ${pattern}:\n${output}`));
    });
  });
}

let server: ChildProcess;
let banner: string;

beforeAll(async () => {
  server = spawn('npm', startArgs, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  banner = await waitForOutput(server, /Mocks ready/, 90_000);
});

afterAll(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
});

describe('npm start', () => {
  it('prints a table of every API, its URL and its docs link', () => {
    for (const api of apis) {
      expect(banner).toMatch(new RegExp(`${api.id}\\s+${mockOrigin(api.id)}\\s+http://${HOST}:${DOCS_PORT}/${api.id}/`));
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
    const page = await fetch(`http://${HOST}:${DOCS_PORT}/redex/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
  });

  it('a second npm start fails at once, naming the port that is taken', () => {
    const started = Date.now();
    const second = spawnSync('npm', [...startArgs, '--no-build'], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`port (${PORT_BASE}|${DOCS_PORT}|${PORT_BASE + 1}|${PORT_BASE + 2}|${PORT_BASE + 3}|${PORT_BASE + 4}) \\(.+\\) is already in use`));
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('SIGTERM stops everything: every port is free and no process is left', async () => {
    server.kill('SIGTERM');
    const ports = [...apis.map((api) => api.port - 4010 + PORT_BASE), DOCS_PORT];
    const deadline = Date.now() + 10_000;
    const leftoverProcesses = () => spawnSync('pgrep', ['-f', `port-base ${PORT_BASE}`], { encoding: 'utf8' }).stdout.trim();
    let open = ports;
    let leftovers = '';
    // Ports close before the process exits; wait (bounded) for both.
    while (Date.now() < deadline) {
      open = (await Promise.all(ports.map(async (port) => ((await portIsOpen(port, HOST)) ? port : 0)))).filter(Boolean);
      leftovers = leftoverProcesses();
      if (open.length === 0 && leftovers === '') break;
      await new Promise((wait) => setTimeout(wait, 100));
    }
    expect(open).toEqual([]);
    expect(leftovers).toBe('');
  });
});
