// Mutation fixtures for the contract-diff policy: each takes a real bundle, applies one spec change of a known
// kind, and states the classification it must get (level, kind, and the field or operation named), and that a
// non-breaking change yields no breaking entry at all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { classifyChanges, type Level } from '../../scripts/lib/contract-diff/policy.ts';

type Json = Record<string, any>;
const bundle = (id: string): Json => JSON.parse(readFileSync(join(projectRoot, 'generated', id, 'openapi.json'), 'utf8'));
const DEVICES = '/public/v2/device-applications/{deviceApplicationId}/devices';

interface Mutation {
  name: string;
  api: string;
  mutate: (spec: Json) => void;
  /** The change that must be reported. */
  expected: { level: Level; kind: string; location: string; message?: string };
  /** Whether the whole diff must be free of breaking changes. */
  breaking: boolean;
}

const mutations: Mutation[] = [
  {
    name: 'removed operation',
    api: 'redex',
    mutate: (spec) => delete spec.paths[DEVICES].get,
    expected: { level: 'breaking', kind: 'removed-operation', location: `GET ${DEVICES}` },
    breaking: true,
  },
  {
    name: 'removed response field',
    api: 'redex',
    mutate: (spec) => delete spec.components.schemas.Inverter.properties.Id,
    expected: { level: 'breaking', kind: 'removed-field', location: `GET ${DEVICES} › response 200 (application/json) › Data[].Inverters[].Id` },
    breaking: true,
  },
  {
    name: 'removed webhook',
    api: 'energy-coordination',
    mutate: (spec) => delete spec.webhooks.eventDeleted,
    expected: { level: 'breaking', kind: 'removed-webhook', location: 'webhook eventDeleted (POST)' },
    breaking: true,
  },
  {
    name: 'removed enum value (in a response, a request body and a webhook)',
    api: 'bajie-charging',
    mutate: (spec) => (spec.components.schemas.CabinetEventType.enum = spec.components.schemas.CabinetEventType.enum.filter((value: string) => value !== 'BATTERY_POPUP')),
    expected: { level: 'breaking', kind: 'removed-enum-value', location: 'webhook cabinetEventPush (POST) › request body (application/json) › event', message: 'removed enum value "BATTERY_POPUP" of `event`' },
    breaking: true,
  },
  {
    name: 'new required request field',
    api: 'hanchuess',
    mutate: (spec) => {
      spec.components.schemas.SubscribeRequest.properties.region = { type: 'string' };
      spec.components.schemas.SubscribeRequest.required.push('region');
    },
    expected: { level: 'breaking', kind: 'new-required-request-field', location: 'POST /v1/oem/subscribe › request body (application/json) › region' },
    breaking: true,
  },
  {
    name: 'existing request field made required',
    api: 'hanchuess',
    mutate: (spec) => spec.components.schemas.SubscribeRequest.required.push('events'),
    expected: { level: 'breaking', kind: 'new-required-request-field', location: 'POST /v1/oem/subscribe › request body (application/json) › events' },
    breaking: true,
  },
  {
    name: 'new required query parameter',
    api: 'redex',
    mutate: (spec) => spec.paths[DEVICES].get.parameters.push({ name: 'Region', in: 'query', required: true, schema: { type: 'string' } }),
    expected: { level: 'breaking', kind: 'new-required-parameter', location: `GET ${DEVICES} › query parameter Region` },
    breaking: true,
  },
  {
    name: 'narrowed type on a request',
    api: 'hanchuess',
    mutate: (spec) => (spec.components.schemas.Oem = { ...spec.components.schemas.Oem, type: 'integer' }),
    expected: { level: 'breaking', kind: 'changed-type', location: 'POST /v1/oem/subscribe › request body (application/json) › oem' },
    breaking: true,
  },
  {
    name: 'narrowed enum on a request (new enum on a free string)',
    api: 'hanchuess',
    mutate: (spec) => (spec.components.schemas.WebhookVersion = { ...spec.components.schemas.WebhookVersion, enum: ['1.0.0'] }),
    expected: { level: 'breaking', kind: 'narrowed-enum', location: 'POST /v1/oem/subscribe › request body (application/json) › version' },
    breaking: true,
  },
  {
    name: 'narrowed length on a request',
    api: 'hanchuess',
    mutate: (spec) => (spec.components.schemas.Secret = { ...spec.components.schemas.Secret, maxLength: 8 }),
    expected: { level: 'breaking', kind: 'narrowed-length', location: 'POST /v1/oem/subscribe › request body (application/json) › secret' },
    breaking: true,
  },
  {
    name: 'narrowed range on a request (query parameter maximum)',
    api: 'redex',
    mutate: (spec) => (spec.components.parameters.ItemsPerPageQuery.schema.maximum = 50),
    expected: { level: 'breaking', kind: 'narrowed-range', location: `GET ${DEVICES} › query parameter ItemsPerPage`, message: 'maximum of `query parameter ItemsPerPage`: 100 -> 50' },
    breaking: true,
  },
  {
    name: 'narrowed pattern on a request',
    api: 'hanchuess',
    mutate: (spec) => (spec.components.schemas.Oem = { ...spec.components.schemas.Oem, pattern: '^H0' }),
    expected: { level: 'breaking', kind: 'narrowed-pattern', location: 'POST /v1/oem/subscribe › request body (application/json) › oem' },
    breaking: true,
  },
  {
    name: 'removed webhook payload field',
    api: 'hanchuess',
    mutate: (spec) => {
      const event = spec.components.schemas.Event;
      delete event.properties.assetId;
      event.required = event.required.filter((name: string) => name !== 'assetId');
    },
    expected: { level: 'breaking', kind: 'removed-field', location: 'webhook eventDelivery (POST) › request body (application/json) › data[].assetId' },
    breaking: true,
  },
  {
    name: 'received field no longer required',
    api: 'bajie-charging',
    mutate: (spec) => (spec.components.schemas.CabinetEventPush.required = ['event']),
    expected: { level: 'breaking', kind: 'field-may-be-absent', location: 'webhook cabinetEventPush (POST) › request body (application/json) › agentAccount' },
    breaking: true,
  },
  {
    name: 'received field may now be null',
    api: 'redex',
    mutate: (spec) => (spec.components.schemas.Inverter.properties.Id = { ...spec.components.schemas.Inverter.properties.Id, type: ['string', 'null'] }),
    expected: { level: 'breaking', kind: 'widened-type', location: `GET ${DEVICES} › response 200 (application/json) › Data[].Inverters[].Id` },
    breaking: true,
  },
  {
    name: 'restructured response: a field dropped while its properties moved into an allOf member',
    api: 'redex',
    mutate: (spec) => {
      const { properties, required, ...rest } = spec.components.schemas.Inverter;
      const { Id: _dropped, ...kept } = properties;
      spec.components.schemas.Inverter = { ...rest, allOf: [{ type: 'object', properties: kept, ...(required ? { required } : {}) }] };
    },
    expected: { level: 'breaking', kind: 'removed-field', location: `GET ${DEVICES} › response 200 (application/json) › Data[].Inverters[].Id` },
    breaking: true,
  },
  {
    name: 'a received value pinned: its schema moved into allOf beside a const (narrowed on what we receive)',
    api: 'redex',
    mutate: (spec) => (spec.components.schemas.Pagination.properties.CurrentPage = { allOf: [structuredClone(spec.components.schemas.Pagination.properties.CurrentPage)], const: 1 }),
    expected: { level: 'non-breaking', kind: 'narrowed-enum', location: `GET ${DEVICES} › response 200 (application/json) › Meta.CurrentPage`, message: '`Meta.CurrentPage` restricted to [1]' },
    breaking: false,
  },
  {
    name: 'new optional field (webhook payload)',
    api: 'bajie-charging',
    mutate: (spec) => (spec.components.schemas.CabinetEventPush.properties.siteId = { type: 'string' }),
    expected: { level: 'non-breaking', kind: 'new-optional-field', location: 'webhook cabinetEventPush (POST) › request body (application/json) › siteId' },
    breaking: false,
  },
  {
    name: 'new optional request field',
    api: 'hanchuess',
    mutate: (spec) => (spec.components.schemas.SubscribeRequest.properties.region = { type: 'string' }),
    expected: { level: 'non-breaking', kind: 'new-optional-field', location: 'POST /v1/oem/subscribe › request body (application/json) › region' },
    breaking: false,
  },
  {
    name: 'new operation',
    api: 'redex',
    mutate: (spec) => (spec.paths['/public/v2/device-applications'] = { get: { operationId: 'listApplications', responses: { '200': { description: 'The applications.' } } } }),
    expected: { level: 'non-breaking', kind: 'new-operation', location: 'GET /public/v2/device-applications' },
    breaking: false,
  },
  {
    name: 'new webhook',
    api: 'bajie-charging',
    mutate: (spec) => (spec.webhooks.cabinetAlarmPush = structuredClone(spec.webhooks.cabinetEventPush)),
    expected: { level: 'non-breaking', kind: 'new-webhook', location: 'webhook cabinetAlarmPush (POST)' },
    breaking: false,
  },
  {
    name: 'new enum value in a webhook (a new event type: the tolerant receivers take it)',
    api: 'bajie-charging',
    mutate: (spec) => spec.components.schemas.CabinetEventType.enum.push('CABINET_FLOODED'),
    expected: { level: 'non-breaking', kind: 'new-enum-value', location: 'webhook cabinetEventPush (POST) › request body (application/json) › event' },
    breaking: false,
  },
  {
    name: 'wider range on a request',
    api: 'redex',
    mutate: (spec) => (spec.components.parameters.ItemsPerPageQuery.schema.maximum = 500),
    expected: { level: 'non-breaking', kind: 'widened-range', location: `GET ${DEVICES} › query parameter ItemsPerPage` },
    breaking: false,
  },
  {
    name: 'description change',
    api: 'redex',
    mutate: (spec) => (spec.components.schemas.Inverter.properties.Id.description = 'The inverter, as RedEx identifies it.'),
    expected: { level: 'annotation', kind: 'annotation', location: `GET ${DEVICES} › response 200 (application/json) › Data[].Inverters[].Id` },
    breaking: false,
  },
  {
    name: 'example change',
    api: 'bajie-charging',
    mutate: (spec) => (spec.components.schemas.CabinetEventPush.properties.agentAccount.examples = ['agent-7']),
    expected: { level: 'annotation', kind: 'annotation', location: 'webhook cabinetEventPush (POST) › request body (application/json) › agentAccount' },
    breaking: false,
  },
];

describe('contract-diff policy on mutation fixtures', () => {
  it('an unchanged bundle has no changes', () => {
    for (const id of ['hanchuess', 'openadr3-vtn', 'bajie-charging', 'energy-coordination', 'redex']) {
      expect(classifyChanges(bundle(id), bundle(id)), id).toEqual([]);
    }
  });

  it.each(mutations)('$name: $expected.level ($expected.kind)', ({ api, mutate, expected, breaking }) => {
    const before = bundle(api);
    const after = structuredClone(before);
    mutate(after);
    const changes = classifyChanges(before, after);
    const found = changes.find((change) => change.kind === expected.kind && change.location === expected.location);
    expect(found, `no ${expected.kind} at ${expected.location}; got:\n${changes.map((c) => `${c.level} ${c.kind} @ ${c.location}`).join('\n')}`).toBeDefined();
    expect(found!.level).toBe(expected.level);
    if (expected.message) expect(found!.message).toBe(expected.message);
    const breakingOnes = changes.filter((change) => change.level === 'breaking');
    if (breaking) expect(breakingOnes.length).toBeGreaterThan(0);
    else expect(breakingOnes, breakingOnes.map((c) => `${c.kind} @ ${c.location}`).join('\n')).toEqual([]);
  });

  it('a removed enum value is named at every place the enum is used (response, request, webhook)', () => {
    const before = bundle('bajie-charging');
    const after = structuredClone(before);
    after.components.schemas.CabinetEventType.enum.pop();
    const locations = classifyChanges(before, after)
      .filter((change) => change.kind === 'removed-enum-value')
      .map((change) => change.location);
    expect(locations).toEqual([
      'GET /cabinet/eventPush/config/get › response 200 (application/json) › data.eventSubscriptions[].event',
      'POST /cabinet/eventPush/config › request body (application/json) › eventSubscriptions[].event',
      'webhook cabinetEventPush (POST) › request body (application/json) › event',
    ]);
  });

  it('a narrower range on what we receive is not breaking, on what we send it is', () => {
    const before = bundle('redex');
    const after = structuredClone(before);
    after.components.schemas.Pagination.properties = Object.fromEntries(
      Object.entries(after.components.schemas.Pagination.properties as Json).map(([name, schema]) => [name, { ...(schema as Json), maximum: 7 }]),
    );
    const changes = classifyChanges(before, after);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.filter((change) => change.level === 'breaking')).toEqual([]);
  });
});
