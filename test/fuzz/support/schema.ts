// JSON Schema (the subset the five bundles use) -> fast-check arbitraries, and the single schema-breaking
// mutations of a value. Works on a bundled OpenAPI document: local $refs, allOf (merged), oneOf/anyOf, type
// lists, enum/const, formats (date-time, uri, uuid, int32, float), pattern, length and range bounds.
import fc from 'fast-check';
import { resolveLocalRef } from '../../../mocks/shared/openapi-json.ts';

export type Schema = Record<string, any> | boolean;
export type PathToken = string | number;

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };
const MAX_DEPTH = 6;

/** Hosts for generated URIs: never loopback, so a mock that fires callbacks at them connects nowhere. */
const URI_HOSTS = ['partner.example', 'api.example.com', 'hooks.example.org'];

const dateTime = () =>
  fc
    .date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
    .map((date) => date.toISOString());

const uri = (scheme = 'https') =>
  fc
    .tuple(fc.constantFrom(...URI_HOSTS), fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 3 }), fc.option(fc.stringMatching(/^[a-z]{1,6}=[a-z0-9]{0,6}$/), { nil: undefined }))
    .map(([host, segments, query]) => `${scheme}://${host}/${segments.join('/')}${query ? `?${query}` : ''}`);

/** A plain JSON value of any type (for `{}` schemas). */
export const anyJson = (): fc.Arbitrary<unknown> =>
  fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.integer(), { maxKeys: 2 }));

export class SchemaTools {
  constructor(readonly document: unknown) {}

  /** Follows $refs, merges allOf into one schema (properties merged per key, required united, const/enum kept). */
  resolve(schema: Schema): Record<string, any> {
    if (schema === true || schema === undefined) return {};
    if (schema === false) return { not: {} };
    let node = resolveLocalRef(this.document, schema).value as Record<string, any>;
    if (Array.isArray(node.allOf)) {
      const { allOf, ...rest } = node;
      node = (allOf as Schema[]).map((part) => this.resolve(part)).reduce((merged, part) => this.merge(merged, part), rest);
    }
    return node;
  }

  private merge(a: Record<string, any>, b: Record<string, any>): Record<string, any> {
    const merged: Record<string, any> = { ...a };
    for (const [key, value] of Object.entries(b)) {
      if (key === 'properties') {
        const properties: Record<string, any> = { ...(a.properties ?? {}) };
        for (const [name, sub] of Object.entries(value as Record<string, Schema>)) {
          properties[name] = name in properties ? this.merge(this.resolve(properties[name]), this.resolve(sub)) : sub;
        }
        merged.properties = properties;
      } else if (key === 'required') merged.required = [...new Set([...(a.required ?? []), ...(value as string[])])];
      else if (key === 'const') {
        merged.const = value;
        delete merged.enum;
      } else if (key === 'enum' && 'const' in merged) continue;
      else merged[key] = value;
    }
    return merged;
  }

  /** The type names a schema allows, or undefined when it does not say. */
  typesOf(schema: Record<string, any>): string[] | undefined {
    if (schema.type === undefined) {
      if ('const' in schema) return [jsonType(schema.const)];
      if (Array.isArray(schema.enum)) return [...new Set(schema.enum.map(jsonType))] as string[];
      if (schema.properties) return ['object'];
      return undefined;
    }
    return Array.isArray(schema.type) ? schema.type : [schema.type];
  }

  /** Values valid against the schema. */
  arbitrary(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
    const s = this.resolve(schema);
    if ('const' in s) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
    const union = s.oneOf ?? s.anyOf;
    if (Array.isArray(union)) {
      const { oneOf: _o, anyOf: _a, discriminator: _d, ...rest } = s;
      return fc.oneof(...union.map((branch: Schema) => this.arbitrary(this.merge(rest, this.resolve(branch)), depth)));
    }
    let arbitrary: fc.Arbitrary<unknown>;
    const types = this.typesOf(s);
    if (!types) arbitrary = depth >= MAX_DEPTH ? fc.constant(null) : anyJson();
    else arbitrary = fc.oneof(...types.map((type) => this.ofType(s, type, depth)));
    if (s.not && typeof s.not === 'object' && 'const' in s.not) arbitrary = arbitrary.filter((value) => JSON.stringify(value) !== JSON.stringify(s.not.const));
    return arbitrary;
  }

  private ofType(s: Record<string, any>, type: string, depth: number): fc.Arbitrary<unknown> {
    switch (type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer': {
        const bounds = s.format === 'int32' ? INT32 : { min: -1e9, max: 1e9 };
        const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? Math.floor(s.exclusiveMinimum) + 1 : bounds.min);
        const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? Math.ceil(s.exclusiveMaximum) - 1 : bounds.max);
        return fc.integer({ min, max });
      }
      case 'number': {
        const min = s.minimum ?? s.exclusiveMinimum ?? -1e9;
        const max = s.maximum ?? s.exclusiveMaximum ?? 1e9;
        return fc
          .oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }))
          .filter((value) => (s.exclusiveMinimum === undefined || value > s.exclusiveMinimum) && (s.exclusiveMaximum === undefined || value < s.exclusiveMaximum))
          .map((value) => (Object.is(value, -0) ? 0 : value));
      }
      case 'string':
        return this.string(s);
      case 'array': {
        if (depth >= MAX_DEPTH) return fc.constant([]);
        const items = s.items === undefined ? anyJson() : this.arbitrary(s.items, depth + 1);
        return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 3, Math.max(s.minItems ?? 0, 3)) });
      }
      case 'object': {
        const properties = (s.properties ?? {}) as Record<string, Schema>;
        const required: string[] = s.required ?? [];
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, sub] of Object.entries(properties)) {
          if (depth >= MAX_DEPTH && !required.includes(name)) continue;
          model[name] = this.arbitrary(sub, depth + 1);
        }
        for (const name of required) model[name] ??= anyJson();
        const record = fc.record(model, { requiredKeys: required });
        if (Object.keys(properties).length > 0 || s.additionalProperties === undefined || s.additionalProperties === true || s.additionalProperties === false) {
          if (Object.keys(properties).length === 0 && s.additionalProperties !== false && depth < MAX_DEPTH) {
            return fc.dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,7}$/), anyJson(), { maxKeys: 3 });
          }
          return record;
        }
        // A map: additionalProperties is a schema.
        const values = this.arbitrary(s.additionalProperties, depth + 1);
        return fc
          .tuple(record, fc.dictionary(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,7}$/), values, { maxKeys: 3 }))
          .map(([known, extra]) => ({ ...extra, ...known }));
      }
      default:
        return fc.constant(null);
    }
  }

  private string(s: Record<string, any>): fc.Arbitrary<string> {
    const minLength: number = s.minLength ?? 0;
    const maxLength: number = s.maxLength ?? Number.POSITIVE_INFINITY;
    let base: fc.Arbitrary<string>;
    if (s.format === 'date-time') base = dateTime();
    else if (s.format === 'uri') base = uri(s.pattern && /^\^http:/.test(s.pattern) ? 'http' : 'https');
    else if (s.format === 'uuid') base = fc.uuid();
    else if (s.pattern) base = fc.stringMatching(new RegExp(s.pattern)).map((value) => value.slice(0, Math.min(maxLength, 64)));
    else
      base = fc.oneof(
        { weight: 3, arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, 24) }) },
        { weight: 1, arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, 12), unit: 'grapheme' }) },
      );
    const pattern = s.pattern ? new RegExp(s.pattern, 'u') : undefined;
    return base.filter((value) => [...value].length >= minLength && [...value].length <= maxLength && (!pattern || pattern.test(value)));
  }

  /**
   * Every single schema-breaking mutation of `value` (valid against `schema`): remove a required field, give a
   * field the wrong type, break its enum/const, pattern, format or bounds. Each names the field it breaks.
   */
  mutations(schema: Schema, value: unknown, path: PathToken[] = []): Mutation[] {
    const s = this.effective(schema, value);
    if (!s) return [];
    const found: Mutation[] = [];
    const set = (kind: string, replacement: unknown) => found.push({ kind, op: 'set', path, value: replacement });
    const types = this.typesOf(s);
    if (types && path.length > 0) {
      const wrong = wrongTypeValue(types);
      if (wrong !== undefined) set('type', wrong);
    }
    if ('const' in s && typeof s.const === 'string') set('const', `${s.const}_not`);
    if (Array.isArray(s.enum) && typeof value === 'string') set('enum', `${value}__NOT_IN_ENUM`);
    if (typeof value === 'string') {
      if (s.pattern) {
        const pattern = new RegExp(s.pattern, 'u');
        const breaking = ['', ' ', '!!', '中', 'not a match', '\u0000'].find((candidate) => !pattern.test(candidate));
        if (breaking !== undefined) set('pattern', breaking);
      }
      if (s.format === 'date-time') set('format', 'yesterday at noon');
      if (s.format === 'uri') set('format', 'not a uri');
      if (s.format === 'uuid') set('format', 'not-a-uuid');
      if (typeof s.minLength === 'number' && s.minLength > 0) set('minLength', '');
      if (typeof s.maxLength === 'number') set('maxLength', 'x'.repeat(s.maxLength + 1));
    }
    if (typeof value === 'number') {
      if (typeof s.minimum === 'number') set('minimum', s.minimum - 1);
      if (typeof s.maximum === 'number') set('maximum', s.maximum + 1);
      if (typeof s.exclusiveMaximum === 'number') set('exclusiveMaximum', s.exclusiveMaximum);
      if (types?.includes('integer') && !types.includes('number')) set('type', 1.5);
    }
    if (Array.isArray(value)) {
      if (typeof s.maxItems === 'number' && value.length > 0) set('maxItems', Array.from({ length: s.maxItems + 1 }, () => value[0]));
      const items = s.items;
      if (items !== undefined) value.slice(0, 2).forEach((item, index) => found.push(...this.mutations(items, item, [...path, index])));
    } else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const name of (s.required ?? []) as string[]) if (name in record) found.push({ kind: 'required', op: 'remove', path: [...path, name] });
      for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
        if (name in record) found.push(...this.mutations(sub, record[name], [...path, name]));
      }
    }
    return found;
  }

  /** The schema that governs `value`: $refs followed, allOf merged, and of a union the branch the value takes. */
  private effective(schema: Schema, value: unknown): Record<string, any> | undefined {
    const s = this.resolve(schema);
    const union = s.oneOf ?? s.anyOf;
    if (!Array.isArray(union)) return s;
    const { oneOf: _o, anyOf: _a, discriminator: _d, ...rest } = s;
    const branches = union.map((branch: Schema) => this.merge(rest, this.resolve(branch)));
    // The branch the value takes: a matching const discriminator first, else the first whose type fits.
    const byConst = branches.find((branch) =>
      Object.entries((branch.properties ?? {}) as Record<string, any>).some(
        ([name, sub]) => value && typeof value === 'object' && 'const' in this.resolve(sub) && (value as Record<string, unknown>)[name] === this.resolve(sub).const,
      ),
    );
    if (byConst) return byConst;
    const matching = branches.filter((branch) => this.typesOf(branch)?.includes(jsonType(value)) || (jsonType(value) === 'integer' && this.typesOf(branch)?.includes('number')));
    // Only an unambiguous branch: with several candidates (`anyOf: [number, string, ...]`) a "wrong type" may fit another.
    return matching.length === 1 && this.typesOf(matching[0]!)?.[0] === 'object' ? matching[0] : undefined;
  }
}

export interface Mutation {
  /** The schema keyword broken: required, type, enum, const, pattern, format, minLength, maxLength, minimum, ... */
  kind: string;
  op: 'set' | 'remove';
  path: PathToken[];
  value?: unknown;
}

export function applyMutation<T>(root: T, mutation: Mutation): T {
  if (mutation.path.length === 0) return mutation.value as T;
  const copy = structuredClone(root) as any;
  let node = copy;
  for (const token of mutation.path.slice(0, -1)) node = node[token];
  const last = mutation.path.at(-1)!;
  if (mutation.op === 'remove') delete node[last];
  else node[last] = mutation.value;
  return copy;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A path as the receivers name fields: `data[0].assetId`, `errors["a b"]`; `(body)` for the root. */
export function fieldName(path: PathToken[]): string {
  const name = path.reduce<string>((text, token) => {
    const key = String(token);
    if (typeof token === 'number' || /^\d+$/.test(key)) return `${text}[${key}]`;
    if (IDENTIFIER.test(key)) return text ? `${text}.${key}` : key;
    return `${text}[${JSON.stringify(key)}]`;
  }, '');
  return name || '(body)';
}

export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A value of a JSON type none of `types` admits. */
function wrongTypeValue(types: string[]): unknown {
  const allows = (type: string) => types.includes(type) || (type === 'integer' && types.includes('number'));
  const candidates: [string, unknown][] = [
    ['string', 'wrong-type'],
    ['integer', 12345],
    ['boolean', true],
    ['object', { unexpected: 1 }],
    ['array', ['wrong-type']],
    ['null', null],
  ];
  return candidates.find(([type]) => !allows(type) && !(type === 'null' && types.includes('null')))?.[1];
}
