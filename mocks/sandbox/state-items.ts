// How an item is made from a request and shown in an answer: the spec's defaults filled in, nulls the vendor's
// type cannot hold dropped, the fields the vendor assigns, private fields hidden, and the answer shaped like the
// operation's documented success example.
import { randomUUID } from 'node:crypto';
import { firstExampleOf, pointerTokens, resolveLocalRef, valueAt } from '../shared/openapi-json.ts';
import { fillDefaults } from './defaults.ts';
import type { Route } from './router.ts';
import type { CollectionDeclaration, Json, OperationDeclaration, StateOptions } from './state-types.ts';

export const clone = <T>(value: T): T => structuredClone(value);

export function setAt(target: any, pointer: string, value: unknown) {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return value;
  let node = target;
  for (const token of tokens.slice(0, -1)) node = node[token] ??= {};
  node[tokens[tokens.length - 1]!] = value;
  return target;
}

/**
 * `target` with `value` at `pointer`, copying only the objects on the way (the rest is shared): an answer body
 * built from the documented example without cloning all of it. Answers are serialized, never changed.
 */
const tokensOf = new Map<string, string[]>();

export function placeAt(target: unknown, pointer: string, value: unknown): any {
  let tokens = tokensOf.get(pointer);
  if (!tokens) tokensOf.set(pointer, (tokens = pointerTokens(pointer)));
  const place = (node: any, depth: number): any => {
    if (depth === tokens.length) return value;
    const token = tokens[depth]!;
    const copy = Array.isArray(node) ? [...node] : node && typeof node === 'object' ? { ...node } : {};
    copy[token] = place(copy[token], depth + 1);
    return copy;
  };
  return place(target, 0);
}

export const keysOf = (collection: CollectionDeclaration) => (collection.key === undefined ? [] : Array.isArray(collection.key) ? collection.key : [collection.key]);

export function publicView(collection: CollectionDeclaration, item: Json): Json {
  if (!collection.private?.length) return item;
  const view = { ...item };
  for (const field of collection.private) delete view[field];
  return view;
}

export function createItemTools(spec: Json, options: StateOptions) {
  const ids = options.ids ?? (() => randomUUID());
  const clock = options.clock ?? (() => new Date());
  const operationsById = new Map<string, { path: string; method: string; operation: Json }>();
  for (const [path, rawItem] of Object.entries<any>(spec.paths ?? {})) {
    const item = resolveLocalRef(spec, rawItem).value ?? {};
    for (const [method, operation] of Object.entries<any>(item)) if (operation?.operationId) operationsById.set(operation.operationId, { path, method, operation });
  }

  const successes = new Map<string, { status: number; example: unknown }>();
  /** The documented success status and first example of an operation (read once; callers clone what they change). */
  function successOf(operationId: string): { status: number; example: unknown } {
    let success = successes.get(operationId);
    if (!success) {
      const { operation } = operationsById.get(operationId)!;
      const [status, rawResponse] = Object.entries<any>(operation.responses ?? {}).find(([code]) => /^2\d\d$/.test(code)) ?? ['200', undefined];
      const response = rawResponse ? resolveLocalRef(spec, rawResponse).value : undefined;
      success = { status: Number(status), example: firstExampleOf(spec, Object.values<any>(response?.content ?? {})[0]) };
      successes.set(operationId, success);
    }
    return success;
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
  const now = () => clock().toISOString();

  /** The answer body: the result placed where the declaration says in the documented success example. */
  function shape(operationId: string, declared: OperationDeclaration, result: unknown, meta: Record<string, number> = {}): { status: number; body: unknown } {
    const success = successOf(operationId);
    if (success.status === 204) return { status: 204, body: undefined };
    if (declared.respond === 'example') return { status: success.status, body: clone(success.example) };
    if (!declared.respond) return { status: success.status, body: result };
    const { at, each, meta: metaPointers } = declared.respond;
    let placed = result;
    if (each && Array.isArray(result)) {
      const wrapper = (valueAt(success.example, at) as unknown[] | undefined)?.[0] ?? {};
      placed = result.map((entry) => placeAt(wrapper, each, entry));
    }
    let body = placeAt(success.example ?? {}, at, placed);
    for (const [pointer, name] of Object.entries(metaPointers ?? {})) body = placeAt(body, pointer, meta[name.replace(/^\$/, '')]);
    return { status: success.status, body };
  }

  return { operationsById, successOf, withBodyDefaults, withoutNulls, generated, now, shape };
}

export type ItemTools = ReturnType<typeof createItemTools>;
