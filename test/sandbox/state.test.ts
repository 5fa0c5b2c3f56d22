// Stateful property tests of the sandbox, one per API: fast-check model-based commands (random sequences of
// create, read, update, delete and list) run against the real mock and checked against a small in-test model
// of what the partner's tenant should hold. Every answer is also checked against the spec's response schema.
// Seeded and bounded: FUZZ_SEED=<n> replays a run; the seed is printed when a property fails.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hanchuessSeededSubscriptions, vtnDocumentSubscription } from '../support/document-samples.ts';
import { answerErrors, startMock, type RunningMock } from '../support/mock.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_241_123);
const NUM_RUNS = 25;
const MAX_COMMANDS = 14;

type Json = Record<string, any>;
type Api = 'hanchuess' | 'openadr3-vtn' | 'bajie-charging' | 'energy-coordination' | 'redex';

const BASE_PATHS: Record<Api, string> = {
  hanchuess: '/portal',
  'openadr3-vtn': '/api/openadr/v1',
  'bajie-charging': '/cdb-open-api/v1',
  'energy-coordination': '/energy-coordination/v1',
  redex: '',
};

const mocks = new Map<Api, RunningMock>();
beforeAll(async () => {
  await Promise.all((Object.keys(BASE_PATHS) as Api[]).map(async (api) => mocks.set(api, await startMock(api))));
});
afterAll(() => Promise.all([...mocks.values()].map((mock) => mock.close())));

/** A tenant of its own per property run (bearer token, or Basic user for Bajie). */
let tenantCount = 0;
const authorizationFor = (api: Api) => {
  const name = `model-${api}-${++tenantCount}`;
  return api === 'bajie-charging' ? `Basic ${Buffer.from(`${name}:secret`).toString('base64')}` : `Bearer ${name}`;
};

interface Answer {
  status: number;
  body: any;
}

/**
 * One request at the production path; `template` is the spec's path (for the schema check), `params` fills it.
 * A 2xx or 4xx answer with a documented JSON schema must validate against it.
 */
async function call(api: Api, authorization: string, method: string, template: string, options: { params?: Record<string, string>; query?: Record<string, unknown>; body?: unknown } = {}): Promise<Answer> {
  let path = template;
  for (const [name, value] of Object.entries(options.params ?? {})) path = path.replace(`{${name}}`, encodeURIComponent(value));
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
  }
  const url = `${mocks.get(api)!.origin}${BASE_PATHS[api]}${path}${search.size ? `?${search}` : ''}`;
  const headers: Record<string, string> = { Authorization: authorization };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await response.text();
  const body = text ? JSON.parse(text) : undefined;
  expect(response.headers.get('x-sandbox-response-violations'), `${method} ${url}`).toBeNull();
  if (body !== undefined) expect(answerErrors(api, method, template, response.status, body), `${method} ${url} -> ${response.status} ${text}`).toEqual([]);
  return { status: response.status, body };
}

async function control(api: Api, authorization: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${mocks.get(api)!.origin}/_sandbox/${path}`, {
    method,
    headers: { Authorization: authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Runs the commands on a fresh tenant; the error names the seed to replay with. */
async function checkModel<Model extends object>(
  api: Api,
  initialModel: () => Model,
  commands: fc.Arbitrary<fc.AsyncCommand<Model, string>>[],
  numRuns = NUM_RUNS,
) {
  const property = fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS }), async (sequence) => {
    const setup = () => ({ model: initialModel(), real: authorizationFor(api) });
    await fc.asyncModelRun(setup, sequence);
  });
  const details = await fc.check(property, { seed: SEED, numRuns, endOnFailure: false });
  if (details.failed) {
    throw new Error(`${api}: the model-based property failed (replay with FUZZ_SEED=${SEED}; fast-check seed ${details.seed}, path ${details.counterexamplePath})\n${fc.defaultReportMessage(details)}\n${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`);
  }
  expect(details.numRuns).toBe(numRuns);
}

/** A command with a description for fast-check's counterexample report. */
function command<Model extends object>(label: string, run: (model: Model, authorization: string) => Promise<void>): fc.AsyncCommand<Model, string> {
  return { check: () => true, run, toString: () => label };
}

/** An existing item picked by `index` (modulo), or an id the tenant never had. */
const pickId = (ids: string[], index: number, unknown: string) => (index < 0 || ids.length === 0 ? unknown : ids[index % ids.length]!);
const pickArb = fc.integer({ min: -1, max: 20 });
const isDateTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));

// ---------------------------------------------------------------------------------------------------- VTN
describe('openadr3-vtn: subscriptions', () => {
  type Subscription = Json;
  interface Model {
    items: Subscription[];
  }
  const seedSubscription = vtnDocumentSubscription;
  // Object types without SUBSCRIPTION: these subscriptions are never notified of the partner's own changes.
  const bodyArb = fc.record(
    {
      clientName: fc.constantFrom('VEN-1', 'VEN-2', 'VEN-999'),
      programID: fc.constantFrom('prog-a', 'prog-b', 'object-999'),
      objectOperations: fc.array(
        fc.record({
          objects: fc.subarray(['EVENT', 'PROGRAM', 'REPORT'], { minLength: 1 }),
          operations: fc.subarray(['POST', 'PUT', 'DELETE'], { minLength: 1 }),
          callbackUrl: fc.constantFrom('https://partner.example/cb', 'https://partner.example/other'),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      targets: fc.option(fc.array(fc.record({ type: fc.constantFrom('GROUP', 'PRICE'), values: fc.subarray(['g1', 'g2', 'g3'], { minLength: 1 }) }), { maxLength: 2 }), { nil: undefined }),
    },
    { requiredKeys: ['clientName', 'programID', 'objectOperations'] },
  );
  const withDefaults = (body: Json) => ({ ...body, objectOperations: body.objectOperations.map((operation: Json) => ({ bearerToken: null, ...operation })), targets: body.targets ?? null });
  const valuesAt = (item: Json, path: string[]): string[] =>
    path.reduce<unknown[]>((nodes, key) => nodes.flatMap((node) => (Array.isArray(node) ? node : [node])).map((node) => (node && typeof node === 'object' ? (node as Json)[key] : undefined)), [item])
      .flatMap((node) => (Array.isArray(node) ? node : [node]))
      .filter((value) => value !== undefined && value !== null)
      .map(String);
  const filterArb = fc.record(
    {
      clientName: fc.constantFrom('VEN-1', 'VEN-2', 'VEN-999', 'VEN-none'),
      programID: fc.constantFrom('prog-a', 'prog-b', 'object-999'),
      objects: fc.subarray(['EVENT', 'PROGRAM', 'REPORT', 'VEN'], { minLength: 1 }),
      targetType: fc.constantFrom('GROUP', 'PRICE'),
      targetValues: fc.subarray(['g1', 'g2', 'g3', '0.17'], { minLength: 1 }),
      skip: fc.integer({ min: 0, max: 4 }),
      limit: fc.integer({ min: 0, max: 5 }),
    },
    { requiredKeys: [] },
  );
  const filterFields: Record<string, string[]> = {
    clientName: ['clientName'],
    programID: ['programID'],
    objects: ['objectOperations', 'objects'],
    targetType: ['targets', 'type'],
    targetValues: ['targets', 'values'],
  };

  it('random create, read, update, delete and search agree with the model', async () => {
    const commands = [
      bodyArb.map((body) =>
        command<Model>(`create ${JSON.stringify(body)}`, async (model, auth) => {
          const answer = await call('openadr3-vtn', auth, 'POST', '/subscriptions', { body });
          expect(answer.status).toBe(201);
          const { id, createdDateTime, modificationDateTime, objectType, ...rest } = answer.body;
          // targets and each objectOperations item's bearerToken default to null (OpenADR 3.0.1): stored and answered as null.
          expect(rest).toEqual(withDefaults(body));
          expect(objectType).toBe('SUBSCRIPTION');
          // Both are the time of the create (taken one after the other, so they may differ by a millisecond).
          expect(isDateTime(createdDateTime) && isDateTime(modificationDateTime)).toBe(true);
          expect(Date.parse(modificationDateTime) - Date.parse(createdDateTime)).toBeGreaterThanOrEqual(0);
          expect(Math.abs(Date.now() - Date.parse(createdDateTime))).toBeLessThan(60_000);
          expect(model.items.map((item) => item.id)).not.toContain(id);
          model.items.push(answer.body);
        }),
      ),
      pickArb.map((index) =>
        command<Model>(`read #${index}`, async (model, auth) => {
          const id = pickId(model.items.map((item) => item.id), index, 'no-such-subscription');
          const answer = await call('openadr3-vtn', auth, 'GET', '/subscriptions/{subscriptionID}', { params: { subscriptionID: id } });
          const expected = model.items.find((item) => item.id === id);
          if (expected) expect(answer).toEqual({ status: 200, body: expected });
          else expect(answer.status).toBe(404);
        }),
      ),
      fc.tuple(pickArb, bodyArb).map(([index, body]) =>
        command<Model>(`update #${index} ${JSON.stringify(body)}`, async (model, auth) => {
          const id = pickId(model.items.map((item) => item.id), index, 'no-such-subscription');
          const answer = await call('openadr3-vtn', auth, 'PUT', '/subscriptions/{subscriptionID}', { params: { subscriptionID: id }, body });
          const stored = model.items.findIndex((item) => item.id === id);
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer.status).toBe(200);
          const before = model.items[stored]!;
          expect(answer.body).toEqual({ ...withDefaults(body), id, createdDateTime: before.createdDateTime, objectType: 'SUBSCRIPTION', modificationDateTime: expect.any(String) });
          expect(Date.parse(answer.body.modificationDateTime)).toBeGreaterThanOrEqual(Date.parse(before.modificationDateTime));
          model.items[stored] = answer.body;
        }),
      ),
      pickArb.map((index) =>
        command<Model>(`delete #${index}`, async (model, auth) => {
          const id = pickId(model.items.map((item) => item.id), index, 'no-such-subscription');
          const answer = await call('openadr3-vtn', auth, 'DELETE', '/subscriptions/{subscriptionID}', { params: { subscriptionID: id } });
          const stored = model.items.findIndex((item) => item.id === id);
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 200, body: model.items[stored] });
          model.items.splice(stored, 1);
        }),
      ),
      filterArb.map((query) =>
        command<Model>(`search ${JSON.stringify(query)}`, async (model, auth) => {
          const answer = await call('openadr3-vtn', auth, 'GET', '/subscriptions', { query });
          expect(answer.status).toBe(200);
          let expected = model.items.filter((item) =>
            Object.entries(filterFields).every(([name, path]) => {
              const wanted = (query as Json)[name];
              if (wanted === undefined) return true;
              const accepted = (Array.isArray(wanted) ? wanted : [wanted]).map(String);
              return valuesAt(item, path).some((value) => accepted.includes(value));
            }),
          );
          const skip = query.skip ?? 0;
          expected = expected.slice(skip, skip + (query.limit ?? 50));
          expect(answer.body).toEqual(expected);
        }),
      ),
    ];
    await checkModel('openadr3-vtn', () => ({ items: [structuredClone(seedSubscription)] }), commands);
  });
});

// -------------------------------------------------------------------------------------------------- Spark
describe('energy-coordination: subscriptions and resources', () => {
  interface Model {
    subscriptions: Json[];
    resources: Json[];
  }
  const seed = (): Model => ({
    subscriptions: [
      {
        id: '3d8f6a21-c4b9-4e57-a013-7e2b5c9d1f86',
        webhookSecret: 'k7Pq2vX9mR4tW8zB3nF6hJ1cL5dG0sYa',
        webhookUrl: 'https://ems.partner.example/spark/webhooks',
        eventPayloadTypes: ['CurrentLevel', 'PowerLevel'],
        operationTypes: ['Create', 'Update', 'Delete'],
      },
    ],
    resources: [
      {
        userId: '3880a832-f483-4b6a-998d-6109d3a54b06',
        resourceId: '5c1f0e8a-7d3b-4e92-a6f4-2b9d8c31e057',
        metadata: { resourceType: 'Vehicle', brand: 'Volvo', model: 'EX30', year: 2024, vin: 'YV1XZEFV8R2157346' },
        id: 'd2a47b93-6e15-4c08-b3f9-81c5e2a0d764',
      },
    ],
  });
  const subscriptionArb = fc.record(
    {
      webhookSecret: fc.constantFrom('s1', 's2', null),
      webhookUrl: fc.constantFrom('https://partner.example/spark', null),
      eventPayloadTypes: fc.option(fc.subarray(['Unknown', 'CurrentLevel', 'PowerLevel']), { nil: null }),
      operationTypes: fc.option(fc.subarray(['Create', 'Update', 'Delete']), { nil: null }),
    },
    { requiredKeys: [] },
  );
  const metadataArb = fc.record({ resourceType: fc.constantFrom('Unknown', 'Vehicle'), brand: fc.constantFrom('Volvo', 'Kia'), year: fc.integer({ min: 2000, max: 2030 }) }, { requiredKeys: [] });
  const resourceIdArb = fc.constantFrom('vehicle-1', 'vehicle-2', 'vehicle-3');
  /** A resource is found by its resourceId or by Spark's id; the first one stored wins. */
  const findResource = (model: Model, key: string) => model.resources.findIndex((item) => item.resourceId === key || item.id === key);
  const resourceKey = (model: Model, index: number, byId: boolean) => {
    if (index < 0 || model.resources.length === 0) return 'vehicle-404';
    const item = model.resources[index % model.resources.length]!;
    return byId ? item.id : item.resourceId;
  };

  it('random create, read, update, delete and list of both collections agree with the model', async () => {
    const commands = [
      subscriptionArb.map((body) =>
        command<Model>(`create subscription ${JSON.stringify(body)}`, async (model, auth) => {
          const answer = await call('energy-coordination', auth, 'POST', '/subscriptions', { body });
          expect(answer.status).toBe(200);
          expect(answer.body).toEqual({ ...body, id: expect.any(String) });
          expect(model.subscriptions.map((item) => item.id)).not.toContain(answer.body.id);
          model.subscriptions.push(answer.body);
        }),
      ),
      pickArb.map((index) =>
        command<Model>(`read subscription #${index}`, async (model, auth) => {
          const id = pickId(model.subscriptions.map((item) => item.id), index, 'sub-404');
          const answer = await call('energy-coordination', auth, 'GET', '/subscriptions/{subscriptionId}', { params: { subscriptionId: id } });
          const expected = model.subscriptions.find((item) => item.id === id);
          expect(answer.status).toBe(expected ? 200 : 404);
          if (expected) expect(answer.body).toEqual(expected);
        }),
      ),
      fc.tuple(pickArb, subscriptionArb).map(([index, body]) =>
        command<Model>(`update subscription #${index} ${JSON.stringify(body)}`, async (model, auth) => {
          const id = pickId(model.subscriptions.map((item) => item.id), index, 'sub-404');
          const answer = await call('energy-coordination', auth, 'PUT', '/subscriptions/{subscriptionId}', { params: { subscriptionId: id }, body });
          const stored = model.subscriptions.findIndex((item) => item.id === id);
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 200, body: { ...body, id } });
          model.subscriptions[stored] = answer.body;
        }),
      ),
      pickArb.map((index) =>
        command<Model>(`delete subscription #${index}`, async (model, auth) => {
          const id = pickId(model.subscriptions.map((item) => item.id), index, 'sub-404');
          const answer = await call('energy-coordination', auth, 'DELETE', '/subscriptions/{subscriptionId}', { params: { subscriptionId: id } });
          const stored = model.subscriptions.findIndex((item) => item.id === id);
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 204, body: undefined });
          model.subscriptions.splice(stored, 1);
        }),
      ),
      fc.constant(
        command<Model>('list subscriptions', async (model, auth) => {
          expect(await call('energy-coordination', auth, 'GET', '/subscriptions')).toEqual({ status: 200, body: model.subscriptions });
        }),
      ),
      fc.tuple(resourceIdArb, fc.constantFrom('user-1', 'user-2'), metadataArb).map(([resourceId, userId, metadata]) =>
        command<Model>(`create resource ${resourceId}`, async (model, auth) => {
          const body = { userId, resourceId, metadata };
          const answer = await call('energy-coordination', auth, 'POST', '/resources', { body });
          expect(answer.status).toBe(200);
          expect(answer.body).toEqual({ ...body, id: expect.any(String) });
          expect(model.resources.map((item) => item.id)).not.toContain(answer.body.id);
          model.resources.push(answer.body);
        }),
      ),
      fc.tuple(pickArb, fc.boolean()).map(([index, byId]) =>
        command<Model>(`read resource #${index}${byId ? ' by id' : ''}`, async (model, auth) => {
          const key = resourceKey(model, index, byId);
          const answer = await call('energy-coordination', auth, 'GET', '/resources/{resourceId}', { params: { resourceId: key } });
          const stored = findResource(model, key);
          expect(answer.status).toBe(stored < 0 ? 404 : 200);
          if (stored >= 0) expect(answer.body).toEqual(model.resources[stored]);
        }),
      ),
      fc.tuple(pickArb, fc.constantFrom('user-1', 'user-2'), metadataArb).map(([index, userId, metadata]) =>
        command<Model>(`update resource #${index}`, async (model, auth) => {
          const key = resourceKey(model, index, false);
          const stored = findResource(model, key);
          const body = { userId, resourceId: key, metadata };
          const answer = await call('energy-coordination', auth, 'PUT', '/resources', { query: { resourceId: key }, body });
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 200, body: { ...body, id: model.resources[stored]!.id } });
          model.resources[stored] = answer.body;
        }),
      ),
      pickArb.map((index) =>
        command<Model>(`delete resource #${index}`, async (model, auth) => {
          const key = resourceKey(model, index, false);
          const stored = findResource(model, key);
          const answer = await call('energy-coordination', auth, 'DELETE', '/resources', { query: { resourceId: key } });
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 204, body: undefined });
          model.resources.splice(stored, 1);
        }),
      ),
      fc.constant(
        command<Model>('list resources', async (model, auth) => {
          expect(await call('energy-coordination', auth, 'GET', '/resources')).toEqual({ status: 200, body: model.resources });
        }),
      ),
    ];
    await checkModel('energy-coordination', seed, commands);
  });
});

// ---------------------------------------------------------------------------------------------- HanChuESS
describe('hanchuess: OEM subscriptions', () => {
  interface Model {
    /** As answered: without the secret. */
    items: Json[];
  }
  const seedItems = hanchuessSeededSubscriptions;
  const oemArb = fc.constantFrom('H03Z****SY37', 'OEM-B');
  const fieldsArb = fc.record(
    {
      webhookUrl: fc.constantFrom('https://partner.tech/api/callback', 'https://partner.tech/api/other'),
      events: fc.subarray(['inverter:data:telemetry', 'battery:data:telemetry', '*']),
      secret: fc.constantFrom('secret-1', 'secret-2'),
      version: fc.constantFrom('1.0.0', '1.1.0'),
      devices: fc.subarray(['H01****G1H', 'H02****D6C', 'H03****X']),
    },
    { requiredKeys: [] },
  );
  const createArb = fc.tuple(oemArb, fieldsArb).map(([oem, fields]) => ({
    oem,
    webhookUrl: fields.webhookUrl ?? 'https://partner.tech/api/callback',
    secret: fields.secret ?? 'secret-0',
    devices: fields.devices ?? [],
    ...(fields.events ? { events: fields.events } : {}),
    ...(fields.version ? { version: fields.version } : {}),
  }));
  const withoutSecret = ({ secret: _secret, ...rest }: Json) => rest;
  /** The subscription to act on and the oem to name it with (sometimes the other one: a 404). */
  const target = (model: Model, index: number, otherOem: boolean) => {
    const id = pickId(model.items.map((item) => item.subscriptionId), index, 'NO****SUCH');
    const item = model.items.find((candidate) => candidate.subscriptionId === id);
    const oem = item ? (otherOem ? (item.oem === 'OEM-B' ? 'H03Z****SY37' : 'OEM-B') : item.oem) : 'H03Z****SY37';
    return { id, oem, stored: item && !otherOem ? model.items.indexOf(item) : -1 };
  };

  it('random subscribe, list, resubscribe, unsubscribe and test agree with the model', async () => {
    const commands = [
      createArb.map((body) =>
        command<Model>(`subscribe ${JSON.stringify(body)}`, async (model, auth) => {
          const answer = await call('hanchuess', auth, 'POST', '/v1/oem/subscribe', { body });
          expect(answer.status).toBe(200);
          expect(answer.body.errno).toBe(0);
          expect(answer.body.data).toEqual({ ...withoutSecret(body), events: body.events ?? ['*'], subscriptionId: expect.any(String), status: 'inactive', createAt: expect.any(String) });
          expect(model.items.map((item) => item.subscriptionId)).not.toContain(answer.body.data.subscriptionId);
          model.items.push(answer.body.data);
        }),
      ),
      oemArb.map((oem) =>
        command<Model>(`list ${oem}`, async (model, auth) => {
          const answer = await call('hanchuess', auth, 'POST', '/v1/oem/subscriptions', { body: { oem } });
          expect(answer.status).toBe(200);
          expect(answer.body.devices.map((entry: Json) => entry.data)).toEqual(model.items.filter((item) => item.oem === oem));
        }),
      ),
      fc.tuple(pickArb, fc.boolean(), fieldsArb).map(([index, otherOem, fields]) =>
        command<Model>(`resubscribe #${index}${otherOem ? ' (other oem)' : ''} ${JSON.stringify(fields)}`, async (model, auth) => {
          const { id, oem, stored } = target(model, index, otherOem);
          const answer = await call('hanchuess', auth, 'POST', '/v1/oem/resubscribe', { body: { oem, subscriptionId: id, ...fields } });
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer.status).toBe(200);
          // The fields sent replace the stored ones; the rest stay.
          expect(answer.body.data).toEqual({ ...model.items[stored], ...withoutSecret(fields) });
          model.items[stored] = answer.body.data;
        }),
      ),
      fc.tuple(pickArb, fc.boolean()).map(([index, otherOem]) =>
        command<Model>(`unsubscribe #${index}${otherOem ? ' (other oem)' : ''}`, async (model, auth) => {
          const { id, oem, stored } = target(model, index, otherOem);
          const answer = await call('hanchuess', auth, 'DELETE', '/v1/oem/{oem}/unsubscribe/{subscriptionId}', { params: { oem, subscriptionId: id } });
          if (stored < 0) return void expect(answer.status).toBe(404);
          expect(answer).toEqual({ status: 200, body: { errno: 0, msg: 'The operation has been successful', data: null } });
          model.items.splice(stored, 1);
        }),
      ),
      fc.tuple(pickArb, fc.boolean()).map(([index, otherOem]) =>
        command<Model>(`test #${index}${otherOem ? ' (other oem)' : ''}`, async (model, auth) => {
          const { id, oem, stored } = target(model, index, otherOem);
          const answer = await call('hanchuess', auth, 'POST', '/v1/oem/subscriptions/test', { body: { oem, subscriptionId: id } });
          if (stored < 0) return void expect(answer.status).toBe(404);
          // partner.tech is not loopback: the test delivery is refused, so the subscription stays as it was.
          expect(answer.status).toBe(200);
          expect(answer.body.data).toEqual(model.items[stored]);
        }),
      ),
    ];
    await checkModel('hanchuess', () => ({ items: structuredClone(seedItems) }), commands);
  });
});

// -------------------------------------------------------------------------------------------------- Bajie
describe('bajie-charging: the push configuration', () => {
  interface Model {
    config: Json;
  }
  const events = ['CABINET_ONLINE', 'CABINET_OFFLINE', 'CABINET_STATUS', 'BATTERY_IN', 'BATTERY_BORROW_OUT', 'BATTERY_ABNORMAL_WARNING', 'ADMIN_RENTAL_ORDER'];
  const seed = (): Model => ({ config: { pushUrl: 'https://receiving.push.com/event', eventSubscriptions: events.map((event) => ({ event, pushUrl: '', enable: true })) } });
  const configArb = fc.record(
    {
      pushUrl: fc.constantFrom('https://receiving.push.com/event', 'https://partner.example/push'),
      eventSubscriptions: fc.array(
        fc.record({ event: fc.constantFrom(...events, 'BATTERY_POPUP'), pushUrl: fc.constantFrom('', 'https://partner.example/one'), enable: fc.boolean() }, { requiredKeys: ['event'] }),
        { maxLength: 4 },
      ),
    },
    { requiredKeys: ['pushUrl'] },
  );

  it('random sets and gets: get answers the last configuration set, in the success envelope', async () => {
    const commands = [
      configArb.map((config) =>
        command<Model>(`set ${JSON.stringify(config)}`, async (model, auth) => {
          const answer = await call('bajie-charging', auth, 'POST', '/cabinet/eventPush/config', { body: config });
          expect(answer).toEqual({ status: 200, body: { code: 0, msg: 'Successful operation', data: null } });
          model.config = config;
        }),
      ),
      fc.constant(
        command<Model>('get', async (model, auth) => {
          const answer = await call('bajie-charging', auth, 'GET', '/cabinet/eventPush/config/get');
          expect(answer).toEqual({ status: 200, body: { code: 0, msg: 'Successful operation', data: model.config } });
        }),
      ),
      fc.constant(
        command<Model>('set an invalid configuration (no pushUrl)', async (_model, auth) => {
          const answer = await call('bajie-charging', auth, 'POST', '/cabinet/eventPush/config', { body: { eventSubscriptions: [] } });
          expect(answer.status).toBe(400);
        }),
      ),
    ];
    await checkModel('bajie-charging', seed, commands);
  });
});

// -------------------------------------------------------------------------------------------------- RedEx
describe('redex: paged devices', () => {
  const SEEDED = '347847fa-68c0-4418-9119-08dc3993455a';
  const OTHER = '0b9d3c1e-2f4a-4c6b-8d7e-9f0a1b2c3d4e';
  const UNKNOWN = 'bfa462c1-7e98-4f7b-8521-08dc7920a5f2';
  interface Model {
    devices: Record<string, Json[]>;
  }
  let seedDevice: Json;
  const deviceId = (application: string, index: number) => `${application.slice(0, 24)}${String(index).padStart(12, '0')}`;
  const devicesFor = (application: string, count: number) =>
    Array.from({ length: count }, (_, index) => ({ ...structuredClone(seedDevice), Id: deviceId(application, index), InstallationName: `Site ${index + 1} of ${application.slice(0, 8)}` }));

  beforeAll(async () => {
    const state = await control('redex', 'Bearer redex-seed-reader', 'GET', 'state');
    seedDevice = state.body.devices[SEEDED][0];
  });

  it('random device loads (PUT /_sandbox/state) and pages agree: Meta counts match Data and the model', async () => {
    const commands = [
      fc.tuple(fc.integer({ min: 0, max: 35 }), fc.integer({ min: 0, max: 35 })).map(([seeded, other]) =>
        command<Model>(`load ${seeded} + ${other} devices`, async (model, auth) => {
          const devices: Record<string, Json[]> = {};
          if (seeded) devices[SEEDED] = devicesFor(SEEDED, seeded);
          if (other) devices[OTHER] = devicesFor(OTHER, other);
          const answer = await control('redex', auth, 'PUT', 'state', { devices });
          expect(answer.status).toBe(200);
          expect(answer.body.devices).toEqual(devices);
          model.devices = devices;
        }),
      ),
      fc
        .tuple(fc.constantFrom(SEEDED, OTHER, UNKNOWN), fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }), fc.option(fc.integer({ min: 10, max: 14 }), { nil: undefined }))
        .map(([application, page, size]) =>
          command<Model>(`list ${application.slice(0, 8)} CurrentPage=${page} ItemsPerPage=${size}`, async (model, auth) => {
            const answer = await call('redex', auth, 'GET', '/public/v2/device-applications/{deviceApplicationId}/devices', {
              params: { deviceApplicationId: application },
              query: { CurrentPage: page, ItemsPerPage: size },
            });
            const devices = model.devices[application];
            // The seeded application is always known; another one once it has devices.
            if (!devices?.length && application !== SEEDED) {
              expect(answer.status).toBe(404);
              expect(answer.body.Message).toBe(`The Device Application ID: ${application} does not exist.`);
              return;
            }
            const all = devices ?? [];
            const currentPage = page ?? 1;
            const itemsPerPage = size ?? 100;
            expect(answer.status).toBe(200);
            expect(answer.body.Data).toEqual(all.slice((currentPage - 1) * itemsPerPage, currentPage * itemsPerPage));
            expect(answer.body.Meta).toEqual({ CurrentPage: currentPage, ItemsPerPage: itemsPerPage, TotalItems: all.length, TotalPage: Math.ceil(all.length / itemsPerPage) });
            // Meta agrees with Data: a full page, or the remainder on the last page, or nothing past it.
            const expectedCount = Math.max(0, Math.min(itemsPerPage, answer.body.Meta.TotalItems - (currentPage - 1) * itemsPerPage));
            expect(answer.body.Data).toHaveLength(expectedCount);
          }),
        ),
    ];
    await checkModel('redex', () => ({ devices: { [SEEDED]: [structuredClone(seedDevice)] } }), commands);
  });
});
