// Writes generated/<api>/code-samples.ts: per operation a curl and a TypeScript sample for the reference page.
// The TypeScript sample is emitted twice from one string: as a function (so tsc checks it against schema.d.ts and
// a spec change that breaks it fails `npm test`) and as the text the docs step puts into x-codeSamples.
// Everything comes from the bundled spec (servers, auth scheme, parameter and body examples); no API is named.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import { firstExampleOf, resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import type { Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { authKindOf } from './client.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = Record<string, any>;

export interface OperationSample {
  operationId: string;
  /** The function in code-samples.ts that holds the same code as `typescript`. */
  functionName: string;
  method: string;
  path: string;
  curl: string;
  typescript: string;
}

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// Headers OpenAPI says to ignore as parameters: the client and curl set them from auth and body.
const IGNORED_HEADERS = new Set(['authorization', 'content-type', 'accept']);

export const codeSamplesPath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'code-samples.ts');

function resolve(spec: Obj, value: any): any {
  return resolveLocalRef(spec, value).value;
}

/** An explicit example on a schema (not a default or a made-up value). */
function schemaExample(spec: Obj, schema: any): Json | undefined {
  const resolved = resolve(spec, schema);
  if (!resolved || typeof resolved !== 'object') return undefined;
  if (resolved.example !== undefined) return resolved.example;
  if (Array.isArray(resolved.examples) && resolved.examples.length > 0) return resolved.examples[0];
  return undefined;
}

/** A value valid for the schema when the spec gives no example: required properties only. */
function valueFromSchema(spec: Obj, schema: any, depth = 0): Json {
  const s = resolve(spec, schema) ?? {};
  const example = schemaExample(spec, s);
  if (example !== undefined) return example;
  if (s.const !== undefined) return s.const;
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (depth > 8) return null;
  if (Array.isArray(s.allOf)) {
    const parts = s.allOf.map((part: any) => valueFromSchema(spec, part, depth + 1));
    return parts.every((part: Json) => part && typeof part === 'object' && !Array.isArray(part))
      ? Object.assign({}, ...parts)
      : (parts[0] ?? null);
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    if (Array.isArray(s[key]) && s[key].length > 0) return valueFromSchema(spec, s[key][0], depth + 1);
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== 'null') : s.type;
  switch (type ?? (s.properties ? 'object' : s.items ? 'array' : undefined)) {
    case 'object':
      return Object.fromEntries(
        ((s.required ?? []) as string[]).map((name) => [name, valueFromSchema(spec, s.properties?.[name], depth + 1)]),
      );
    case 'array':
      return (s.minItems ?? 0) > 0 ? [valueFromSchema(spec, s.items, depth + 1)] : [];
    case 'integer':
    case 'number':
      return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 0);
    case 'boolean':
      return true;
    case 'string': {
      const byFormat: Record<string, string> = {
        'date-time': '2024-01-01T00:00:00Z',
        date: '2024-01-01',
        uuid: '00000000-0000-0000-0000-000000000000',
        email: 'user@example.com',
        uri: 'https://example.com',
      };
      return byFormat[s.format] ?? 'string';
    }
    default:
      return null;
  }
}

interface ParamValue {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  value: Json;
  style?: string;
  explode?: boolean;
}

/** Path parameters and required ones always; optional ones only when the spec gives an example for them. */
function parameterValues(spec: Obj, pathItem: Obj, operation: Obj): ParamValue[] {
  const merged = new Map<string, Obj>();
  for (const raw of [...(pathItem.parameters ?? []), ...(operation.parameters ?? [])]) {
    const param = resolve(spec, raw);
    if (param?.name && param.in) merged.set(`${param.in}:${param.name}`, param);
  }
  const values: ParamValue[] = [];
  for (const param of merged.values()) {
    if (param.in === 'header' && IGNORED_HEADERS.has(String(param.name).toLowerCase())) continue;
    const mediaExample = param.content
      ? Object.values(param.content as Obj).map((media: any) => firstExampleOf(spec, media))[0]
      : undefined;
    const explicit = firstExampleOf(spec, param) ?? mediaExample ?? schemaExample(spec, param.schema);
    if (explicit === undefined && !param.required && param.in !== 'path') continue;
    values.push({
      name: param.name,
      in: param.in,
      value: explicit ?? valueFromSchema(spec, param.schema),
      style: param.style,
      explode: param.explode,
    });
  }
  return values;
}

interface BodyValue {
  mediaType: string;
  value: Json;
}

function requestBodyValue(spec: Obj, operation: Obj): BodyValue | undefined {
  const body = resolve(spec, operation.requestBody);
  const content = (body?.content ?? {}) as Obj;
  const types = Object.keys(content);
  if (types.length === 0) return undefined;
  const mediaType = types.find((type) => /[/+]json\b/.test(type)) ?? types[0]!;
  const media = content[mediaType] ?? {};
  const explicit = firstExampleOf(spec, media) ?? schemaExample(spec, media.schema);
  if (explicit === undefined && !body.required) return undefined;
  return { mediaType, value: explicit ?? valueFromSchema(spec, media.schema) };
}

// --- TypeScript and shell text -------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function tsString(text: string): string {
  return `'${JSON.stringify(text).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`;
}

/** A TypeScript literal: on one line when it fits in 100 columns (after `used` columns), else indented. */
function tsLiteral(value: Json, indent = '', used = indent.length): string {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? tsString(value) : JSON.stringify(value);
  const inner = indent + '  ';
  const entries = Array.isArray(value)
    ? value.map((item) => tsLiteral(item, inner))
    : Object.entries(value).map(([key, item]) => {
        const name = IDENTIFIER.test(key) ? key : tsString(key);
        return `${name}: ${tsLiteral(item, inner, inner.length + name.length + 3)}`;
      });
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const oneLine = Array.isArray(value) ? `[${entries.join(', ')}]` : `{ ${entries.join(', ')} }`;
  if (used + oneLine.length <= 100 && !oneLine.includes('\n')) return oneLine;
  return `${open}\n${entries.map((entry) => `${inner}${entry},`).join('\n')}\n${indent}${close}`;
}

export const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function scalarText(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Query pairs as openapi-fetch and OpenAPI's default (form, explode) serialise them. */
function queryPairs(param: ParamValue): [string, string][] {
  const { name, value } = param;
  const explode = param.explode ?? (param.style ?? 'form') === 'form';
  if (Array.isArray(value)) {
    return explode ? value.map((item) => [name, scalarText(item)]) : [[name, value.map(scalarText).join(',')]];
  }
  if (value && typeof value === 'object') {
    if (param.style === 'deepObject') return Object.entries(value).map(([key, item]) => [`${name}[${key}]`, scalarText(item)]);
    return explode
      ? Object.entries(value).map(([key, item]) => [key, scalarText(item)])
      : [[name, Object.entries(value).flatMap(([key, item]) => [key, scalarText(item)]).join(',')]];
  }
  return [[name, scalarText(value)]];
}

function serverUrl(spec: Obj): string {
  const server = spec.servers?.[0] ?? { url: '' };
  return String(server.url).replace(/\{([^}]+)\}/g, (_: string, name: string) => server.variables?.[name]?.default ?? name);
}

/** The path with its parameter values filled in, and the query: what follows the server URL. */
function target(path: string, params: ParamValue[]): string {
  const pathText = path.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const param = params.find((candidate) => candidate.in === 'path' && candidate.name === name);
    return param ? encodeURIComponent(scalarText(param.value)) : whole;
  });
  const query = new URLSearchParams(params.filter((param) => param.in === 'query').flatMap(queryPairs)).toString();
  return `${pathText}${query ? `?${query}` : ''}`;
}

/** The request target the page's samples of an operation use (its parameter examples), below the server URL. */
export function exampleRequestTarget(spec: Obj, path: string, method: string): string {
  const pathItem = resolve(spec, spec.paths?.[path]) ?? {};
  return target(path, parameterValues(spec, pathItem, pathItem[method] ?? {}));
}

function curlSample(spec: Obj, method: string, path: string, operation: Obj, authKind: 'bearer' | 'basic', params: ParamValue[], body: BodyValue | undefined): string {
  const url = `${serverUrl(spec).replace(/\/+$/, '')}${target(path, params)}`;
  const lines = [`curl ${method === 'get' ? '' : `-X ${method.toUpperCase()} `}${shellQuote(url)}`];
  // An operation with `security: []` is public; otherwise the API's one scheme (client.ts checks it is one).
  const secured = !Array.isArray(operation.security) || operation.security.length > 0;
  if (secured) lines.push(authKind === 'basic' ? `-u '<username>:<password>'` : `-H 'Authorization: Bearer <token>'`);
  for (const param of params.filter((candidate) => candidate.in === 'header')) {
    lines.push(`-H ${shellQuote(`${param.name}: ${scalarText(param.value)}`)}`);
  }
  const cookies = params.filter((param) => param.in === 'cookie').map((param) => `${param.name}=${scalarText(param.value)}`);
  if (cookies.length > 0) lines.push(`-b ${shellQuote(cookies.join('; '))}`);
  if (body) {
    lines.push(`-H ${shellQuote(`Content-Type: ${body.mediaType}`)}`);
    const text = typeof body.value === 'string' && !/json/.test(body.mediaType) ? body.value : JSON.stringify(body.value, null, 2);
    lines.push(`--data-raw ${shellQuote(text)}`);
  }
  return lines.join(' \\\n  ');
}

/** The call itself: shared by the type-checked function and the sample text. */
function callBlock(operationId: string, method: string, path: string, params: ParamValue[], body: BodyValue | undefined): string {
  const options: Obj = {};
  const grouped: Obj = {};
  for (const param of params) (grouped[param.in] ??= {})[param.name] = param.value;
  if (Object.keys(grouped).length > 0) options.params = grouped;
  if (body) options.body = body.value;
  const head = `const { data, error } = await client.${method.toUpperCase()}(${tsString(path)}`;
  // +4: ", " before the options and ");" after them, so the whole line stays within 100 columns.
  const args = Object.keys(options).length > 0 ? `, ${tsLiteral(options, '', head.length + 4)}` : '';
  return [
    `${head}${args});`,
    `if (error) throw new Error(\`${operationId} failed: \${JSON.stringify(error)}\`);`,
    'console.log(data);',
  ].join('\n');
}

function functionName(operationId: string, taken: Set<string>): string {
  let name = operationId.replace(/[^\w$]+(.)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase());
  if (!IDENTIFIER.test(name)) name = `op${name}`;
  // Names the module itself declares.
  if (['Client', 'sampleClient', 'codeSamples', 'createClient'].includes(name)) name = `${name}Sample`;
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}${n}`;
  taken.add(unique);
  return unique;
}

export interface ApiSamples {
  clientLine: string;
  operations: (OperationSample & { call: string })[];
}

export function apiSamples(spec: Obj, apiId: string, packageName: string, file: string): ApiSamples {
  const authKind = authKindOf(spec, file);
  const auth = authKind === 'basic' ? `{ username: '<username>', password: '<password>' }` : `{ token: '<token>' }`;
  const clientLine = `const client = createClient({ auth: ${auth} });`;
  const taken = new Set<string>();
  const operations: ApiSamples['operations'] = [];
  for (const [path, rawItem] of Object.entries((spec.paths ?? {}) as Obj)) {
    const pathItem = resolve(spec, rawItem) ?? {};
    for (const method of METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const operationId: string = operation.operationId ?? `${method}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c?: string) => (c ?? '').toUpperCase())}`;
      const params = parameterValues(spec, pathItem, operation);
      const body = requestBodyValue(spec, operation);
      const call = callBlock(operationId, method, path, params, body);
      operations.push({
        operationId,
        functionName: functionName(operationId, taken),
        method,
        path,
        call,
        curl: curlSample(spec, method, path, operation, authKind, params, body),
        typescript: `import { createClient } from '${packageName}/${apiId}';\n\n${clientLine}\n\n${call}\n`,
      });
    }
  }
  return { clientLine, operations };
}

const indent = (text: string, by: string) => text.replace(/^(?=.)/gm, by);

export function codeSamplesModule(samples: ApiSamples, specRoot: string): string {
  const functions = samples.operations.map(
    (op) => `/** ${op.method.toUpperCase()} ${op.path} */\nexport async function ${op.functionName}(client: Client): Promise<void> {\n${indent(op.call, '  ')}\n}\n`,
  );
  const data = samples.operations.map(({ call: _call, ...sample }) => sample);
  return `// Generated by scripts/steps/code-samples.ts from ${specRoot}. Do not edit.
// The reference page's code samples: tsc checks each function against schema.d.ts, and \`codeSamples\` holds
// the same code as text for the page (x-codeSamples), with \`client\` made as in sampleClient().
import { createClient } from './client.js';

export type Client = ReturnType<typeof createClient>;

export function sampleClient(): Client {
${indent(samples.clientLine, '  ')}
  return client;
}

${functions.join('\n')}
export interface CodeSample {
  operationId: string;
  functionName: string;
  method: string;
  path: string;
  curl: string;
  typescript: string;
}

export const codeSamples: CodeSample[] = ${JSON.stringify(data, null, 2)};
`;
}

export function codeSamplesStep(api: ApiEntry, root: string, outRoot: string): Step {
  const input = bundlePath(outRoot, api.id);
  const output = codeSamplesPath(outRoot, api.id);
  return {
    name: `code samples ${api.id}`,
    inputs: [input, `${root}/package.json`, `${root}/scripts/steps/code-samples.ts`],
    outputs: [output],
    async run() {
      const spec = JSON.parse(readFileSync(input, 'utf8')) as Obj;
      const packageName = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name;
      writeFileSync(output, codeSamplesModule(apiSamples(spec, api.id, packageName, api.root), api.root));
    },
  };
}
