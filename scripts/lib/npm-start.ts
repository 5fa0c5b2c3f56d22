// `npm start` (or `npm run mock`) as a user runs it, for the tests and the benchmarks: the child process, and each
// server's origin read from the table it prints before "Mocks ready" (port 0 lets the system pick free ports).
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from './apis.ts';

export interface Serving {
  child: ChildProcess;
  /** Origin per label of the banner: each API id, and `reference site`. */
  origins: Map<string, string>;
  /** Everything the process has printed so far (stdout and stderr). */
  output: () => string;
}

/** Starts `npm <start | run mock> -- <args>` and resolves once it is ready; rejects (and kills it) when it is not. */
export function startServing(args: string[], { script = 'start', timeoutMs = 90_000 }: { script?: 'start' | 'mock'; timeoutMs?: number } = {}): Promise<Serving> {
  const child = spawn('npm', [...(script === 'start' ? ['start'] : ['run', 'mock']), '--', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let ready = false;
  return new Promise((resolveStart, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`npm ${script} ${args.join(' ')}: ${reason}:\n${output.slice(-3000)}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (ready || !/Mocks ready/.test(output)) return;
      ready = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      const origins = new Map<string, string>();
      for (const match of output.matchAll(/^(\S+(?: site)?)\s+(https?:\/\/\S+:\d+)/gm)) origins.set(match[1]!, match[2]!);
      resolveStart({ child, origins, output: () => output });
    };
    const onExit = (code: number | null) => fail(`exited with ${code} before it was ready`);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}
