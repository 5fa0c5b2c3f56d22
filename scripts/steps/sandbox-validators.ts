// Writes generated/<api>/sandbox-validators.js: the sandbox's fast path checks requests and its own
// answers with these instead of running Prism. Request validators are built from the same schemas Prism builds
// at run time (its operation model, its parameter object schema, its allOf merge and readOnly strip for bodies)
// and compiled with the Ajv options Prism uses (all errors, coercion for parameters, its date-time format), so
// both name the same fields in the same words; test/sandbox/oracle.test.ts holds them to that. Response
// validators are the bundle's response schemas, first error only. One self-contained ESM module per API.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import type { IHttpOperation, IHttpParam } from '@stoplight/types';
import { bundleValidatorModule, loadAjv, type AjvLibraries } from '../lib/ajv.ts';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import { escapePointerToken, OPENAPI_ANNOTATIONS, resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { StepError, type Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import type { OperationModel, ParameterModel } from '../../mocks/shared/validator-model.ts';

type Json = Record<string, any>;

export const sandboxValidatorsJsPath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'sandbox-validators.js');

const prismRequire = createRequire(createRequire(import.meta.url).resolve('@stoplight/prism-http'));
/** Prism's own ajv-formats (it pins its own copy) and its date-time format. */
const prismFormatsFile = prismRequire.resolve('ajv-formats/dist/formats');
const prismDateTimeFile = prismRequire.resolve('./validator/validators/dateTime');
const bundleFormatsFile = createRequire(import.meta.url).resolve('ajv-formats/dist/formats');

// Ajv and Prism's helpers are loaded when a step runs (loadLibraries), not when the build starts: a no-op build
// never needs them.
let AjvDraft7: AjvLibraries['AjvDraft7'];
let _: AjvLibraries['_'];
let addFormats: AjvLibraries['addFormats'];
let Ajv2020: AjvLibraries['Ajv2020'];
let standaloneCode: AjvLibraries['standaloneCode'];
let mergeAllOf: (schema: Json, options: Json) => Json;
let stripReadOnlyProperties: (schema: Json) => { _tag: string; value?: Json };
let prismAddFormats: (ajv: unknown) => void;
let prismDateTime: { fmtDef: (...args: unknown[]) => any; date_time: unknown; compareDateTime: unknown };

async function loadLibraries() {
  if (Ajv2020) return;
  ({ AjvDraft7, _, addFormats, Ajv2020, standaloneCode } = await loadAjv());
  mergeAllOf = prismRequire('@stoplight/json-schema-merge-allof');
  ({ stripReadOnlyProperties } = prismRequire('./utils/filterRequiredProperties'));
  prismAddFormats = prismRequire('ajv-formats').default;
  prismDateTime = prismRequire('./validator/validators/dateTime');
}

/** The options of Prism's Ajv instances (prism-http validator/validators/utils.js). */
const PRISM_AJV = { allErrors: true, allowUnionTypes: true, allowMatchingProperties: true, strict: false, validateSchema: false } as const;
const PRISM_JSON_SCHEMA_2020 = /^https?:\/\/json-schema.org\/draft\/2020-12\/schema#?$/;

/** Prism's object schema of one location's parameters (params.js createJsonSchemaFromParams). */
function parametersSchema(params: IHttpParam[]): Json {
  const properties: Json = {};
  for (const param of params) if (param.schema) properties[param.name.toLowerCase()] = param.schema;
  return { type: 'object', properties, required: params.filter((param) => param.required).map((param) => param.name.toLowerCase()) };
}

const parameterModel = (param: IHttpParam, defaultStyle: string): ParameterModel => {
  const schema = param.schema as Json | undefined;
  return {
    name: param.name,
    style: (param.style as string | undefined) ?? defaultStyle,
    explode: Boolean(param.explode),
    ...(schema?.type !== undefined ? { type: schema.type } : {}),
    ...(schema?.type === 'object' ? { properties: Object.keys(schema.properties ?? {}) } : {}),
  };
};

/** Prism's body schema for input: allOf merged, readOnly properties stripped (body.js normalizeSchemaProcessorMap). */
function inputBodySchema(schema: Json): Json {
  let merged = schema;
  try {
    merged = mergeAllOf(schema, { deep: true, ignoreAdditionalProperties: true });
  } catch {
    merged = schema;
  }
  const stripped = stripReadOnlyProperties(merged);
  return stripped._tag === 'Some' ? stripped.value! : merged;
}

/** Compiles each named schema with Ajv to standalone ESM; a schema Ajv cannot compile maps to null (Prism skips it too). */
function standalone(ajv: InstanceType<typeof Ajv2020> | InstanceType<typeof AjvDraft7.default>, schemas: Map<string, Json>): { code: string; compiled: Set<string> } {
  const compiled = new Set<string>();
  for (const [name, schema] of schemas) {
    try {
      ajv.compile(schema);
      ajv.addSchema(schema, name);
      compiled.add(name);
    } catch {
      // Prism wraps compilation in O.tryCatch: a schema it cannot compile validates nothing.
    }
  }
  if (compiled.size === 0) return { code: 'export {};\n', compiled };
  return { code: standaloneCode.default(ajv as never, Object.fromEntries([...compiled].map((name) => [name, name]))), compiled };
}

export function sandboxValidatorsStep(api: ApiEntry, root: string, outRoot: string): Step {
  const input = bundlePath(outRoot, api.id);
  const js = sandboxValidatorsJsPath(outRoot, api.id);
  return {
    name: `sandbox validators ${api.id}`,
    inputs: [input, `${root}/package-lock.json`, `${root}/scripts/steps/sandbox-validators.ts`, `${root}/scripts/lib/ajv.ts`, `${root}/mocks/shared/openapi-json.ts`],
    outputs: [js],
    async run() {
      await loadLibraries();
      const spec = JSON.parse(readFileSync(input, 'utf8')) as Json;
      // Imported when the step runs: Prism's index loads faker and more (about 2 s), which a no-op build skips.
      const { getHttpOperationsFromSpec } = await import('@stoplight/prism-http');
      const operations = (await getHttpOperationsFromSpec(spec)) as IHttpOperation[];
      const paramSchemas = new Map<string, Json>();
      const bodySchemas = new Map<string, Json>();
      const responseSchemas = new Map<string, Json>();
      const models: OperationModel[] = [];
      operations.forEach((operation, index) => {
        const bundle = (operation as Json)['__bundled__'];
        const request = operation.request ?? {};
        const withBundle = (schema: Json) => ({ ...schema, __bundled__: bundle });
        const model: OperationModel = {
          method: operation.method.toUpperCase(),
          path: operation.path,
          ...(operation.iid ? { operationId: operation.iid } : {}),
          security: (operation.security ?? []).map((alternative) =>
            alternative.map((scheme: Json) => Object.fromEntries(['type', 'scheme', 'in', 'name'].filter((key) => scheme[key] !== undefined).map((key) => [key, scheme[key]]))),
          ),
          query: (request.query ?? []).map((param) => parameterModel(param, 'form')),
          header: (request.headers ?? []).map((param) => parameterModel(param, 'simple')),
          pathParams: (request.path ?? []).map((param) => parameterModel(param, 'simple')),
          validators: { query: null, header: null, path: null, bodies: {} },
          responses: {},
          responseValidators: {},
        };
        for (const [location, params] of [['query', request.query], ['header', request.headers], ['path', request.path]] as const) {
          if (params?.length) paramSchemas.set(`${location}${index}`, withBundle(parametersSchema(params)));
        }
        if (request.body) {
          const contents = request.body.contents ?? [];
          model.body = { required: Boolean(request.body.required), mediaTypes: contents.map((content) => content.mediaType) };
          contents.forEach((content, contentIndex) => {
            if (!content.schema) return;
            const schema = inputBodySchema(content.schema as Json);
            // Prism picks the Ajv draft by the normalized schema's own $schema (draft-07 when it has none).
            const draft = PRISM_JSON_SCHEMA_2020.test(String(schema.$schema)) ? '2020' : '7';
            bodySchemas.set(`body${draft}_${index}_${contentIndex}`, withBundle(schema));
          });
        }
        // Response validators: the bundle's own schemas (as mocks/sandbox/validate.ts checked them at run time).
        const rawItem = resolveLocalRef(spec, spec.paths?.[operation.path]).value ?? {};
        const rawResponses: Json = rawItem[operation.method]?.responses ?? {};
        for (const [code, rawResponse] of Object.entries<any>(rawResponses)) {
          const resolved = resolveLocalRef(spec, rawResponse);
          const base = resolved.pointer ?? `#/paths/${escapePointerToken(operation.path)}/${operation.method}/responses/${code}`;
          const content: Json = resolved.value?.content ?? {};
          model.responses[code] = Object.keys(content);
          // Only success answers: those are the ones the sandbox builds from state and checks.
          for (const mediaType of /^2/.test(code) ? Object.keys(content) : []) {
            if (!/json/i.test(mediaType) || !content[mediaType]?.schema) continue;
            const name = `response${index}_${responseSchemas.size}`;
            responseSchemas.set(name, { $ref: `bundle${base}/content/${escapePointerToken(mediaType)}/schema` });
            model.responseValidators[`${code} ${mediaType}`] = name;
          }
        }
        models.push(model);
      });

      const prismOptions = (coerceTypes: boolean) => ({ ...PRISM_AJV, coerceTypes, code: { source: true, esm: true, formats: _`prismFormats` } });
      const paramsAjv = new AjvDraft7.default(prismOptions(true));
      const bodiesAjv = new Ajv2020(prismOptions(false));
      const bodies7Ajv = new AjvDraft7.default(prismOptions(false));
      for (const ajv of [paramsAjv, bodiesAjv, bodies7Ajv]) {
        prismAddFormats(ajv);
        ajv.addFormat('date-time', prismDateTime.fmtDef(prismDateTime.date_time, prismDateTime.compareDateTime));
      }
      const responsesAjv = new Ajv2020({ strict: false, validateSchema: false, allErrors: false, code: { source: true, esm: true, formats: _`bundleFormats` } });
      addFormats.default(responsesAjv);
      for (const keyword of OPENAPI_ANNOTATIONS) responsesAjv.addKeyword(keyword);
      responsesAjv.addSchema(spec, 'bundle');

      let params: ReturnType<typeof standalone>;
      let bodies: ReturnType<typeof standalone>;
      let bodies7: ReturnType<typeof standalone>;
      let responses: ReturnType<typeof standalone>;
      try {
        params = standalone(paramsAjv, paramSchemas);
        bodies = standalone(bodiesAjv, new Map([...bodySchemas].filter(([name]) => name.startsWith('body2020_'))));
        bodies7 = standalone(bodies7Ajv, new Map([...bodySchemas].filter(([name]) => name.startsWith('body7_'))));
        responses = standalone(responsesAjv, responseSchemas);
      } catch (error) {
        throw new StepError(input, `ajv could not compile the sandbox validators: ${error instanceof Error ? error.message : error}`);
      }
      operations.forEach((operation, index) => {
        const model = models[index]!;
        for (const location of ['query', 'header', 'path'] as const) if (params.compiled.has(`${location}${index}`)) model.validators[location] = `${location}${index}`;
        (operation.request?.body?.contents ?? []).forEach((content, contentIndex) => {
          const name = [`body2020_${index}_${contentIndex}`, `body7_${index}_${contentIndex}`].find((candidate) => bodies.compiled.has(candidate) || bodies7.compiled.has(candidate));
          model.validators.bodies[content.mediaType] = name ?? null;
        });
        for (const [key, name] of Object.entries(model.responseValidators)) if (!responses.compiled.has(name)) delete model.responseValidators[key];
      });

      const modules: Record<string, string> = {
        'prism-formats': `import * as formats from ${JSON.stringify(prismFormatsFile)};\nimport * as dateTime from ${JSON.stringify(prismDateTimeFile)};\nexport const prismFormats = { ...formats.fullFormats, 'date-time': dateTime.fmtDef(dateTime.date_time, dateTime.compareDateTime) };\n`,
        'bundle-formats': `import * as formats from ${JSON.stringify(bundleFormatsFile)};\nexport const bundleFormats = formats.fullFormats;\n`,
        params: `import { prismFormats } from 'virtual:prism-formats';\n${params.code}`,
        bodies: `import { prismFormats } from 'virtual:prism-formats';\n${bodies.code}`,
        bodies7: `import { prismFormats } from 'virtual:prism-formats';\n${bodies7.code}`,
        responses: `import { bundleFormats } from 'virtual:bundle-formats';\n${responses.code}`,
      };
      const compiledBy = { params, bodies, bodies7, responses };
      const entry = [
        `import * as params from 'virtual:params';`,
        `import * as bodies from 'virtual:bodies';`,
        `import * as bodies7 from 'virtual:bodies7';`,
        `import * as responses from 'virtual:responses';`,
        `export const validators = { ${Object.entries(compiledBy).flatMap(([module, { compiled }]) => [...compiled].map((name) => `${name}: ${module}.${name}`)).join(', ')} };`,
        `export const operations = ${JSON.stringify(models)};`,
      ].join('\n');
      const virtual: Plugin = {
        name: 'sandbox-validators',
        setup(build) {
          build.onResolve({ filter: /^virtual:/ }, (args) => ({ path: args.path.slice('virtual:'.length), namespace: 'virtual' }));
          build.onLoad({ filter: /.*/, namespace: 'virtual' }, (args) => ({ contents: modules[args.path]!, loader: 'js', resolveDir: dirname(prismFormatsFile) }));
        },
      };
      const bundled = await bundleValidatorModule(entry, root, 'sandbox-validators.js', virtual);
      const header = `// Generated by scripts/steps/sandbox-validators.ts from ${api.root} (Ajv standalone code with Prism's options, bundled with esbuild). Do not edit.\n`;
      writeFileSync(js, header + bundled);
    },
  };
}
