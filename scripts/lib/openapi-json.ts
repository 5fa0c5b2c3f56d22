// Reading a bundled OpenAPI document as JSON: JSON pointers, local $refs, and the OpenAPI-only keywords that
// JSON Schema validators must treat as annotations. Shared by the pipeline steps and the tests.

/** OpenAPI schema keywords that are annotations, not JSON Schema validation keywords. */
export const OPENAPI_ANNOTATIONS = ['discriminator', 'example', 'xml', 'externalDocs'];

/** The unescaped tokens of a JSON pointer, with or without the leading `#`: `#/a~1b/c` -> ['a/b', 'c']. */
export function pointerTokens(pointer: string): string[] {
  const path = pointer.startsWith('#') ? pointer.slice(1) : pointer;
  if (path === '') return [];
  return path
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a JSON pointer names, or undefined when any step is missing. */
export function valueAt(document: unknown, pointer: string): unknown {
  return pointerTokens(pointer).reduce<any>((node, token) => (node === null || node === undefined ? undefined : node[token]), document);
}

/** Follows local `$ref`s (`#/...`) until a node without one; throws on a non-local, dangling or looping ref. */
export function resolveLocalRef(document: unknown, node: unknown): { value: any; pointer?: string } {
  let value: any = node;
  let pointer: string | undefined;
  for (let hops = 0; value && typeof value === 'object' && typeof value.$ref === 'string'; hops++) {
    const ref: string = value.$ref;
    if (!ref.startsWith('#/') || hops > 20) throw new Error(`cannot follow $ref ${ref}`);
    pointer = ref;
    value = valueAt(document, ref);
    if (value === undefined) throw new Error(`$ref ${ref} points nowhere`);
  }
  return { value, pointer };
}

/** Server base paths of a bundle (`/cdb-open-api/v1`...), longest first, without trailing slash. */
export function basePathsOf(spec: { servers?: { url: string }[] }): string[] {
  const paths = (spec.servers ?? []).map((server) => new URL(server.url, 'http://placeholder').pathname.replace(/\/+$/, '')).filter((path) => path !== '');
  return [...new Set(paths)].sort((a, b) => b.length - a.length);
}

/** A request path below the server's base path: production URLs work with only the origin swapped. */
export function stripBasePath(pathname: string, basePaths: string[]): string {
  for (const base of basePaths) {
    if (pathname === base) return '/';
    if (pathname.startsWith(base + '/')) return pathname.slice(base.length);
  }
  return pathname;
}

/** Prism reports query and header names lower-cased; this maps them back to the spec's spelling (`ItemsPerPage`). */
export function parameterNamesOf(spec: unknown): Map<string, string> {
  const names = new Map<string, string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (typeof record.name === 'string' && typeof record.in === 'string') names.set(record.name.toLowerCase(), record.name);
    Object.values(record).forEach(visit);
  };
  visit(spec);
  return names;
}

/**
 * An operation's path filled in with its parameter examples, plus a query of the query parameters that have one:
 * the request a reader copies from the reference page. Throws when a path parameter has no example.
 */
export function exampleRequestTarget(spec: any, path: string, method: string): string {
  const item = spec.paths?.[path] ?? {};
  const parameters = [...(item.parameters ?? []), ...(item[method]?.parameters ?? [])].map((parameter) => resolveLocalRef(spec, parameter).value);
  const exampleOf = (parameter: any) => parameter.example ?? parameter.schema?.example ?? parameter.schema?.examples?.[0] ?? parameter.schema?.default;
  let target = path;
  const query = new URLSearchParams();
  for (const parameter of parameters) {
    const value = exampleOf(parameter);
    if (parameter.in === 'path') {
      if (value === undefined) throw new Error(`${method.toUpperCase()} ${path}: path parameter ${parameter.name} has no example`);
      target = target.replace(`{${parameter.name}}`, encodeURIComponent(String(value)));
    } else if (parameter.in === 'query' && value !== undefined) query.set(parameter.name, String(value));
  }
  return query.size > 0 ? `${target}?${query}` : target;
}
