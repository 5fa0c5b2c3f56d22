// The stateful half of a mock: what each operation does to which collection, read from the `collections` and
// `operations` of specs/<id>/sandbox.yaml, never from code per API. Answers are built from the request and the
// stored items, shaped like the operation's documented success example where the vendor wraps its data.
// The pieces: state-types (the declaration), state-request (reading the request), state-items (making and
// showing items), state-actions (list, read, create, update, delete); this module wires them per request.
import { valueAt } from '../shared/openapi-json.ts';
import { ACTIONS, notFound, type ActionContext } from './state-actions.ts';
import { ItemIndexes } from './state-index.ts';
import { clone, createItemTools } from './state-items.ts';
import { parameterDefaultsOf, requestValue } from './state-request.ts';
import type { Json, StateAnswer, StateDeclaration, StateOptions, StateRequest } from './state-types.ts';
export { LIMIT_STATUS } from './state-types.ts';
import { SandboxStore, type StoredItem, type TenantState } from './store.ts';

/** The index value of a subscriber target that does not say (it may match everything). */
const ABSENT = '\u0000absent';

export type { Change, CollectionDeclaration, OperationDeclaration, StateAnswer, StateDeclaration, StateOptions, StateRequest } from './state-types.ts';

export function createState(spec: Record<string, any>, declaration: StateDeclaration, options: StateOptions = {}) {
  const collections = declaration.collections ?? {};
  const operations = declaration.operations ?? {};
  const tools = createItemTools(spec, options);
  const { operationsById, successOf } = tools;
  const parameterDefaults = parameterDefaultsOf(spec);
  const indexes = new ItemIndexes();

  for (const [name, operation] of Object.entries(operations)) {
    if (!operationsById.has(name)) throw new Error(`operations.${name}: no operation with that operationId in the spec`);
    if (!collections[operation.collection]) throw new Error(`operations.${name}.collection: no collection "${operation.collection}"`);
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

  const store = new SandboxStore(seed, options.limits);
  store.onChange(() => indexes.invalidate());

  function handle(request: StateRequest): StateAnswer | undefined {
    const operationId = request.route.operationId;
    const declared = operationId ? operations[operationId] : undefined;
    if (!operationId || !declared) return undefined;
    const collection = collections[declared.collection]!;
    const readOnly = (declared.action === 'list' || declared.action === 'read') && !declared.deliver;
    const items = readOnly ? (store.peek(request.tenant)[declared.collection] ?? []) : (store.tenant(request.tenant)[declared.collection] ??= []);
    const defaults = parameterDefaults(request.route);
    const parent = declared.parent ? String(requestValue(declared.parent, request, defaults)) : undefined;
    const context: ActionContext = { request, operationId, declared, collection, items, inScope: items, parent, defaults, tools, indexes, store, changed: () => indexes.settle(items) };
    if (parent !== undefined && !items.some((stored) => stored.parent === parent) && !knownParents.get(declared.collection)?.has(parent)) return notFound(context, parent);
    if (parent !== undefined) context.inScope = items.filter((stored) => stored.parent === parent);
    return ACTIONS[declared.action](context);
  }

  /**
   * The tenant's items of a collection whose targets (`targets` lists them, else the item itself) hold one of
   * `values` in `field` (the target's, else the item's), or hold nothing there; in list order. A superset of
   * the subscribers a notification matches, found without scanning them all.
   */
  function subscribersHolding(tenant: string, collection: string, targets: string | undefined, field: string, values: Iterable<string>): StoredItem[] {
    const items = store.tenant(tenant)[collection] ?? [];
    const held = (item: Json): string[] => {
      const listed = targets ? item[targets] : [item];
      if (!Array.isArray(listed)) return [];
      return listed.flatMap((target: Json) => {
        const value = target?.[field] ?? item[field];
        if (value === undefined || value === null) return [ABSENT];
        return (Array.isArray(value) ? value : [value]).map(String);
      });
    };
    return indexes.lookup(items, `holding ${targets ?? ''}.${field}`, held, [...values, ABSENT]);
  }

  return { store, handle, collections, operations, seed, subscribersHolding };
}

export type SandboxState = ReturnType<typeof createState>;
