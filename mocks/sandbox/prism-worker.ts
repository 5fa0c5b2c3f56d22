// Prism's thread: the worker behind mocks/sandbox/prism-engine.ts. Loading Prism (hundreds of CommonJS modules,
// a second or more) happens here, so the mocks' own thread keeps answering meanwhile. One engine per bundle,
// created on the first request that names it.
import { parentPort } from 'node:worker_threads';
import type { IHttpConfig, IHttpRequest } from '@stoplight/prism-http';
import type { PrismInput, PrismResult } from './prism-engine.ts';
import type { Violation } from './request-check.ts';

// The same configuration `prism mock` uses: validate requests and security, static examples unless asked.
const CONFIG: IHttpConfig = {
  mock: { dynamic: false },
  validateRequest: true,
  validateResponse: false,
  checkSecurity: true,
  errors: false,
  upstreamProxy: undefined,
  isProxy: false,
};

export type WorkerRequest = { id: number; engine: number; spec?: Record<string, unknown>; input: PrismInput };
export type WorkerAnswer = { id: number; result: PrismResult } | { id: number; error: string };

async function load() {
  const [{ createLogger }, http, { getHttpConfigFromRequest }] = await Promise.all([
    import('@stoplight/prism-core'),
    import('@stoplight/prism-http'),
    import('@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js'),
  ]);
  return { createLogger, http, getHttpConfigFromRequest };
}

let prismModules: ReturnType<typeof load> | undefined;
const engines = new Map<number, Promise<{ prism: ReturnType<Awaited<ReturnType<typeof load>>['http']['createInstance']>; operations: any[] }>>();

async function engineFor(engine: number, spec: Record<string, unknown> | undefined) {
  let created = engines.get(engine);
  if (!created) {
    if (!spec) throw new Error(`prism worker: engine ${engine} was never given its bundle`);
    created = (async () => {
      const { createLogger, http } = await (prismModules ??= load());
      // Deliveries (the VTN's callback included) are the sandbox's, sent only for requests that succeeded.
      const operations = (await http.getHttpOperationsFromSpec(spec)).map((operation) => ({ ...operation, callbacks: [] }));
      return { prism: http.createInstance(CONFIG, { logger: createLogger('MOCK', { level: 'silent' }) }), operations };
    })();
    engines.set(engine, created);
  }
  return created;
}

async function answer(request: WorkerRequest): Promise<PrismResult> {
  const { prism, operations } = await engineFor(request.engine, request.spec);
  const { getHttpConfigFromRequest } = await prismModules!;
  const { input } = request;
  const prismRequest: IHttpRequest = {
    method: input.method.toLowerCase() as IHttpRequest['method'],
    url: { path: input.path, query: input.query },
    headers: input.headers,
    body: input.body,
  };
  // Prefer: code=, example=, dynamic= (or __code... query parameters), parsed exactly as `prism mock` does.
  const preferences = getHttpConfigFromRequest(prismRequest);
  if (preferences._tag === 'Left') return { kind: 'bad-preference', detail: preferences.left.detail ?? preferences.left.message };
  const result = await prism.request(prismRequest, operations, { ...CONFIG, mock: { ...CONFIG.mock, ...preferences.right } })();
  if (result._tag === 'Left') {
    const problem = result.left as Error & { status?: number; detail?: string };
    return { kind: 'problem', status: problem.status, detail: problem.detail, message: problem.message };
  }
  const { output, validations } = result.right;
  const fixedAnswer = preferences.right.code !== undefined || preferences.right.exampleKey !== undefined || preferences.right.dynamic !== undefined;
  // Plain data only: the answer crosses back to the mocks' thread.
  const violations = (validations.input as unknown as Violation[])
    .filter((violation) => violation.severity === 0)
    .map(({ path, code, message, severity, tags }) => ({ path: path?.map(String), code, message, severity, ...(tags ? { tags: [...tags] } : {}) }));
  return { kind: 'output', status: output.statusCode, headers: { ...(output.headers ?? {}) } as Record<string, string>, body: output.body, violations, fixedAnswer };
}

parentPort!.on('message', (request: WorkerRequest) => {
  answer(request).then(
    (result) => parentPort!.postMessage({ id: request.id, result } satisfies WorkerAnswer),
    (error: Error) => parentPort!.postMessage({ id: request.id, error: error.stack ?? error.message } satisfies WorkerAnswer),
  );
});
