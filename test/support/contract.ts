// Ajv over the bundled specs: draft 2020-12 with formats, one Ajv per API, each schema compiled once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { projectRoot } from '../../scripts/lib/apis.ts';
import { OPENAPI_ANNOTATIONS } from '../../mocks/shared/openapi-json.ts';

const validators = new Map<string, ValidateFunction>();
const instances = new Map<string, Ajv2020>();

export interface ValidatorOptions {
  /** Fill in documented `default` values while validating (to check the defaults themselves). */
  useDefaults?: boolean;
  /** Treat every object schema that does not say otherwise as closed, so undocumented fields fail. */
  closed?: boolean;
}

const VALUE_KEYWORDS = new Set(['example', 'examples', 'default', 'const', 'enum']);

/** A copy of the bundle where objects with `properties` and no stated openness reject unknown fields. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (!node || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) copy[key] = VALUE_KEYWORDS.has(key) ? value : closeObjects(value);
  const isOpenStated = 'additionalProperties' in copy || 'unevaluatedProperties' in copy;
  if (copy.properties && typeof copy.properties === 'object' && !isOpenStated) copy.unevaluatedProperties = false;
  return copy;
}


export function bundledSpec(api: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(projectRoot, 'generated', api, 'openapi.json'), 'utf8'));
}

function ajvFor(api: string, useDefaults: boolean, closed: boolean): Ajv2020 {
  const key = `${api}:${useDefaults}:${closed}`;
  let ajv = instances.get(key);
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false, useDefaults });
    addFormats.default(ajv);
    for (const keyword of OPENAPI_ANNOTATIONS) ajv.addKeyword(keyword);
    ajv.addSchema((closed ? closeObjects(bundledSpec(api)) : bundledSpec(api)) as Record<string, unknown>, api);
    instances.set(key, ajv);
  }
  return ajv;
}

/** The validator for a JSON pointer into generated/<api>/openapi.json, e.g. `#/components/schemas/Event`. */
export function validatorFor(api: string, pointer: string, options: ValidatorOptions = {}): ValidateFunction {
  const key = `${api}${pointer}`;
  const cacheKey = `${key}:${options.useDefaults ?? false}:${options.closed ?? false}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = ajvFor(api, options.useDefaults ?? false, options.closed ?? false).getSchema(key);
    if (!validate) throw new Error(`generated/${api}/openapi.json: no schema at ${pointer}`);
    validators.set(cacheKey, validate);
  }
  return validate;
}
