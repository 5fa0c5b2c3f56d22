// The sandbox's fast path: VTN create-then-get as one tenant's subscriptions grow to 1,000 (flat: the last
// hundred pairs as fast as the first), and the resident memory of the five mocks in one process after traffic
// that touches state, validation and rejections (Prism is never needed for it, so never loaded).
import { Agent, request as httpRequest } from 'node:http';
import { loadApis, projectRoot } from '../lib/apis.ts';
import { freePortBlock } from '../lib/net.ts';
import { answers, HOST, median, progress, round, startProcess, stopProcess, treeRssMb, waitUntil } from './lib.ts';

const PAIRS = 1000;
const WINDOW = 100;
const CONNECTIONS = 10;
const VTN_BASE = '/api/openadr/v1';
const SUBSCRIPTION = JSON.stringify({
  clientName: 'BENCH-VEN',
  programID: 'bench-program',
  objectOperations: [{ objects: ['EVENT'], operations: ['POST'], callbackUrl: 'http://127.0.0.1:1/callback' }],
});

interface Answer {
  status: number;
  body: string;
}

function call(agent: Agent, port: number, method: string, path: string, token: string, body?: string): Promise<Answer> {
  return new Promise((resolveCall, reject) => {
    const headers: Record<string, string | number> = { authorization: `Bearer ${token}` };
    if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    const outgoing = httpRequest({ host: HOST, port, method, path, headers, agent }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk) => (text += chunk));
      incoming.on('end', () => resolveCall({ status: incoming.statusCode ?? 0, body: text }));
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Create-then-get pairs under one tenant; the time each pair finished, in order. */
async function growTenant(port: number, token: string, pairs: number): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const finished: number[] = [];
  let started = 0;
  async function connection() {
    while (started < pairs) {
      started++;
      const created = await call(agent, port, 'POST', `${VTN_BASE}/subscriptions`, token, SUBSCRIPTION);
      if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.body.slice(0, 200)}`);
      const id = JSON.parse(created.body).id as string;
      const read = await call(agent, port, 'GET', `${VTN_BASE}/subscriptions/${encodeURIComponent(id)}`, token);
      if (read.status !== 200) throw new Error(`get of ${id} answered ${read.status}`);
      finished.push(performance.now());
    }
  }
  // The connections are open before the clock starts, so the first hundred does not pay for them.
  await Promise.all(Array.from({ length: CONNECTIONS }, () => call(agent, port, 'GET', `${VTN_BASE}/subscriptions?limit=1`, token)));
  const begin = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, connection));
  agent.destroy();
  return [begin, ...finished];
}

/** VTN pairs per second over the first and the last hundred of 1,000 pairs in one tenant, per run (fresh tenant each). */
export async function benchStatefulGrowth(runs: number) {
  const port = await freePortBlock(1);
  // Past the default 1,000 items per collection the sandbox answers 409: the seed plus 1,000 creates need room.
  const server = startProcess(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--mock', 'openadr3-vtn', '--no-build', '--quiet', '--port', String(port), '--max-items', String(PAIRS + 100)], { cwd: projectRoot });
  try {
    await waitUntil('our VTN mock', () => answers(port));
    await growTenant(port, 'bench-warm-up', 300);
    const first: number[] = [];
    const last: number[] = [];
    for (let run = 1; run <= runs; run++) {
      const times = await growTenant(port, `bench-growth-${run}`, PAIRS);
      const rate = (from: number, to: number) => (WINDOW * 1000) / (times[to]! - times[from]!);
      first.push(rate(0, WINDOW));
      last.push(rate(PAIRS - WINDOW, PAIRS));
      progress(`VTN create-then-get as one tenant grows to ${PAIRS}, run ${run}/${runs}: first hundred ${round(first.at(-1)!)} pairs/s, last hundred ${round(last.at(-1)!)} pairs/s`);
    }
    const firstHundred = round(median(first));
    const lastHundred = round(median(last));
    return { pairs: PAIRS, connections: CONNECTIONS, firstHundredPairsPerSecond: firstHundred, lastHundredPairsPerSecond: lastHundred, lastOverFirst: round(lastHundred / firstHundred, 2), runs };
  } finally {
    await stopProcess(server);
  }
}

/** Resident memory of the five mocks in one process (no reference site) after traffic on every mock. */
export async function benchSandboxMemory(runs: number) {
  const apis = loadApis();
  const rssMb: number[] = [];
  const startMs: number[] = [];
  for (let run = 1; run <= runs; run++) {
    const portBase = await freePortBlock(apis.length);
    const began = performance.now();
    const child = startProcess(process.execPath, ['--import', 'tsx', 'scripts/bench/sandbox-process.ts', String(portBase)], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((ready, failed) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && ready());
        child.once('exit', (code) => failed(new Error(`the five mocks exited with ${code} before answering`)));
      });
      startMs.push(performance.now() - began);
      const agent = new Agent({ keepAlive: true, maxSockets: 10 });
      // Traffic on every mock (its root and an unknown path, under five tenants), then 200 VTN creates that touch
      // validation and state.
      for (const [index] of apis.entries()) {
        const port = portBase + index;
        await Promise.all(Array.from({ length: 50 }, (_, n) => call(agent, port, 'GET', n % 2 ? '/' : '/nothing-here', `memory-${n % 5}`)));
      }
      await Promise.all(Array.from({ length: 200 }, (_, n) => call(agent, portBase + apis.findIndex((api) => api.id === 'openadr3-vtn'), 'POST', `${VTN_BASE}/subscriptions`, `memory-${n % 5}`, SUBSCRIPTION)));
      agent.destroy();
      rssMb.push(treeRssMb(child.pid!));
      progress(`five mocks, run ${run}/${runs}: listening after ${round(startMs.at(-1)!)} ms, ${round(rssMb.at(-1)!)} MB resident after traffic`);
    } finally {
      await stopProcess(child);
    }
  }
  return { listeningMs: round(median(startMs)), residentMb: round(median(rssMb)), runs };
}
