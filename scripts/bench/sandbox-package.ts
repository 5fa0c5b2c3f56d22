// The sandbox as a partner team installs it: `npm pack -w mocks` installed into an empty project, then its CLI's
// `start` until all five mocks answer, beside a plain `prism mock` of one spec started the same way (a process
// from a shell, timed until its port answers); the running sandbox's resident memory; the tarball's size and what
// the install puts on disk.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from '../build.ts';
import { projectRoot } from '../lib/apis.ts';
import { freePortBlock } from '../lib/net.ts';
import { answers, HOST, median, portIsOpen, progress, round, startProcess, stopProcess, treeRssMb, waitUntil } from './lib.ts';

/** Milliseconds from spawning the command until every port answers an HTTP request, and the process tree's RSS then. */
async function timeStart(command: string, args: string[], cwd: string, ports: number[]): Promise<{ ms: number; rssMb: number }> {
  const started = performance.now();
  const child = startProcess(command, args, { cwd, stdio: 'ignore' });
  try {
    await waitUntil(`${command} ${args.join(' ')}`, async () => (await Promise.all(ports.map(answers))).every(Boolean), 90_000);
    const ms = performance.now() - started;
    // Memory after some traffic on every port, not just after start-up.
    for (const port of ports) await Promise.all(Array.from({ length: 20 }, () => fetch(`http://${HOST}:${port}/`, { headers: { authorization: 'Bearer bench' } }).then((r) => r.arrayBuffer())));
    return { ms, rssMb: treeRssMb(child.pid!) };
  } finally {
    await stopProcess(child);
    await waitUntil('ports to be free', async () => !(await Promise.all(ports.map((port) => portIsOpen(port)))).some(Boolean), 10_000);
  }
}

function duBytes(path: string): number {
  return Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
}

export async function benchSandboxPackage(runs: number) {
  const scratch = mkdtempSync(join(tmpdir(), 'bench-sandbox-package-'));
  try {
    await build({ only: 'sandbox', log: () => {} });
    const packed = JSON.parse(execFileSync('npm', ['pack', '-w', 'mocks', '--ignore-scripts', '--json', '--pack-destination', scratch], { cwd: projectRoot, encoding: 'utf8' }))[0];
    const project = join(scratch, 'partner-team');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'partner-team', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--save-dev', join(scratch, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: project, stdio: 'ignore' });
    const installBytes = duBytes(join(project, 'node_modules'));
    progress(`tarball ${round(packed.size / 1024)} kB (${packed.entryCount} files), install ${round(installBytes / 2 ** 20, 1)} MB`);

    const sandbox: { ms: number; rssMb: number }[] = [];
    const plain: { ms: number; rssMb: number }[] = [];
    const prism = join(projectRoot, 'node_modules', '.bin', 'prism');
    for (let run = 1; run <= runs; run++) {
      const base = await freePortBlock(5);
      const ports = [0, 1, 2, 3, 4].map((offset) => base + offset);
      sandbox.push(await timeStart(join(project, 'node_modules', '.bin', 'partner-api-sandbox'), ['start', '--port-base', String(base), '--quiet'], project, ports));
      const one = await freePortBlock(1);
      plain.push(await timeStart(prism, ['mock', '-h', HOST, '-p', String(one), join(project, 'node_modules', 'partner-api-sandbox', 'dist', 'apis', 'redex', 'openapi.json')], project, [one]));
      progress(`run ${run}/${runs}: installed sandbox, all five answering after ${round(sandbox.at(-1)!.ms)} ms (${round(sandbox.at(-1)!.rssMb)} MB); plain prism mock of one spec ${round(plain.at(-1)!.ms)} ms`);
    }
    const sandboxMs = median(sandbox.map((entry) => entry.ms));
    const plainMs = median(plain.map((entry) => entry.ms));
    return {
      tarballKb: round(packed.size / 1024),
      tarballFiles: packed.entryCount,
      installMb: round(installBytes / 2 ** 20, 1),
      startAllFiveMs: round(sandboxMs),
      plainPrismOneSpecMs: round(plainMs),
      startRatio: round(sandboxMs / plainMs, 2),
      runningRssMb: round(median(sandbox.map((entry) => entry.rssMb))),
      runs,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
