// Webhook payloads read from a bundle (generated/<id>/openapi.json): which webhooks it has, their examples, a
// schema-valid payload to send, and a payload that breaks the schema. Works from the bundle alone, so an API
// with webhooks needs no code here. Validation is Ajv 2020 over the whole bundle, as the contract tests do.
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { escapePointerToken, resolveLocalRef } from './openapi-json.ts';
import { readSignature, type SignatureDeclaration } from './signing.ts';
import { bundleValidator } from '../sandbox/validate.ts';

type Json = Record<string, unknown>;
/** A bundled OpenAPI 3.1 document as parsed JSON. */
export type OpenApiBundle = Record<string, unknown>;

export interface WebhookExample {
  /** The key under the media type's `examples` (`example` for a lone media-type `example`). */
  name: string;
  summary?: string;
  value: unknown;
}

export interface Webhook {
  /** The key under the bundle's `webhooks`, e.g. `eventCreated`. */
  name: string;
  /** Lower-case HTTP method, e.g. `post`. */
  method: string;
  operationId?: string;
  /** The operation object (its `$ref`s not resolved; use `spec` for that). */
  operation: Json;
  /** JSON pointer (with `#`) to the application/json body schema inside the bundle. */
  schemaPointer: string;
  /** The body schema at `schemaPointer` (may hold `$ref`s into the bundle). */
  schema: unknown;
  /** The spec's examples of the body, in spec order; external examples are left out. */
  examples: WebhookExample[];
  /** How the vendor signs it (see signing.ts), when it does. */
  signature?: SignatureDeclaration;
}

/** One way a payload breaks its schema: `field` as a dotted path (`eventData.faultType`, `data[0].type`). */
export interface PayloadProblem {
  field: string;
  reason: string;
}

export interface BreakingPayload {
  payload: unknown;
  /** The field changed, as a dotted path. */
  field: string;
  /** What was done to it, e.g. `set to 12345 (a number instead of a string)` or `removed`. */
  change: string;
  /** What the schema says about the result. */
  problem: PayloadProblem;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const clone = <T>(value: T): T => structuredClone(value);

/** Every webhook operation of the bundle with an application/json body, in spec order. */
export function listWebhooks(spec: OpenApiBundle): Webhook[] {
  const found: Webhook[] = [];
  for (const [name, itemOrRef] of Object.entries((spec.webhooks ?? {}) as Record<string, unknown>)) {
    const resolvedItem = resolveLocalRef(spec, itemOrRef);
    const item = resolvedItem.value as Json;
    const itemPointer = resolvedItem.pointer ?? `#/webhooks/${escapePointerToken(name)}`;
    for (const method of METHODS.filter((candidate) => item[candidate])) {
      const operation = item[method] as Json;
      if (!operation.requestBody) continue;
      const resolvedBody = resolveLocalRef(spec, operation.requestBody);
      const bodyPointer = resolvedBody.pointer ?? `${itemPointer}/${method}/requestBody`;
      const media = ((resolvedBody.value as Json).content as Record<string, Json> | undefined)?.['application/json'];
      if (!media?.schema) continue;
      const examples: WebhookExample[] = [];
      for (const [key, exampleOrRef] of Object.entries((media.examples ?? {}) as Record<string, unknown>)) {
        const example = resolveLocalRef(spec, exampleOrRef).value as Json;
        if (!('value' in example)) continue; // externalValue: nothing to send
        examples.push({ name: key, ...(typeof example.summary === 'string' ? { summary: example.summary } : {}), value: example.value });
      }
      if ('example' in media) examples.push({ name: 'example', value: media.example });
      const signature = readSignature(spec, operation);
      found.push({
        name,
        method,
        ...(typeof operation.operationId === 'string' ? { operationId: operation.operationId } : {}),
        operation,
        schemaPointer: `${bodyPointer}/content/${escapePointerToken('application/json')}/schema`,
        schema: media.schema,
        examples,
        ...(signature ? { signature } : {}),
      });
    }
  }
  return found;
}

const validatorOf = (spec: OpenApiBundle, webhook: Webhook): ValidateFunction => bundleValidator(spec, webhook.schemaPointer);

function fieldOf(error: ErrorObject): string {
  const tokens = error.instancePath
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = error.params.missingProperty ?? error.params.additionalProperty ?? error.params.unevaluatedProperty;
  if (typeof extra === 'string') tokens.push(extra);
  return formatPath(tokens) || '(body)';
}

/** `['data', 0, 'type']` -> `data[0].type`, as the receivers name fields. */
export function formatPath(tokens: readonly (string | number)[]): string {
  return tokens.reduce<string>((path, token) => {
    const key = String(token);
    if (/^\d+$/.test(key)) return `${path}[${key}]`;
    if (/^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
    return `${path}[${JSON.stringify(key)}]`;
  }, '');
}

/** The ways `payload` breaks the webhook's body schema (empty when it is valid). */
export function validatePayload(spec: OpenApiBundle, webhook: Webhook, payload: unknown): PayloadProblem[] {
  const validate = validatorOf(spec, webhook);
  if (validate(payload)) return [];
  return (validate.errors ?? []).map((error) => ({ field: fieldOf(error), reason: error.message ?? error.keyword }));
}

/**
 * A schema-valid payload for `webhook` (a fresh copy, safe to modify): the named example, else the first of the
 * spec's examples that validates, else a minimal one built from the schema. Throws when none of them validates.
 */
export function examplePayload(spec: OpenApiBundle, webhook: Webhook, exampleName?: string): unknown {
  if (exampleName !== undefined) {
    const named = webhook.examples.find((example) => example.name === exampleName);
    if (!named) throw new Error(`${webhook.name}: no example "${exampleName}" (has ${webhook.examples.map((e) => e.name).join(', ') || 'none'})`);
    return clone(named.value);
  }
  const valid = webhook.examples.find((example) => validatePayload(spec, webhook, example.value).length === 0);
  if (valid) return clone(valid.value);
  const built = minimalValue(spec, webhook.schema, 0);
  const problems = validatePayload(spec, webhook, built);
  if (problems.length > 0) {
    throw new Error(`${webhook.name}: no example validates and none could be built (${problems[0]!.field}: ${problems[0]!.reason})`);
  }
  return built;
}

const isPlainObject = (value: unknown): value is Json => !!value && typeof value === 'object' && !Array.isArray(value);

/**
 * `example` with `overrides` laid over it, as a new value: plain objects merge key by key (recursively), arrays and
 * scalars replace, and a key set to `undefined` is removed. Neither argument is modified.
 */
export function mergePayload<T>(example: T, overrides: unknown): T {
  if (!isPlainObject(example) || !isPlainObject(overrides)) return clone(overrides === undefined ? example : overrides) as T;
  const merged: Json = clone(example);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete merged[key];
    else merged[key] = isPlainObject(merged[key]) && isPlainObject(value) ? mergePayload(merged[key], value) : clone(value);
  }
  return merged as T;
}

/** A value of another JSON type than `value`, with words for the report. */
function wrongTypeFor(value: unknown): { value: unknown; words: string } {
  if (typeof value === 'string') return { value: 12345, words: 'a number instead of a string' };
  if (typeof value === 'number') return { value: 'not-a-number', words: 'a string instead of a number' };
  if (typeof value === 'boolean') return { value: 'not-a-boolean', words: 'a string instead of a boolean' };
  if (Array.isArray(value)) return { value: 'not-an-array', words: 'a string instead of an array' };
  if (value === null) return { value: 12345, words: 'a number instead of null' };
  return { value: 'not-an-object', words: 'a string instead of an object' };
}

/** Every (path, value) of a JSON value, breadth first, so fields near the top come first. */
function* fieldsOf(root: unknown): Generator<(string | number)[]> {
  const queue: { path: (string | number)[]; value: unknown }[] = [{ path: [], value: root }];
  while (queue.length > 0) {
    const { path, value } = queue.shift()!;
    if (path.length > 0) yield path;
    if (Array.isArray(value)) value.forEach((item, index) => queue.push({ path: [...path, index], value: item }));
    else if (isPlainObject(value)) for (const [key, item] of Object.entries(value)) queue.push({ path: [...path, key], value: item });
  }
}

function edited(root: unknown, path: readonly (string | number)[], edit: (parent: any, key: string | number) => void): unknown {
  const copy = clone(root) as any;
  const parent = path.slice(0, -1).reduce((node, token) => node[token], copy);
  edit(parent, path[path.length - 1]!);
  return copy;
}

/**
 * A payload that breaks `webhook`'s schema: its valid example with one field given the wrong JSON type (or, failing
 * that, removed), nearest the top first. It is checked to break every webhook of the bundle, so a receiver that
 * takes all of an API's webhooks on one URL (`parseWebhook`) must reject it too. Throws when no such edit exists.
 */
export function breakingPayload(spec: OpenApiBundle, webhook: Webhook): BreakingPayload {
  const example = examplePayload(spec, webhook);
  const everyWebhook = listWebhooks(spec);
  const breaksAll = (payload: unknown) => everyWebhook.every((other) => validatePayload(spec, other, payload).length > 0);
  const candidates: (() => { payload: unknown; path: (string | number)[]; change: string })[] = [];
  for (const path of fieldsOf(example)) {
    candidates.push(() => {
      const original = path.reduce<any>((node, token) => node[token], example);
      const wrong = wrongTypeFor(original);
      return { payload: edited(example, path, (parent, key) => (parent[key] = wrong.value)), path, change: `set to ${JSON.stringify(wrong.value)} (${wrong.words})` };
    });
  }
  for (const path of fieldsOf(example)) {
    if (typeof path[path.length - 1] === 'number') continue; // removing an item shifts the rest; not a field
    candidates.push(() => ({ payload: edited(example, path, (parent, key) => delete parent[key]), path, change: 'removed' }));
  }
  for (const candidate of candidates) {
    const { payload, path, change } = candidate();
    if (!breaksAll(payload)) continue;
    return { payload, field: formatPath(path), change, problem: validatePayload(spec, webhook, payload)[0]! };
  }
  // A schema that accepts anything (no type, no required field): the root itself of the wrong type.
  const wrongRoot = wrongTypeFor(example);
  const problems = validatePayload(spec, webhook, wrongRoot.value);
  if (problems.length > 0 && breaksAll(wrongRoot.value)) {
    return { payload: wrongRoot.value, field: '(body)', change: `replaced by ${JSON.stringify(wrongRoot.value)} (${wrongRoot.words})`, problem: problems[0]! };
  }
  throw new Error(`${webhook.name}: no single-field edit of its example breaks the schema of every webhook of the API`);
}

const FORMAT_SAMPLES: Record<string, string> = {
  'date-time': '2024-01-01T00:00:00Z',
  date: '2024-01-01',
  time: '00:00:00Z',
  duration: 'PT1H',
  email: 'partner@example.com',
  uri: 'https://partner.example/',
  'uri-reference': '/',
  url: 'https://partner.example/',
  uuid: '00000000-0000-4000-8000-000000000000',
  ipv4: '127.0.0.1',
  hostname: 'partner.example',
};

/** A small value for a schema: documented values first, then required properties only. */
function minimalValue(spec: OpenApiBundle, schemaOrRef: unknown, depth: number): unknown {
  const schema = resolveLocalRef(spec, schemaOrRef).value as Json;
  if (!isPlainObject(schema) || depth > 12) return null;
  if ('const' in schema) return clone(schema.const);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return clone(schema.examples[0]);
  if ('example' in schema) return clone(schema.example);
  if ('default' in schema) return clone(schema.default);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return clone(schema.enum[0]);
  if (Array.isArray(schema.allOf)) {
    return schema.allOf.reduce<unknown>((merged, part) => mergePayload(merged, minimalValue(spec, part, depth + 1)), {});
  }
  const alternatives = (schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (Array.isArray(alternatives) && alternatives.length > 0) return minimalValue(spec, alternatives[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, unknown>;
      const value: Json = {};
      for (const name of (schema.required ?? []) as string[]) value[name] = minimalValue(spec, properties[name] ?? {}, depth + 1);
      return value;
    }
    case 'array':
      return Array.from({ length: Number(schema.minItems ?? 0) }, () => minimalValue(spec, schema.items ?? {}, depth + 1));
    case 'string':
      return FORMAT_SAMPLES[String(schema.format)] ?? 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    case 'integer':
    case 'number':
      return Number(schema.minimum ?? (typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 0));
    case 'boolean':
      return false;
    default:
      return schema.properties ? minimalValue(spec, { ...schema, type: 'object' }, depth) : null;
  }
}
