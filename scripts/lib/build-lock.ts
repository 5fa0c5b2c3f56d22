// One build at a time on a working tree. Builds that overlap (two test files building the same stage, `npm start`'s
// background build beside `npm run build`) would write the same files, and each would save its own view of the step
// cache over the other's; the second one instead waits, then finds the steps done and skips them.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const WAIT_LIMIT_MS = 10 * 60_000;

/** A process that no longer exists cannot hold the lock (a build killed with SIGKILL leaves its file behind). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withBuildLock<T>(root: string, work: () => Promise<T>, log: (line: string) => void = console.log): Promise<T> {
  const lockPath = join(root, '.cache', 'build.lock');
  mkdirSync(dirname(lockPath), { recursive: true });
  for (let waitedMs = 0; ; ) {
    try {
      writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(lockPath, 'utf8'));
    } catch {
      continue; // released between the two calls
    }
    // An empty file is a lock being written this instant: its holder is alive.
    if (holder > 0 && !alive(holder)) {
      rmSync(lockPath, { force: true });
      continue;
    }
    if (waitedMs === 0) log(`build: waiting for another build of this tree (pid ${holder || 'starting'}, ${lockPath})`);
    if (waitedMs >= WAIT_LIMIT_MS) throw new Error(`${lockPath}: held by pid ${holder} for ${WAIT_LIMIT_MS / 60_000} minutes; delete it if no build is running`);
    await sleep(100);
    waitedMs += 100;
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}
