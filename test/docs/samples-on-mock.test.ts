// Every sample a partner copies from the reference page works on the sandbox: each operation's TypeScript code
// sample, run as printed against a fresh tenant of the real mock, gets a success answer that the schema accepts;
// and every named request example, sent with the parameter examples, is accepted too.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadApis } from '../../scripts/lib/apis.ts';
import { resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { authKindOf } from '../../scripts/steps/client.ts';
import { exampleRequestTarget, type OperationSample } from '../../scripts/steps/code-samples.ts';
import { bundledSpec } from '../support/contract.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

type Obj = Record<string, any>;
interface Samples {
  codeSamples: OperationSample[];
  [functionName: string]: unknown;
}
interface ClientModule {
  createClient(options: { baseUrl: string; auth: unknown }): unknown;
  defaultBaseUrl: string;
}

const ids = loadApis().map((api) => api.id);

/** A tenant nobody used before: the bearer token or the Basic user is the tenant. */
let tenantCount = 0;
const freshAuth = (kind: 'bearer' | 'basic') =>
  kind === 'bearer' ? { token: `samples-${process.pid}-${++tenantCount}` } : { username: `samples-${process.pid}-${++tenantCount}`, password: 'secret' };
const authHeader = (auth: Obj) =>
  'token' in auth ? `Bearer ${auth.token}` : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;

describe.each(ids)('%s: what the reference page shows, on the mock', (id) => {
  const spec = bundledSpec(id) as Obj;
  const kind = authKindOf(spec as never, id);
  let mock: RunningMock;
  let samples: Samples;
  let clients: ClientModule;

  beforeAll(async () => {
    mock = await startMock(id);
    samples = (await import(`../../generated/${id}/code-samples.ts`)) as Samples;
    clients = (await import(`../../generated/${id}/client.ts`)) as ClientModule;
  });
  afterAll(() => mock?.close());

  it('runs every code sample as printed on a fresh tenant: a success answer the schema accepts', async () => {
    expect(samples.codeSamples.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const sample of samples.codeSamples) {
      const client = clients.createClient({ baseUrl: mock.baseUrlFor(clients.defaultBaseUrl), auth: freshAuth(kind) });
      const logged: unknown[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((value: unknown) => void logged.push(value));
      try {
        await (samples[sample.functionName] as (client: unknown) => Promise<void>)(client);
      } catch (error) {
        failures.push(`${sample.operationId}: ${(error as Error).message}`);
        continue;
      } finally {
        log.mockRestore();
      }
      // A sample prints the answer's data; a body-less success prints undefined.
      const operation = spec.paths[sample.path][sample.method];
      const success = Object.keys(operation.responses).find((status) => /^2\d\d$/.test(status))!;
      const content = resolveLocalRef(spec, operation.responses[success]).value.content;
      if (content) failures.push(...answerErrors(id, sample.method, sample.path, Number(success), logged[0]).map((error) => `${sample.operationId}: ${error}`));
    }
    expect(failures).toEqual([]);
  });
});

/** Every named request example of every API: what, where, and the value. */
const requestExamples = ids.flatMap((id) => {
  const spec = bundledSpec(id) as Obj;
  return Object.entries<Obj>(spec.paths).flatMap(([path, item]) =>
    Object.entries<Obj>(item).flatMap(([method, operation]) => {
      const media = operation && typeof operation === 'object' ? resolveLocalRef(spec, operation.requestBody).value?.content?.['application/json'] : undefined;
      if (!media) return [];
      const examples: Obj = media.example !== undefined ? { example: { value: media.example } } : (media.examples ?? {});
      return Object.entries<Obj>(examples).map(([name, example]) => ({
        label: `${id} ${method.toUpperCase()} ${path} example ${name}`,
        id,
        method,
        target: exampleRequestTarget(spec, path, method),
        value: resolveLocalRef(spec, example).value.value as unknown,
      }));
    }),
  );
});

describe('every named request example, sent with the parameter examples to a fresh tenant', () => {
  const mocks = new Map<string, { mock: RunningMock; baseUrl: string; kind: 'bearer' | 'basic' }>();
  beforeAll(async () => {
    for (const id of new Set(requestExamples.map((example) => example.id))) {
      const mock = await startMock(id);
      const { defaultBaseUrl } = (await import(`../../generated/${id}/client.ts`)) as ClientModule;
      mocks.set(id, { mock, baseUrl: mock.baseUrlFor(defaultBaseUrl), kind: authKindOf(bundledSpec(id) as never, id) });
    }
  });
  afterAll(() => Promise.all([...mocks.values()].map(({ mock }) => mock.close())));

  it.each(requestExamples.map((example) => [example.label, example] as const))('%s is accepted', async (_label, example) => {
    const { baseUrl, kind } = mocks.get(example.id)!;
    const response = await fetch(`${baseUrl}${example.target}`, {
      method: example.method.toUpperCase(),
      headers: { Authorization: authHeader(freshAuth(kind)), 'Content-Type': 'application/json' },
      body: JSON.stringify(example.value),
    });
    expect(response.ok, `${response.status} ${await response.text()}`).toBe(true);
  });
});
