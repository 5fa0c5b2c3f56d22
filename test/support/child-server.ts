// A server in a child process (a durable-store child, a Redis replica) that prints one JSON line once it listens,
// for tests that kill it with SIGKILL and start it again. The test keeps the handles and kills only those.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../scripts/lib/apis.ts';

export interface ChildServer<Ready> {
  child: ChildProcess;
  /** What the child printed once it listened. */
  ready: Ready;
  /** Its standard error so far (the last 20,000 characters). */
  stderr: () => string;
}

/** Runs `node --import tsx <script> ...args` from the project root; resolves with its first stdout line, parsed. */
export function startChildServer<Ready>(script: string, args: string[], started: ChildProcess[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<ChildServer<Ready>> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk).slice(-20_000)));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start within ${timeoutMs / 1000} s:\n${stderr}`)), timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolveStart({ child, ready: JSON.parse(line) as Ready, stderr: () => stderr });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it listened:\n${stderr}`)));
  });
}

/** Stops the children a test file started that are still running. */
export function killStarted(started: ChildProcess[]) {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
