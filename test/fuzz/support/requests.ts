// Requests derived from a bundle, as fast-check arbitraries of recipes: valid ones (parameters and bodies from
// the schemas, the spec's examples as seeds) and broken ones (wrong types, missing fields, odd bytes and
// encodings, huge strings, bodies over 1 MiB, wrong methods and media types, bad credentials, unknown paths).
import fc from 'fast-check';
import { resolveLocalRef } from '../../../mocks/shared/openapi-json.ts';
import { METHODS, type ApiContract, type Operation } from './contract.ts';
import { utf8AsLatin1, type BodySpec, type Recipe } from './http.ts';
import { applyMutation, SchemaTools } from './schema.ts';

const MiB = 1024 * 1024;

interface Base {
  operation: Operation;
  pathParams: Record<string, string>;
  query: [string, string][];
  headers: Record<string, string>;
  body?: unknown;
  bodyMediaType?: string;
}

/** One form parameter value as text (arrays are exploded by the caller). */
const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

const token = fc.stringMatching(/^[A-Za-z0-9._~+/-]{1,40}=*$/);
const basicCredentials = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), fc.string({ maxLength: 12, unit: 'grapheme' }))
  .map(([user, password]) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`);

function credentials(schemes: string[]): fc.Arbitrary<string | undefined> {
  if (schemes.length === 0) return fc.constant(undefined);
  return fc.oneof(...schemes.map((scheme) => (scheme === 'basic' ? basicCredentials : token.map((value) => `Bearer ${value}`))));
}

function pathOf(contract: ApiContract, template: string, params: Record<string, string>, base = contract.basePaths[0] ?? ''): string {
  return base + template.replace(/\{([^}]+)\}/g, (_, name: string) => params[name] ?? 'x');
}

export function recipeOf(contract: ApiContract, base: Base, kind: string, changes: Partial<Recipe> & { path?: string; query?: [string, string][] } = {}): Recipe {
  const path = changes.path ?? pathOf(contract, base.operation.template, base.pathParams);
  const query = changes.query ?? base.query;
  const search = query.length ? `?${query.map(([name, value]) => `${name}=${value}`).join('&')}` : '';
  const body: BodySpec | undefined = 'body' in changes ? changes.body : base.body === undefined ? undefined : { kind: 'json', value: base.body };
  return {
    kind,
    target: `${base.operation.method} ${base.operation.template}`,
    method: changes.method ?? base.operation.method,
    url: changes.url ?? path + search,
    headers: changes.headers ?? base.headers,
    ...(body ? { body } : {}),
    ...(changes.note ? { note: changes.note } : {}),
  };
}

export function requestsFor(contract: ApiContract): fc.Arbitrary<Recipe> {
  const tools = new SchemaTools(contract.spec);
  const { spec } = contract;

  const baseOf = (operation: Operation): fc.Arbitrary<Base> => {
    const pathParams = operation.parameters.filter((parameter) => parameter.in === 'path');
    const queryParams = operation.parameters.filter((parameter) => parameter.in === 'query');
    const pathArb = fc.record(
      Object.fromEntries(
        pathParams.map((parameter) => {
          const generated = tools.arbitrary(parameter.schema ?? {}).map(text).filter((value) => value !== '');
          const seeded = parameter.example !== undefined ? fc.oneof(fc.constant(text(parameter.example)), generated) : generated;
          return [parameter.name, seeded.map(encodeURIComponent)];
        }),
      ),
    ) as fc.Arbitrary<Record<string, string>>;
    const queryArb = fc
      .tuple(
        ...queryParams.map((parameter) =>
          (parameter.required ? tools.arbitrary(parameter.schema ?? {}).map((value) => [value]) : fc.option(tools.arbitrary(parameter.schema ?? {}), { nil: undefined }).map((value) => (value === undefined ? [] : [value]))).map(
            (values) => values.flatMap((value) => (Array.isArray(value) ? value : [value])).map((value) => [parameter.name, encodeURIComponent(text(value))] as [string, string]),
          ),
        ),
      )
      .map((lists) => lists.flat());
    const headerArb = fc
      .tuple(credentials(operation.schemes), fc.constantFrom(undefined, 'application/json', '*/*', 'application/json, application/problem+json'))
      .map(([authorization, accept]) => ({ ...(authorization ? { authorization } : {}), ...(accept ? { accept } : {}) }));
    const requestBody = operation.operation.requestBody ? resolveLocalRef(spec, operation.operation.requestBody).value : undefined;
    const [bodyMediaType, media] = Object.entries((requestBody?.content ?? {}) as Record<string, any>)[0] ?? [];
    const examples = media ? Object.values((media.examples ?? {}) as Record<string, unknown>).map((example) => resolveLocalRef(spec, example).value.value) : [];
    const generatedBody = media ? tools.arbitrary(media.schema ?? {}) : fc.constant(undefined);
    const bodyArb = examples.length ? fc.oneof(fc.constantFrom(...examples), generatedBody) : generatedBody;
    return fc.record({ pathParams: pathArb, query: queryArb, headers: headerArb, body: bodyArb }).map(({ pathParams, query, headers, body }) => ({
      operation,
      pathParams,
      query,
      headers: bodyMediaType ? { ...headers, 'content-type': bodyMediaType } : headers,
      ...(body !== undefined ? { body } : {}),
      ...(bodyMediaType ? { bodyMediaType } : {}),
    }));
  };

  const bases = fc.oneof(...contract.operations.map(baseOf));
  const withoutHeader = (headers: Record<string, string>, name: string) => Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== name));

  const broken: Record<string, (base: Base) => fc.Arbitrary<Recipe>> = {
    valid: (base) => fc.constant(recipeOf(contract, base, 'valid')),

    // Prism's Prefer: a documented non-5xx status, a generated body, or nonsense.
    prefer: (base) => {
      const codes = Object.keys(base.operation.operation.responses ?? {}).filter((code) => /^[1-4]\d\d$/.test(code));
      return fc
        .constantFrom(...codes.map((code) => `code=${code}`), 'dynamic=true', 'example=no-such-example', 'code=999', 'code=abc', 'dynamic=maybe')
        .map((prefer) => recipeOf(contract, base, 'prefer', { headers: { ...base.headers, prefer } }));
    },

    // A path or query parameter of the wrong type or out of range.
    'param-type': (base) => {
      const params = base.operation.parameters.filter((parameter) => parameter.in === 'path' || parameter.in === 'query');
      if (params.length === 0) return fc.constant(recipeOf(contract, base, 'param-type', { query: [...base.query, ['unknownParam', 'x']], note: 'no parameters: an undeclared one' }));
      return fc.tuple(fc.constantFrom(...params), fc.constantFrom('abc', '-5', '0', '1.5', '1e999', '', 'true', '%E4%B8%AD', '99999999999999999999', '[]')).map(([parameter, value]) => {
        if (parameter.in === 'path') return recipeOf(contract, base, 'param-type', { path: pathOf(contract, base.operation.template, { ...base.pathParams, [parameter.name]: value || 'x' }), note: parameter.name });
        return recipeOf(contract, base, 'param-type', { query: [...base.query.filter(([name]) => name !== parameter.name), [parameter.name, value]], note: parameter.name });
      });
    },

    // One schema-breaking mutation of a valid body (a missing required field, a wrong type, an enum violation...).
    'body-mutation': (base) => {
      const media = base.operation.operation.requestBody && resolveLocalRef(spec, base.operation.operation.requestBody).value.content?.[base.bodyMediaType ?? ''];
      const mutations = media && base.body !== undefined ? tools.mutations(media.schema ?? {}, base.body) : [];
      if (mutations.length === 0) return fc.constant(recipeOf(contract, base, 'body-mutation', { body: { kind: 'json', value: [] }, note: 'an array for the body' }));
      return fc.constantFrom(...mutations).map((mutation) =>
        recipeOf(contract, base, 'body-mutation', { body: { kind: 'json', value: applyMutation(base.body, mutation) }, note: `${mutation.kind} ${mutation.op} ${mutation.path.join('.')}` }),
      );
    },

    // Bodies that are not JSON, not UTF-8, or hold characters outside Latin-1.
    'body-bytes': (base) =>
      fc
        .oneof(
          fc.constantFrom<BodySpec>(
            { kind: 'bytes', hex: 'fffefd' },
            { kind: 'text', text: '中' },
            { kind: 'text', text: '{"a":"中' },
            { kind: 'text', text: '{"a":' },
            { kind: 'text', text: '' },
            { kind: 'text', text: 'null' },
            { kind: 'text', text: '[]' },
            { kind: 'text', text: '"中文"' },
            { kind: 'bytes', hex: 'c0af' },
            { kind: 'bytes', hex: 'efbbbf7b7d' },
            { kind: 'text', text: '{"oem":"\u0000\ud800"}' },
          ),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes): BodySpec => ({ kind: 'bytes', hex: Buffer.from(bytes).toString('hex') })),
          fc.string({ minLength: 1, maxLength: 32, unit: 'grapheme' }).map((value): BodySpec => ({ kind: 'text', text: value })),
        )
        .map((body) => recipeOf(contract, base, 'body-bytes', { headers: { ...base.headers, 'content-type': base.bodyMediaType ?? 'application/json' }, body })),

    // A very long string: in a body field (up to ~900 KiB) or a query parameter (8 KiB, under Node's header limit).
    'huge-string': (base) =>
      fc.tuple(fc.integer({ min: 16 * 1024, max: 900 * 1024 }), fc.constantFrom('x', '中', '\\', '%')).map(([length, unit]) => {
        const field = base.body && typeof base.body === 'object' && !Array.isArray(base.body) ? (Object.keys(base.body)[0] ?? 'field') : 'field';
        if (base.bodyMediaType) {
          const count = unit === '中' ? Math.floor(length / 3) : length;
          return recipeOf(contract, base, 'huge-string', { body: { kind: 'huge', base: base.body, field, unit, length: count }, note: `${field}: ${count} × ${unit}` });
        }
        const name = base.operation.parameters.find((parameter) => parameter.in === 'query')?.name ?? 'q';
        return recipeOf(contract, base, 'huge-string', { query: [[name, encodeURIComponent(unit).repeat(Math.floor(8192 / encodeURIComponent(unit).length))]], note: `query ${name}: 8 KiB` });
      }),

    // A body over 1 MiB (the sandbox's limit answers 413; a documented answer is fine too).
    oversize: (base) =>
      fc.integer({ min: MiB + 1, max: MiB + 256 * 1024 }).map((bytes) =>
        recipeOf(contract, base, 'oversize', { method: base.bodyMediaType ? base.operation.method : 'POST', headers: { ...base.headers, 'content-type': 'application/json' }, body: { kind: 'oversize', bytes } }),
      ),

    // Malformed percent-encoding or raw non-ASCII bytes in the path.
    'bad-path-encoding': (base) =>
      fc.tuple(fc.constantFrom('%', '%E0%A4%A', '%zz', '%C0%80', '%FF', '%00', utf8AsLatin1('中'), '%%', '%u4e2d'), fc.boolean()).map(([bad, asParameter]) => {
        const pathParam = base.operation.parameters.find((parameter) => parameter.in === 'path');
        const path =
          asParameter && pathParam
            ? pathOf(contract, base.operation.template, { ...base.pathParams, [pathParam.name]: bad })
            : `${pathOf(contract, base.operation.template, base.pathParams)}/${bad}`;
        return recipeOf(contract, base, 'bad-path-encoding', { path, note: JSON.stringify(bad) });
      }),

    // Malformed percent-encoding or raw bytes in the query, in names and values.
    'bad-query-encoding': (base) =>
      fc.constantFrom('%', '%E0%A4%A', '%zz', '%FF', utf8AsLatin1('中'), '%C0%80').chain((bad) =>
        fc.constantFrom<[string, string][]>([[bad, '1']], [...base.query, ['x', bad]], base.query.length ? [[base.query[0]![0], bad]] : [['a', bad]], [[`${bad}${bad}`, bad]]).map((query) =>
          recipeOf(contract, base, 'bad-query-encoding', { query, note: JSON.stringify(bad) }),
        ),
      ),

    // A method the path does not declare.
    'wrong-method': (base) => {
      const declared = contract.pathMethods.get(base.operation.template)!;
      const others = [...METHODS.filter((method) => method !== 'head').map((method) => method.toUpperCase()), 'PROPFIND'].filter((method) => !declared.includes(method));
      if (others.length === 0) return fc.constant(recipeOf(contract, base, 'valid'));
      return fc.constantFrom(...others).map((method) => recipeOf(contract, base, 'wrong-method', { method, body: base.body === undefined ? undefined : { kind: 'json', value: base.body } }));
    },

    // Wrong, absent or odd request media types, and Accept asking for what is not documented.
    'media-type': (base) =>
      fc
        .constantFrom<[string, string | undefined]>(
          ['content-type', 'text/plain'],
          ['content-type', 'application/xml'],
          ['content-type', undefined],
          ['content-type', 'application/json; charset=utf-16'],
          ['content-type', 'multipart/form-data; boundary=x'],
          ['content-type', 'application/x-www-form-urlencoded'],
          ['content-type', 'application/jsonx'],
          ['content-type', utf8AsLatin1('application/json; 中')],
          ['accept', 'application/xml'],
          ['accept', 'text/html'],
          ['accept', 'image/png, text/csv'],
        )
        .map(([name, value]) => {
          const headers = withoutHeader(base.headers, name);
          if (value !== undefined) headers[name] = value;
          const body: BodySpec | undefined = name === 'content-type' ? { kind: 'json', value: base.body ?? {} } : base.body === undefined ? undefined : { kind: 'json', value: base.body };
          return recipeOf(contract, base, 'media-type', { headers, body, note: `${name}: ${value ?? '(none)'}` });
        }),

    // Missing or malformed credentials, the other scheme, non-Latin-1 tokens.
    credentials: (base) =>
      fc
        .constantFrom(
          undefined,
          '',
          'Bearer',
          'Bearer ',
          'Basic',
          'Basic !!!not-base64',
          `Basic ${Buffer.from('no-colon').toString('base64')}`,
          'Token abc',
          'bearer lower-case',
          `Basic ${Buffer.from('user:pass').toString('base64')}`,
          'Bearer some-token',
          utf8AsLatin1('Bearer 中文'),
          utf8AsLatin1('Basic 中文'),
          'Digest username="x"',
          'Bearer a b c',
        )
        .map((authorization) => {
          const headers = withoutHeader(base.headers, 'authorization');
          if (authorization !== undefined) headers.authorization = authorization;
          return recipeOf(contract, base, 'credentials', { headers, note: `authorization: ${authorization === undefined ? '(none)' : JSON.stringify(authorization)}` });
        }),

    // Headers holding characters outside Latin-1 (as UTF-8 bytes), control-free but odd.
    'odd-headers': (base) =>
      fc
        .constantFrom<[string, string]>(['x-note', utf8AsLatin1('中文')], ['prefer', utf8AsLatin1('code=中')], ['user-agent', utf8AsLatin1('фаззер/1.0')], ['x-bytes', '\xff\xfe'], ['origin', utf8AsLatin1('https://例え.jp')], ['prefer', 'example=' + 'x'.repeat(4000)])
        .map(([name, value]) => recipeOf(contract, base, 'odd-headers', { headers: { ...base.headers, [name]: value }, note: name })),

    // Paths no operation has: under the base path, outside it, dot segments, doubled slashes.
    'unknown-path': (base) =>
      fc
        .oneof(
          fc.constantFrom('/', '/nope', '/..', '//', '/%2e%2e/%2e%2e/etc/passwd', `${contract.basePaths[0] ?? ''}/`, `${contract.basePaths[0] ?? ''}/nope/${'a'.repeat(300)}`),
          fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), { minLength: 1, maxLength: 4 }).map((segments) => `${contract.basePaths[0] ?? ''}/${segments.join('/')}`),
          fc.constant(`${pathOf(contract, base.operation.template, base.pathParams)}/extra`),
        )
        .map((path) => recipeOf(contract, base, 'unknown-path', { path, query: [], note: path })),
  };

  const kinds = Object.keys(broken);
  // Valid requests about a quarter of the time; bodies over 1 MiB rarely (they cost the most).
  const weighted = fc.oneof(
    { weight: 8, arbitrary: fc.constant('valid') },
    { weight: 1, arbitrary: fc.constant('oversize') },
    ...kinds.filter((kind) => kind !== 'valid' && kind !== 'oversize').map((kind) => ({ weight: 2, arbitrary: fc.constant(kind) })),
  );
  return fc.tuple(bases, weighted).chain(([base, kind]) => broken[kind]!(base));
}
