// Reading what a declaration names in a request: `path.x`, `query.x` (with the parameter's default), `body.x`
// (dotted, through arrays), and the same dotted paths in stored items.
import { resolveLocalRef } from '../shared/openapi-json.ts';
import type { Route } from './router.ts';
import type { Json, StateRequest } from './state-types.ts';

/** Values at a dotted path, flattening arrays on the way: `objectOperations.objects` -> every object type. */
export function valuesAt(item: unknown, path: string): unknown[] {
  let nodes: unknown[] = [item];
  for (const key of path.split('.')) {
    nodes = nodes.flatMap((node) => (Array.isArray(node) ? node : [node])).map((node) => (node && typeof node === 'object' ? (node as Json)[key] : undefined));
  }
  return nodes.flatMap((node) => (Array.isArray(node) ? node : [node])).filter((value) => value !== undefined && value !== null);
}

/** The request value a declaration names (`path.subscriptionID`, `query.limit`, `body.oem`), or undefined. */
const sources = new Map<string, { where: string; name: string }>();

export function requestValue(source: string | undefined, request: StateRequest, defaults: Map<string, unknown>): unknown {
  if (!source) return undefined;
  let parsed = sources.get(source);
  if (!parsed) {
    const [where, ...rest] = source.split('.');
    sources.set(source, (parsed = { where: where!, name: rest.join('.') }));
  }
  const { where, name } = parsed;
  if (where === 'path') return request.route.params[name];
  if (where === 'query') return request.query[name] ?? defaults.get(name);
  if (where === 'body') return name ? valuesAt(request.body, name)[0] : request.body;
  return undefined;
}

/** Defaults of an operation's parameters (`skip` 0, `limit` 50, `ItemsPerPage` ...), read once per operation. */
export function parameterDefaultsOf(spec: Json) {
  const cache = new Map<Json, Map<string, unknown>>();
  return (route: Route): Map<string, unknown> => {
    let defaults = cache.get(route.operation);
    if (!defaults) {
      defaults = new Map();
      for (const raw of route.operation.parameters ?? []) {
        const parameter = resolveLocalRef(spec, raw).value;
        if (parameter?.schema?.default !== undefined) defaults.set(parameter.name, parameter.schema.default);
      }
      cache.set(route.operation, defaults);
    }
    return defaults;
  };
}
