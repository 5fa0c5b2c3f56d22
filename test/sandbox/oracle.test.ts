// Prism as the oracle of the sandbox's fast path: a seeded corpus of valid and broken requests for every
// operation of every API (the fuzz tests' generator), each taken as far as the server takes it (target, route,
// body bytes, Prefer split), then judged twice: by the fast path's validators (mocks/sandbox/request-check.ts,
// compiled at build time) and by Prism's own validation and status choice (mocks/sandbox/prism-engine.ts, the
// engine the sandbox keeps for Prefer). They must agree on accepted or rejected, the status, and every field
// named with its message. A difference kept on purpose would be listed in INTENDED_DIFFERENCES with its reason.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { basePathsOf, parameterNamesOf, stripBasePath } from '../../mocks/shared/openapi-json.ts';
import { reasonOf } from '../../mocks/sandbox/answer.ts';
import { loadSandboxValidators, type SandboxValidators } from '../../mocks/sandbox/compiled.ts';
import { faultOf } from '../../mocks/sandbox/faults.ts';
import { lazyPrism, type PrismEngine, type PrismInput } from '../../mocks/sandbox/prism-engine.ts';
import { checkRequest, documentedStatus, expectedStatuses, negotiatedSuccessType, undocumentedRejection } from '../../mocks/sandbox/request-check.ts';
import { createRouter, type Route } from '../../mocks/sandbox/router.ts';
import { MAX_BODY_BYTES, parseBody, queryOf, targetOf } from '../../mocks/sandbox/transport.ts';
import { contractOf } from '../fuzz/support/contract.ts';
import { bodyBytes, type Recipe } from '../fuzz/support/http.ts';
import { requestsFor } from '../fuzz/support/requests.ts';
import { assertProperty, SEED } from '../fuzz/support/seed.ts';

/** Requests per API: the whole file takes a few seconds. */
const RUNS = 400;

/**
 * Differences between the fast path and Prism kept on purpose: `test` picks the case, `reason` says why.
 * Empty: on this corpus the two agree on every request.
 */
const INTENDED_DIFFERENCES: { reason: string; test: (verdicts: { fast: Verdict; prism: Verdict }) => boolean }[] = [];

/** What one side decided: accepted, or rejected with a status and the reasons (field and text) it gives. */
interface Verdict {
  accepted: boolean;
  status?: number;
  reasons: { field?: string; text: string }[];
}

interface Prepared {
  route: Route;
  input: PrismInput;
}

/** The request as the server's stages before validation see it; undefined when those stages answer it themselves. */
function prepare(recipe: Recipe, router: ReturnType<typeof createRouter>, basePaths: string[]): Prepared | undefined {
  const target = targetOf(recipe.url);
  if (target.invalid) return undefined;
  const method = recipe.method.toUpperCase();
  const path = stripBasePath(target.path, basePaths);
  const match = router.match(method, path);
  if (match.kind !== 'ok') return undefined;
  const bytes = bodyBytes(recipe.body);
  if (bytes && bytes.length > MAX_BODY_BYTES) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(recipe.headers)) headers[name.toLowerCase()] = value;
  if (bytes) headers['content-length'] = String(bytes.length);
  const fault = faultOf(headers.prefer);
  if (fault.invalid || fault.fault !== undefined) return undefined;
  if (fault.remainingPrefer) headers.prefer = fault.remainingPrefer;
  else delete headers.prefer;
  const parsed = parseBody(bytes, headers['content-type']);
  return { route: match.route, input: { method, path, query: queryOf(target.search), headers, body: parsed.body } };
}

describe.each(loadApis().map((api) => api.id))('%s: the fast path and Prism judge every request alike', (api) => {
  let compiled: SandboxValidators;
  let prism: PrismEngine;
  let router: ReturnType<typeof createRouter>;
  let basePaths: string[];
  let parameterNames: Map<string, string>;

  beforeAll(async () => {
    const spec = JSON.parse(readFileSync(join(projectRoot, 'generated', api, 'openapi.json'), 'utf8'));
    compiled = await loadSandboxValidators(join(projectRoot, 'generated', api, 'sandbox-validators.js'));
    prism = lazyPrism(spec);
    router = createRouter(spec);
    basePaths = basePathsOf(spec);
    parameterNames = parameterNamesOf(spec);
  });

  function fastVerdict({ route, input }: Prepared): Verdict {
    const model = compiled.operationOf(route.method, route.path)!;
    const violations = checkRequest(model, compiled.validators, { headers: input.headers, query: input.query, pathParams: route.params, body: input.body });
    if (violations.length === 0) return { accepted: true, reasons: [] };
    const status = documentedStatus(model, expectedStatuses(violations));
    if (status === undefined) {
      const made = undocumentedRejection(violations);
      return { accepted: false, status: made.status, reasons: [{ text: made.detail }] };
    }
    return { accepted: false, status, reasons: violations.map((violation) => reasonOf(violation, parameterNames)) };
  }

  async function prismVerdict({ input }: Prepared): Promise<Verdict> {
    const result = await prism.request(input);
    if (result.kind === 'bad-preference') return { accepted: false, status: 400, reasons: [{ text: result.detail }] };
    if (result.kind === 'problem') return { accepted: false, status: result.status, reasons: [{ text: result.detail || result.message }] };
    if (result.violations.length === 0) return { accepted: true, reasons: [] };
    return { accepted: false, status: result.status, reasons: result.violations.map((violation) => reasonOf(violation, parameterNames)) };
  }

  it(`agree on accepted or rejected, status, fields and messages (FUZZ_SEED=${SEED})`, async () => {
    const compared = new Map<string, { accepted: number; rejected: number }>();
    let leftToPrism = 0;
    let intended = 0;
    await assertProperty(
      `${api} oracle`,
      fc.asyncProperty(requestsFor(contractOf(api)), async (recipe) => {
        const prepared = prepare(recipe, router, basePaths);
        if (!prepared) return;
        // With Prefer (code=, example=, dynamic=) the sandbox hands the request to Prism itself: nothing to compare.
        if (prepared.input.headers.prefer !== undefined || Object.keys(prepared.input.query).some((key) => key.startsWith('__'))) return void leftToPrism++;
        const fast = fastVerdict(prepared);
        // An accepted request whose Accept the fast path does not negotiate goes to Prism too.
        if (fast.accepted && negotiatedSuccessType(compiled.operationOf(prepared.route.method, prepared.route.path)!, prepared.input.headers.accept) === undefined) return void leftToPrism++;
        const oracle = await prismVerdict(prepared);
        const counts = compared.get(`${prepared.route.method} ${prepared.route.path}`) ?? { accepted: 0, rejected: 0 };
        counts[oracle.accepted ? 'accepted' : 'rejected']++;
        compared.set(`${prepared.route.method} ${prepared.route.path}`, counts);
        if (JSON.stringify(fast) === JSON.stringify(oracle)) return;
        if (INTENDED_DIFFERENCES.some((difference) => difference.test({ fast, prism: oracle }))) return void intended++;
        throw new Error(
          `${recipe.kind} ${recipe.method} ${JSON.stringify(recipe.url).slice(0, 200)}${recipe.note ? ` (${recipe.note})` : ''}\n` +
            `  headers ${JSON.stringify(prepared.input.headers).slice(0, 300)}\n  body ${JSON.stringify(prepared.input.body)?.slice(0, 300)}\n` +
            `  fast path: ${JSON.stringify(fast).slice(0, 1200)}\n  prism:     ${JSON.stringify(oracle).slice(0, 1200)}`,
        );
      }),
      RUNS,
    );
    const totals = [...compared.values()].reduce((sum, counts) => ({ accepted: sum.accepted + counts.accepted, rejected: sum.rejected + counts.rejected }), { accepted: 0, rejected: 0 });
    console.log(`${api}: compared ${totals.accepted} accepted and ${totals.rejected} rejected requests over ${compared.size} operations; ${leftToPrism} left to Prism (Prefer, Accept), ${intended} intended differences`);
    // The corpus reached every operation, and both verdicts occurred.
    expect([...compared.keys()].sort()).toEqual(compiled.operations.map((operation) => `${operation.method} ${operation.path}`).sort());
    expect(totals.accepted).toBeGreaterThan(RUNS / 20);
    expect(totals.rejected).toBeGreaterThan(RUNS / 20);
  });
});
