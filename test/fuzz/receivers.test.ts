// Property-based tests of the generated webhook receivers (generated/<id>/webhooks.ts), derived from the bundles'
// `webhooks`: generated valid payloads parse to themselves; every single schema-breaking mutation is rejected
// with a WebhookValidationError naming the mutated field; random bytes raise only the declared errors.
// Seeded (FUZZ_SEED), bounded; a failure prints the seed and the counterexample.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadApis } from '../../scripts/lib/apis.ts';
import { resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { WebhookParseError, WebhookSignatureError, WebhookValidationError } from '../../runtime/webhooks.ts';
import { bundledSpec, validatorFor } from '../support/contract.ts';
import { applyMutation, fieldName, SchemaTools, type Mutation } from './support/schema.ts';
import { assertProperty, SEED } from './support/seed.ts';

/** FUZZ_COLLECT=1: check every mutation and list each distinct problem instead of stopping at the first. */
const COLLECT = Boolean(process.env.FUZZ_COLLECT);

type Receiver = (rawBody: unknown, headers?: unknown, options?: Record<string, unknown>) => Promise<unknown>;

interface Webhook {
  api: string;
  name: string;
  receiver: Receiver;
  /** JSON pointer of the request body schema in the bundle. */
  pointer: string;
  signatureHeader?: string;
}

/**
 * Mutations and random bytes are checked with `strict: true`: without it, a receiver accepts an event type the
 * spec does not list as an UnknownWebhookEvent; in strict mode every schema violation, including an enum
 * violation of the event type, must be rejected.
 */
const STRICT = { strict: true };

const capitalized = (name: string) => name[0]!.toUpperCase() + name.slice(1);

async function webhooksOf(api: string): Promise<Webhook[]> {
  const spec = bundledSpec(api) as any;
  const entries = Object.entries((spec.webhooks ?? {}) as Record<string, Record<string, any>>);
  if (entries.length === 0) return [];
  const module = (await import(`../../generated/${api}/webhooks.ts`)) as Record<string, Receiver>;
  return entries.map(([name, item]) => {
    const operation = item.post ?? Object.values(item)[0];
    const { value: body, pointer: bodyPointer } = resolveLocalRef(spec, operation.requestBody);
    const base = bodyPointer ?? `#/webhooks/${name}/${item.post ? 'post' : Object.keys(item)[0]}/requestBody`;
    const signature = ((operation.parameters ?? []) as unknown[])
      .map((parameter) => resolveLocalRef(spec, parameter).value)
      .find((parameter) => parameter.in === 'header' && parameter['x-signature']);
    const receiver = module[`parse${capitalized(name)}`];
    if (typeof receiver !== 'function') throw new Error(`generated/${api}/webhooks.ts exports no parse${capitalized(name)}`);
    if (!body.content?.['application/json']) throw new Error(`${api} webhook ${name}: no application/json body`);
    return { api, name, receiver, pointer: `${base}/content/application~1json/schema`, signatureHeader: signature?.name };
  });
}

const apis = loadApis().map((api) => api.id);
const all = (await Promise.all(apis.map(webhooksOf))).flat();

/** Settles a receiver call: the value, or the error it threw (never an unhandled rejection). */
async function settle(promise: Promise<unknown>): Promise<{ value?: unknown; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

const describeError = (error: unknown) =>
  error instanceof Error ? `${error.constructor.name}(${JSON.stringify({ message: error.message, ...(error as object) })})` : String(error);

describe('webhook receivers, fuzzed from the bundles', () => {
  it('finds the webhooks of every pushing API', () => {
    expect(all.map((webhook) => `${webhook.api}.${webhook.name}`)).toEqual(
      expect.arrayContaining(['hanchuess.eventDelivery', 'openadr3-vtn.subscriptionNotification', 'bajie-charging.cabinetEventPush', 'energy-coordination.eventCreated']),
    );
  });

  describe.each(all.map((webhook) => [`${webhook.api} ${webhook.name}`, webhook] as const))('%s', (_, webhook) => {
    const tools = new SchemaTools(bundledSpec(webhook.api));
    const schema = resolveLocalRef(bundledSpec(webhook.api), { $ref: webhook.pointer }).value;
    const validate = validatorFor(webhook.api, webhook.pointer);
    const payloads = tools.arbitrary(schema);

    it('generated valid payloads parse and come back unchanged', async () => {
      await assertProperty(
        `${webhook.api} parse${capitalized(webhook.name)}: valid payloads`,
        fc.asyncProperty(payloads, fc.constantFrom('string', 'bytes', 'arraybuffer'), async (payload, form) => {
          // The generator's own check: a payload the spec rejects is a bug in test/fuzz/support/schema.ts.
          if (!validate(payload)) throw new Error(`generator produced an invalid payload: ${JSON.stringify(validate.errors)}`);
          const text = JSON.stringify(payload);
          const raw = form === 'string' ? text : form === 'bytes' ? new TextEncoder().encode(text) : new TextEncoder().encode(text).buffer;
          const { value, error } = await settle(webhook.receiver(raw, { 'content-type': 'application/json' }));
          if (error) throw new Error(`a valid payload was rejected: ${describeError(error)}`);
          expect(value).toEqual(JSON.parse(text));
        }),
        300,
      );
    });

    it('each single schema-breaking mutation is rejected naming the mutated field', async () => {
      let checked = 0;
      const kinds = new Set<string>();
      const problems = new Set<string>();
      await assertProperty(
        `${webhook.api} parse${capitalized(webhook.name)}: mutations`,
        fc.asyncProperty(payloads, async (payload) => {
          const mutations: Mutation[] = tools.mutations(schema, payload).filter((mutation) => !validate(applyMutation(payload, mutation)));
          for (const mutation of mutations) {
            const mutated = applyMutation(payload, mutation);
            const { error } = await settle(webhook.receiver(JSON.stringify(mutated), {}, STRICT));
            const expected = fieldName(mutation.path);
            const where = `mutation ${mutation.kind} ${mutation.op} ${expected}${mutation.op === 'set' ? ` = ${JSON.stringify(mutation.value)?.slice(0, 60)}` : ''}`;
            const problem = !(error instanceof WebhookValidationError)
              ? `${where}: expected WebhookValidationError, got ${error ? describeError(error) : 'the payload back'}`
              : error.field !== expected
                ? `${where}: WebhookValidationError names ${JSON.stringify(error.field)} (${error.message}), not ${JSON.stringify(expected)}`
                : undefined;
            if (problem && COLLECT) problems.add(`${mutation.kind} ${mutation.op} ${expected.replace(/\[\d+\]/g, '[i]')}: ${problem.slice(where.length + 2).replace(/\[\d+\]/g, '[i]').slice(0, 200)}`);
            else if (problem) throw new Error(problem);
            checked++;
            kinds.add(mutation.kind);
          }
        }),
        150,
      );
      if (problems.size) throw new Error(`${problems.size} distinct problems (FUZZ_SEED=${SEED}):\n  ${[...problems].sort().join('\n  ')}`);
      // The property must have had something to check: at least removals and wrong types.
      expect(checked).toBeGreaterThan(20);
      expect([...kinds]).toEqual(expect.arrayContaining(['required', 'type']));
    });

    it('random bytes and corrupted bodies raise only WebhookParseError, WebhookValidationError or WebhookSignatureError', async () => {
      const bodies = fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ form: 'bytes', bytes })),
        fc.string({ maxLength: 200, unit: 'binary' }).map((text) => ({ form: 'string', text })),
        fc.constantFrom('', 'null', '[]', '{}', '"x"', '0', 'true', '{"a":', '\uFEFF{}', '\xff\xfe', '中').map((text) => ({ form: 'string', text })),
        // A valid payload cut short, or with one byte overwritten.
        fc
          .tuple(payloads, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean())
          .map(([payload, at, byte, cut]) => {
            const bytes = new TextEncoder().encode(JSON.stringify(payload));
            const index = bytes.length === 0 ? 0 : at % bytes.length;
            if (cut) return { form: 'bytes', bytes: bytes.slice(0, index) };
            bytes[index] = byte;
            return { form: 'bytes', bytes };
          }),
      );
      const secrets = webhook.signatureHeader ? fc.option(fc.string({ minLength: 1, maxLength: 16 }), { nil: undefined }) : fc.constant(undefined);
      const signatures = fc.oneof(fc.constant(undefined), fc.base64String({ maxLength: 44 }), fc.string({ maxLength: 20 }), fc.constant('sign-with-secret'));
      await assertProperty(
        `${webhook.api} parse${capitalized(webhook.name)}: random bytes`,
        fc.asyncProperty(bodies, secrets, signatures, async (body, secret, signature) => {
          const raw = body.form === 'bytes' ? (body as { bytes: Uint8Array }).bytes : (body as { text: string }).text;
          const headers: Record<string, string> = {};
          if (webhook.signatureHeader && signature !== undefined) {
            headers[webhook.signatureHeader] =
              signature === 'sign-with-secret' && secret ? createHmac('sha256', secret).update(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw).digest('base64') : signature;
          }
          const { value, error } = await settle(webhook.receiver(raw, headers, secret === undefined ? STRICT : { ...STRICT, secret }));
          if (error === undefined) {
            // Accepted (in strict mode): then it must be a payload the spec accepts.
            if (!validate(value)) throw new Error(`accepted a payload the spec rejects: ${JSON.stringify(value)?.slice(0, 200)}`);
            return;
          }
          const declared = error instanceof WebhookParseError || error instanceof WebhookValidationError || error instanceof WebhookSignatureError;
          if (!declared) throw new Error(`threw an undeclared error: ${describeError(error)}`);
          if (!(error as Error).message) throw new Error('threw a declared error without a message');
        }),
        400,
      );
    });
  });
});
