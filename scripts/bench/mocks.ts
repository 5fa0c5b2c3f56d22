// Mocks: start-up time and memory of `npm start`, and RedEx devices GET throughput of our mock beside a plain
// `prism mock` of the same bundled spec and a raw node:http server answering the same bytes (the ceiling).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadApis, projectRoot } from '../lib/apis.ts';
import { freePortBlock } from '../lib/net.ts';
import { startRedis } from '../lib/redis-server.ts';
import { answers, HOST, median, portIsOpen, progress, round, startProcess, stopProcess, treeRssMb, waitUntil } from './lib.ts';

const DEVICES_PATH = '/public/v2/device-applications/347847fa-68c0-4418-9119-08dc3993455a/devices?CurrentPage=1&ItemsPerPage=10';
const HEADERS = { Authorization: 'Bearer bench-token', accept: 'application/json' };

export async function benchStartup(runs: number) {
  const startMs: number[] = [];
  const rssMb: number[] = [];
  for (let run = 1; run <= runs; run++) {
    // Free ports probed just before the start, so several checkouts can run the benchmark at once.
    const portBase = await freePortBlock(loadApis().length + 1);
    const docsPort = portBase + loadApis().length;
    const ports = loadApis().map((_, index) => portBase + index);
    const started = performance.now();
    const child = startProcess('npm', ['start', '--', '--port-base', String(portBase), '--docs-port', String(docsPort), '--quiet'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitUntil('all five mocks', async () => (await Promise.all(ports.map(answers))).every(Boolean)).catch((error: Error) => {
      throw new Error(`${error.message}; npm start printed:\n${output.slice(-3000)}`);
    });
    startMs.push(performance.now() - started);
    // Memory after some traffic, not just after start-up.
    for (const port of ports) await Promise.all(Array.from({ length: 20 }, () => fetch(`http://${HOST}:${port}/`).then((r) => r.arrayBuffer())));
    rssMb.push(treeRssMb(child.pid!));
    await stopProcess(child);
    await waitUntil('ports to be free', async () => !(await Promise.all(ports.map((port) => portIsOpen(port)))).some(Boolean), 10_000);
    progress(`npm start run ${run}/${runs}: all five answering after ${round(startMs.at(-1)!)} ms, process tree ${round(rssMb.at(-1)!)} MB`);
  }
  return { startToAllAnsweringMs: round(median(startMs)), processTreeRssMb: round(median(rssMb)), runs };
}

/**
 * Load on one URL. `distinct` makes every request's target different (an extra query parameter the operation does
 * not declare, which the mock ignores), so no answer is ever served again from the sandbox's answer cache.
 */
function load(url: string, connections: number, durationSeconds: number, distinct = false): Promise<autocannon.Result> {
  let sent = 0;
  const { pathname, search } = new URL(url);
  const requests: autocannon.Request[] | undefined = distinct ? [{ setupRequest: (request) => ({ ...request, path: `${pathname}${search}&bench=${sent++}` }) }] : undefined;
  return new Promise((resolveLoad, reject) => {
    autocannon({ url, connections, duration: durationSeconds, headers: HEADERS, requests }, (error, result) => (error ? reject(error) : resolveLoad(result)));
  });
}

export async function benchThroughput(runs: number, durationSeconds: number) {
  const ours = await freePortBlock(3);
  const plain = ours + 1;
  const raw = ours + 2;
  const scratch = mkdtempSync(join(tmpdir(), 'bench-raw-'));
  const servers = [
    startProcess(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--mock', 'redex', '--no-build', '--quiet', '--port', String(ours)], { cwd: projectRoot }),
    startProcess(join(projectRoot, 'node_modules/.bin/prism'), ['mock', '-h', HOST, '-p', String(plain), 'generated/redex/openapi.json'], { cwd: projectRoot }),
  ];
  try {
    await waitUntil('our RedEx mock', () => answers(ours));
    await waitUntil('plain prism mock', () => answers(plain), 90_000);
    const sample = await fetch(`http://${HOST}:${ours}${DEVICES_PATH}`, { headers: HEADERS });
    if (sample.status !== 200) throw new Error(`our RedEx mock answered ${sample.status} to the benchmark request`);
    const bodyFile = join(scratch, 'body.json');
    writeFileSync(bodyFile, Buffer.from(await sample.arrayBuffer()));
    servers.push(
      startProcess(process.execPath, ['--import', 'tsx', 'scripts/bench/raw-server.ts', String(raw), bodyFile, sample.headers.get('content-type') ?? 'application/json'], { cwd: projectRoot }),
    );
    await waitUntil('raw node:http server', () => answers(raw));

    // `oursUncached`: our mock again, every request a new target, so each one goes through every stage (route,
    // request check, state, answer check, serialization) instead of the answer cache of repeated reads.
    const targets = { ours, oursUncached: ours, plainPrism: plain, rawNodeHttp: raw } as const;
    // Each server warmed up alike before anything is measured (its JIT compiled the hot path), discarded.
    for (const [name, port] of Object.entries(targets)) await load(`http://${HOST}:${port}${DEVICES_PATH}`, 10, 2, name === 'oursUncached');
    const results: Record<string, Record<string, { requestsPerSecond: number[]; p99Ms: number[] }>> = {};
    for (const connections of [10, 50]) {
      for (let run = 1; run <= runs; run++) {
        // Interleaved, so a noisy moment hits all three alike.
        for (const [name, port] of Object.entries(targets)) {
          const result = await load(`http://${HOST}:${port}${DEVICES_PATH}`, connections, durationSeconds, name === 'oursUncached');
          if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
          const entry = ((results[`c${connections}`] ??= {})[name] ??= { requestsPerSecond: [], p99Ms: [] });
          entry.requestsPerSecond.push(result.requests.average);
          entry.p99Ms.push(result.latency.p99);
          progress(`RedEx GET, ${connections} connections, run ${run}/${runs}: ${name} ${round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`);
        }
      }
    }
    const summary: Record<string, unknown> = {};
    for (const [level, byServer] of Object.entries(results)) {
      const medians = Object.fromEntries(
        Object.entries(byServer).map(([name, { requestsPerSecond, p99Ms }]) => [name, { requestsPerSecond: round(median(requestsPerSecond)), p99Ms: round(median(p99Ms), 1) }]),
      );
      summary[level] = {
        ...medians,
        oursVsPlainPrism: round(medians.ours!.requestsPerSecond / medians.plainPrism!.requestsPerSecond, 2),
        oursVsRawNodeHttp: round(medians.ours!.requestsPerSecond / medians.rawNodeHttp!.requestsPerSecond, 2),
        oursUncachedVsRawNodeHttp: round(medians.oursUncached!.requestsPerSecond / medians.rawNodeHttp!.requestsPerSecond, 2),
      };
    }
    return { ...summary, runs, durationSeconds };
  } finally {
    await Promise.all(servers.map(stopProcess));
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Autocannon over a sequence: a VTN subscription created, then read back by the id the create answered. */
function createThenGet(port: number, basePath: string, connections: number, durationSeconds: number): Promise<autocannon.Result> {
  const headers = { Authorization: 'Bearer bench-token', 'content-type': 'application/json' };
  const body = JSON.stringify({
    clientName: 'BENCH-VEN',
    programID: 'bench-program',
    objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:1/callback' }],
  });
  return new Promise((resolveLoad, reject) => {
    autocannon(
      {
        url: `http://${HOST}:${port}`,
        connections,
        duration: durationSeconds,
        requests: [
          {
            method: 'POST',
            path: `${basePath}/subscriptions`,
            headers,
            body,
            onResponse: (_status, responseBody, context) => {
              context.id = (() => {
                try {
                  return JSON.parse(responseBody).id;
                } catch {
                  return undefined;
                }
              })();
            },
          },
          {
            method: 'GET',
            headers,
            setupRequest: (request, context) => ({ ...request, path: `${basePath}/subscriptions/${String(context.id ?? 'object-999')}` }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolveLoad(result)),
    );
  });
}

/**
 * VTN create-then-get pairs per second: our stateful mock in memory, with the durable state file (every create
 * fsynced before its 201) and with a Redis store (a redis-server of the bench's own; every request holds its tenant's
 * lock, every create is in Redis before its 201), beside a plain `prism mock` answering examples. The item limit is raised: the load
 * creates thousands of subscriptions in one tenant, and it is throughput that is measured, not the limit.
 */
export async function benchCreateThenGet(runs: number, durationSeconds: number) {
  const ours = await freePortBlock(4);
  const durable = ours + 1;
  const plain = ours + 2;
  const shared = ours + 3;
  const scratch = mkdtempSync(join(tmpdir(), 'bench-durable-'));
  const redis = await startRedis();
  const ourMock = (port: number, extra: string[] = []) =>
    startProcess(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--mock', 'openadr3-vtn', '--no-build', '--quiet', '--port', String(port), '--max-items', '1000000', ...extra], { cwd: projectRoot });
  const servers = [
    ourMock(ours),
    ourMock(durable, ['--state-file', join(scratch, 'state.json')]),
    ourMock(shared, ['--store', redis.url]),
    startProcess(join(projectRoot, 'node_modules/.bin/prism'), ['mock', '-h', HOST, '-p', String(plain), 'generated/openadr3-vtn/openapi.json'], { cwd: projectRoot }),
  ];
  try {
    await waitUntil('our VTN mock', () => answers(ours));
    await waitUntil('our VTN mock with a state file', () => answers(durable));
    await waitUntil('our VTN mock on Redis', () => answers(shared));
    await waitUntil('plain prism mock of the VTN', () => answers(plain), 90_000);
    const pairs: Record<'ours' | 'oursDurable' | 'oursRedis' | 'plainPrism', number[]> = { ours: [], oursDurable: [], oursRedis: [], plainPrism: [] };
    for (let run = 1; run <= runs; run++) {
      // `prism mock` serves the bare spec paths; ours also the production base path, as partners call it.
      for (const [name, port, basePath] of [['ours', ours, '/api/openadr/v1'], ['oursDurable', durable, '/api/openadr/v1'], ['oursRedis', shared, '/api/openadr/v1'], ['plainPrism', plain, '']] as const) {
        const result = await createThenGet(port, basePath, 10, durationSeconds);
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} errors under create-then-get`);
        pairs[name].push(result.requests.average / 2);
        progress(`VTN create-then-get, 10 connections, run ${run}/${runs}: ${name} ${round(result.requests.average / 2)} pairs/s`);
      }
    }
    const oursPairs = round(median(pairs.ours));
    const durablePairs = round(median(pairs.oursDurable));
    const redisPairs = round(median(pairs.oursRedis));
    const plainPairs = round(median(pairs.plainPrism));
    return {
      oursPairsPerSecond: oursPairs,
      oursDurablePairsPerSecond: durablePairs,
      oursRedisPairsPerSecond: redisPairs,
      plainPrismPairsPerSecond: plainPairs,
      oursVsPlainPrism: round(oursPairs / plainPairs, 2),
      durableVsMemory: round(durablePairs / oursPairs, 2),
      redisVsMemory: round(redisPairs / oursPairs, 2),
      runs,
      durationSeconds,
    };
  } finally {
    await Promise.all(servers.map(stopProcess));
    await redis.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
