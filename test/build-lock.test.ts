// The build lock: overlapping builds of one tree run one after the other, and a lock left by a killed build is
// taken over instead of waited on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { withBuildLock } from '../scripts/lib/build-lock.ts';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('withBuildLock', () => {
  it('runs overlapping builds of one tree one after the other, the second saying it waits', async () => {
    root = mkdtempSync(join(tmpdir(), 'build-lock-'));
    const events: string[] = [];
    const lines: string[] = [];
    const build = (name: string, during: () => Promise<unknown>) =>
      withBuildLock(
        root,
        async () => {
          events.push(`${name} start`);
          await during();
          events.push(`${name} end`);
        },
        (line) => lines.push(line),
      );
    // The second build starts while the first holds the lock (no guess at how long taking it takes), and the first
    // holds it over several of the second's polls, which say once that it waits.
    let second: Promise<unknown> | undefined;
    await build('first', async () => {
      second = build('second', async () => {});
      await new Promise((resolve) => setTimeout(resolve, 350));
    });
    await second;
    expect(events).toEqual(['first start', 'first end', 'second start', 'second end']);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/waiting for another build of this tree \(pid \d+/);
    expect(existsSync(join(root, '.cache', 'build.lock'))).toBe(false);
  });

  it('takes over a lock whose process is gone, and frees the lock when the build fails', async () => {
    root = mkdtempSync(join(tmpdir(), 'build-lock-'));
    // The pid of a process that has exited: a build killed with SIGKILL leaves such a file.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    mkdirSync(join(root, '.cache'));
    writeFileSync(join(root, '.cache', 'build.lock'), gone);
    const lines: string[] = [];
    await expect(withBuildLock(root, async () => 'built', (line) => lines.push(line))).resolves.toBe('built');
    expect(lines).toEqual([]);
    await expect(withBuildLock(root, async () => Promise.reject(new Error('step failed')))).rejects.toThrow('step failed');
    expect(existsSync(join(root, '.cache', 'build.lock'))).toBe(false);
  });
});
