// Prism, on its own thread and only once needed: the engine of `Prefer: code=|example=|dynamic=` (and of any
// request the fast path leaves to it: an operation the sandbox keeps no state for, an Accept it does not
// negotiate). Loading Prism takes a second or more and most of a mock's memory; in a worker (prism-worker.ts),
// started on the first such request, it never stalls the mocks' own thread, and a sandbox that never needs it
// never loads it. One worker serves every mock of the process; it never keeps the process alive.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Violation } from './request-check.ts';
import type { WorkerAnswer, WorkerRequest } from './prism-worker.ts';

export interface PrismInput {
  method: string;
  /** Path below the base path, as received. */
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: unknown;
}

export type PrismResult =
  | { kind: 'bad-preference'; detail: string }
  | { kind: 'problem'; status?: number; detail?: string; message: string }
  | { kind: 'output'; status: number; headers: Record<string, string>; body: unknown; violations: Violation[]; fixedAnswer: boolean };

export interface PrismEngine {
  request(input: PrismInput): Promise<PrismResult>;
}

interface Pending {
  resolve: (result: PrismResult) => void;
  reject: (error: Error) => void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
/** Engines whose bundle the current worker has been given. */
let known = new Set<number>();
let nextRequest = 0;
let nextEngine = 0;

function startWorker(): Worker {
  const extension = extname(fileURLToPath(import.meta.url));
  // Beside this module: mocks/sandbox/prism-worker.ts in the repository, dist/prism-worker.js in the package.
  const file = new URL(`./prism-worker${extension === '.ts' ? '.ts' : '.js'}`, import.meta.url);
  // From TypeScript sources (the repository, its tests) the worker registers tsx's loader first.
  const started =
    extension === '.ts'
      ? new Worker(
          new URL(
            `data:text/javascript,${encodeURIComponent(
              `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(file.href)});`,
            )}`,
          ),
        )
      : new Worker(file);
  started.unref();
  started.on('message', (answer: WorkerAnswer) => {
    const waiting = pending.get(answer.id);
    if (!waiting) return;
    pending.delete(answer.id);
    if ('error' in answer) waiting.reject(new Error(`Prism failed: ${answer.error}`));
    else waiting.resolve(answer.result);
  });
  const fail = (error: Error) => {
    if (worker !== started) return;
    worker = undefined;
    known = new Set();
    for (const [id, waiting] of pending) (pending.delete(id), waiting.reject(error));
  };
  started.on('error', fail);
  started.on('exit', (code) => fail(new Error(`Prism's worker stopped (exit code ${code})`)));
  return started;
}

/** A Prism engine over a bundle; nothing of Prism is loaded until its first request. */
export function lazyPrism(spec: Record<string, unknown>): PrismEngine {
  const engine = nextEngine++;
  return {
    request(input) {
      worker ??= startWorker();
      const id = nextRequest++;
      const message: WorkerRequest = { id, engine, input, ...(known.has(engine) ? {} : { spec }) };
      known.add(engine);
      // The worker never keeps the process alive, not even while it answers: the mock's server does that while it
      // serves, and once the sandbox is closed, nobody waits for these answers.
      return new Promise<PrismResult>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker!.postMessage(message);
      });
    },
  };
}
