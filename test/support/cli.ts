// Runs the command-line tools (conformance, emit) as the npm scripts do (`node --import tsx scripts/sandbox.ts <command>`: the
// sandbox package's own commands on this working tree),
// and small loopback servers for them to talk to, all on ports the system picks.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runCli } from '../../mocks/cli/run.ts';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { repositoryCatalogue } from '../../scripts/lib/sandbox-catalogue.ts';

export interface Running {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves when `pattern` appears in the output; rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

export function runScript(script: string, args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sandbox.ts', script, ...args], {
    cwd: projectRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk;
    listeners.forEach((listener) => listener());
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // 'close', not 'exit': it comes after stdout and stderr are drained, so `output()` is complete.
  const exited = new Promise<number | null>((resolveExit) => child.once('close', (code) => resolveExit(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolveWait(match);
          }
        };
        const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`)), timeoutMs);
        listeners.add(check);
        exited.then((code) => {
          if (listeners.delete(check)) {
            clearTimeout(timer);
            reject(new Error(`${script} exited with ${code} before ${pattern}:\n${output}`));
          }
        });
        check();
      });
    },
  };
}

/** Runs a CLI to completion. */
export async function runToEnd(script: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const running = runScript(script, args);
  const code = await running.exited;
  return { code, output: running.output() };
}

/**
 * The same command line run in this process (the same runCli as the npm script, on the working tree's catalogue),
 * its output captured: for cases where what matters is the output and exit code, not the process around them.
 */
export async function runInProcess(script: string, args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const record = (line: string) => void lines.push(line);
  const code = await runCli([script, ...args], { catalogue: repositoryCatalogue(), command: (name) => `npm run ${name} --`, out: record, err: record });
  return { code, output: lines.join('\n') + '\n' };
}

export interface LocalServer {
  server: Server;
  origin: string;
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1, port 0; the handler gets the raw body. */
export async function startServer(handler: (request: IncomingMessage, body: Buffer, reply: ServerResponse) => void | Promise<void>): Promise<LocalServer> {
  const server = createServer(async (request, reply) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    await handler(request, Buffer.concat(chunks), reply);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
