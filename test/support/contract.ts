// Ajv over the bundled specs: draft 2020-12 with formats, one Ajv per API, each schema compiled once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { projectRoot } from '../../scripts/lib/apis.ts';

const validators = new Map<string, ValidateFunction>();
const instances = new Map<string, Ajv2020>();

export interface ValidatorOptions {
  /** Fill in documented `default` values while validating (to check the defaults themselves). */
  useDefaults?: boolean;
}

/** OpenAPI keywords that are annotations, not JSON Schema validation keywords. */
const OPENAPI_ANNOTATIONS = ['discriminator', 'example', 'xml', 'externalDocs'];

export function bundledSpec(api: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(projectRoot, 'generated', api, 'openapi.json'), 'utf8'));
}

function ajvFor(api: string, useDefaults: boolean): Ajv2020 {
  const key = `${api}:${useDefaults}`;
  let ajv = instances.get(key);
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false, useDefaults });
    addFormats.default(ajv);
    for (const keyword of OPENAPI_ANNOTATIONS) ajv.addKeyword(keyword);
    ajv.addSchema(bundledSpec(api), api);
    instances.set(key, ajv);
  }
  return ajv;
}

/** The validator for a JSON pointer into generated/<api>/openapi.json, e.g. `#/components/schemas/Event`. */
export function validatorFor(api: string, pointer: string, options: ValidatorOptions = {}): ValidateFunction {
  const key = `${api}${pointer}`;
  const cacheKey = `${key}:${options.useDefaults ?? false}`;
  let validate = validators.get(cacheKey);
  if (!validate) {
    validate = ajvFor(api, options.useDefaults ?? false).getSchema(key);
    if (!validate) throw new Error(`generated/${api}/openapi.json: no schema at ${pointer}`);
    validators.set(cacheKey, validate);
  }
  return validate;
}
