// Tolerant receivers: an event type the spec does not list (the vendor added one) comes back as an
// UnknownWebhookEvent carrying the event as received, with the envelope still validated; `{ strict: true }`
// rejects it as before. Every API that pushes is covered, including an unknown event inside a batch.
import { createHmac } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parseCabinetEventPush, type CabinetEventPushPayload, type CabinetEventPushReceived } from '../../generated/bajie-charging/webhooks.ts';
import { parseEventCreated, parseWebhook as parseEnergyWebhook, type WebhookPayload as EnergyPayload } from '../../generated/energy-coordination/webhooks.ts';
import { parseEventDelivery, type EventDeliveryPayload } from '../../generated/hanchuess/webhooks.ts';
import { parseSubscriptionNotification } from '../../generated/openadr3-vtn/webhooks.ts';
import { UnknownWebhookEvent, WebhookValidationError } from '../../runtime/webhooks.ts';
import { bundledSpec } from '../support/contract.ts';

const example = (api: string, name: string) =>
  structuredClone((bundledSpec(api).components as any).examples[name].value) as Record<string, any>;
const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe('bajie-charging: a new cabinet event', () => {
  const flooded = { agentAccount: 'admins', event: 'CABINET_FLOODED', eventData: { cabinetId: 'C1', waterLevelMm: 12 } };

  it('reaches the handler as an UnknownWebhookEvent with the raw event', async () => {
    const push = await parseCabinetEventPush(JSON.stringify(flooded));
    expect(push).toBeInstanceOf(UnknownWebhookEvent);
    expect(push).toEqual(new UnknownWebhookEvent('cabinetEventPush', 'CABINET_FLOODED', 'event', flooded));
    expect(push).toMatchObject({ kind: 'unknown', webhook: 'cabinetEventPush', eventType: 'CABINET_FLOODED', field: 'event', raw: flooded });
  });

  it('is typed: the default result is the payload or an UnknownWebhookEvent, strict gives the payload', async () => {
    const push = await parseCabinetEventPush(JSON.stringify(example('bajie-charging', 'push-cabinet-online')));
    expectTypeOf(push).toEqualTypeOf<CabinetEventPushReceived>();
    expectTypeOf(push).toEqualTypeOf<CabinetEventPushPayload | UnknownWebhookEvent>();
    if (push instanceof UnknownWebhookEvent) throw new Error('CABINET_ONLINE is listed');
    expectTypeOf(push).toEqualTypeOf<CabinetEventPushPayload>();
    expect(push.event).toBe('CABINET_ONLINE');
    const strict = parseCabinetEventPush('{}', undefined, { strict: true });
    expectTypeOf(strict).toEqualTypeOf<Promise<CabinetEventPushPayload>>();
    await strict.catch(() => undefined);
  });

  it('with { strict: true } is rejected naming the field, as before', async () => {
    const error = await rejection(parseCabinetEventPush(JSON.stringify(flooded), undefined, { strict: true }));
    expect(error).toBeInstanceOf(WebhookValidationError);
    expect(error).toMatchObject({ field: 'event', keyword: 'enum' });
    expect((error as Error).message).toMatch(/^event: must be one of "CABINET_ONLINE", .*"BATTERY_POPUP"$/);
  });

  it('the envelope is still validated: a missing or mistyped envelope field is an error, not an unknown event', async () => {
    const { agentAccount: _dropped, ...withoutAccount } = flooded;
    await expect(parseCabinetEventPush(JSON.stringify(withoutAccount))).rejects.toThrow('agentAccount: is required');
    await expect(parseCabinetEventPush(JSON.stringify({ ...flooded, agentAccount: 7 }))).rejects.toThrow('agentAccount: must be string');
    await expect(parseCabinetEventPush(JSON.stringify({ ...flooded, event: 42 }))).rejects.toThrow(WebhookValidationError);
  });

  it('a listed event with a bad payload is still rejected', async () => {
    const body = example('bajie-charging', 'push-battery-abnormal-warning');
    body.eventData.faultType = 'seven';
    await expect(parseCabinetEventPush(JSON.stringify(body))).rejects.toThrow('eventData.faultType: must be integer');
  });
});

describe('hanchuess: a new event type inside a batch', () => {
  const delivery = () => {
    const body = example('hanchuess', 'delivery-inverter-data-telemetry');
    const known = body.data[0];
    body.data = [known, { type: 'inverter:alarm:raised', timestamp: known.timestamp, assetId: 'H01', data: { code: 17 } }, known];
    return body;
  };

  it('only the unknown event becomes an UnknownWebhookEvent; the listed ones stay typed', async () => {
    const body = delivery();
    const parsed = await parseEventDelivery(JSON.stringify(body));
    expect(parsed.timestamp).toBe(body.timestamp);
    expect(parsed.data).toHaveLength(3);
    expect(parsed.data[0]).toEqual(body.data[0]);
    expect(parsed.data[2]).toEqual(body.data[2]);
    expect(parsed.data[1]).toEqual(new UnknownWebhookEvent('eventDelivery', 'inverter:alarm:raised', 'data[1].type', body.data[1]));
    const handled = parsed.data.map((event) => (event instanceof UnknownWebhookEvent ? `unknown ${event.eventType}` : event.type));
    expect(handled).toEqual(['inverter:data:telemetry', 'unknown inverter:alarm:raised', 'inverter:data:telemetry']);
  });

  it('a listed event that is invalid in the same batch still fails the delivery', async () => {
    const body = delivery();
    body.data[2] = { ...body.data[2] };
    delete body.data[2].assetId;
    await expect(parseEventDelivery(JSON.stringify(body))).rejects.toThrow('data[2].assetId: is required');
  });

  it('the envelope of the unknown event is validated (its own fields, not its event-specific data)', async () => {
    const body = delivery();
    delete body.data[1].assetId;
    await expect(parseEventDelivery(JSON.stringify(body))).rejects.toThrow('data[1].assetId: is required');
    const odd = delivery();
    odd.data[1].data = 'not an object';
    await expect(parseEventDelivery(JSON.stringify(odd))).resolves.toMatchObject({ data: [{}, { kind: 'unknown' }, {}] });
  });

  it('with { strict: true } the delivery is rejected naming the item', async () => {
    const error = await rejection(parseEventDelivery(JSON.stringify(delivery()), undefined, { strict: true }));
    expect(error).toMatchObject({ field: 'data[1].type', keyword: 'enum' });
    const pending = parseEventDelivery('', undefined, { strict: true });
    expectTypeOf(pending).toEqualTypeOf<Promise<EventDeliveryPayload>>();
    await expect(pending).rejects.toThrow('(body): is not JSON');
  });
});

describe('openadr3-vtn: a notification about a new object type', () => {
  it('is an UnknownWebhookEvent by default and rejected when strict', async () => {
    const body = example('openadr3-vtn', 'Notification');
    body.objectType = 'TARIFF';
    body.object = { id: 't-1', objectType: 'TARIFF', rates: [1, 2] };
    const parsed = await parseSubscriptionNotification(JSON.stringify(body));
    expect(parsed).toEqual(new UnknownWebhookEvent('subscriptionNotification', 'TARIFF', 'objectType', body));
    await expect(parseSubscriptionNotification(JSON.stringify(body), undefined, { strict: true })).rejects.toThrow(/^objectType: must be one of "PROGRAM"/);
    body.operation = 'MERGE';
    await expect(parseSubscriptionNotification(JSON.stringify(body))).rejects.toThrow(/^operation: must be one of "GET"/);
  });
});

describe('energy-coordination: a new payload type, signed', () => {
  const secret = 'whsec-test';
  const sign = (body: string) => createHmac('sha256', secret).update(body).digest('base64');

  it('parseWebhook finds the operation by its envelope and returns the unknown payload type', async () => {
    const body = example('energy-coordination', 'delivery-updated-power-level');
    body.payloadType = 'ChargingProfile';
    body.event.payload = { payloadType: 'ChargingProfile', profile: [{ start: 'PT0S', limitKw: 7.4 }] };
    const raw = JSON.stringify(body);
    const parsed = await parseEnergyWebhook(raw, { 'X-Payload-Signature': sign(raw) }, { secret });
    expect(parsed).toEqual(new UnknownWebhookEvent('eventUpdated', 'ChargingProfile', 'payloadType', body));
    const strict = parseEnergyWebhook(raw, { 'X-Payload-Signature': sign(raw) }, { secret, strict: true });
    expectTypeOf(strict).toEqualTypeOf<Promise<EnergyPayload>>();
    // Rejected for the unlisted payload type, not for the signature or the envelope.
    const error = await rejection(strict);
    expect(error).toBeInstanceOf(WebhookValidationError);
    expect(error).toMatchObject({ field: 'payloadType' });
    // A receiver for another operation type does not take it: the envelope's operationType is checked.
    await expect(parseEventCreated(raw)).rejects.toThrow('operationType: must be "Create"');
    // The signature is checked before anything is tolerated.
    await expect(parseEnergyWebhook(raw, { 'X-Payload-Signature': sign('other') }, { secret })).rejects.toThrow(/does not match the body/);
  });
});
