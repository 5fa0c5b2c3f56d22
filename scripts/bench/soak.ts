// Soak: `npm start` (the five mocks in one process) under 50 connections for 60 s of mixed valid and invalid
// requests, derived from the bundles as the fuzz tests derive them (test/fuzz/support/requests.ts, fixed seed).
// Reports socket errors, 5xx answers and the resident memory of the process tree, sampled each second: its
// growth between second 10 and the end. `npm run bench -- --only soak --duration 15` for a quick check.
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import fc from 'fast-check';
import { loadApis } from '../lib/apis.ts';
import { startServing } from '../lib/npm-start.ts';
import { contractOf } from '../../test/fuzz/support/contract.ts';
import { bodyBytes, type Recipe } from '../../test/fuzz/support/http.ts';
import { requestsFor } from '../../test/fuzz/support/requests.ts';
import { HOST, progress, round, startProcess, stopProcess, treeRssMb } from './lib.ts';

const CONNECTIONS = 50;
const SEED = 20261123;
/** Requests in each API's cycle; each connection walks its API's cycle in order, over and over. */
const CYCLE = 120;
/** Bodies over 1 MiB per cycle (they cost the most; the limit's 413 is what they exercise). */
const OVERSIZE_PER_CYCLE = 2;
const RSS_FROM_SECOND = 10;
/** How often the load's tenants are reset (see benchSoak). */
const RESET_EVERY_MS = 5000;
/** The methods autocannon can send (no WebDAV). */
const AUTOCANNON_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE']);

/** What autocannon 8 reports beyond the few fields scripts/types/autocannon.d.ts declares. */
interface FullResult extends autocannon.Result {
  requests: autocannon.Result['requests'] & { total: number; sent: number };
  timeouts: number;
  resets: number;
  '5xx': number;
  statusCodeStats: Record<string, { count: number }>;
}

interface AutocannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** autocannon writes the request head as UTF-8: turn the recipe's Latin-1 byte strings back into the same bytes. */
const fromLatin1 = (text: string) => {
  const decoded = Buffer.from(text, 'latin1').toString('utf8');
  return Buffer.from(decoded, 'utf8').equals(Buffer.from(text, 'latin1')) ? decoded : text;
};

function cycleFor(api: string): { requests: AutocannonRequest[]; kinds: Record<string, number> } {
  const recipes = fc.sample(requestsFor(contractOf(api)), { seed: SEED, numRuns: CYCLE * 2 });
  const chosen: Recipe[] = [];
  let oversize = 0;
  for (const recipe of recipes) {
    if (chosen.length === CYCLE) break;
    if (recipe.kind === 'oversize' && oversize++ >= OVERSIZE_PER_CYCLE) continue;
    if (!AUTOCANNON_METHODS.has(recipe.method)) continue;
    // Raw non-ASCII bytes in the request line: Node's HTTP parser answers a bare 400 and closes the connection,
    // and autocannon's connection then resends the same request forever. The fuzz tests cover these.
    if (/[^\x00-\x7f]/.test(recipe.url)) continue;
    chosen.push(recipe);
  }
  const kinds: Record<string, number> = {};
  for (const recipe of chosen) kinds[recipe.kind] = (kinds[recipe.kind] ?? 0) + 1;
  const requests = chosen.map((recipe) => {
    // autocannon sets Content-Length itself.
    const headers = Object.fromEntries(Object.entries(recipe.headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([name, value]) => [name, fromLatin1(value)]));
    const body = bodyBytes(recipe.body);
    return { method: recipe.method, path: fromLatin1(recipe.url), headers, ...(body && body.length > 0 ? { body } : {}) };
  });
  return { requests, kinds };
}

/** Starts `npm start` on ports the system picks and reads them from its table. */
async function startMocks(): Promise<{ child: ChildProcess; ports: Map<string, number>; output: () => string }> {
  const { child, origins, output } = await startServing(['--no-build', '--quiet', '--port-base', '0', '--docs-port', '0'], { timeoutMs: 60_000 });
  const ports = new Map<string, number>();
  for (const id of loadApis().map((api) => api.id)) {
    const origin = origins.get(id);
    if (!origin) throw new Error(`npm start printed no URL for ${id}:\n${output().slice(-3000)}`);
    ports.set(id, Number(new URL(origin).port));
  }
  return { child, ports, output };
}

function load(port: number, connections: number, durationSeconds: number, requests: AutocannonRequest[]): Promise<FullResult> {
  return new Promise((resolveLoad, reject) => {
    const options = { url: `http://${HOST}:${port}`, connections, duration: durationSeconds, requests, timeout: 10 } as unknown as autocannon.Options;
    autocannon(options, (error, result) => (error ? reject(error) : resolveLoad(result as FullResult)));
  });
}

export async function benchSoak(durationSeconds: number) {
  if (!(durationSeconds >= 2)) throw new Error(`soak: --duration ${durationSeconds} is too short (at least 2 s)`);
  const apis = loadApis().map((api) => api.id);
  const cycles = new Map(apis.map((api) => [api, cycleFor(api)]));
  const { child, ports, output } = await startMocks();
  // Prism (the engine of Prefer: code/example/dynamic) loads in a worker on its first use: a one-time cost the load
  // would otherwise pay inside the measured window. Load it first, as any sandbox that has served one such request has.
  for (const port of ports.values()) await fetch(`http://${HOST}:${port}/`, { headers: { prefer: 'code=404', authorization: 'Bearer warm-up' } }).then((answer) => answer.arrayBuffer());
  const rssMb: number[] = [];
  const sampler = setInterval(() => rssMb.push(treeRssMb(child.pid!)), 1000);
  // The load creates objects the sandbox must keep (nothing is lost). As a partner's CI does between runs, every
  // few seconds each tenant the load uses is reset, so the memory measured is the server's own, not the data it
  // was asked to keep.
  const tenants = new Map(apis.map((api) => [api, [...new Set(cycles.get(api)!.requests.map((request) => request.headers.authorization ?? request.headers.Authorization).filter(Boolean))] as string[]]));
  let resets = 0;
  const resetter = setInterval(() => {
    for (const [api, credentials] of tenants) {
      for (const authorization of credentials) {
        fetch(`http://${HOST}:${ports.get(api)}/_sandbox/reset`, { method: 'POST', headers: { authorization } })
          .then((response) => (response.ok && resets++, response.arrayBuffer()))
          .catch(() => undefined);
      }
    }
  }, RESET_EVERY_MS);
  try {
    // 50 connections shared among the five mocks (10 each), all at once.
    const perApi = Math.floor(CONNECTIONS / apis.length);
    progress(`soak: ${CONNECTIONS} connections for ${durationSeconds} s across ${apis.length} mocks (${perApi} each), cycles of ${CYCLE} requests`);
    const results = await Promise.all(apis.map((api, index) => load(ports.get(api)!, perApi + (index < CONNECTIONS % apis.length ? 1 : 0), durationSeconds, cycles.get(api)!.requests)));
    clearInterval(sampler);
    clearInterval(resetter);
    const alive = child.exitCode === null && child.signalCode === null;
    const statusCounts: Record<string, number> = {};
    const byApi: Record<string, unknown> = {};
    results.forEach((result, index) => {
      const api = apis[index]!;
      for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = (statusCounts[code] ?? 0) + count;
      byApi[api] = { requests: result.requests.total, socketErrors: result.errors, timeouts: result.timeouts, resets: result.resets, serverErrors: result['5xx'] };
      progress(`soak ${api}: ${result.requests.total} requests, ${result.errors} socket errors (${result.timeouts} timeouts), ${result.resets} resets, ${result['5xx']} 5xx; statuses ${JSON.stringify(result.statusCodeStats)}`);
    });
    const from = Math.min(RSS_FROM_SECOND, Math.floor(rssMb.length / 2));
    const rssStart = rssMb[Math.max(0, from - 1)] ?? Number.NaN;
    const rssEnd = rssMb.at(-1) ?? Number.NaN;
    const summary = {
      durationSeconds,
      connections: CONNECTIONS,
      requests: results.reduce((sum, result) => sum + result.requests.total, 0),
      socketErrors: results.reduce((sum, result) => sum + result.errors, 0),
      timeouts: results.reduce((sum, result) => sum + result.timeouts, 0),
      resets: results.reduce((sum, result) => sum + result.resets, 0),
      serverErrors: results.reduce((sum, result) => sum + result['5xx'], 0),
      statusCounts,
      processAlive: alive,
      rssFromSecond: from,
      tenantResets: resets,
      resetEveryMs: RESET_EVERY_MS,
      rssStartMb: round(rssStart),
      rssEndMb: round(rssEnd),
      rssMaxMb: round(Math.max(...rssMb)),
      rssGrowthPercent: round(((rssEnd - rssStart) / rssStart) * 100, 1),
      // The runtime's memory is a sawtooth (it grows until a collection, then drops), so the endpoints depend on
      // the phase; the low points of the first and last ten seconds show what stays after collections.
      rssLowFirstMb: round(Math.min(...rssMb.slice(from - 1, from + 9))),
      rssLowLastMb: round(Math.min(...rssMb.slice(-10))),
      rssLowGrowthPercent: round(((Math.min(...rssMb.slice(-10)) - Math.min(...rssMb.slice(from - 1, from + 9))) / Math.min(...rssMb.slice(from - 1, from + 9))) * 100, 1),
      rssSamplesMb: rssMb.map((value) => round(value)),
      requestKinds: cycles.get(apis[0]!)!.kinds,
      byApi,
    };
    progress(
      `soak: ${summary.requests} requests, ${summary.socketErrors} socket errors, ${summary.serverErrors} 5xx, RSS ${summary.rssStartMb} MB at ${from} s -> ${summary.rssEndMb} MB at ${rssMb.length} s (${summary.rssGrowthPercent}%), npm start ${alive ? 'alive' : 'DEAD'}`,
    );
    if (!alive) throw new Error(`soak: npm start died under load:\n${output().slice(-3000)}`);
    return summary;
  } finally {
    clearInterval(sampler);
    clearInterval(resetter);
    await stopProcess(child);
  }
}
