// `npm run bench`: every benchmark several times, medians printed, written to scripts/bench/results.json, and
// the README's benchmark table rewritten. Ratios are against baselines measured in the same run.
import { cpus, totalmem } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from './lib/apis.ts';
import { benchClient } from './bench/client.ts';
import { benchCreateThenGet, benchStartup, benchThroughput } from './bench/mocks.ts';
import { benchPipeline } from './bench/pipeline.ts';
import { benchSandboxPackage } from './bench/sandbox-package.ts';
import { benchSize } from './bench/size.ts';
import { benchSoak } from './bench/soak.ts';
import { benchSandboxMemory, benchStatefulGrowth } from './bench/sandbox.ts';
import { renderReadmeTable } from './bench/report.ts';

const SUITES = ['pipeline', 'startup', 'package', 'throughput', 'stateful', 'growth', 'memory', 'client', 'size', 'soak'] as const;

async function main() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      runs: { type: 'string', default: '3' },
      // Seconds of load: 4 per throughput run, 60 for the soak unless given.
      duration: { type: 'string' },
      'no-readme': { type: 'boolean', default: false },
    },
  });
  const only = values.only ? values.only.split(',') : [...SUITES];
  for (const suite of only) if (!SUITES.includes(suite as (typeof SUITES)[number])) throw new Error(`--only: unknown suite "${suite}"; known: ${SUITES.join(', ')}`);
  const runs = Number(values.runs);
  const resultsPath = join(projectRoot, 'scripts', 'bench', 'results.json');
  let previous: Record<string, unknown> = {};
  try {
    previous = JSON.parse(readFileSync(resultsPath, 'utf8')).results ?? {};
  } catch {
    // first run
  }
  const results: Record<string, unknown> = { ...previous };
  const started = performance.now();
  const suites: Record<(typeof SUITES)[number], () => Promise<unknown>> = {
    pipeline: () => benchPipeline(runs),
    startup: () => benchStartup(runs),
    package: () => benchSandboxPackage(runs),
    throughput: () => benchThroughput(runs, Number(values.duration ?? 4)),
    stateful: () => benchCreateThenGet(runs, Number(values.duration ?? 4)),
    growth: () => benchStatefulGrowth(runs),
    memory: () => benchSandboxMemory(runs),
    client: () => benchClient(runs),
    size: () => benchSize(),
    soak: () => benchSoak(Number(values.duration ?? 60)),
  };
  for (const suite of SUITES.filter((name) => only.includes(name))) {
    const suiteStarted = performance.now();
    console.log(`▶ ${suite}`);
    results[suite] = await suites[suite]();
    console.log(`✔ ${suite} ${Math.round(performance.now() - suiteStarted)} ms: ${JSON.stringify(results[suite])}`);
  }
  const machine = {
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const report = { date: new Date().toISOString(), machine, results };
  writeFileSync(resultsPath, JSON.stringify(report, null, 2) + '\n');
  console.log(`bench: ${Math.round((performance.now() - started) / 1000)} s, results in scripts/bench/results.json`);
  if (!values['no-readme']) {
    const readmePath = join(projectRoot, 'README.md');
    const readme = readFileSync(readmePath, 'utf8');
    const table = renderReadmeTable(report);
    const updated = readme.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${table}\n<!-- bench:end -->`);
    if (updated === readme && !readme.includes(table)) console.warn('bench: README.md has no <!-- bench:start --> ... <!-- bench:end --> markers; table not written');
    writeFileSync(readmePath, updated);
  }
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
