// Pipeline: `npm run build` from a clean generated/ and docs/, then again with nothing changed. Runs in a copy
// of the project so the working tree is never left half-built.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../lib/apis.ts';
import { median, progress, round } from './lib.ts';

const NOT_COPIED = new Set(['node_modules', '.git', 'generated', 'dist', '.cache', 'test-results', '.scratch']);

function timedBuild(root: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`npm run build failed in ${root}:\n${result.stdout}\n${result.stderr}`);
  return ms;
}

export async function benchPipeline(runs: number) {
  const copy = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  try {
    cpSync(projectRoot, copy, {
      recursive: true,
      filter: (source) => {
        const path = relative(projectRoot, source);
        const top = path.split('/')[0]!;
        return !NOT_COPIED.has(top) && !(top === 'docs' && path !== 'docs' && path !== 'docs/README.md');
      },
    });
    symlinkSync(join(projectRoot, 'node_modules'), join(copy, 'node_modules'));
    const cold: number[] = [];
    const noop: number[] = [];
    for (let run = 1; run <= runs; run++) {
      for (const built of ['generated', 'docs', 'dist', '.cache']) rmSync(join(copy, built), { recursive: true, force: true });
      cold.push(timedBuild(copy));
      noop.push(timedBuild(copy));
      progress(`pipeline run ${run}/${runs}: cold ${round(cold.at(-1)!)} ms, no-op ${round(noop.at(-1)!)} ms`);
    }
    return { coldBuildMs: round(median(cold)), noopBuildMs: round(median(noop)), runs };
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
