// `npm run proxy` as a process, between a client and a local stand-in for the vendor: the vendor's answer comes
// back byte for byte, contract violations are named by field (header, console, summary), credentials and the
// production path go upstream unchanged, and a dead upstream gives a 502 problem naming it.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledSpec } from '../support/contract.ts';
import { runScript, startServer, type LocalServer, type Running } from '../support/cli.ts';

const DEVICES_TEMPLATE = '/public/v2/device-applications/{deviceApplicationId}/devices';
const DEVICES_PATH = '/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices';
const QUERY = '?CurrentPage=1&ItemsPerPage=10';
const page = structuredClone((bundledSpec('redex').components as any).examples.DevicesResponse.value);
const brokenPage = structuredClone(page);
brokenPage.Data[0].InstallationName = 42;
// Odd spacing and non-ASCII text: a proxy that re-serializes would change these bytes.
const validBytes = Buffer.from(JSON.stringify(page, null, 3).replace('Monastery', 'Monastery 寺院') + '\n', 'utf8');
const brokenBytes = Buffer.from(JSON.stringify(brokenPage, null, 1), 'utf8');

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A raw HTTP exchange (no fetch: it would decompress and merge headers). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }> {
  return new Promise((resolveAnswer, reject) => {
    httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolveAnswer({ status: response.statusCode!, headers: response.headers, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) }),
      );
    })
      .on('error', reject)
      .end();
  });
}

const violationsOf = (headers: IncomingHttpHeaders) => JSON.parse(String(headers['sl-violations'] ?? '[]')) as { field: string; message: string; severity: string; location: string[] }[];

describe('proxy to a RedEx stand-in', () => {
  let upstream: LocalServer;
  let proxy: Running;
  let origin: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    upstream = await startServer((request, body, reply) => {
      seen.push({ url: request.url!, headers: request.headers, body });
      if (request.url!.includes('broken=1')) {
        reply.writeHead(200, { 'Content-Type': 'application/json', 'X-RedEx-Trace': 'b-2' }).end(brokenBytes);
      } else if (request.url!.includes('gzip=1')) {
        reply.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end(gzipSync(validBytes));
      } else {
        reply.writeHead(200, 'Fine Thanks', { 'Content-Type': 'application/json; charset=utf-8', 'X-RedEx-Trace': 'a-1', 'Set-Cookie': ['a=1', 'b=2'] });
        reply.end(validBytes);
      }
    });
    proxy = runScript('proxy', ['redex', '--upstream', upstream.origin, '--port', '0']);
    origin = (await proxy.waitFor(/(http:\/\/127\.0\.0\.1:\d+) ->/))[1]!;
  });

  afterAll(async () => {
    if (proxy.child.exitCode === null) proxy.child.kill('SIGKILL');
    await upstream.close();
  });

  it('passes a valid page through byte for byte, with status line, headers and credentials unchanged', async () => {
    const answer = await get(origin + DEVICES_PATH + QUERY, { Authorization: 'Bearer partner-token' });
    expect(answer.status).toBe(200);
    expect(answer.body.equals(validBytes)).toBe(true);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['x-redex-trace']).toBe('a-1');
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.headers['sl-violations']).toBeUndefined();
    const last = seen.at(-1)!;
    expect(last.url).toBe(DEVICES_PATH + QUERY);
    expect(last.headers.authorization).toBe('Bearer partner-token');
    expect(last.headers.host).toBe(new URL(upstream.origin).host);
    expect(proxy.output()).not.toMatch(/^violation/m);
  });

  it('names the field of a schema-breaking page in sl-violations and on the console, and still passes the bytes through', async () => {
    const answer = await get(`${origin}${DEVICES_PATH}${QUERY}&broken=1`, { Authorization: 'Bearer partner-token' });
    expect(answer.status).toBe(200);
    expect(answer.body.equals(brokenBytes)).toBe(true);
    expect(answer.headers['x-redex-trace']).toBe('b-2');
    const violations = violationsOf(answer.headers);
    expect(violations).toEqual([
      expect.objectContaining({ field: 'response body.Data[0].InstallationName', severity: 'Error', location: ['response', 'body', 'Data', '0', 'InstallationName'] }),
    ]);
    expect(violations[0]!.message).toMatch(/must be string/);
    await proxy.waitFor(new RegExp(`^violation  GET ${DEVICES_TEMPLATE.replace(/[{}]/g, '\\$&')}  response body\\.Data\\[0\\]\\.InstallationName  .*must be string$`, 'm'));
  });

  it('reports request violations (missing credentials, a parameter out of range) but still forwards', async () => {
    const before = seen.length;
    const answer = await get(`${origin}${DEVICES_PATH}?CurrentPage=1&ItemsPerPage=5`);
    expect(seen.length).toBe(before + 1);
    expect(answer.body.equals(validBytes)).toBe(true);
    const fields = violationsOf(answer.headers).map((violation) => violation.field);
    expect(fields).toEqual(['request security', 'request query.ItemsPerPage']);
  });

  it('keeps a compressed answer compressed and still validates what it holds', async () => {
    const answer = await get(`${origin}${DEVICES_PATH}${QUERY}&gzip=1`, { Authorization: 'Bearer t', 'Accept-Encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.body.equals(gzipSync(validBytes))).toBe(true);
    expect(answer.headers['sl-violations']).toBeUndefined();
  });

  it('flags a path the spec lacks, with non-ASCII escaped so the header is legal', async () => {
    const answer = await get(`${origin}/public/v2/%E6%96%B0`, { Authorization: 'Bearer t' });
    expect(answer.status).toBe(200);
    const raw = String(answer.headers['sl-violations']);
    expect(raw).toMatch(/^[\x20-\x7e]+$/);
    expect(raw).toContain('\\u65b0');
    expect(violationsOf(answer.headers)).toEqual([expect.objectContaining({ severity: 'Warning', message: 'no operation in the spec for GET /public/v2/新' })]);
  });

  it('prints requests and violations per operation on SIGTERM', async () => {
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
    const summary = proxy.output().split('summary per operation:')[1] ?? '';
    expect(summary).toMatch(new RegExp(`^GET ${DEVICES_TEMPLATE.replace(/[{}]/g, '\\$&')}\\s+4\\s+3$`, 'm'));
    expect(summary).toMatch(/^GET \/public\/v2\/%E6%96%B0 \(not in the spec\)\s+1\s+1$/m);
  });
});

describe('proxy at a vendor base path', () => {
  it('accepts the production path, validates below the base path and forwards the same path', async () => {
    const seen: string[] = [];
    const upstream = await startServer((request, _body, reply) => {
      seen.push(request.url!);
      // Not the spec's answer: `data` must be an object, so the proxy must have routed to the operation.
      reply.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"msg":"ok","data":"oops"}');
    });
    const proxy = runScript('proxy', ['bajie-charging', '--upstream', upstream.origin, '--port', '0', '--quiet']);
    try {
      const origin = (await proxy.waitFor(/(http:\/\/127\.0\.0\.1:\d+) ->/))[1]!;
      const answer = await get(`${origin}/cdb-open-api/v1/cabinet/eventPush/config/get`, { Authorization: 'Basic YWdlbnQ6c2VjcmV0' });
      expect(seen).toEqual(['/cdb-open-api/v1/cabinet/eventPush/config/get']);
      expect(answer.body.toString()).toBe('{"code":0,"msg":"ok","data":"oops"}');
      expect(violationsOf(answer.headers).map((violation) => violation.field)).toContain('response body.data');
    } finally {
      proxy.child.kill('SIGTERM');
      await proxy.exited;
      await upstream.close();
    }
  });
});

describe('proxy to a dead upstream', () => {
  it('answers 502 application/problem+json naming the upstream and the reason', async () => {
    // A port that was just free: start a server, note its port, close it.
    const gone = await startServer(() => undefined);
    await gone.close();
    const proxy = runScript('proxy', ['redex', '--upstream', gone.origin, '--port', '0']);
    try {
      const origin = (await proxy.waitFor(/(http:\/\/127\.0\.0\.1:\d+) ->/))[1]!;
      const answer = await get(origin + DEVICES_PATH + QUERY, { Authorization: 'Bearer t' });
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      const problem = JSON.parse(answer.body.toString());
      expect(problem).toMatchObject({ status: 502, title: 'Bad Gateway', upstream: gone.origin });
      expect(problem.detail).toContain(gone.origin);
      expect(problem.detail).toMatch(/ECONNREFUSED/);
      await proxy.waitFor(/^upstream unreachable .*ECONNREFUSED/m);
    } finally {
      proxy.child.kill('SIGTERM');
      await proxy.exited;
    }
  });
});
