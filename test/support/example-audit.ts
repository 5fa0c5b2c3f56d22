// What a reader of the reference site copies: every request, response, callback and webhook body must carry an
// explicit example (else Redoc makes one up from the schema), and no example value may be a placeholder, i.e.
// a type name ("string"), Redoc's own invented values (property1, 2019-08-24T14:15:22Z) or a 0 standing for
// "some number". The document's printed placeholders live on as contract fixtures under test/fixtures/.
import { escapePointerToken, resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { METHODS } from '../../scripts/steps/code-samples.ts';

type Obj = Record<string, any>;

export interface Body {
  /** Where the body is, readable: `POST /subscriptions request application/json`. */
  where: string;
  /** JSON pointer of the media type object in the bundle. */
  pointer: string;
  media: Obj;
}

export interface Placeholder {
  /** Which example: its JSON pointer in the bundle. */
  example: string;
  /** Where in the example's value (a JSON pointer). */
  at: string;
  value: unknown;
  reason: string;
}


/** Names of JSON Schema / OpenAPI types and formats: as a value, they stand for "a value of this type". */
const TYPE_NAMES = new Set([
  'string', 'number', 'integer', 'boolean', 'object', 'array', 'null',
  'uuid', 'date', 'date-time', 'datetime', 'time', 'uri', 'url', 'email', 'password', 'byte', 'binary', 'int32', 'int64', 'float', 'double',
]);
/** Values Redoc and Swagger UI synthesise when a schema has no example. */
const SYNTHESISED_VALUES = new Set([
  '2019-08-24T14:15:22Z', '2019-08-24', '14:15:22Z', '095be615-a8ad-4c33-8e9d-c1edf1a2f5d2', 'user@example.com', 'http://example.com',
  '2024-01-01T00:00:00Z', 'stringstring',
]);
const SYNTHESISED_KEY = /^(property|additionalProp)\d+$/;

function resolve(spec: Obj, node: unknown): any {
  return resolveLocalRef(spec, node).value;
}

/** Every body the reference pages show: request bodies, responses with content, callbacks and webhooks. */
export function bodiesOf(spec: Obj): Body[] {
  const bodies: Body[] = [];
  const mediaOf = (where: string, pointer: string, holder: unknown) => {
    const resolved = resolveLocalRef(spec, holder);
    const base = resolved.pointer ?? pointer;
    for (const [type, media] of Object.entries<Obj>(resolved.value?.content ?? {})) {
      bodies.push({ where: `${where} ${type}`, pointer: `${base}/content/${escapePointerToken(type)}`, media });
    }
  };
  const operations = (items: Obj | undefined, pointer: string, label: string) => {
    for (const [path, rawItem] of Object.entries<Obj>(items ?? {})) {
      const item = resolve(spec, rawItem);
      for (const method of METHODS) {
        const operation = item?.[method];
        if (!operation) continue;
        const at = `${pointer}/${escapePointerToken(path)}/${method}`;
        const name = `${label}${method.toUpperCase()} ${path}`;
        if (operation.requestBody) mediaOf(`${name} request`, `${at}/requestBody`, operation.requestBody);
        for (const [status, response] of Object.entries(operation.responses ?? {})) mediaOf(`${name} ${status}`, `${at}/responses/${status}`, response);
        for (const [callbackName, callback] of Object.entries(operation.callbacks ?? {})) {
          operations(resolve(spec, callback), `${at}/callbacks/${escapePointerToken(callbackName)}`, `${name} callback ${callbackName}: `);
        }
      }
    }
  };
  operations(spec.paths, '#/paths', '');
  operations(spec.webhooks, '#/webhooks', 'webhook ');
  return bodies;
}

/** The bodies without an explicit `example` or a non-empty `examples`. */
export function bodiesWithoutExample(spec: Obj): string[] {
  return bodiesOf(spec)
    .filter(({ media }) => media.example === undefined && Object.keys(media.examples ?? {}).length === 0)
    .map((body) => body.where);
}

/** The schemas that may apply at one place of a value: the schema itself, its allOf members and oneOf/anyOf branches. */
function candidates(spec: Obj, schema: unknown, depth = 0): Obj[] {
  const resolved = schema === undefined ? undefined : resolve(spec, schema);
  if (!resolved || typeof resolved !== 'object' || depth > 10) return [];
  return [resolved, ...['allOf', 'oneOf', 'anyOf'].flatMap((keyword) => (resolved[keyword] ?? []).flatMap((member: unknown) => candidates(spec, member, depth + 1)))];
}

const typesOf = (schema: Obj): string[] => (Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []);

/**
 * A 0 is a placeholder where the schema wants some number and does not single 0 out: no const, enum or default
 * of 0, and 0 is not among the schema's own examples (a result code whose success is 0 says so there).
 */
function zeroIsPlaceholder(schemas: Obj[]): boolean {
  if (!schemas.some((schema) => typesOf(schema).some((type) => type === 'number' || type === 'integer'))) return false;
  const namesZero = (schema: Obj) =>
    schema.const === 0 || schema.default === 0 || schema.example === 0 || [schema.enum, schema.examples].some((list) => Array.isArray(list) && list.includes(0));
  return !schemas.some(namesZero);
}

function walk(spec: Obj, value: unknown, schemas: Obj[], example: string, at: string, found: Placeholder[]): void {
  if (typeof value === 'string') {
    const text = value.trim();
    if (TYPE_NAMES.has(text.toLowerCase())) found.push({ example, at, value, reason: 'a type name, not a value' });
    else if (SYNTHESISED_VALUES.has(text)) found.push({ example, at, value, reason: "the value Redoc invents for this type" });
    return;
  }
  if (value === 0) {
    if (zeroIsPlaceholder(schemas)) found.push({ example, at, value, reason: '0 standing for "a number"' });
    return;
  }
  if (Array.isArray(value)) {
    const items = schemas.flatMap((schema) => candidates(spec, schema.items));
    value.forEach((item, index) => walk(spec, item, items, example, `${at}/${index}`, found));
    return;
  }
  if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (SYNTHESISED_KEY.test(key)) found.push({ example, at: `${at}/${escapePointerToken(key)}`, value: key, reason: 'a property name Redoc invents' });
      const childSchemas = schemas.flatMap((schema) =>
        candidates(spec, schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined)),
      );
      walk(spec, child, childSchemas, example, `${at}/${escapePointerToken(key)}`, found);
    }
  }
}

/** Every placeholder in the bundle's examples: media types, parameters, headers and schemas. */
export function placeholdersIn(spec: Obj): Placeholder[] {
  const found: Placeholder[] = [];
  const seen = new Set<string>();
  const check = (value: unknown, schema: unknown, pointer: string) => {
    const key = `${pointer}`;
    if (seen.has(key)) return;
    seen.add(key);
    walk(spec, value, candidates(spec, schema), pointer, '', found);
  };
  const visit = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) return node.forEach((item, index) => visit(item, `${pointer}/${index}`));
    if (!node || typeof node !== 'object') return;
    const record = node as Obj;
    // A media type, parameter or header: its examples are values of its schema.
    if ('schema' in record && ('example' in record || 'examples' in record)) {
      if (record.example !== undefined) check(record.example, record.schema, `${pointer}/example`);
      for (const [name, entry] of Object.entries<Obj>(record.examples ?? {})) {
        const resolved = resolveLocalRef(spec, entry);
        if (resolved.value && 'value' in resolved.value) check(resolved.value.value, record.schema, `${resolved.pointer ?? `${pointer}/examples/${escapePointerToken(name)}`}/value`);
      }
    }
    // A schema: `example` and the `examples` array hold values of the schema itself.
    if ('type' in record || 'properties' in record || 'oneOf' in record || 'allOf' in record) {
      if (record.example !== undefined && !('schema' in record)) check(record.example, record, `${pointer}/example`);
      if (Array.isArray(record.examples)) record.examples.forEach((value: unknown, index: number) => check(value, record, `${pointer}/examples/${index}`));
    }
    for (const [key, child] of Object.entries(record)) {
      if (key === 'example' || key === 'examples' || key === 'const' || key === 'enum' || key === 'default') continue;
      visit(child, `${pointer}/${escapePointerToken(key)}`);
    }
  };
  visit(spec, '#');
  // Named examples nobody references are still published in the bundle.
  for (const [name, entry] of Object.entries<Obj>(spec.components?.examples ?? {})) {
    if ('value' in entry) check(entry.value, undefined, `#/components/examples/${escapePointerToken(name)}/value`);
  }
  return found;
}
