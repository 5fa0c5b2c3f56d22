// The stateful half of a mock: what each operation does to which collection, read from the `collections` and
// `operations` of specs/<id>/sandbox.yaml, never from code per API. Answers are built from the request and the
// stored items, shaped like the operation's documented success example where the vendor wraps its data.
import { randomUUID } from 'node:crypto';
import { firstExampleOf, pointerTokens, resolveLocalRef, valueAt } from '../shared/openapi-json.ts';
import { fillDefaults } from './defaults.ts';
import type { Reason } from './errors.ts';
import type { Route } from './router.ts';
import { SandboxStore, type StoredItem, type TenantState } from './store.ts';

type Json = Record<string, any>;

export interface CollectionDeclaration {
  /** Identity field(s) of an item; a lookup matches any of them. Omitted for a singleton. */
  key?: string | string[];
  /** One item, no identity (a configuration). */
  singleton?: boolean;
  /** Items a fresh tenant starts with: the documented success example of an operation. */
  seed?: { operation: string; at?: string; each?: string; parent?: string };
  /** Fields the vendor sets on create: `$id`, `$now` or a literal. */
  assign?: Record<string, unknown>;
  /** Fields the vendor sets on every update. */
  onUpdate?: Record<string, unknown>;
  /** Fields a replacing update keeps from the stored item (identity fields are always kept). */
  keep?: string[];
  /** Fields stored (a secret to sign with) but never answered. */
  private?: string[];
  /** components.schemas name the items of PUT /_sandbox/state must match. */
  schema?: string;
}

export interface OperationDeclaration {
  action: 'list' | 'read' | 'create' | 'update' | 'delete';
  collection: string;
  /** Where the request names the item: `path.x`, `query.x`, `body.x`. */
  id?: string;
  /** Where the request names the parent of a parented collection; an unknown parent is a 404. */
  parent?: string;
  /** Item fields that must equal request values, else 404 (HanChuESS's oem beside the subscription id). */
  match?: Record<string, string>;
  /** Item field (dotted, through arrays) -> request value; a request without the value does not filter. */
  filters?: Record<string, string>;
  offset?: string;
  limit?: string;
  page?: { number: string; size: string };
  /** Update semantics: replace the item (PUT) or merge the sent fields into it. */
  update?: 'replace' | 'merge';
  /** `example`: the documented success example as is; else where the result goes in that example. */
  respond?: 'example' | { at: string; each?: string; meta?: Record<string, string> };
  /** Message of the 404 for an unknown id or parent; `{id}` is replaced. */
  notFound?: string;
  /** The vendor delivers a webhook to the item read (HanChuESS's test), then sets `onDelivered` on a 2xx. */
  deliver?: { webhook: string; example?: string; onDelivered?: Record<string, unknown> };
}

export interface StateDeclaration {
  collections?: Record<string, CollectionDeclaration>;
  operations?: Record<string, OperationDeclaration>;
}

export interface StateRequest {
  route: Route;
  query: Record<string, string | string[]>;
  body: unknown;
  tenant: string;
}

export type StateAnswer =
  | { kind: 'answer'; status: number; body: unknown; change?: Change; subject?: Json; deliver?: OperationDeclaration['deliver'] }
  | { kind: 'error'; status: number; reasons: Reason[]; message?: string };

/** A change to a collection, for deliveries (the VTN notifies subscribers of its own subscriptions). */
export interface Change {
  collection: string;
  action: 'create' | 'update' | 'delete';
  item: Json;
  tenant: string;
}

export interface StateOptions {
  ids?: () => string;
  clock?: () => Date;
}

const clone = <T>(value: T): T => structuredClone(value);

function setAt(target: any, pointer: string, value: unknown) {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return value;
  let node = target;
  for (const token of tokens.slice(0, -1)) node = node[token] ??= {};
  node[tokens[tokens.length - 1]!] = value;
  return target;
}

/** Values at a dotted path, flattening arrays on the way: `objectOperations.objects` -> every object type. */
function valuesAt(item: unknown, path: string): unknown[] {
  let nodes: unknown[] = [item];
  for (const key of path.split('.')) {
    nodes = nodes.flatMap((node) => (Array.isArray(node) ? node : [node])).map((node) => (node && typeof node === 'object' ? (node as Json)[key] : undefined));
  }
  return nodes.flatMap((node) => (Array.isArray(node) ? node : [node])).filter((value) => value !== undefined && value !== null);
}

export function createState(spec: Json, declaration: StateDeclaration, options: StateOptions = {}) {
  const collections = declaration.collections ?? {};
  const operations = declaration.operations ?? {};
  const ids = options.ids ?? (() => randomUUID());
  const clock = options.clock ?? (() => new Date());
  const operationsById = new Map<string, { path: string; method: string; operation: Json }>();
  for (const [path, rawItem] of Object.entries<any>(spec.paths ?? {})) {
    const item = resolveLocalRef(spec, rawItem).value ?? {};
    for (const [method, operation] of Object.entries<any>(item)) if (operation?.operationId) operationsById.set(operation.operationId, { path, method, operation });
  }

  for (const [name, operation] of Object.entries(operations)) {
    if (!operationsById.has(name)) throw new Error(`operations.${name}: no operation with that operationId in the spec`);
    if (!collections[operation.collection]) throw new Error(`operations.${name}.collection: no collection "${operation.collection}"`);
  }

  /** The documented success status and first example of an operation. */
  function successOf(operationId: string): { status: number; example: unknown } {
    const { operation } = operationsById.get(operationId)!;
    const [status, rawResponse] = Object.entries<any>(operation.responses ?? {}).find(([code]) => /^2\d\d$/.test(code)) ?? ['200', undefined];
    const response = rawResponse ? resolveLocalRef(spec, rawResponse).value : undefined;
    return { status: Number(status), example: firstExampleOf(spec, Object.values<any>(response?.content ?? {})[0]) };
  }

  /** Parents that exist even without items (a seeded device application), per collection. */
  const knownParents = new Map<string, Set<string>>();
  for (const [name, collection] of Object.entries(collections)) if (collection.seed?.parent) knownParents.set(name, new Set([collection.seed.parent]));

  function seed(): TenantState {
    const state: TenantState = {};
    for (const [name, collection] of Object.entries(collections)) {
      state[name] = [];
      if (!collection.seed) continue;
      const { example } = successOf(collection.seed.operation);
      let items = collection.seed.at ? valueAt(example, collection.seed.at) : example;
      if (!Array.isArray(items)) items = items === undefined || items === null ? [] : [items];
      for (const entry of items as unknown[]) {
        const item = collection.seed.each ? valueAt(entry, collection.seed.each) : entry;
        if (item && typeof item === 'object') state[name]!.push({ parent: collection.seed.parent, item: clone(item) as Json });
      }
    }
    return state;
  }

  const store = new SandboxStore(seed);

  function requestValue(source: string | undefined, request: StateRequest, defaults: Map<string, unknown>): unknown {
    if (!source) return undefined;
    const [where, ...rest] = source.split('.');
    const name = rest.join('.');
    let value: unknown;
    if (where === 'path') value = request.route.params[name];
    else if (where === 'query') value = request.query[name] ?? defaults.get(name);
    else if (where === 'body') value = name ? valuesAt(request.body, name)[0] : request.body;
    return value;
  }

  /** Defaults of the operation's query parameters (`skip` 0, `limit` 50, `ItemsPerPage` ...). */
  function parameterDefaults(route: Route): Map<string, unknown> {
    const defaults = new Map<string, unknown>();
    for (const raw of route.operation.parameters ?? []) {
      const parameter = resolveLocalRef(spec, raw).value;
      if (parameter?.schema?.default !== undefined) defaults.set(parameter.name, parameter.schema.default);
    }
    return defaults;
  }

  /** The request body schema's `default`s at every depth (HanChuESS `events: ['*']`, VTN `bearerToken: null`), filled into what was sent. */
  function withBodyDefaults(route: Route, body: Json): Json {
    const media: any = Object.values(resolveLocalRef(spec, route.operation.requestBody).value?.content ?? {})[0];
    return media?.schema ? fillDefaults(spec, media.schema, body) : body;
  }

  /** True when a schema (through $refs, anyOf/oneOf/allOf) lets a value be null. */
  function allowsNull(schema: unknown, depth = 0): boolean {
    const resolved = resolveLocalRef(spec, schema).value;
    if (!resolved || typeof resolved !== 'object' || depth > 10) return true;
    const type = resolved.type;
    if (type === 'null' || (Array.isArray(type) && type.includes('null')) || resolved.const === null) return true;
    if ([...(resolved.anyOf ?? []), ...(resolved.oneOf ?? [])].some((part: unknown) => allowsNull(part, depth + 1))) return true;
    if (resolved.allOf?.length) return resolved.allOf.every((part: unknown) => allowsNull(part, depth + 1));
    return type === undefined && !resolved.$ref && !resolved.properties && !resolved.enum;
  }

  /**
   * A `null` the partner sends for a field the vendor's object type does not let be null (a Spark report's
   * `eventId`: nullable in the request, not in the Report) stands for "not given".
   */
  function withoutNulls(collection: CollectionDeclaration, item: Json): Json {
    const properties = collection.schema ? resolveLocalRef(spec, spec.components?.schemas?.[collection.schema]).value?.properties ?? {} : {};
    return Object.fromEntries(Object.entries(item).filter(([field, value]) => value !== null || (field in properties && allowsNull(properties[field]))));
  }

  /** The value of an assigned field; `now` is read once per operation, so the timestamps of one change agree. */
  const generated = (value: unknown, now: string) => (value === '$id' ? ids() : value === '$now' ? now : clone(value));
  const keysOf = (collection: CollectionDeclaration) => (collection.key === undefined ? [] : Array.isArray(collection.key) ? collection.key : [collection.key]);

  function publicView(collection: CollectionDeclaration, item: Json): Json {
    if (!collection.private?.length) return item;
    const view = { ...item };
    for (const field of collection.private) delete view[field];
    return view;
  }

  function shape(operationId: string, declared: OperationDeclaration, result: unknown, meta: Record<string, number> = {}): { status: number; body: unknown } {
    const success = successOf(operationId);
    if (success.status === 204) return { status: 204, body: undefined };
    if (declared.respond === 'example') return { status: success.status, body: clone(success.example) };
    if (!declared.respond) return { status: success.status, body: result };
    const body = clone(success.example ?? {}) as Json;
    const { at, each, meta: metaPointers } = declared.respond;
    let placed = result;
    if (each && Array.isArray(result)) {
      const wrapper = (valueAt(success.example, at) as unknown[] | undefined)?.[0] ?? {};
      placed = result.map((entry) => setAt(clone(wrapper), each, entry));
    }
    setAt(body, at, placed);
    for (const [pointer, name] of Object.entries(metaPointers ?? {})) setAt(body, pointer, meta[name.replace(/^\$/, '')]);
    return { status: success.status, body };
  }

  function handle(request: StateRequest): StateAnswer | undefined {
    const operationId = request.route.operationId;
    const declared = operationId ? operations[operationId] : undefined;
    if (!operationId || !declared) return undefined;
    const collection = collections[declared.collection]!;
    const readOnly = (declared.action === 'list' || declared.action === 'read') && !declared.deliver;
    const items = readOnly ? (store.peek(request.tenant)[declared.collection] ?? []) : (store.tenant(request.tenant)[declared.collection] ??= []);
    const defaults = parameterDefaults(request.route);
    const keys = keysOf(collection);
    const id = requestValue(declared.id, request, defaults);
    const parent = declared.parent ? String(requestValue(declared.parent, request, defaults)) : undefined;
    const notFound = (what: unknown): StateAnswer => ({
      kind: 'error',
      status: 404,
      reasons: [{ field: declared.id?.split('.').slice(1).join('.') || declared.parent?.split('.').slice(1).join('.'), text: `no ${declared.collection} item ${JSON.stringify(what)}` }],
      message: declared.notFound?.replace('{id}', String(what)),
    });

    if (parent !== undefined && !items.some((stored) => stored.parent === parent) && !knownParents.get(declared.collection)?.has(parent)) return notFound(parent);
    const inScope = parent === undefined ? items : items.filter((stored) => stored.parent === parent);
    const matches = (stored: StoredItem) =>
      Object.entries(declared.match ?? {}).every(([field, source]) => String(stored.item[field]) === String(requestValue(source, request, defaults)));
    const wanted = String(id);
    const find = () =>
      collection.singleton ? inScope[0] : inScope.find((stored) => keys.some((key) => stored.item[key] !== undefined && String(stored.item[key]) === wanted) && matches(stored));

    switch (declared.action) {
      case 'list': {
        let found = inScope.filter(matches);
        for (const [field, source] of Object.entries(declared.filters ?? {})) {
          const wanted = requestValue(source, request, new Map());
          if (wanted === undefined) continue;
          const accepted = new Set((Array.isArray(wanted) ? wanted : [wanted]).map(String));
          found = found.filter((stored) => valuesAt(stored.item, field).some((value) => accepted.has(String(value))));
        }
        const total = found.length;
        const meta: Record<string, number> = { total };
        // Prism lets `1e999` through as an integer; a page number must be one the answer can state.
        for (const source of [declared.offset, declared.limit, declared.page?.number, declared.page?.size]) {
          const value = requestValue(source, request, defaults);
          if (value !== undefined && !Number.isSafeInteger(Number(value))) {
            return { kind: 'error', status: 400, reasons: [{ field: source!.split('.').slice(1).join('.'), text: `${source}: must be a whole number the answer can state (got ${JSON.stringify(value)})` }] };
          }
        }
        if (declared.offset || declared.limit) {
          const offset = Number(requestValue(declared.offset, request, defaults) ?? 0);
          const limit = Number(requestValue(declared.limit, request, defaults) ?? total);
          found = found.slice(offset, offset + limit);
        }
        if (declared.page) {
          const page = Math.max(1, Number(requestValue(declared.page.number, request, defaults) ?? 1));
          const size = Math.max(1, Number(requestValue(declared.page.size, request, defaults) ?? (total || 1)));
          Object.assign(meta, { page, size, pages: Math.ceil(total / size) });
          found = found.slice((page - 1) * size, page * size);
        }
        return { kind: 'answer', ...shape(operationId, declared, found.map((stored) => publicView(collection, stored.item)), meta) };
      }
      case 'read': {
        const stored = find();
        if (!stored) return notFound(id);
        return { kind: 'answer', ...shape(operationId, declared, publicView(collection, stored.item)), subject: stored.item, deliver: declared.deliver };
      }
      case 'create': {
        const sent = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Json) : {};
        const item: Json = withoutNulls(collection, withBodyDefaults(request.route, clone(sent)));
        const now = clock().toISOString();
        for (const [field, value] of Object.entries(collection.assign ?? {})) item[field] = generated(value, now);
        if (collection.singleton) items.length = 0;
        items.push({ parent, item });
        store.changed();
        return { kind: 'answer', ...shape(operationId, declared, publicView(collection, item)), change: { collection: declared.collection, action: 'create', item, tenant: request.tenant } };
      }
      case 'update': {
        const stored = find();
        if (!stored && !collection.singleton) return notFound(id);
        const sent = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? clone(request.body as Json) : {};
        let item: Json;
        if (declared.update === 'merge' && stored) item = withoutNulls(collection, { ...stored.item, ...sent });
        else {
          item = withoutNulls(collection, withBodyDefaults(request.route, sent));
          for (const field of [...keys, ...(collection.keep ?? []), ...(collection.private ?? [])]) {
            if (stored && stored.item[field] !== undefined && (keys.includes(field) || (collection.keep ?? []).includes(field) || item[field] === undefined)) item[field] = stored.item[field];
          }
        }
        const now = clock().toISOString();
        for (const [field, value] of Object.entries(collection.onUpdate ?? {})) item[field] = generated(value, now);
        if (stored) stored.item = item;
        else items.push({ parent, item });
        store.changed();
        return { kind: 'answer', ...shape(operationId, declared, publicView(collection, item)), change: { collection: declared.collection, action: 'update', item, tenant: request.tenant } };
      }
      case 'delete': {
        const stored = find();
        if (!stored) return notFound(id);
        items.splice(items.indexOf(stored), 1);
        store.changed();
        return { kind: 'answer', ...shape(operationId, declared, publicView(collection, stored.item)), change: { collection: declared.collection, action: 'delete', item: stored.item, tenant: request.tenant } };
      }
    }
  }

  return { store, handle, collections, operations, seed };
}

export type SandboxState = ReturnType<typeof createState>;
