// The cases of `npm run check-receiver`, built from the bundle alone (its top-level `webhooks`): every example of
// every webhook signed as the vendor signs (must get 2xx), then what a receiver must refuse (must get non-2xx):
// a schema-breaking payload, a forged and a missing signature where the vendor signs, a wrong and a missing bearer
// token where the spec sends one and a token was given, and a body that is not JSON.
import { breakingPayload, examplePayload, listWebhooks, type OpenApiBundle, type Webhook } from '../shared/webhook-payloads.ts';
import { sign, signatureHeaders } from '../shared/signing.ts';
import { resolveLocalRef } from '../shared/openapi-json.ts';
import { formatTable } from '../shared/table.ts';

export interface ReceiverCase {
  /** `eventCreated: example currentLevel`, `eventCreated: forged X-Payload-Signature`... */
  name: string;
  webhook: string;
  expected: '2xx' | 'non-2xx';
  /** Upper-case HTTP method. */
  method: string;
  headers: Record<string, string>;
  body: string;
}

export interface CaseResult extends ReceiverCase {
  /** The status code, or `error: <reason>` when no answer came. */
  got: string;
  pass: boolean;
}

export interface CaseOptions {
  /** The shared secret the vendor signs with; required when any webhook is signed. */
  secret?: string;
  /** The bearer token the vendor sends (the VTN's subscription `bearerToken`), for webhooks whose spec sends one. */
  token?: string;
}

type Json = Record<string, unknown>;

/** True when the webhook's security names an http bearer scheme (the VTN's callbackBearerToken). */
export function sendsBearer(spec: OpenApiBundle, webhook: Webhook): boolean {
  const schemes = ((spec.components as Json | undefined)?.securitySchemes ?? {}) as Record<string, unknown>;
  const requirements = (webhook.operation.security ?? []) as Record<string, unknown>[];
  return requirements.some((requirement) =>
    Object.keys(requirement).some((name) => {
      const scheme: Json | undefined = schemes[name] ? (resolveLocalRef(spec, schemes[name]).value as Json) : undefined;
      return scheme?.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer';
    }),
  );
}

/** The webhook's other declared headers with their example values (HanChuESS's `X-Api-Version: 1.0.0`). */
function exampleHeaders(spec: OpenApiBundle, webhook: Webhook): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const parameterOrRef of (webhook.operation.parameters ?? []) as unknown[]) {
    const parameter = resolveLocalRef(spec, parameterOrRef).value as Json;
    if (parameter.in !== 'header' || parameter['x-signature']) continue;
    const schema = (parameter.schema ?? {}) as Json;
    const example = parameter.example ?? (Array.isArray(schema.examples) ? schema.examples[0] : schema.example);
    if (example !== undefined) headers[String(parameter.name)] = String(example);
  }
  return headers;
}

/** Every case for the API, valid ones first. Throws when a webhook is signed and no secret is given. */
export function receiverCases(spec: OpenApiBundle, options: CaseOptions = {}): ReceiverCase[] {
  const webhooks = listWebhooks(spec);
  const signed = webhooks.find((webhook) => webhook.signature);
  if (signed && !options.secret) {
    throw new Error(`${signed.name} is signed (${signed.signature!.header}, HMAC-SHA256 keyed with ${signed.signature!.key ?? 'a shared secret'}); pass the receiver's secret with --secret`);
  }
  const secret = options.secret ?? '';
  const valid: ReceiverCase[] = [];
  const invalid: ReceiverCase[] = [];
  for (const webhook of webhooks) {
    const bearer = options.token !== undefined && sendsBearer(spec, webhook);
    const base = {
      'content-type': 'application/json',
      'user-agent': 'partner-api-contracts check-receiver',
      ...exampleHeaders(spec, webhook),
      ...(bearer ? { authorization: `Bearer ${options.token}` } : {}),
    };
    // Every case is signed correctly unless the signature itself is the point, so only one thing is wrong.
    const make = (name: string, expected: ReceiverCase['expected'], body: string, headers: Record<string, string> = { ...base, ...signatureHeaders(webhook, body, secret) }): ReceiverCase => ({
      name: `${webhook.name}: ${name}`,
      webhook: webhook.name,
      expected,
      method: webhook.method.toUpperCase(),
      headers,
      body,
    });
    for (const example of webhook.examples) valid.push(make(`example ${example.name}`, '2xx', JSON.stringify(example.value)));
    const validBody = JSON.stringify(examplePayload(spec, webhook));
    if (webhook.examples.length === 0) valid.push(make('payload built from the schema', '2xx', validBody));
    const breaking = breakingPayload(spec, webhook);
    invalid.push(make(`schema-breaking: ${breaking.field} ${breaking.change}`, 'non-2xx', JSON.stringify(breaking.payload)));
    if (webhook.signature) {
      const header = webhook.signature.header;
      invalid.push(make(`forged ${header}`, 'non-2xx', validBody, { ...base, [header]: sign(webhook.signature, validBody, `${secret}-forged`) }));
      invalid.push(make(`missing ${header}`, 'non-2xx', validBody, { ...base }));
    }
    if (bearer) {
      const { authorization: _dropped, ...withoutToken } = base;
      invalid.push(make('wrong bearer token', 'non-2xx', validBody, { ...base, authorization: `Bearer ${options.token}-wrong`, ...signatureHeaders(webhook, validBody, secret) }));
      invalid.push(make('missing Authorization', 'non-2xx', validBody, { ...withoutToken, ...signatureHeaders(webhook, validBody, secret) }));
    }
    // A delivery cut short: the start of a valid body.
    const truncated = validBody.slice(0, Math.max(1, Math.floor(validBody.length / 2)));
    invalid.push(make('non-JSON body (truncated)', 'non-2xx', truncated));
  }
  return [...valid, ...invalid];
}

function failureReason(error: unknown): string {
  const failure = error as Error & { cause?: { code?: string; message?: string } };
  if (failure.name === 'TimeoutError') return 'timed out';
  return failure.cause?.code ?? failure.cause?.message ?? failure.message;
}

/** Sends the cases one after another (a receiver may care about order) and records what came back. */
export async function runCases(url: string, cases: ReceiverCase[], timeoutMs = 10_000): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    let got: string;
    let pass: boolean;
    try {
      const response = await fetch(url, {
        method: testCase.method,
        headers: testCase.headers,
        body: testCase.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer(); // drain, so the connection is reused
      got = String(response.status);
      const ok = response.status >= 200 && response.status < 300;
      pass = testCase.expected === '2xx' ? ok : !ok;
    } catch (error) {
      got = `error: ${failureReason(error)}`;
      pass = false;
    }
    results.push({ ...testCase, got, pass });
  }
  return results;
}

/** The table printed by the CLI: case, expected, got, and whether that is right. */
export function formatResults(results: CaseResult[]): string {
  const rows = results.map((result) => [result.name, result.expected, result.got, result.pass ? 'ok' : 'MISMATCH']);
  return formatTable([['case', 'expected', 'got', ''], ...rows]).join('\n');
}
