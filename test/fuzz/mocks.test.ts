// Property-based fuzzing of each API's mock (the real server of mocks/prism-server.ts on a free loopback port):
// requests derived from the bundle, valid and broken, addressed at the production path with credentials mostly
// present, and every answer checked against the contract in test/fuzz/support/contract.ts: a documented status,
// content type and body, or one of 400/401/404/405/406/413/415/422 in the vendor's error envelope (with Allow on
// 405 and WWW-Authenticate on 401), never 5xx, never a dropped connection.
// Seeded (FUZZ_SEED), bounded (FUZZ_SCALE multiplies the runs); a failure prints the seed and the request.
// FUZZ_COLLECT=1 does not stop at the first broken answer: it runs all requests and lists every distinct problem.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApis } from '../../scripts/lib/apis.ts';
import { startMock, type RunningMock } from '../support/mock.ts';
import { contractOf, contractProblems } from './support/contract.ts';
import { send, type Recipe } from './support/http.ts';
import { requestsFor } from './support/requests.ts';
import { assertProperty, SEED } from './support/seed.ts';

/** Requests per API: about 2-4 s each on a 2-core machine. */
const RUNS = 700;
const COLLECT = Boolean(process.env.FUZZ_COLLECT);

const apis = loadApis().map((api) => api.id);
const mocks = new Map<string, RunningMock>();

beforeAll(async () => {
  for (const api of apis) mocks.set(api, await startMock(api));
});
afterAll(async () => {
  await Promise.all([...mocks.values()].map((mock) => mock.close()));
});

/** A broken answer's class, for FUZZ_COLLECT: the problem with request-specific details cut out. */
const problemClass = (recipe: Recipe, status: number | string, problem: string) =>
  `${status} ${recipe.kind} ${recipe.method}: ${problem.replace(/"(?:[^"\\]|\\.){40,}"/g, '"…"').replace(/\d{4,}/g, 'N').slice(0, 260)}`;

describe.each(apis)('%s mock, fuzzed from the bundle', (api) => {
  it(`every answer is documented or the vendor's error envelope, never 5xx (FUZZ_SEED=${SEED})`, async () => {
    const mock = mocks.get(api)!;
    const contract = contractOf(api);
    const kinds = new Map<string, number>();
    const statuses = new Map<number, number>();
    const collected = new Map<string, { count: number; example: string }>();
    const started = performance.now();
    await assertProperty(
      `${api} mock`,
      fc.asyncProperty(requestsFor(contract), async (recipe) => {
        kinds.set(recipe.kind, (kinds.get(recipe.kind) ?? 0) + 1);
        const answer = await send(mock.origin, recipe);
        if ('status' in answer) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const problems = contractProblems(contract, recipe.method, recipe.url, answer);
        if (problems.length === 0) return;
        const status = 'status' in answer ? answer.status : 'dropped';
        const shown = 'status' in answer ? `${answer.status} ${answer.headers['content-type'] ?? '(no content type)'} ${answer.body.toString('utf8').slice(0, 300)}` : answer.dropped;
        if (COLLECT) {
          for (const problem of problems) {
            const key = problemClass(recipe, status, problem);
            const entry = collected.get(key) ?? { count: 0, example: `${recipe.method} ${JSON.stringify(recipe.url).slice(0, 120)} ${recipe.note ?? ''} -> ${shown.slice(0, 200)}` };
            entry.count++;
            collected.set(key, entry);
          }
          return;
        }
        throw new Error(`${recipe.kind} ${recipe.method} ${JSON.stringify(recipe.url)}${recipe.note ? ` (${recipe.note})` : ''}\n  answered ${shown}\n  ${problems.join('\n  ')}`);
      }),
      RUNS,
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${api}: ${kinds.size ? [...kinds.values()].reduce((a, b) => a + b) : 0} requests in ${seconds} s; kinds ${JSON.stringify(Object.fromEntries(kinds))}; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    if (COLLECT && collected.size > 0) {
      const lines = [...collected].sort(([a], [b]) => a.localeCompare(b)).map(([key, { count, example }]) => `  [${count}×] ${key}\n      e.g. ${example}`);
      throw new Error(`${api}: ${collected.size} distinct contract problems (FUZZ_SEED=${SEED}):\n${lines.join('\n')}`);
    }
    // The run must have exercised both valid and broken requests.
    expect(kinds.get('valid') ?? 0).toBeGreaterThan(RUNS / 10);
    expect(kinds.size).toBeGreaterThanOrEqual(12);
  });
});
