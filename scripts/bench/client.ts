// Client overhead: a call through the generated RedEx client divided by a raw fetch of the same URL, both
// against the same loopback server, in the same run: the two kinds of call alternate one by one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, defaultBaseUrl } from '../../generated/redex/client.ts';
import { projectRoot } from '../lib/apis.ts';
import { HOST, median, progress, round, startProcess, stopProcess, waitUntil } from './lib.ts';

const PORT = 34030;
const ID = '347847fa-68c0-4418-9119-08dc3993455a';

export async function benchClient(runs: number) {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-client-'));
  const spec = JSON.parse(readFileSync(join(projectRoot, 'generated/redex/openapi.json'), 'utf8'));
  const body = JSON.stringify(Object.values(spec.components.examples as Record<string, { value: unknown }>)[0]?.value ?? {});
  writeFileSync(join(scratch, 'body.json'), body);
  const server = startProcess(process.execPath, ['--import', 'tsx', 'scripts/bench/raw-server.ts', String(PORT), join(scratch, 'body.json'), 'application/json'], { cwd: projectRoot });
  try {
    const origin = `http://${HOST}:${PORT}`;
    await waitUntil('loopback server', async () => (await fetch(origin).catch(() => null))?.ok ?? false);
    const url = `${origin}${new URL(defaultBaseUrl).pathname.replace(/\/$/, '')}/public/v2/device-applications/${ID}/devices?CurrentPage=1&ItemsPerPage=10`;
    const client = createClient({ baseUrl: origin, auth: { token: 'bench-token' } });
    const ratios: number[] = [];
    let lastRaw = 0;
    let lastClient = 0;
    const rawCall = async () => {
      const response = await fetch(url, { headers: { Authorization: 'Bearer bench-token' } });
      await response.json();
    };
    const clientCall = async () => {
      await client.GET('/public/v2/device-applications/{deviceApplicationId}/devices', {
        params: { path: { deviceApplicationId: ID }, query: { CurrentPage: 1, ItemsPerPage: 10 } },
      });
    };
    // The calls alternate one by one (which goes first alternates too), so a noisy moment on the shared machine
    // hits both sides alike; each side's figure is the median of its calls' latencies.
    const PAIRS = 3000;
    for (let pair = 0; pair < 1000; pair++) {
      await rawCall();
      await clientCall();
    }
    for (let run = 1; run <= runs; run++) {
      const raws: number[] = [];
      const typeds: number[] = [];
      for (let pair = 0; pair < PAIRS; pair++) {
        for (const side of pair % 2 ? [raws, typeds] : [typeds, raws]) {
          const started = performance.now();
          await (side === raws ? rawCall() : clientCall());
          side.push(performance.now() - started);
        }
      }
      lastRaw = median(raws);
      lastClient = median(typeds);
      ratios.push(lastClient / lastRaw);
      progress(`client run ${run}/${runs}: raw fetch ${round(lastRaw * 1000)} µs, generated client ${round(lastClient * 1000)} µs, ratio ${round(ratios.at(-1)!, 3)} (medians of ${PAIRS} alternating calls each)`);
    }
    return { clientOverFetchRatio: round(median(ratios), 3), rawFetchUs: round(lastRaw * 1000), clientUs: round(lastClient * 1000), runs };
  } finally {
    await stopProcess(server);
    rmSync(scratch, { recursive: true, force: true });
  }
}
