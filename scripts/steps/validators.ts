// Writes generated/<api>/webhook-validators.js (+ .d.ts): one validate<Name> function per webhook request body,
// compiled with Ajv2020 + ajv-formats to standalone code and bundled with esbuild into one self-contained ESM
// module, so the package needs neither ajv nor ajv-formats at run time. APIs without webhooks get no file.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import ts from 'typescript';
import { bundleValidatorModule, loadAjv, type AjvLibraries } from '../lib/ajv.ts';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import { OPENAPI_ANNOTATIONS, valueAt } from '../../mocks/shared/openapi-json.ts';
import { StepError, type Step } from '../lib/steps.ts';
import { bundlePath } from './bundle.ts';
import { envelopeBundle, webhooksOf } from './webhooks-model.ts';

type Json = Record<string, unknown>;

// Ajv is loaded when a step runs (loadLibraries), not when the build starts: a no-op build never needs it.
let Ajv2020: AjvLibraries['Ajv2020'];
let standaloneCode: AjvLibraries['standaloneCode'];
let addFormats: AjvLibraries['addFormats'];
let _: AjvLibraries['_'];

async function loadLibraries() {
  if (Ajv2020) return;
  ({ Ajv2020, standaloneCode, addFormats, _ } = await loadAjv());
}

/** Annotations dropped before compiling: Ajv embeds schema objects in its code, and prose only adds bytes. */
const STRIPPED = new Set([...OPENAPI_ANNOTATIONS, 'description', 'examples', 'title', '$comment', 'summary', 'deprecated']);
const SCHEMA_MAPS = ['properties', 'patternProperties', 'dependentSchemas', '$defs', 'definitions'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_ONES = ['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'contentSchema'];

/** Removes annotation keywords from a schema and its subschemas, in place (never a property *named* like one). */
function stripAnnotations(schema: unknown): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  const node = schema as Json;
  for (const key of Object.keys(node)) if (STRIPPED.has(key)) delete node[key];
  for (const key of SCHEMA_MAPS) if (node[key] && typeof node[key] === 'object') Object.values(node[key] as Json).forEach(stripAnnotations);
  for (const key of SCHEMA_LISTS) if (Array.isArray(node[key])) (node[key] as unknown[]).forEach(stripAnnotations);
  for (const key of SCHEMA_ONES) stripAnnotations(node[key]);
}


const FORMATS_MODULE = 'ajv-formats/dist/formats.js';
const FORMATS_SUBSET = 'ajv-formats-subset';

/**
 * ajv-formats' formats.js is one CommonJS object of every format, which no bundler can shake. This rewrites it
 * (syntax tree, not text) as an ES module whose `fullFormats` keeps only the formats the webhooks use, so esbuild
 * drops every other format's regexes and functions. Fails loudly if the module's shape ever changes.
 */
function formatsSubset(root: string, used: Set<string>): string {
  const file = join(root, 'node_modules', FORMATS_MODULE);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const kept: string[] = [];
  let formats: ts.ObjectLiteralExpression | undefined;
  for (const statement of source.statements) {
    const text = statement.getText(source);
    const assigned =
      ts.isExpressionStatement(statement) &&
      ts.isBinaryExpression(statement.expression) &&
      statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
      ts.isPropertyAccessExpression(statement.expression.left) &&
      ts.isIdentifier(statement.expression.left.expression) &&
      statement.expression.left.expression.text === 'exports'
        ? statement.expression
        : undefined;
    if (assigned) {
      const left = assigned.left as ts.PropertyAccessExpression;
      if (left.name.text === 'fullFormats' && ts.isObjectLiteralExpression(assigned.right)) formats = assigned.right;
      continue;
    }
    if (text.startsWith('Object.defineProperty(exports')) continue;
    kept.push(text);
  }
  if (!formats) throw new StepError(file, 'no `exports.fullFormats = { ... }` found; the formats subset needs updating');
  const properties = formats.properties.filter((property) => {
    const name = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : undefined;
    return name !== undefined && used.has(name);
  });
  const missing = [...used].filter((name) => !properties.some((property) => (property.name as ts.Identifier).text === name));
  if (missing.length > 0) throw new StepError(file, `formats not found in fullFormats: ${missing.join(', ')}`);
  return `${kept.join('\n')}\nexport const fullFormats = {\n${properties.map((property) => `  ${property.getText(source)},`).join('\n')}\n};\n`;
}

export const validatorsJsPath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'webhook-validators.js');
export const validatorsDtsPath = (outRoot: string, id: string) => join(generatedDir(outRoot, id), 'webhook-validators.d.ts');

export function validatorsStep(api: ApiEntry, root: string, outRoot: string): Step {
  const input = bundlePath(outRoot, api.id);
  const js = validatorsJsPath(outRoot, api.id);
  const dts = validatorsDtsPath(outRoot, api.id);
  const hasWebhooks = existsSync(input) && webhooksOf(JSON.parse(readFileSync(input, 'utf8')), api.root).length > 0;
  return {
    name: `validators ${api.id}`,
    inputs: [input, `${root}/package-lock.json`, `${root}/scripts/steps/validators.ts`, `${root}/scripts/steps/webhooks-model.ts`, `${root}/scripts/lib/ajv.ts`, `${root}/mocks/shared/openapi-json.ts`],
    outputs: hasWebhooks ? [js, dts] : [],
    async run() {
      const spec = JSON.parse(readFileSync(input, 'utf8')) as Json;
      const models = webhooksOf(spec, api.root);
      if (models.length === 0) {
        rmSync(js, { force: true });
        rmSync(dts, { force: true });
        return;
      }
      await loadLibraries();
      for (const schema of Object.values(((spec.components as Json | undefined)?.schemas ?? {}) as Json)) stripAnnotations(schema);
      for (const model of models) stripAnnotations(valueAt(spec, model.schemaPointer));

      // The generated code reads formats from \`ajvFormats\`, imported from a subset module (formatsSubset).
      const ajv = new Ajv2020({
        strict: false,
        validateSchema: false,
        allErrors: false,
        messages: false,
        code: { source: true, esm: true, lines: true, formats: _`ajvFormats` },
      });
      addFormats.default(ajv);
      for (const keyword of OPENAPI_ANNOTATIONS) ajv.addKeyword(keyword);
      ajv.addSchema(spec, api.id);
      // Envelope validators for the tolerant receivers: the same payload schema with the event type open and the
      // event-specific data (x-event-data) unchecked; compiled only for webhooks that declare an x-event-type.
      const tolerant = models.filter((model) => model.eventType);
      if (tolerant.length > 0) ajv.addSchema(envelopeBundle(spec), `${api.id}-envelope`);
      const exports = Object.fromEntries([
        ...models.map((model) => [`validate${model.name}`, `${api.id}${model.schemaPointer}`]),
        ...tolerant.map((model) => [`envelope${model.name}`, `${api.id}-envelope${model.schemaPointer}`]),
      ]);
      let code: string;
      try {
        code = standaloneCode.default(ajv, exports);
      } catch (error) {
        throw new StepError(input, `ajv could not compile the webhook schemas: ${error instanceof Error ? error.message : error}`);
      }
      const used = new Set([...code.matchAll(/\bajvFormats(?:\.([\w$]+)|\["([^"]+)"\])/g)].map((match) => match[1] ?? match[2]!));
      if (used.size > 0) code = `import { fullFormats as ajvFormats } from '${FORMATS_SUBSET}';\n${code}`;
      const subset: Plugin = {
        name: 'ajv-formats-subset',
        setup(build) {
          build.onResolve({ filter: new RegExp(`^${FORMATS_SUBSET}$`) }, () => ({ path: FORMATS_SUBSET, namespace: 'subset' }));
          build.onLoad({ filter: /.*/, namespace: 'subset' }, () => ({ contents: formatsSubset(root, used), loader: 'js', resolveDir: root }));
        },
      };
      const bundled = await bundleValidatorModule(code, root, 'webhook-validators.js', subset);
      const header = `// Generated by scripts/steps/validators.ts from ${api.root} (Ajv standalone code, bundled with esbuild). Do not edit.\n`;
      writeFileSync(js, header + bundled);
      const declarations = models.map(
        (model) =>
          `/** Validates the request body of the \`${model.key}\` webhook (${model.method.toUpperCase()}). */\nexport declare const validate${model.name}: ValidateFunction;\n` +
          (model.eventType
            ? `/** Validates the envelope of the \`${model.key}\` webhook: any \`${model.eventType.field}\`, event-specific data unchecked. */\nexport declare const envelope${model.name}: ValidateFunction;\n`
            : ''),
      );
      writeFileSync(
        dts,
        `// Generated by scripts/steps/validators.ts from ${api.root}. Do not edit.\nimport type { ValidateFunction } from '../../runtime/webhooks.js';\n\n${declarations.join('\n')}`,
      );
    },
  };
}
