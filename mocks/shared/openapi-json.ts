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

/** One JSON pointer token, escaped: `application/json` -> `application~1json`. */
export const escapePointerToken = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

/** The value a JSON pointer names, or undefined when any step is missing. */
export function valueAt(document: unknown, pointer: string): unknown {
  return pointerTokens(pointer).reduce<any>((node, token) => (node === null || node === undefined ? undefined : node[token]), document);
}

/** The values at a JSON pointer where a `*` token steps into every array item (`/data/*` + `/type`). */
export function pointerValues(document: unknown, pointer: string): unknown[] {
  let nodes: unknown[] = [document];
  for (const token of pointerTokens(pointer)) {
    nodes = nodes.flatMap((node) => (token === '*' ? (Array.isArray(node) ? node : []) : node && typeof node === 'object' ? [(node as Record<string, unknown>)[token]] : []));
  }
  return nodes.filter((value) => value !== undefined);
}

/**
 * The first example of a media type, parameter or header object: its `example`, else the first entry of its
 * `examples` map that holds a `value` (entries may be `$ref`s; an `externalValue` has nothing to give).
 */
export function firstExampleOf(document: unknown, holder: { example?: unknown; examples?: Record<string, unknown> } | undefined): any {
  if (!holder) return undefined;
  if (holder.example !== undefined) return holder.example;
  for (const entry of Object.values(holder.examples ?? {})) {
    const resolved = resolveLocalRef(document, entry).value;
    if (resolved && typeof resolved === 'object' && 'value' in resolved) return resolved.value;
  }
  return undefined;
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

