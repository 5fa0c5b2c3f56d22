// The five things an operation can do to a collection (list, read, create, update, delete), each on its own,
// given the request, the operation's declaration and the tenant's items in scope.
import type { SandboxStore, StoredItem } from './store.ts';
import type { ItemIndexes } from './state-index.ts';
import { clone, keysOf, publicView, type ItemTools } from './state-items.ts';
import { requestValue, valuesAt } from './state-request.ts';
import { LIMIT_STATUS, type CollectionDeclaration, type Json, type OperationDeclaration, type StateAnswer, type StateRequest } from './state-types.ts';

/** One request against one collection, as the actions see it. */
export interface ActionContext {
  request: StateRequest;
  operationId: string;
  declared: OperationDeclaration;
  collection: CollectionDeclaration;
  /** The tenant's items of the collection (the live list for changes). */
  items: StoredItem[];
  /** The items under the request's parent (all items without one). */
  inScope: StoredItem[];
  parent?: string;
  defaults: Map<string, unknown>;
  tools: ItemTools;
  /** Lookups by id without scanning `items`; told of every change made here. */
  indexes: ItemIndexes;
  /** Every change goes through the store, which names it (for a durable store) and enforces the limits. */
  store: SandboxStore;
  /** Called after any change to the store. */
  changed: () => void;
}

/** Filters take what the request says, never a parameter's default. */
const NO_DEFAULTS = new Map<string, unknown>();

const objectBody = (body: unknown): Json => (body && typeof body === 'object' && !Array.isArray(body) ? (body as Json) : {});

/** Item fields that must equal request values (HanChuESS's oem beside the subscription id). */
function matchesRequest(context: ActionContext, stored: StoredItem): boolean {
  return Object.entries(context.declared.match ?? {}).every(([field, source]) => String(stored.item[field]) === String(requestValue(source, context.request, context.defaults)));
}

/** The item the request names by any of the collection's keys (the singleton's one item). */
export function findItem(context: ActionContext): StoredItem | undefined {
  const { collection, inScope } = context;
  if (collection.singleton) return inScope[0];
  const keys = keysOf(collection);
  const wanted = String(requestValue(context.declared.id, context.request, context.defaults));
  const keyed = (stored: StoredItem) => keys.some((key) => stored.item[key] !== undefined && String(stored.item[key]) === wanted);
  if (inScope === context.items) {
    const indexKeys = (item: Json) => keys.filter((key) => item[key] !== undefined).map((key) => String(item[key]));
    return context.indexes.lookup(context.items, `keys ${keys.join(',')}`, indexKeys, [wanted]).find((stored) => keyed(stored) && matchesRequest(context, stored));
  }
  return inScope.find((stored) => keys.some((key) => stored.item[key] !== undefined && String(stored.item[key]) === wanted) && matchesRequest(context, stored));
}

export function notFound(context: ActionContext, what: unknown): StateAnswer {
  const { declared } = context;
  return {
    kind: 'error',
    status: 404,
    reasons: [{ field: declared.id?.split('.').slice(1).join('.') || declared.parent?.split('.').slice(1).join('.'), text: `no ${declared.collection} item ${JSON.stringify(what)}` }],
    message: declared.notFound?.replace('{id}', String(what)),
  };
}

export function listItems(context: ActionContext): StateAnswer {
  const { declared, request, defaults } = context;
  let found = context.inScope.filter((stored) => matchesRequest(context, stored));
  for (const [field, source] of Object.entries(declared.filters ?? {})) {
    const wanted = requestValue(source, request, NO_DEFAULTS);
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
  return { kind: 'answer', ...context.tools.shape(context.operationId, declared, found.map((stored) => publicView(context.collection, stored.item)), meta) };
}

export function readItem(context: ActionContext): StateAnswer {
  const stored = findItem(context);
  if (!stored) return notFound(context, requestValue(context.declared.id, context.request, context.defaults));
  return { kind: 'answer', ...context.tools.shape(context.operationId, context.declared, publicView(context.collection, stored.item)), subject: stored.item, deliver: context.declared.deliver };
}

export function createItem(context: ActionContext): StateAnswer {
  const { collection, declared, tools, request } = context;
  const item: Json = tools.withoutNulls(collection, tools.withBodyDefaults(request.route, clone(objectBody(request.body))));
  const now = tools.now();
  for (const [field, value] of Object.entries(collection.assign ?? {})) item[field] = tools.generated(value, now);
  const stored = { parent: context.parent, item };
  const full = context.store.add(request.tenant, declared.collection, stored, collection.singleton);
  if (full) return { kind: 'error', status: LIMIT_STATUS, reasons: [{ text: full }] };
  context.indexes.added(context.items, stored);
  context.changed();
  return { kind: 'answer', ...tools.shape(context.operationId, declared, publicView(collection, item)), change: { collection: declared.collection, action: 'create', item, tenant: request.tenant } };
}

export function updateItem(context: ActionContext): StateAnswer {
  const { collection, declared, tools, request } = context;
  const stored = findItem(context);
  if (!stored && !collection.singleton) return notFound(context, requestValue(declared.id, request, context.defaults));
  const sent = clone(objectBody(request.body));
  const keys = keysOf(collection);
  let item: Json;
  if (declared.update === 'merge' && stored) item = tools.withoutNulls(collection, { ...stored.item, ...sent });
  else {
    item = tools.withoutNulls(collection, tools.withBodyDefaults(request.route, sent));
    for (const field of [...keys, ...(collection.keep ?? []), ...(collection.private ?? [])]) {
      if (stored && stored.item[field] !== undefined && (keys.includes(field) || (collection.keep ?? []).includes(field) || item[field] === undefined)) item[field] = stored.item[field];
    }
  }
  const now = tools.now();
  for (const [field, value] of Object.entries(collection.onUpdate ?? {})) item[field] = tools.generated(value, now);
  if (stored) {
    context.indexes.removing(context.items, stored);
    context.store.set(request.tenant, declared.collection, stored, item);
    context.indexes.added(context.items, stored);
  } else {
    const created = { parent: context.parent, item };
    context.store.add(request.tenant, declared.collection, created);
    context.indexes.added(context.items, created);
  }
  context.changed();
  return { kind: 'answer', ...tools.shape(context.operationId, declared, publicView(collection, item)), change: { collection: declared.collection, action: 'update', item, tenant: request.tenant } };
}

export function deleteItem(context: ActionContext): StateAnswer {
  const stored = findItem(context);
  if (!stored) return notFound(context, requestValue(context.declared.id, context.request, context.defaults));
  context.indexes.removing(context.items, stored);
  context.store.remove(context.request.tenant, context.declared.collection, stored);
  context.changed();
  const { collection, declared, request } = context;
  return { kind: 'answer', ...context.tools.shape(context.operationId, declared, publicView(collection, stored.item)), change: { collection: declared.collection, action: 'delete', item: stored.item, tenant: request.tenant } };
}

export const ACTIONS: Record<OperationDeclaration['action'], (context: ActionContext) => StateAnswer> = {
  list: listItems,
  read: readItem,
  create: createItem,
  update: updateItem,
  delete: deleteItem,
};
