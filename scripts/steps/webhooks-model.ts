// What a bundled spec says about its webhooks, read from its top-level `webhooks` map: one receiver per webhook
// operation with a JSON request body. Shared by the validators step (Ajv standalone code) and the webhooks step
// (typed parse functions), so neither names an API.
import { escapePointerToken, resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { StepError } from '../lib/steps.ts';

export interface WebhookSignature {
  /** The header carrying the signature, as the spec spells it. */
  header: string;
  algorithm: 'HMAC-SHA256';
  encoding: 'base64';
}

/**
 * Where a webhook's payload names its event type: the property declared with `x-event-type: true`. The tolerant
 * receivers turn an event whose type is not in `values` into an UnknownWebhookEvent instead of rejecting it.
 */
export interface WebhookEventType {
  /** Path from the payload root to the object carrying the event type; `[]` steps into array items. */
  objectPath: string[];
  /** The property holding the event type, e.g. `event`. */
  field: string;
  /** The event types the spec lists (the property's enum or const). */
  values: (string | number | boolean | null)[];
}

export interface WebhookModel {
  /** The key under `webhooks`, e.g. `eventDelivery`. */
  key: string;
  method: string;
  operationId?: string;
  summary?: string;
  /** PascalCase name used for exports: parse<Name>, validate<Name>, <Name>Payload. */
  name: string;
  /** JSON pointer (with leading #) to the request body schema inside the bundle. */
  schemaPointer: string;
  signature?: WebhookSignature;
  eventType?: WebhookEventType;
}

interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: unknown[];
  requestBody?: unknown;
}

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Follows local `$ref`s to the object they name; returns it and the pointer it lives at. */
function deref(spec: Json, value: unknown, pointer: string, file: string): { value: Json; pointer: string } {
  try {
    const resolved = resolveLocalRef(spec, value);
    return { value: resolved.value as Json, pointer: resolved.pointer ?? pointer };
  } catch (error) {
    throw new StepError(file, `${pointer}: ${(error as Error).message}`);
  }
}

function pascalCase(key: string): string {
  return key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/**
 * A header parameter with `x-signature: { algorithm: HMAC-SHA256 }` and `schema.contentEncoding: base64` is
 * verified by the receivers. A header named like a signature without that declaration fails the build rather
 * than letting deliveries through unchecked.
 */
function signatureOf(spec: Json, operation: Operation, pointer: string, file: string): WebhookSignature | undefined {
  const headers = (operation.parameters ?? [])
    .map((parameter, index) => deref(spec, parameter, `${pointer}/parameters/${index}`, file).value)
    .filter((parameter) => parameter.in === 'header' && (parameter['x-signature'] || /signature/i.test(String(parameter.name))));
  if (headers.length === 0) return undefined;
  const [header] = headers;
  const declared = (header!['x-signature'] ?? {}) as Json;
  const schema = (header!.schema ?? {}) as Json;
  if (headers.length > 1 || declared.algorithm !== 'HMAC-SHA256' || schema.contentEncoding !== 'base64') {
    throw new StepError(
      file,
      `${pointer}: header ${String(header!.name)} looks like a signature; declare it with x-signature: { algorithm: HMAC-SHA256 } and schema.contentEncoding: base64 (the only scheme the receivers verify), one per webhook`,
    );
  }
  return { header: String(header!.name), algorithm: 'HMAC-SHA256', encoding: 'base64' };
}

/** The enum (or const) a schema allows, following $refs and allOf; undefined when it allows any value. */
function listedValues(spec: Json, schema: unknown, file: string, pointer: string): WebhookEventType['values'] | undefined {
  const { value } = deref(spec, schema, pointer, file);
  if (Array.isArray(value.enum)) return value.enum as WebhookEventType['values'];
  if ('const' in value) return [value.const as WebhookEventType['values'][number]];
  for (const [index, member] of ((value.allOf ?? []) as unknown[]).entries()) {
    const values = listedValues(spec, member, file, `${pointer}/allOf/${index}`);
    if (values) return values;
  }
  return undefined;
}

/**
 * Finds the property declared `x-event-type: true` in a payload schema: through $refs, allOf, properties and
 * array items, nearest to the root first. Its enum (or const) is the list of event types the spec knows.
 */
export function eventTypeOf(spec: Json, schema: unknown, file: string, pointer: string, objectPath: string[] = [], depth = 0): WebhookEventType | undefined {
  if (depth > 12 || !schema || typeof schema !== 'object') return undefined;
  const { value } = deref(spec, schema, pointer, file);
  const properties = (value.properties ?? {}) as Record<string, Json>;
  for (const [field, property] of Object.entries(properties)) {
    if (property['x-event-type'] !== true) continue;
    const values = listedValues(spec, property, file, `${pointer}/properties/${escapePointerToken(field)}`);
    if (!values) throw new StepError(file, `${pointer}/properties/${field}: x-event-type is declared on a property without an enum or const (the list of known event types)`);
    return { objectPath, field, values };
  }
  const nested: [unknown, string, string[]][] = [
    ...((value.allOf ?? []) as unknown[]).map((member, index): [unknown, string, string[]] => [member, `${pointer}/allOf/${index}`, objectPath]),
    ...Object.entries(properties)
      .filter(([, property]) => property['x-event-data'] !== true)
      .map(([name, property]): [unknown, string, string[]] => [property, `${pointer}/properties/${escapePointerToken(name)}`, [...objectPath, name]]),
    ...(value.items && typeof value.items === 'object' ? [[value.items, `${pointer}/items`, [...objectPath, '[]']] as [unknown, string, string[]]] : []),
  ];
  for (const [child, childPointer, childPath] of nested) {
    const found = eventTypeOf(spec, child, file, childPointer, childPath, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * A copy of the bundle for the envelope validators: every property declared `x-event-type` accepts any value of
 * its type, and every property declared `x-event-data` (the part whose shape depends on the event type) accepts
 * anything. The rest of the payload (the envelope) is validated as the spec says.
 */
export function envelopeBundle(spec: Json): Json {
  const copy = structuredClone(spec);
  const relax = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(relax);
    const object = node as Json;
    const properties = object.properties;
    if (properties && typeof properties === 'object' && !Array.isArray(properties)) {
      for (const [name, property] of Object.entries(properties as Record<string, Json>)) {
        if (property?.['x-event-type'] === true) {
          const values = listedValues(copy, property, 'bundle', `properties/${name}`) ?? [];
          const types = [...new Set(values.map((value) => (value === null ? 'null' : Number.isInteger(value) ? 'integer' : typeof value)))];
          (properties as Json)[name] = types.length === 1 ? { type: types[0] } : {};
        } else if (property?.['x-event-data'] === true) {
          (properties as Json)[name] = {};
        }
      }
    }
    Object.values(object).forEach(relax);
  };
  relax(copy.components);
  relax(copy.webhooks);
  return copy;
}

/** Every webhook operation of the bundle with an application/json request body, in spec order. */
export function webhooksOf(spec: Json, file: string): WebhookModel[] {
  const webhooks = (spec.webhooks ?? {}) as Record<string, Json>;
  const models: WebhookModel[] = [];
  for (const [key, pathItemOrRef] of Object.entries(webhooks)) {
    const { value: pathItem, pointer: itemPointer } = deref(spec, pathItemOrRef, `#/webhooks/${escapePointerToken(key)}`, file);
    const methods = METHODS.filter((method) => pathItem[method]);
    for (const method of methods) {
      const operation = pathItem[method] as Operation;
      const opPointer = `${itemPointer}/${method}`;
      if (!operation.requestBody) continue;
      const { value: body, pointer: bodyPointer } = deref(spec, operation.requestBody, `${opPointer}/requestBody`, file);
      const content = (body.content ?? {}) as Record<string, Json>;
      if (!content['application/json']?.schema) continue;
      const suffix = methods.length > 1 ? pascalCase(method) : '';
      models.push({
        key,
        method,
        ...(operation.operationId ? { operationId: operation.operationId } : {}),
        ...(operation.summary ? { summary: operation.summary } : {}),
        name: pascalCase(key) + suffix,
        schemaPointer: `${bodyPointer}/content/${escapePointerToken('application/json')}/schema`,
        ...(() => {
          const signature = signatureOf(spec, operation, opPointer, file);
          return signature ? { signature } : {};
        })(),
        ...(() => {
          const schemaPointer = `${bodyPointer}/content/${escapePointerToken('application/json')}/schema`;
          const eventType = eventTypeOf(spec, content['application/json']!.schema, file, schemaPointer);
          return eventType ? { eventType } : {};
        })(),
      });
    }
  }
  const names = models.map((model) => model.name);
  const clash = names.find((name, index) => names.indexOf(name) !== index);
  if (clash) throw new StepError(file, `two webhooks map to the same export name ${clash}; rename one of the webhook keys`);
  return models;
}
