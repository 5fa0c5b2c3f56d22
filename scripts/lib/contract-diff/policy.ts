// The direction-aware policy on top of api-smart-diff. The library finds *what* changed between two bundles
// ($refs resolved, allOf merged, parameters matched by in+name, path templates matched whatever their parameter
// names, media types matched); this module decides whether each change breaks *our* users:
//   - requests we send (operation parameters and request bodies, our answers to webhooks and callbacks): client
//     code must still type-check and be accepted, so anything that narrows what may be sent is breaking;
//   - responses, webhooks and callbacks we receive: what the vendor sends must still parse and be read, so a
//     removed field, a field that may now be absent, a removed enum value or a retyped field is breaking, while a
//     narrower range or a new enum value (the tolerant receivers take it) is not.
// Removing an operation, a webhook, a response, a parameter or an enum value is breaking in either direction.
import { apiCompare, objectMappingResolver, openapi3Rules } from 'api-smart-diff';

export type Level = 'breaking' | 'non-breaking' | 'annotation';
export type Direction = 'send' | 'receive';

export interface Change {
  level: Level;
  /** A stable name of the kind of change, e.g. `removed-field`, `new-required-parameter`. */
  kind: string;
  /** Where: operation or webhook, then the part (parameter, body, response) and the field, e.g. `GET /x › response 200 (application/json) › data.items[].id`. */
  location: string;
  /** What happened, in words: `removed field \`data.items[].id\``. */
  message: string;
  direction?: Direction;
  before?: unknown;
  after?: unknown;
  /** JSON path in the bundle (before or after document), as api-smart-diff reports it. */
  path: (string | number)[];
}

interface LibDiff {
  action: 'add' | 'remove' | 'replace' | 'rename';
  path: (string | number)[];
  before?: unknown;
  after?: unknown;
  type: string;
  description?: string;
}

type Json = Record<string, any>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const ANNOTATIONS = new Set(['description', 'summary', 'title', 'example', 'examples', '$comment', 'externalDocs', 'xml', 'discriminator', 'tags', 'operationId']);
const SOFT = new Set(['deprecated', 'readOnly', 'writeOnly', 'default']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);
const SCHEMA_LISTS = new Set(['allOf', 'anyOf', 'oneOf', 'prefixItems']);
const SCHEMA_ONES = new Set(['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'contentSchema']);
const LOWER_BOUNDS: Record<string, string> = { minLength: 'length', minItems: 'item count', minProperties: 'property count', minimum: 'range', exclusiveMinimum: 'range', minContains: 'item count' };
const UPPER_BOUNDS: Record<string, string> = { maxLength: 'length', maxItems: 'item count', maxProperties: 'property count', maximum: 'range', exclusiveMaximum: 'range', maxContains: 'item count' };
const NARROWING = new Set(['pattern', 'format', 'multipleOf', 'contentEncoding', 'contentMediaType', 'uniqueItems', 'dependentRequired']);

const verb = (action: LibDiff['action']) => ({ add: 'added', remove: 'removed', replace: 'changed', rename: 'renamed' })[action];
const flip = (direction: Direction): Direction => (direction === 'send' ? 'receive' : 'send');
const show = (value: unknown) => (value === undefined ? '' : JSON.stringify(value));
const isExtension = (key: unknown) => typeof key === 'string' && key.startsWith('x-');

function at(document: unknown, path: readonly (string | number)[]): any {
  let node: any = document;
  for (const token of path) {
    if (token === 'allOf' && node && typeof node === 'object' && typeof node.$ref === 'string' && !Array.isArray(node.allOf)) {
      // api-smart-diff reads a $ref with siblings (3.1) as allOf: [the $ref, the siblings].
      const { $ref, ...siblings } = node;
      node = [{ $ref }, siblings];
      continue;
    }
    node = resolve(document, node);
    if (node === null || typeof node !== 'object') return undefined;
    node = node[token];
  }
  return resolve(document, node);
}

function resolve(document: unknown, node: any): any {
  for (let hops = 0; node && typeof node === 'object' && typeof node.$ref === 'string' && node.$ref.startsWith('#/') && hops < 20; hops++) {
    node = node.$ref
      .slice(2)
      .split('/')
      .map((token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce((value: any, token: string) => (value === null || value === undefined ? undefined : value[token]), document);
  }
  return node;
}

interface Effective {
  /** The allowed types; undefined for any. */
  types?: Set<string>;
  /** The allowed values (enum, or [const]); undefined for any. */
  values?: unknown[];
  required: Set<string>;
  properties: Set<string>;
  /** Whether the schema has no properties of its own at all (any object). */
  open: boolean;
  /** Each property's schemas (one per allOf member that declares it). */
  propertySchemas: Map<string, unknown[]>;
  /** The array item schemas. */
  items: unknown[];
}

/** The schema at `path` with its allOf members merged (recursively, $refs followed): what it allows. */
function effective(document: unknown, path: readonly (string | number)[]): Effective {
  return effectiveOf(document, at(document, path));
}

function effectiveOf(document: unknown, schema: unknown): Effective {
  const result: Effective = { required: new Set(), properties: new Set(), open: true, propertySchemas: new Map(), items: [] };
  const visit = (node: any, depth: number) => {
    node = resolve(document, node);
    if (!node || typeof node !== 'object' || depth > 10) return;
    if (node.type !== undefined) {
      const types = new Set<string>((Array.isArray(node.type) ? node.type : [node.type]).map(String));
      result.types = result.types ? new Set([...result.types].filter((type) => types.has(type))) : types;
    }
    const values: unknown[] | undefined = 'const' in node ? [node.const] : Array.isArray(node.enum) ? node.enum : undefined;
    if (values) result.values = result.values ? result.values.filter((value) => values.some((other) => JSON.stringify(other) === JSON.stringify(value))) : values;
    if (Array.isArray(node.required)) node.required.forEach((name: unknown) => result.required.add(String(name)));
    if (node.properties && typeof node.properties === 'object') {
      result.open = false;
      for (const [name, property] of Object.entries(node.properties)) {
        result.properties.add(name);
        result.propertySchemas.set(name, [...(result.propertySchemas.get(name) ?? []), property]);
      }
    }
    if (node.items && typeof node.items === 'object') result.items.push(node.items);
    if (Array.isArray(node.allOf)) node.allOf.forEach((member: unknown) => visit(member, depth + 1));
  };
  visit(schema, 0);
  return result;
}

/** Everything needed to word and classify one change inside an operation (or webhook, or callback operation). */
interface OperationContext {
  /** `GET /devices`, `webhook eventDelivery (POST)`, `POST /subscriptions › callback notify POST {$request.body#/callbackUrl}`. */
  label: string;
  /** The direction of the operation's request: send for our calls, receive for webhooks and callbacks. */
  request: Direction;
  /** Path of the operation object in the documents. */
  path: (string | number)[];
}

class Classifier {
  readonly changes: Change[] = [];
  private readonly seen = new Set<string>();

  constructor(
    private readonly before: Json,
    private readonly after: Json,
  ) {}

  add(change: Omit<Change, 'path'>, diff: LibDiff, diffValues = true): void {
    const key = `${change.level}|${change.kind}|${change.location}|${change.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.changes.push({
      ...change,
      ...(diffValues && diff.before !== undefined && change.before === undefined ? { before: diff.before } : {}),
      ...(diffValues && diff.after !== undefined && change.after === undefined ? { after: diff.after } : {}),
      path: diff.path,
    });
  }

  classify(diff: LibDiff): void {
    const [top, key, ...rest] = diff.path;
    if (top === 'components') return; // seen where it is used: the library resolves $refs into every usage
    if (top === 'paths' && typeof key === 'string') return this.pathItem(diff, key, rest);
    if (top === 'webhooks' && typeof key === 'string') return this.webhook(diff, key, rest);
    if (top === 'info' || top === 'openapi' || top === 'tags' || top === 'externalDocs' || top === 'jsonSchemaDialect' || isExtension(top)) {
      return this.add({ level: 'annotation', kind: 'annotation', location: `document ${diff.path.join('.')}`, message: `${verb(diff.action)} ${diff.path.join('.')}` }, diff);
    }
    if (top === 'servers') {
      return this.add({ level: 'non-breaking', kind: 'servers', location: 'servers', message: `${verb(diff.action)} server ${diff.path.slice(1).join('.')}` }, diff);
    }
    this.fallback(diff, `document ${diff.path.join('.')}`);
  }

  private fallback(diff: LibDiff, location: string): void {
    // Whatever this policy does not know: the library's own classification; when it has none, breaking (the
    // safe side: a reviewer looks at it).
    const level: Level = diff.type === 'annotation' ? 'annotation' : diff.type === 'non-breaking' || diff.type === 'deprecated' ? 'non-breaking' : 'breaking';
    this.add({ level, kind: 'other', location, message: `${verb(diff.action)} ${diff.path.join('.')}${diff.description ? ` (${diff.description})` : ''}` }, diff);
  }

  private pathItem(diff: LibDiff, route: string, rest: (string | number)[]): void {
    const [method, ...inner] = rest;
    if (method === undefined) {
      // A whole path added or removed: one change per operation.
      const item = resolve(diff.action === 'add' ? this.after : this.before, diff.action === 'add' ? diff.after : diff.before) ?? {};
      for (const verb of Object.keys(item).filter((name) => METHODS.has(name))) {
        this.operationPresence(diff, { label: `${verb.toUpperCase()} ${route}`, request: 'send', path: ['paths', route, verb] }, 'operation');
      }
      return;
    }
    if (typeof method === 'string' && METHODS.has(method)) {
      return this.operation(diff, { label: `${method.toUpperCase()} ${route}`, request: 'send', path: ['paths', route, method] }, inner, 'operation');
    }
    if (ANNOTATIONS.has(String(method)) || isExtension(method)) {
      return this.add({ level: 'annotation', kind: 'annotation', location: route, message: `${verb(diff.action)} ${String(method)}` }, diff);
    }
    this.fallback(diff, route);
  }

  private webhook(diff: LibDiff, name: string, rest: (string | number)[]): void {
    const [method, ...inner] = rest;
    if (method === undefined) {
      const item = resolve(diff.action === 'add' ? this.after : this.before, diff.action === 'add' ? diff.after : diff.before) ?? {};
      for (const verb of Object.keys(item).filter((key) => METHODS.has(key))) {
        this.operationPresence(diff, { label: `webhook ${name} (${verb.toUpperCase()})`, request: 'receive', path: ['webhooks', name, verb] }, 'webhook');
      }
      return;
    }
    if (typeof method === 'string' && METHODS.has(method)) {
      return this.operation(diff, { label: `webhook ${name} (${method.toUpperCase()})`, request: 'receive', path: ['webhooks', name, method] }, inner, 'webhook');
    }
    if (ANNOTATIONS.has(String(method)) || isExtension(method)) {
      return this.add({ level: 'annotation', kind: 'annotation', location: `webhook ${name}`, message: `${verb(diff.action)} ${String(method)}` }, diff);
    }
    this.fallback(diff, `webhook ${name}`);
  }

  private operationPresence(diff: LibDiff, op: OperationContext, what: 'operation' | 'webhook' | 'callback'): void {
    const named = what === 'operation' ? `operation ${op.label}` : op.label;
    if (diff.action === 'remove') {
      this.add({ level: 'breaking', kind: `removed-${what}`, location: op.label, message: `removed ${named}` }, diff);
    } else if (diff.action === 'add') {
      this.add({ level: 'non-breaking', kind: `new-${what}`, location: op.label, message: `new ${named}` }, diff);
    } else {
      this.add({ level: 'breaking', kind: `replaced-${what}`, location: op.label, message: `replaced ${named}` }, diff);
    }
  }

  private operation(diff: LibDiff, op: OperationContext, rest: (string | number)[], what: 'operation' | 'webhook' | 'callback'): void {
    const [part, ...inner] = rest;
    if (part === undefined) return this.operationPresence(diff, op, what);
    if (ANNOTATIONS.has(String(part)) || isExtension(part)) {
      return this.add({ level: 'annotation', kind: 'annotation', location: op.label, message: `${verb(diff.action)} ${String(part)}` }, diff);
    }
    if (part === 'deprecated') {
      return this.add({ level: 'non-breaking', kind: 'deprecated', location: op.label, message: `${op.label} ${diff.after ? 'deprecated' : 'no longer deprecated'}` }, diff);
    }
    if (part === 'parameters') return this.parameter(diff, op, inner);
    if (part === 'requestBody') return this.requestBody(diff, op, inner);
    if (part === 'responses') return this.response(diff, op, inner);
    if (part === 'callbacks') return this.callback(diff, op, inner);
    if (part === 'servers') {
      return this.add({ level: 'non-breaking', kind: 'servers', location: op.label, message: `${verb(diff.action)} server` }, diff);
    }
    this.fallback(diff, op.label);
  }

  private parameterObject(op: OperationContext, index: number, side: 'before' | 'after'): Json {
    const document = side === 'before' ? this.before : this.after;
    // The library appends path-level parameters to the operation's own (api-smart-diff transformPathItems).
    const operation = at(document, op.path) ?? {};
    const pathItem = at(document, op.path.slice(0, -1)) ?? {};
    const merged = [...(operation.parameters ?? []), ...(pathItem.parameters ?? [])];
    return resolve(document, merged[index]) ?? {};
  }

  private parameter(diff: LibDiff, op: OperationContext, rest: (string | number)[]): void {
    const [index, field, ...inner] = rest;
    const direction = op.request;
    const side = diff.action === 'add' ? 'after' : 'before';
    const parameter =
      field === undefined && diff.action !== 'replace'
        ? (resolve(side === 'after' ? this.after : this.before, side === 'after' ? diff.after : diff.before) ?? {})
        : this.parameterObject(op, Number(index), 'before');
    const label = `${String(parameter.in ?? '?')} parameter ${String(parameter.name ?? index)}`;
    const location = `${op.label} › ${label}`;
    if (field === undefined) {
      if (diff.action === 'add') {
        const required = parameter.required === true && parameter.schema?.default === undefined;
        if (direction === 'send' && required) {
          return this.add({ level: 'breaking', kind: 'new-required-parameter', direction, location, message: `new required ${label}` }, diff);
        }
        return this.add({ level: 'non-breaking', kind: 'new-parameter', direction, location, message: `new ${required ? 'required' : 'optional'} ${label}` }, diff);
      }
      return this.add({ level: 'breaking', kind: 'removed-parameter', direction, location, message: `removed ${label}` }, diff);
    }
    if (field === 'required') {
      const nowRequired = diff.after === true;
      const breaking = direction === 'send' ? nowRequired : !nowRequired;
      return this.add(
        {
          level: breaking ? 'breaking' : 'non-breaking',
          kind: nowRequired ? 'parameter-now-required' : 'parameter-now-optional',
          direction,
          location,
          message: `${label} is now ${nowRequired ? 'required' : 'optional'}`,
        },
        diff,
      );
    }
    if (field === 'schema') return this.schema(diff, direction, location, inner, [...op.path, 'parameters', index!, 'schema'], label);
    if (ANNOTATIONS.has(String(field)) || isExtension(field)) {
      return this.add({ level: 'annotation', kind: 'annotation', direction, location, message: `${verb(diff.action)} ${String(field)} of ${label}` }, diff);
    }
    if (field === 'deprecated') return this.add({ level: 'non-breaking', kind: 'deprecated', direction, location, message: `${label} ${diff.after ? 'deprecated' : 'no longer deprecated'}` }, diff);
    // name, in, style, explode, allowReserved, content: the wire format changed.
    this.add({ level: 'breaking', kind: 'parameter-format', direction, location, message: `${verb(diff.action)} ${String(field)} of ${label}: ${show(diff.before)} -> ${show(diff.after)}` }, diff);
  }

  private requestBody(diff: LibDiff, op: OperationContext, rest: (string | number)[]): void {
    const direction = op.request;
    const [field, mediaType, part, ...inner] = rest;
    const location = `${op.label} › request body`;
    if (field === undefined) {
      if (diff.action === 'remove') return this.add({ level: 'breaking', kind: 'removed-request-body', direction, location, message: 'removed request body' }, diff);
      const required = (resolve(this.after, diff.after) as Json | undefined)?.required === true;
      const breaking = diff.action === 'replace' || (direction === 'send' && required);
      return this.add({ level: breaking ? 'breaking' : 'non-breaking', kind: 'new-request-body', direction, location, message: `${diff.action === 'replace' ? 'replaced' : 'new'} request body` }, diff);
    }
    if (field === 'required') {
      const nowRequired = diff.after === true;
      const breaking = direction === 'send' ? nowRequired : !nowRequired;
      return this.add({ level: breaking ? 'breaking' : 'non-breaking', kind: nowRequired ? 'body-now-required' : 'body-now-optional', direction, location, message: `request body is now ${nowRequired ? 'required' : 'optional'}` }, diff);
    }
    if (field === 'content') return this.content(diff, direction, location, [...op.path, 'requestBody', 'content'], mediaType, part, inner);
    if (ANNOTATIONS.has(String(field)) || isExtension(field)) return this.add({ level: 'annotation', kind: 'annotation', direction, location, message: `${verb(diff.action)} ${String(field)}` }, diff);
    this.fallback(diff, location);
  }

  private content(
    diff: LibDiff,
    direction: Direction,
    where: string,
    contentPath: (string | number)[],
    mediaType: string | number | undefined,
    part: string | number | undefined,
    inner: (string | number)[],
  ): void {
    if (mediaType === undefined) return this.fallback(diff, where);
    const location = `${where} (${String(mediaType)})`;
    if (part === undefined) {
      if (diff.action === 'add') return this.add({ level: 'non-breaking', kind: 'new-media-type', direction, location, message: `new media type ${String(mediaType)}` }, diff);
      return this.add({ level: 'breaking', kind: 'removed-media-type', direction, location, message: `${diff.action === 'remove' ? 'removed' : 'replaced'} media type ${String(mediaType)}` }, diff);
    }
    if (part === 'schema') return this.schema(diff, direction, location, inner, [...contentPath, mediaType, 'schema'], 'body');
    if (part === 'example' || part === 'examples' || isExtension(part)) return this.add({ level: 'annotation', kind: 'annotation', direction, location, message: `${verb(diff.action)} ${String(part)}` }, diff);
    this.fallback(diff, location);
  }

  private response(diff: LibDiff, op: OperationContext, rest: (string | number)[]): void {
    const direction = flip(op.request);
    const [status, field, third, fourth, ...inner] = rest;
    if (status === undefined) return this.fallback(diff, `${op.label} › responses`);
    const location = `${op.label} › response ${String(status)}`;
    if (field === undefined) {
      if (diff.action === 'add') return this.add({ level: 'non-breaking', kind: 'new-response', direction, location, message: `new response ${String(status)}` }, diff);
      return this.add({ level: 'breaking', kind: 'removed-response', direction, location, message: `${diff.action === 'remove' ? 'removed' : 'replaced'} response ${String(status)}` }, diff);
    }
    if (field === 'content') return this.content(diff, direction, location, [...op.path, 'responses', status, 'content'], third, fourth, inner);
    if (field === 'headers') {
      const headerLocation = `${location} › header ${String(third)}`;
      if (fourth === undefined) {
        if (diff.action === 'add') return this.add({ level: 'non-breaking', kind: 'new-header', direction, location: headerLocation, message: `new header ${String(third)}` }, diff);
        return this.add({ level: 'breaking', kind: 'removed-header', direction, location: headerLocation, message: `removed header ${String(third)}` }, diff);
      }
      if (fourth === 'schema') return this.schema(diff, direction, headerLocation, inner, [...op.path, 'responses', status, 'headers', third!, 'schema'], `header ${String(third)}`);
      if (ANNOTATIONS.has(String(fourth)) || isExtension(fourth)) return this.add({ level: 'annotation', kind: 'annotation', direction, location: headerLocation, message: `${verb(diff.action)} ${String(fourth)}` }, diff);
      return this.fallback(diff, headerLocation);
    }
    if (ANNOTATIONS.has(String(field)) || isExtension(field)) return this.add({ level: 'annotation', kind: 'annotation', direction, location, message: `${verb(diff.action)} ${String(field)}` }, diff);
    this.fallback(diff, location);
  }

  private callback(diff: LibDiff, op: OperationContext, rest: (string | number)[]): void {
    const [name, expression, method, ...inner] = rest;
    const base = `${op.label} › callback ${String(name ?? '')}`;
    if (name === undefined || expression === undefined || method === undefined) {
      if (diff.action === 'add') return this.add({ level: 'non-breaking', kind: 'new-callback', location: base, message: `new callback ${base}` }, diff);
      return this.add({ level: 'breaking', kind: 'removed-callback', location: base, message: `${diff.action === 'remove' ? 'removed' : 'replaced'} callback ${base}` }, diff);
    }
    const callbackOp: OperationContext = {
      label: `${base} ${String(method).toUpperCase()} ${String(expression)}`,
      request: flip(op.request),
      path: [...op.path, 'callbacks', name, expression, method],
    };
    this.operation(diff, callbackOp, inner, 'callback');
  }

  /**
   * Compares two schemas by what they allow (effectiveOf): properties gone or new, required-ness, allowed values
   * and types; with `depth`, also the properties present on both sides and the array items, recursively.
   */
  private compareEffective(diff: LibDiff, direction: Direction, where: string, field: string, beforeSchema: unknown, afterSchema: unknown, properties: boolean, depth: number): void {
    const was = effectiveOf(this.before, beforeSchema);
    const now = effectiveOf(this.after, afterSchema);
    const prefix = field ? `${field}.` : '';
    const location = field ? `${where} › ${field}` : where;
    const label = field || '(body)';
    const said = { direction, location };
    const breakingIf = (condition: boolean): Level => (condition ? 'breaking' : 'non-breaking');
    if (properties) {
      for (const name of was.properties) {
        if (now.properties.has(name) || now.open) continue;
        this.add({ level: 'breaking', kind: 'removed-field', direction, location: `${where} › ${prefix}${name}`, message: `removed ${direction === 'send' ? 'request' : 'received'} field \`${prefix}${name}\`` }, diff, false);
      }
      for (const name of now.properties) {
        if (was.properties.has(name)) continue;
        const required = now.required.has(name);
        this.add({ level: breakingIf(required && direction === 'send'), kind: required && direction === 'send' ? 'new-required-request-field' : required ? 'new-field' : 'new-optional-field', direction, location: `${where} › ${prefix}${name}`, message: `new ${required ? 'required' : 'optional'} ${direction === 'send' ? 'request ' : ''}field \`${prefix}${name}\`` }, diff, false);
      }
    }
    for (const name of now.required) {
      if (was.required.has(name)) continue;
      // A property that is new and required at once is reported by the property itself.
      if (!was.properties.has(name)) continue;
      this.add({ level: breakingIf(direction === 'send'), kind: direction === 'send' ? 'new-required-request-field' : 'field-now-required', direction, location: `${where} › ${prefix}${name}`, message: `${direction === 'send' ? 'request' : 'received'} field \`${prefix}${name}\` is now required` }, diff, false);
    }
    for (const name of was.required) {
      if (now.required.has(name)) continue;
      if (!now.properties.has(name)) continue; // removed with its property
      this.add({ level: breakingIf(direction === 'receive'), kind: direction === 'receive' ? 'field-may-be-absent' : 'field-now-optional', direction, location: `${where} › ${prefix}${name}`, message: `${direction === 'receive' ? 'received' : 'request'} field \`${prefix}${name}\` is no longer required${direction === 'receive' ? ' (may be absent)' : ''}` }, diff, false);
    }
    if (was.values && now.values) {
      const removed = was.values.filter((value) => !now.values!.some((other) => JSON.stringify(other) === JSON.stringify(value)));
      const added = now.values.filter((value) => !was.values!.some((other) => JSON.stringify(other) === JSON.stringify(value)));
      for (const value of removed) this.add({ level: 'breaking', kind: 'removed-enum-value', ...said, message: `removed enum value ${show(value)} of \`${label}\``, before: value }, diff, false);
      for (const value of added) this.add({ level: 'non-breaking', kind: 'new-enum-value', ...said, message: `new enum value ${show(value)} of \`${label}\``, after: value }, diff, false);
    } else if (now.values) {
      this.add({ level: breakingIf(direction === 'send'), kind: 'narrowed-enum', ...said, message: `\`${label}\` restricted to ${show(now.values)}`, after: now.values }, diff, false);
    } else if (was.values) {
      this.add({ level: 'non-breaking', kind: 'widened-enum', ...said, message: `\`${label}\` no longer restricted to ${show(was.values)}`, before: was.values }, diff, false);
    }
    const wasTypes = was.types ?? new Set<string>();
    const nowTypes = now.types ?? new Set<string>();
    const removedTypes = [...wasTypes].filter((type) => !nowTypes.has(type));
    const addedTypes = [...nowTypes].filter((type) => !wasTypes.has(type));
    if (removedTypes.length > 0 || addedTypes.length > 0) {
      // No type means any type: adding one narrows; removing the keyword widens.
      const narrowed = wasTypes.size === 0 ? nowTypes.size > 0 : removedTypes.length > 0;
      const widened = nowTypes.size === 0 ? wasTypes.size > 0 : addedTypes.length > 0;
      const level = direction === 'send' ? breakingIf(narrowed) : breakingIf(widened || (removedTypes.length > 0 && addedTypes.length > 0));
      const kind = narrowed && widened ? 'changed-type' : narrowed ? 'narrowed-type' : 'widened-type';
      this.add({ level, kind, ...said, message: `type of \`${label}\`: ${[...wasTypes].join('|') || 'any'} -> ${[...nowTypes].join('|') || 'any'}`, before: [...wasTypes], after: [...nowTypes] }, diff, false);
    }
    if (depth <= 0) return;
    for (const [name, schemas] of was.propertySchemas) {
      const others = now.propertySchemas.get(name);
      if (others) this.compareEffective(diff, direction, where, `${prefix}${name}`, { allOf: schemas }, { allOf: others }, true, depth - 1);
    }
    if (was.items.length > 0 && now.items.length > 0) this.compareEffective(diff, direction, where, `${field}[]`, { allOf: was.items }, { allOf: now.items }, true, depth - 1);
  }

  /**
   * A change inside a schema. `inner` is the path below `schema`; `schemaPath` is the path of the schema itself.
   */
  private schema(diff: LibDiff, direction: Direction, where: string, inner: (string | number)[], schemaPath: (string | number)[], what: string): void {
    // Walk the schema grammar: which tokens are keywords and which are property names or indexes.
    const field: string[] = [];
    let index = 0;
    let keyword: string | undefined;
    let container: string | undefined;
    let containerKey: string | number | undefined;
    let parentPath = schemaPath;
    let keywordPath = schemaPath;
    while (index < inner.length) {
      const token = String(inner[index]);
      const subschemaStart = [...schemaPath, ...inner.slice(0, index)];
      if (SCHEMA_MAPS.has(token) && index + 1 < inner.length) {
        const name = String(inner[index + 1]);
        if (token === 'properties') field.push(field.length ? `.${name}` : name);
        else field.push(`${field.length ? '.' : ''}{${name}}`);
        container = token;
        containerKey = name;
        parentPath = subschemaStart;
        index += 2;
      } else if (SCHEMA_LISTS.has(token) && index + 1 < inner.length) {
        if (token !== 'allOf') field.push(`<${token} ${String(inner[index + 1])}>`);
        container = token;
        containerKey = inner[index + 1];
        parentPath = subschemaStart;
        index += 2;
      } else if (SCHEMA_ONES.has(token) && !(index + 1 === inner.length && typeof diff.after === 'boolean' && typeof diff.before !== 'object')) {
        field.push(token === 'items' ? '[]' : token === 'additionalProperties' ? (field.length ? '.*' : '*') : `<${token}>`);
        container = token;
        containerKey = undefined;
        parentPath = subschemaStart;
        index += 1;
      } else {
        keyword = token;
        keywordPath = subschemaStart;
        break;
      }
    }
    const fieldName = field.join('') || (what === 'body' ? '(body)' : what);
    const location = field.length ? `${where} › ${fieldName}` : where;
    const tail = keyword === undefined ? [] : inner.slice(index + 1);
    const said = { direction, location };
    const breakingIf = (condition: boolean): Level => (condition ? 'breaking' : 'non-breaking');
    const document = (side: 'before' | 'after') => (side === 'before' ? this.before : this.after);

    if (keyword === undefined) {
      // A whole subschema appeared or went.
      if (container === 'properties') {
        const name = String(containerKey);
        if (diff.action === 'remove') {
          return this.add({ level: 'breaking', kind: 'removed-field', ...said, message: `removed ${direction === 'send' ? 'request' : 'received'} field \`${fieldName}\`` }, diff);
        }
        if (diff.action === 'add') {
          const owner = at(this.after, parentPath) ?? {};
          const required = Array.isArray(owner.required) && owner.required.includes(name);
          if (required && direction === 'send') {
            return this.add({ level: 'breaking', kind: 'new-required-request-field', ...said, message: `new required request field \`${fieldName}\`` }, diff);
          }
          return this.add({ level: 'non-breaking', kind: required ? 'new-field' : 'new-optional-field', ...said, message: `new ${required ? 'required' : 'optional'} field \`${fieldName}\`` }, diff);
        }
        return this.add({ level: 'breaking', kind: 'replaced-field', ...said, message: `replaced field \`${fieldName}\`` }, diff);
      }
      if (container === 'oneOf' || container === 'anyOf') {
        if (diff.action === 'add') return this.add({ level: 'non-breaking', kind: 'new-variant', ...said, message: `new ${container} variant at \`${fieldName}\`` }, diff);
        return this.add({ level: 'breaking', kind: 'removed-variant', ...said, message: `${diff.action === 'remove' ? 'removed' : 'replaced'} ${container} variant at \`${fieldName}\`` }, diff);
      }
      // items, additionalProperties, allOf members and the like: a constraint added narrows, removed widens.
      const level = diff.action === 'replace' ? 'breaking' : diff.action === 'add' ? breakingIf(direction === 'send') : breakingIf(direction === 'receive');
      return this.add({ level, kind: diff.action === 'add' ? 'narrowed-schema' : diff.action === 'remove' ? 'widened-schema' : 'replaced-schema', ...said, message: `${diff.action === 'add' ? 'added' : diff.action === 'remove' ? 'removed' : 'replaced'} schema at \`${fieldName}\`` }, diff);
    }

    if (ANNOTATIONS.has(keyword) || isExtension(keyword)) {
      return this.add({ level: 'annotation', kind: 'annotation', ...said, message: `${verb(diff.action)} ${keyword} of \`${fieldName}\`` }, diff);
    }
    if (SOFT.has(keyword)) {
      return this.add({ level: 'non-breaking', kind: keyword, ...said, message: `${keyword} of \`${fieldName}\`: ${show(diff.before)} -> ${show(diff.after)}` }, diff);
    }
    if (keyword === 'required' || keyword === 'enum' || keyword === 'const' || keyword === 'type' || keyword === 'properties' || keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf') {
      // Compared on the effective schema (the node and its allOf members merged), so that moving a $ref into an
      // allOf with a sibling `const`, or a property list into an allOf member, is judged by what it allows.
      const structural = keyword === 'properties' || keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf';
      const count = this.changes.length;
      this.compareEffective(diff, direction, where, fieldName === '(body)' || fieldName === what ? '' : fieldName, at(this.before, keywordPath), at(this.after, keywordPath), structural, structural ? 8 : 0);
      if (this.changes.length === count && (keyword === 'anyOf' || keyword === 'oneOf')) {
        const level = diff.action === 'add' ? breakingIf(direction === 'send') : diff.action === 'remove' ? breakingIf(direction === 'receive') : 'breaking';
        this.add({ level, kind: `changed-${keyword}`, ...said, message: `${verb(diff.action)} ${keyword} of \`${fieldName}\`` }, diff);
      }
      return;
    }
    if (keyword in LOWER_BOUNDS || keyword in UPPER_BOUNDS) {
      const lower = keyword in LOWER_BOUNDS;
      const was = at(this.before, [...keywordPath, keyword]);
      const now = at(this.after, [...keywordPath, keyword]);
      const tighter =
        typeof was !== 'number' ? typeof now === 'number' : typeof now !== 'number' ? false : lower ? now > was : now < was;
      const what = lower ? LOWER_BOUNDS[keyword] : UPPER_BOUNDS[keyword];
      const level = breakingIf(direction === 'send' && tighter);
      return this.add({ level, kind: tighter ? `narrowed-${what!.replace(' ', '-')}` : `widened-${what!.replace(' ', '-')}`, ...said, message: `${keyword} of \`${fieldName}\`: ${show(was) || 'none'} -> ${show(now) || 'none'}`, before: was, after: now }, diff);
    }
    if (NARROWING.has(keyword) || ((keyword === 'additionalProperties' || keyword === 'unevaluatedProperties') && tail.length === 0)) {
      const was = at(this.before, [...keywordPath, keyword]);
      const now = at(this.after, [...keywordPath, keyword]);
      const opened = (keyword === 'additionalProperties' || keyword === 'unevaluatedProperties') ? now === undefined || now === true : keyword === 'uniqueItems' ? now !== true : now === undefined;
      const level = breakingIf(direction === 'send' && !opened);
      return this.add({ level, kind: opened ? `widened-${keyword}` : `narrowed-${keyword}`, ...said, message: `${keyword} of \`${fieldName}\`: ${show(was) || 'none'} -> ${show(now) || 'none'}`, before: was, after: now }, diff);
    }
    this.fallback(diff, location);
  }
}

/** The library's rules for OpenAPI 3.x, with `webhooks` compared like `paths` (operations, parameters, bodies). */
function rules(): Json {
  // A fresh rule set per comparison: the library keeps its $ref cache in the rules object.
  const base = openapi3Rules() as Json;
  return { ...base, '/webhooks': { mapping: objectMappingResolver, '/*': base['/paths']['/*'] } };
}

const REF_ANNOTATIONS = new Set(['description', 'summary', 'title', 'example', 'examples', '$comment']);

/**
 * A copy without the annotations next to a `$ref` (`description`, `x-event-type`, ...). api-smart-diff reads a
 * $ref with siblings as `allOf: [$ref, siblings]`, so adding an annotation next to a $ref would look like a new
 * schema; annotations beside a $ref change nothing that is sent or received.
 */
function withoutRefAnnotations<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withoutRefAnnotations) as T;
  if (!node || typeof node !== 'object') return node;
  const object = node as Json;
  const isRef = typeof object.$ref === 'string';
  return Object.fromEntries(
    Object.entries(object)
      .filter(([key]) => !(isRef && (REF_ANNOTATIONS.has(key) || isExtension(key))))
      .map(([key, value]) => [key, withoutRefAnnotations(value)]),
  ) as T;
}

/** Every change between two bundled OpenAPI documents, classified for our users. */
export function classifyChanges(original: Json, changed: Json): Change[] {
  const before = withoutRefAnnotations(original);
  const after = withoutRefAnnotations(changed);
  // The library may normalize the documents it is given in place; it gets copies, the policy reads these.
  const { diffs } = apiCompare(structuredClone(before), structuredClone(after), { rules: rules() as any }) as { diffs: LibDiff[] };
  const classifier = new Classifier(before, after);
  for (const diff of diffs) classifier.classify(diff);
  const order: Record<Level, number> = { breaking: 0, 'non-breaking': 1, annotation: 2 };
  return classifier.changes.sort((a, b) => order[a.level] - order[b.level] || a.location.localeCompare(b.location));
}
