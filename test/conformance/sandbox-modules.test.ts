// The two modules the sandbox's event deliveries reuse: what they read from each bundle, that what they sign is
// what the package's receivers verify, and that their "valid" and "breaking" payloads are what the receivers say.
import { describe, expect, it } from 'vitest';
import { loadApis } from '../../scripts/lib/apis.ts';
import { readSignature, sign, signatureHeaders } from '../../mocks/shared/signing.ts';
import { breakingPayload, examplePayload, listWebhooks, mergePayload, validatePayload } from '../../mocks/shared/webhook-payloads.ts';
import { WebhookSignatureError, WebhookValidationError } from '../../runtime/webhooks.ts';
import { bundledSpec } from '../support/contract.ts';

interface Generated {
  webhookNames: readonly string[];
  parseWebhook(rawBody: string, headers?: Record<string, string>, options?: { secret?: string }): Promise<unknown>;
}

const apis = loadApis().map((api) => ({ id: api.id, spec: bundledSpec(api.id) }));
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe.each(apis.filter(({ spec }) => listWebhooks(spec).length > 0))('$id', ({ id, spec }) => {
  it('lists the same webhooks as the generated receivers, each with examples that validate', async () => {
    const generated = (await import(`../../generated/${id}/webhooks.ts`)) as Generated;
    const webhooks = listWebhooks(spec);
    expect(webhooks.map((webhook) => webhook.name)).toEqual([...generated.webhookNames]);
    for (const webhook of webhooks) {
      expect(webhook.method).toBe('post');
      expect(webhook.examples.length).toBeGreaterThan(0);
      for (const example of webhook.examples) expect(validatePayload(spec, webhook, example.value), example.name).toEqual([]);
    }
  });

  it('examplePayload is valid for the receiver, and a fresh copy', async () => {
    const { parseWebhook } = (await import(`../../generated/${id}/webhooks.ts`)) as Generated;
    for (const webhook of listWebhooks(spec)) {
      const payload = examplePayload(spec, webhook) as Record<string, unknown>;
      const body = JSON.stringify(payload);
      await expect(parseWebhook(body, signatureHeaders(webhook, body, 's3cret'), { secret: 's3cret' })).resolves.toEqual(payload);
      payload.mutated = true;
      expect(examplePayload(spec, webhook)).not.toHaveProperty('mutated');
    }
  });

  it('breakingPayload is refused by the receiver naming the field it changed', async () => {
    const { parseWebhook } = (await import(`../../generated/${id}/webhooks.ts`)) as Generated;
    for (const webhook of listWebhooks(spec)) {
      const breaking = breakingPayload(spec, webhook);
      const body = JSON.stringify(breaking.payload);
      const error = await rejection(parseWebhook(body, signatureHeaders(webhook, body, 's3cret'), { secret: 's3cret' }));
      expect(error).toBeInstanceOf(WebhookValidationError);
      expect((error as WebhookValidationError).field).toBe(breaking.field);
      expect(validatePayload(spec, webhook, breaking.payload)[0]).toEqual(breaking.problem);
    }
  });
});

describe('signing', () => {
  const spec = bundledSpec('energy-coordination');

  it('reads X-Payload-Signature from the $ref-ed header parameter and signs as the receivers verify', async () => {
    const { parseEventCreated } = await import('../../generated/energy-coordination/webhooks.ts');
    const webhook = listWebhooks(spec).find((candidate) => candidate.name === 'eventCreated')!;
    expect(readSignature(spec, webhook.operation)).toEqual({ header: 'X-Payload-Signature', algorithm: 'HMAC-SHA256', encoding: 'base64', key: 'webhookSecret' });
    const body = JSON.stringify(examplePayload(spec, webhook));
    const headers = signatureHeaders(webhook, body, 'webhook-secret');
    expect(Object.keys(headers)).toEqual(['X-Payload-Signature']);
    expect(headers['X-Payload-Signature']).toBe(sign(webhook.signature!, new TextEncoder().encode(body), 'webhook-secret'));
    await expect(parseEventCreated(body, headers, { secret: 'webhook-secret' })).resolves.toMatchObject({ operationType: 'Create' });
    const wrongKey = await rejection(parseEventCreated(body, headers, { secret: 'another-secret' }));
    expect(wrongKey).toBeInstanceOf(WebhookSignatureError);
    // Signed bytes, not the object: a re-serialized body no longer matches.
    const respaced = await rejection(parseEventCreated(JSON.stringify(JSON.parse(body), null, 1), headers, { secret: 'webhook-secret' }));
    expect(respaced).toBeInstanceOf(WebhookSignatureError);
  });

  it('gives no headers for a vendor that does not sign, and refuses an empty secret for one that does', () => {
    const [bajie] = listWebhooks(bundledSpec('bajie-charging'));
    expect(bajie!.signature).toBeUndefined();
    expect(signatureHeaders(bajie!, '{}', 'anything')).toEqual({});
    const [created] = listWebhooks(spec);
    expect(() => signatureHeaders(created!, '{}', '')).toThrow(/secret/);
  });

  it('throws on a declared scheme it cannot produce', () => {
    const operation = { parameters: [{ name: 'X-Sig', in: 'header', 'x-signature': { algorithm: 'RSA-SHA256' }, schema: { type: 'string' } }] };
    expect(() => readSignature({}, operation)).toThrow(/X-Sig.*not supported/);
  });
});

describe('mergePayload', () => {
  it('merges objects deeply, replaces arrays and scalars, removes keys set to undefined, and modifies neither argument', () => {
    const example = { event: 'CABINET_ONLINE', eventData: { cabinetId: 'A', slots: [1, 2], extra: 'x' }, list: [1] };
    const merged = mergePayload(example, { eventData: { cabinetId: 'B', slots: [3], extra: undefined }, list: [] });
    expect(merged).toEqual({ event: 'CABINET_ONLINE', eventData: { cabinetId: 'B', slots: [3] }, list: [] });
    expect(example.eventData).toEqual({ cabinetId: 'A', slots: [1, 2], extra: 'x' });
    expect(mergePayload(example, undefined)).toEqual(example);
  });
});
