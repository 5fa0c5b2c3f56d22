// `npm run check-receiver` for every API with webhooks: a receiver built on the package's own parseWebhook
// (signature checked with the secret, the VTN's bearer token checked) passes every case and the process exits 0;
// a receiver that accepts everything fails exactly the invalid cases and exits 1. The passing runs and the
// unreachable receiver run as processes; the others run the same command line in this process (runCli), which
// spares a Node start-up each.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApis } from '../../scripts/lib/apis.ts';
import { listWebhooks } from '../../mocks/shared/webhook-payloads.ts';
import { sendsBearer } from '../../mocks/tools/receiver-check.ts';
import { bundledSpec } from '../support/contract.ts';
import { runInProcess, runToEnd, startServer, type LocalServer } from '../support/cli.ts';

const SECRET = 'whsec-partner';
const TOKEN = 'vtn-callback-token';

interface Receivers {
  parseWebhook(rawBody: Uint8Array, headers?: Record<string, unknown>, options?: { secret?: string }): Promise<unknown>;
}

const pushing = loadApis()
  .map((api) => ({ id: api.id, spec: bundledSpec(api.id) }))
  .filter(({ spec }) => listWebhooks(spec).length > 0);

it('covers the four APIs that push', () => {
  expect(pushing.map(({ id }) => id).sort()).toEqual(['bajie-charging', 'energy-coordination', 'hanchuess', 'openadr3-vtn']);
});

/** One table row per case: `case  expected  got  ok|MISMATCH`. */
function rows(output: string): { name: string; expected: string; got: string; verdict: string }[] {
  return [...output.matchAll(/^(\S.*?)\s{2,}(2xx|non-2xx)\s+(\S+(?: \S+)?)\s+(ok|MISMATCH)$/gm)].map((match) => ({
    name: match[1]!,
    expected: match[2]!,
    got: match[3]!,
    verdict: match[4]!,
  }));
}

describe.each(pushing)('check-receiver $id', ({ id, spec }) => {
  const webhooks = listWebhooks(spec);
  const signed = webhooks.some((webhook) => webhook.signature);
  const bearer = webhooks.some((webhook) => sendsBearer(spec, webhook));
  const flags = [...(signed ? ['--secret', SECRET] : []), ...(bearer ? ['--token', TOKEN] : [])];
  const examples = webhooks.reduce((count, webhook) => count + webhook.examples.length, 0);
  // Per webhook: schema-breaking and non-JSON; forged and missing signature if signed; wrong and missing token.
  const invalidCases = webhooks.length * (2 + (signed ? 2 : 0) + (bearer ? 2 : 0));
  let strict: LocalServer;
  let lenient: LocalServer;
  let strictRequests = 0;

  beforeAll(async () => {
    const { parseWebhook } = (await import(`../../generated/${id}/webhooks.ts`)) as Receivers;
    strict = await startServer(async (request, body, reply) => {
      strictRequests++;
      if (bearer && request.headers.authorization !== `Bearer ${TOKEN}`) return void reply.writeHead(401).end('bad token');
      try {
        await parseWebhook(new Uint8Array(body), request.headers, signed ? { secret: SECRET } : {});
        reply.writeHead(204).end();
      } catch (error) {
        reply.writeHead((error as Error).name === 'WebhookSignatureError' ? 401 : 400).end((error as Error).message);
      }
    });
    lenient = await startServer((_request, _body, reply) => void reply.writeHead(200).end('thanks'));
  });

  afterAll(async () => {
    await strict.close();
    await lenient.close();
  });

  it('a receiver built on parseWebhook passes every case; exit 0', async () => {
    const { code, output } = await runToEnd('check-receiver', [id, `${strict.origin}/webhooks`, ...flags]);
    const table = rows(output);
    expect(table.length, output).toBe(examples + invalidCases);
    expect(table.filter((row) => row.verdict !== 'ok'), output).toEqual([]);
    expect(table.filter((row) => row.expected === '2xx').length).toBe(examples);
    for (const webhook of webhooks) {
      for (const example of webhook.examples) expect(output).toContain(`${webhook.name}: example ${example.name}`);
      expect(output).toMatch(new RegExp(`^${webhook.name}: schema-breaking: \\S+ `, 'm'));
      expect(output).toContain(`${webhook.name}: non-JSON body`);
      if (webhook.signature) {
        expect(output).toContain(`${webhook.name}: forged ${webhook.signature.header}`);
        expect(output).toContain(`${webhook.name}: missing ${webhook.signature.header}`);
      }
    }
    expect(strictRequests).toBe(table.length);
    expect(output).toContain(`all ${table.length} cases as expected`);
    expect(code).toBe(0);
  });

  it('a receiver that accepts everything fails exactly the invalid cases; exit 1', async () => {
    const { code, output } = await runInProcess('check-receiver', [id, `${lenient.origin}/webhooks`, ...flags]);
    const table = rows(output);
    expect(table.length, output).toBe(examples + invalidCases);
    expect(table.filter((row) => row.verdict === 'MISMATCH').map((row) => row.expected)).toEqual(Array(invalidCases).fill('non-2xx'));
    expect(table.filter((row) => row.expected === '2xx').every((row) => row.verdict === 'ok' && row.got === '200')).toBe(true);
    expect(output).toContain(`${invalidCases} of ${table.length} cases not as expected`);
    expect(code).toBe(1);
  });
});

describe('check-receiver usage errors (exit 2)', () => {
  it('refuses to send unsigned deliveries for an API that signs', async () => {
    const { code, output } = await runInProcess('check-receiver', ['energy-coordination', 'http://127.0.0.1:9/x']);
    expect(output).toMatch(/X-Payload-Signature.*--secret/);
    expect(code).toBe(2);
  });

  it('says so for an API without webhooks', async () => {
    const { code, output } = await runInProcess('check-receiver', ['redex', 'http://127.0.0.1:9/x']);
    expect(output).toContain('redex has no webhooks');
    expect(code).toBe(2);
  });
});

describe('check-receiver against nothing', () => {
  let gone: LocalServer;
  beforeAll(async () => {
    gone = await startServer(() => undefined);
    await gone.close();
  });

  it('counts an unreachable receiver as a mismatch for every case', async () => {
    const { code, output } = await runToEnd('check-receiver', ['bajie-charging', `${gone.origin}/push`]);
    const table = rows(output);
    expect(table.length).toBeGreaterThan(0);
    expect(table.every((row) => row.got === 'error: ECONNREFUSED' && row.verdict === 'MISMATCH'), output).toBe(true);
    expect(code).toBe(1);
  });
});
