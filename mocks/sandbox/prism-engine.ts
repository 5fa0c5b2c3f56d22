// Prism, loaded on first use: the engine of `Prefer: code=|example=|dynamic=` (and of any request the fast path
// leaves to it: an operation the sandbox keeps no state for, an Accept it does not negotiate). Importing Prism
// costs about a second and most of the memory of a mock, so a sandbox that never needs it never loads it.
import type { IHttpConfig, IHttpRequest } from '@stoplight/prism-http';
import type { Violation } from './request-check.ts';

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

/** A Prism engine over a bundle; nothing of Prism is imported until the first request. */
export function lazyPrism(spec: Record<string, unknown>): PrismEngine {
  let loading: Promise<Awaited<ReturnType<typeof load>>> | undefined;

  async function load() {
    const [{ createLogger }, http, { getHttpConfigFromRequest }] = await Promise.all([
      import('@stoplight/prism-core'),
      import('@stoplight/prism-http'),
      import('@stoplight/prism-http-server/dist/getHttpConfigFromRequest.js'),
    ]);
    // Deliveries (the VTN's callback included) are the sandbox's, sent only for requests that succeeded.
    const operations = (await http.getHttpOperationsFromSpec(spec)).map((operation) => ({ ...operation, callbacks: [] }));
    const prism = http.createInstance(CONFIG, { logger: createLogger('MOCK', { level: 'silent' }) });
    return { prism, operations, getHttpConfigFromRequest };
  }

  const toPrism = (input: PrismInput): IHttpRequest => ({
    method: input.method.toLowerCase() as IHttpRequest['method'],
    url: { path: input.path, query: input.query },
    headers: input.headers,
    body: input.body,
  });

  return {
    async request(input) {
      const { prism, operations, getHttpConfigFromRequest } = await (loading ??= load());
      const request = toPrism(input);
      // Prefer: code=, example=, dynamic= (or __code... query parameters), parsed exactly as `prism mock` does.
      const preferences = getHttpConfigFromRequest(request);
      if (preferences._tag === 'Left') return { kind: 'bad-preference', detail: preferences.left.detail ?? preferences.left.message };
      const result = await prism.request(request, operations, { ...CONFIG, mock: { ...CONFIG.mock, ...preferences.right } })();
      if (result._tag === 'Left') {
        const problem = result.left as Error & { status?: number; detail?: string };
        return { kind: 'problem', status: problem.status, detail: problem.detail, message: problem.message };
      }
      const { output, validations } = result.right;
      const fixedAnswer = preferences.right.code !== undefined || preferences.right.exampleKey !== undefined || preferences.right.dynamic !== undefined;
      const violations = (validations.input as unknown as Violation[]).filter((violation) => violation.severity === 0);
      return { kind: 'output', status: output.statusCode, headers: { ...(output.headers ?? {}) } as Record<string, string>, body: output.body, violations, fixedAnswer };
    },

  };
}
