// Defaults at every depth: a created or replaced object carries the spec's `default` wherever its schema
// declares one, in nested objects and array items too (OpenADR 3.0.1's `objectOperations[].bearerToken: null`),
// as a server implementing the spec answers. A default beside a `$ref` counts (the annotation wins over the target's).
import { resolveLocalRef } from '../shared/openapi-json.ts';

type Json = Record<string, any>;

const MAX_DEPTH = 32;

const isObject = (value: unknown): value is Json => Boolean(value) && typeof value === 'object' && !Array.isArray(value);

/** The parts of a schema that describe the same value: itself (through $refs) and its allOf parts. */
function partsOf(spec: Json, schema: unknown, depth: number): Json[] {
  if (depth > MAX_DEPTH) return [];
  const resolved = resolveLocalRef(spec, schema).value;
  if (!isObject(resolved)) return [];
  return [resolved, ...((resolved.allOf as unknown[] | undefined) ?? []).flatMap((part) => partsOf(spec, part, depth + 1))];
}

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'object' ? 'object' : typeof value);

/** The one anyOf/oneOf branch whose declared type fits the value, if exactly one does. */
function branchFor(spec: Json, part: Json, value: unknown): unknown {
  const branches = [...((part.anyOf as unknown[] | undefined) ?? []), ...((part.oneOf as unknown[] | undefined) ?? [])];
  const fitting = branches.filter((branch) => {
    const type = resolveLocalRef(spec, branch).value?.type;
    return type === undefined ? false : (Array.isArray(type) ? type : [type]).includes(typeOf(value));
  });
  return fitting.length === 1 ? fitting[0] : undefined;
}

/** Fills the schema's defaults into `value`, in place, at every depth; returns `value`. */
export function fillDefaults<T>(spec: Json, schema: unknown, value: T, depth = 0): T {
  const node: unknown = value;
  if (depth > MAX_DEPTH || node === null || typeof node !== 'object') return value;
  for (const part of partsOf(spec, schema, depth)) {
    if (isObject(node)) {
      for (const [name, property] of Object.entries<any>(part.properties ?? {})) {
        if (node[name] === undefined) {
          const declared = isObject(property) && 'default' in property ? property.default : resolveLocalRef(spec, property).value?.default;
          if (declared !== undefined) node[name] = structuredClone(declared);
        }
        if (node[name] !== undefined) fillDefaults(spec, property, node[name], depth + 1);
      }
    } else if (Array.isArray(node) && part.items !== undefined && typeof part.items === 'object') {
      for (const item of node) fillDefaults(spec, part.items, item, depth + 1);
    }
    const branch = branchFor(spec, part, node);
    if (branch !== undefined) fillDefaults(spec, branch, node, depth + 1);
  }
  return value;
}
