// Validation against a bundle for the whole sandbox: one Ajv (2020-12, formats) per bundle, each schema compiled
// once. The state layer's answers are checked against the operation's response schema, so a declaration that
// builds a wrong body is caught where it happens (logged and put in a header, not hidden).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { escapePointerToken, OPENAPI_ANNOTATIONS, resolveLocalRef } from '../shared/openapi-json.ts';
import type { CompiledValidator } from './compiled.ts';
import type { Route } from './router.ts';

const BUNDLE_ID = 'bundle';
const ajvs = new WeakMap<object, Ajv2020>();

/** The validator of the schema at `pointer` (`#/components/schemas/Event`) of a bundle; throws when there is none. */
export function bundleValidator(spec: object, pointer: string): ValidateFunction {
  let ajv = ajvs.get(spec);
  if (!ajv) {
    // allErrors off: the first error is the one worth naming, and it is faster.
    ajv = new Ajv2020({ strict: false, validateSchema: false, allErrors: false });
    addFormats.default(ajv);
    for (const keyword of OPENAPI_ANNOTATIONS) ajv.addKeyword(keyword);
    ajv.addSchema(spec, BUNDLE_ID);
    ajvs.set(spec, ajv);
  }
  const validate = ajv.getSchema(`${BUNDLE_ID}${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return validate;
}

/** The documented response code an answer's status falls under: the exact code, else its `2XX`-style range. */
export function documentedCode(responses: object, status: number): string | undefined {
  const exact = String(status);
  const range = `${exact[0]}XX`;
  return exact in responses ? exact : range in responses ? range : undefined;
}

/** Schema errors as `field: reason` lines (Ajv, compiled now or at build time); empty when valid or no schema. */
export function schemaProblems(validate: CompiledValidator | null | undefined, body: unknown): string[] {
  if (!validate || validate(body)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'}: ${error.message}`);
}

export function createResponseValidator(spec: Record<string, any>) {
  const compiled = new Map<string, ValidateFunction | null>();

  function validatorFor(route: Route, status: number): ValidateFunction | null {
    const key = `${route.method} ${route.path} ${status}`;
    if (!compiled.has(key)) {
      const responses = route.operation.responses ?? {};
      const code = documentedCode(responses, status);
      const resolved = code ? resolveLocalRef(spec, responses[code]) : undefined;
      const response = resolved?.value;
      const base = resolved?.pointer ?? `#/paths/${escapePointerToken(route.path)}/${route.method.toLowerCase()}/responses/${code}`;
      const mediaType = Object.keys(response?.content ?? {}).find((type) => /json/i.test(type));
      const hasSchema = Boolean(response?.content?.[mediaType ?? '']?.schema);
      compiled.set(key, hasSchema ? bundleValidator(spec, `${base}/content/${escapePointerToken(mediaType!)}/schema`) : null);
    }
    return compiled.get(key)!;
  }

  /** The schema errors of an answer, as `field: reason` lines; empty when it validates or nothing is documented. */
  return function responseErrors(route: Route, status: number, body: unknown): string[] {
    return schemaProblems(validatorFor(route, status), body);
  };
}
