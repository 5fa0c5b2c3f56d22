// Shared helpers of the benchmarks: medians, processes on loopback, waiting for ports, process-tree memory.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export { portIsOpen } from '../lib/net.ts';

export const HOST = '127.0.0.1';

/** True once a server on the port answers any HTTP request (a 404 counts). */
export async function answers(port: number): Promise<boolean> {
  try {
    await fetch(`http://${HOST}:${port}/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export const round = (value: number, digits = 0) => Number(value.toFixed(digits));

export function progress(line: string) {
  process.stdout.write(`  ${line}\n`);
}

/** Polls until `ready()` is true; returns the milliseconds it took, or throws naming what did not come up. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs = 60_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await ready()) return performance.now() - started;
    await new Promise((wait) => setTimeout(wait, 20));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

export function startProcess(command: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  // Its own process group, so stopping it stops its children (npm -> sh -> node) too.
  return spawn(command, args, { stdio: 'ignore', detached: true, ...options });
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  // A child started without its own process group (startServing's `npm start`) is signalled alone: npm passes
  // the signal on to the script. Without this the soak left `npm start` serving, and the bench never exited.
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      child.kill(name);
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Resident memory of a process and all its descendants, in MB, from /proc. */
export function treeRssMb(rootPid: number): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [rootPid];
  for (let index = 0; index < tree.length; index++) {
    for (const [pid, parent] of parents) if (parent === tree[index]) tree.push(pid);
  }
  let kilobytes = 0;
  for (const pid of tree) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kilobytes += Number(match?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kilobytes / 1024;
}
