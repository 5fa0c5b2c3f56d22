// The typed receivers per pushing API: the result's type lets a consumer switch on the type field, bad payloads
// name the field and the reason, and Energy Coordination checks X-Payload-Signature when a secret is configured.
import { createHmac } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseCabinetEventPush, type CabinetEventPushPayload } from '../../generated/bajie-charging/webhooks.ts';
import {
  parseEventCreated,
  parseEventDeleted,
  parseWebhook as parseEnergyWebhook,
  type WebhookPayload as EnergyPayload,
} from '../../generated/energy-coordination/webhooks.ts';
import { parseEventDelivery } from '../../generated/hanchuess/webhooks.ts';
import { parseSubscriptionNotification } from '../../generated/openadr3-vtn/webhooks.ts';
import { UnknownWebhookEvent, WebhookParseError, WebhookSignatureError, WebhookValidationError } from '../../runtime/webhooks.ts';
import { bundledSpec } from '../support/contract.ts';

const example = (api: string, name: string) =>
  structuredClone((bundledSpec(api).components as any).examples[name].value) as Record<string, any>;
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('bajie-charging parseCabinetEventPush', () => {
  it('returns the event typed by its `event` name', async () => {
    const push = await parseCabinetEventPush(JSON.stringify(example('bajie-charging', 'push-battery-abnormal-warning')), undefined, { strict: true });
    expectTypeOf(push.event).toEqualTypeOf<CabinetEventPushPayload['event']>();
    switch (push.event) {
      case 'BATTERY_ABNORMAL_WARNING':
        expect(push.eventData?.abnormalBatteryId).toBe('FECF007552');
        break;
      default:
        throw new Error(`unexpected ${push.event}`);
    }
  });

  it('a wrongly typed field is named with the reason', async () => {
    const body = example('bajie-charging', 'push-battery-abnormal-warning');
    body.eventData.faultType = 'seven';
    const error = await rejection(parseCabinetEventPush(JSON.stringify(body)));
    expect(error).toBeInstanceOf(WebhookValidationError);
    expect(error).toMatchObject({ message: 'eventData.faultType: must be integer', field: 'eventData.faultType', keyword: 'type' });
  });

  it('with { strict: true }, an unknown event name lists the allowed ones', async () => {
    const error = await rejection(parseCabinetEventPush(JSON.stringify({ agentAccount: 'admins', event: 'CABINET_EXPLODED' }), undefined, { strict: true }));
    expect((error as Error).message).toMatch(/^event: must be one of "CABINET_ONLINE", /);
  });

  it('takes Node-style headers and bytes', async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ agentAccount: 'a', event: 'CABINET_ONLINE' }));
    await expect(parseCabinetEventPush(bytes.buffer, { 'content-type': 'application/json' })).resolves.toMatchObject({ event: 'CABINET_ONLINE' });
  });
});

describe('hanchuess parseEventDelivery', () => {
  it('returns a batch whose items switch on `type` (once unknown event types are set aside)', async () => {
    const delivery = await parseEventDelivery(JSON.stringify(example('hanchuess', 'delivery-inverter-data-telemetry')));
    const [first] = delivery.data;
    if (first instanceof UnknownWebhookEvent) throw new Error('a listed event type came back as unknown');
    expectTypeOf(first!.type).toEqualTypeOf<'inverter:data:telemetry' | 'battery:data:telemetry' | 'inverter:action:schedule' | 'inverter:action:command' | 'inverter:action:configuration' | 'inverter:response:registered' | 'inverter:response:deleted' | 'inverter:action:deleted' | 'hanchuess:subscription:test'>();
    expect(first?.type).toBe('inverter:data:telemetry');
  });

  it('names an item field with its index', async () => {
    const body = example('hanchuess', 'delivery-inverter-data-telemetry');
    delete body.data[0].assetId;
    await expect(parseEventDelivery(JSON.stringify(body))).rejects.toThrow('data[0].assetId: is required');
    body.data[0].assetId = 'x';
    body.timestamp = 'yesterday';
    await expect(parseEventDelivery(JSON.stringify(body))).rejects.toThrow('timestamp: must match format "date-time"');
  });
});

describe('openadr3-vtn parseSubscriptionNotification', () => {
  it('returns the notification typed by objectType and operation', async () => {
    const notification = await parseSubscriptionNotification(JSON.stringify(example('openadr3-vtn', 'Notification')), undefined, { strict: true });
    expectTypeOf(notification.objectType).toEqualTypeOf<'PROGRAM' | 'EVENT' | 'REPORT' | 'SUBSCRIPTION' | 'VEN' | 'RESOURCE'>();
    expect(['GET', 'POST', 'PUT', 'DELETE']).toContain(notification.operation);
  });
});

describe('energy-coordination receivers and X-Payload-Signature', () => {
  const body = JSON.stringify(example('energy-coordination', 'delivery-created-current-level'));
  // The webhookSecret of the spec's illustrative subscription: the key its X-Payload-Signature example is made with.
  const secret = example('energy-coordination', 'SparkSubscription').webhookSecret as string;
  const sign = (raw: string, key = secret) => createHmac('sha256', key).update(raw).digest('base64');

  it('the spec\'s example signature verifies over the compact example body', async () => {
    const header = (bundledSpec('energy-coordination').components as any).parameters.XPayloadSignature.example;
    expect(sign(body)).toBe(header);
    await expect(parseEventCreated(body, { 'X-Payload-Signature': header }, { secret })).resolves.toMatchObject({ operationType: 'Create' });
  });

  it('accepts a Fetch Headers object, case-insensitively', async () => {
    const headers = new Headers({ 'x-payload-signature': sign(body) });
    await expect(parseEventCreated(body, headers, { secret })).resolves.toMatchObject({ payloadType: 'CurrentLevel' });
  });

  it('rejects a wrong signature, a missing one and a non-Base64 one when a secret is configured', async () => {
    await expect(parseEventCreated(body, { 'X-Payload-Signature': sign(body, 'other') }, { secret })).rejects.toThrow(WebhookSignatureError);
    await expect(parseEventCreated(body + ' ', { 'X-Payload-Signature': sign(body) }, { secret })).rejects.toThrow(/does not match the body/);
    await expect(parseEventCreated(body, {}, { secret })).rejects.toThrow('X-Payload-Signature: is required when a secret is configured, and is missing');
    await expect(parseEventCreated(body, undefined, { secret })).rejects.toThrow(WebhookSignatureError);
    await expect(parseEventCreated(body, { 'X-Payload-Signature': '%%%' }, { secret })).rejects.toThrow('X-Payload-Signature: is not Base64');
  });

  it('checks the signature before parsing: a forged non-JSON body is a signature error', async () => {
    await expect(parseEventCreated('not json', { 'X-Payload-Signature': sign(body) }, { secret })).rejects.toThrow(WebhookSignatureError);
    await expect(parseEventCreated('not json')).rejects.toThrow(WebhookParseError);
  });

  it('without a secret, does not check the signature', async () => {
    await expect(parseEventCreated(body)).resolves.toMatchObject({ operationType: 'Create' });
  });

  it('each receiver accepts only its operation type', async () => {
    const error = await rejection(parseEventDeleted(body));
    expect(error).toMatchObject({ field: 'operationType', keyword: 'const', message: 'operationType: must be "Delete"' });
  });

  it('parseWebhook takes all three on one URL, discriminated by operationType', async () => {
    const deleted = JSON.stringify(example('energy-coordination', 'delivery-deleted-power-level'));
    const payload: EnergyPayload = await parseEnergyWebhook(deleted, { 'X-Payload-Signature': sign(deleted) }, { secret, strict: true });
    switch (payload.operationType) {
      case 'Delete':
        expectTypeOf(payload.operationType).toEqualTypeOf<'Delete'>();
        expect(payload.payloadType).toBe('PowerLevel');
        break;
      default:
        throw new Error('expected Delete');
    }
    const broken = JSON.parse(deleted);
    delete broken.event.payload.payloadType;
    await expect(parseEnergyWebhook(JSON.stringify(broken))).rejects.toThrow('event.payload.payloadType: is required');
  });
});
