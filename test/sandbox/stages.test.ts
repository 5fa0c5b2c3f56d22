// The fast path's stages one at a time, on the real bundles and their compiled validators: the validate stage
// (request-check.ts), defaults at every depth (defaults.ts) and the state's indexes (state-index.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { loadSandboxValidators, type SandboxValidators } from '../../mocks/sandbox/compiled.ts';
import { fillDefaults } from '../../mocks/sandbox/defaults.ts';
import { createResponseCheck } from '../../mocks/sandbox/dispatch.ts';
import { checkRequest, documentedStatus, expectedStatuses, negotiatedSuccessType } from '../../mocks/sandbox/request-check.ts';
import { createRouter } from '../../mocks/sandbox/router.ts';
import { ItemIndexes } from '../../mocks/sandbox/state-index.ts';
import type { StoredItem } from '../../mocks/sandbox/store.ts';

const bundle = (api: string) => JSON.parse(readFileSync(join(projectRoot, 'generated', api, 'openapi.json'), 'utf8'));
const DEVICES = '/public/v2/device-applications/{deviceApplicationId}/devices';
const APPLICATION = '347847fa-68c0-4418-9119-08dc3993455a';

describe("answer check (the state's answer against the documented schema)", () => {
  it('names what a wrong answer breaks, with the build-time validators and with the bundle alike', async () => {
    const spec = bundle('redex');
    const compiled = await loadSandboxValidators(join(projectRoot, 'generated', 'redex', 'sandbox-validators.js'));
    const match = createRouter(spec).match('GET', `/public/v2/device-applications/${APPLICATION}/devices`);
    if (match.kind !== 'ok') throw new Error(`no route: ${match.kind}`);
    const documented = spec.components.examples.DevicesResponse.value;
    for (const check of [createResponseCheck(spec, compiled), createResponseCheck(spec, undefined)]) {
      expect(check(match.route, 200, documented)).toEqual([]);
      expect(check(match.route, 200, { ...documented, Data: 'not a list' })).toEqual(['/Data: must be array']);
      // No schema for an undocumented status: nothing to break.
      expect(check(match.route, 299, { Data: 'not a list' })).toEqual([]);
    }
  });
});

describe('validate stage (RedEx devices GET, Bajie config POST)', () => {
  let redex: SandboxValidators;
  let bajie: SandboxValidators;
  beforeAll(async () => {
    redex = await loadSandboxValidators(join(projectRoot, 'generated', 'redex', 'sandbox-validators.js'));
    bajie = await loadSandboxValidators(join(projectRoot, 'generated', 'bajie-charging', 'sandbox-validators.js'));
  });

  const devices = (headers: Record<string, string>, query: Record<string, string | string[]>, id = APPLICATION) =>
    checkRequest(redex.operationOf('GET', DEVICES)!, redex.validators, { headers, query, pathParams: { deviceApplicationId: id }, body: undefined });

  it('accepts a valid request, coercing query strings to the declared integers', () => {
    expect(devices({ authorization: 'Bearer t' }, { CurrentPage: '1', ItemsPerPage: '10' })).toEqual([]);
  });

  it('names a query parameter out of range in Prism words, lower-cased as Prism reports it', () => {
    expect(devices({ authorization: 'Bearer t' }, { ItemsPerPage: '5' })).toEqual([
      { path: ['query', 'itemsperpage'], code: 'minimum', message: 'Request query parameter itemsperpage must be >= 10', severity: 0 },
    ]);
  });

  it('reports the missing credential first, then the path parameter, and picks the documented 401', () => {
    const violations = devices({}, {}, 'not-a-uuid');
    expect(violations.map((violation) => [violation.code, violation.path?.join('.')])).toEqual([
      [401, undefined],
      ['format', 'path.deviceapplicationid'],
    ]);
    expect(documentedStatus(redex.operationOf('GET', DEVICES)!, expectedStatuses(violations))).toBe(401);
  });

  it('checks a Basic credential, the body and its media type', () => {
    const set = bajie.operationOf('POST', '/cabinet/eventPush/config')!;
    const basic = `Basic ${Buffer.from('agent:secret').toString('base64')}`;
    const check = (headers: Record<string, string>, body: unknown) => checkRequest(set, bajie.validators, { headers, query: {}, pathParams: {}, body });
    expect(check({ authorization: 'Basic not-base64-pair', 'content-type': 'application/json', 'content-length': '2' }, {})[0]).toMatchObject({ code: 401 });
    expect(check({ authorization: basic, 'content-type': 'application/json', 'content-length': '2' }, {})).toEqual([
      { path: ['body'], code: 'required', message: "Request body must have required property 'pushUrl'", severity: 0 },
    ]);
    const wrongMedia = check({ authorization: basic, 'content-type': 'text/plain', 'content-length': '2' }, 'x');
    expect(wrongMedia).toEqual([{ message: 'Supported content types: application/json', code: 415, severity: 0 }]);
    expect(documentedStatus(set, expectedStatuses(wrongMedia))).toBe(400);
  });

  it('answers from state only for an Accept it can honour', () => {
    const model = redex.operationOf('GET', DEVICES)!;
    expect(negotiatedSuccessType(model, undefined)).toBe('application/json');
    expect(negotiatedSuccessType(model, 'application/json, */*;q=0.8')).toBe('application/json');
    expect(negotiatedSuccessType(model, 'text/html')).toBeUndefined();
  });
});

describe('defaults at every depth', () => {
  it('fills the VTN subscription: targets at the top, bearerToken in every objectOperations item, sent values kept', () => {
    const spec = bundle('openadr3-vtn');
    const sent = { clientName: 'c', programID: 'p', objectOperations: [{ objects: ['EVENT'] }, { objects: ['PROGRAM'], bearerToken: 'kept' }] };
    expect(fillDefaults(spec, { $ref: '#/components/schemas/Subscription' }, structuredClone(sent))).toEqual({
      ...sent,
      targets: null,
      objectOperations: [{ objects: ['EVENT'], bearerToken: null }, { objects: ['PROGRAM'], bearerToken: 'kept' }],
    });
  });

  it('takes a default written beside a $ref (HanChuESS events)', () => {
    const spec = bundle('hanchuess');
    const filled = fillDefaults(spec, { $ref: '#/components/schemas/SubscribeRequest' }, { oem: 'o' } as Record<string, unknown>);
    expect(filled.events).toEqual(['*']);
  });
});

describe('state indexes', () => {
  const byId = (item: Record<string, unknown>) => [String(item.id)];
  const stored = (id: string): StoredItem => ({ item: { id } });

  it('finds items in list order and follows the changes it is told of', () => {
    const indexes = new ItemIndexes();
    const items = [stored('a'), stored('b'), stored('a')];
    expect(indexes.lookup(items, 'id', byId, ['a'])).toEqual([items[0], items[2]]);
    const created = stored('c');
    items.push(created);
    indexes.added(items, created);
    expect(indexes.lookup(items, 'id', byId, ['c'])).toEqual([created]);
    indexes.removing(items, items[1]!);
    items.splice(1, 1);
    expect(indexes.lookup(items, 'id', byId, ['b'])).toEqual([]);
  });

  it('indexes again after a change it was not told of', () => {
    const indexes = new ItemIndexes();
    const items = [stored('a'), stored('b')];
    expect(indexes.lookup(items, 'id', byId, ['z'])).toEqual([]);
    items[1] = stored('z'); // same length, another item: only the store's onChange says so
    indexes.invalidate();
    expect(indexes.lookup(items, 'id', byId, ['z'])).toEqual([items[1]]);
    items.push(stored('y')); // a length that disagrees is noticed without being told
    expect(indexes.lookup(items, 'id', byId, ['y'])).toEqual([items[2]]);
  });
});
