// Checks what the state layer answers against the spec's response schema for that operation and status, so a
// declaration that builds a wrong body is caught where it happens (logged and put in a header, not hidden).
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { OPENAPI_ANNOTATIONS, resolveLocalRef } from '../../scripts/lib/openapi-json.ts';
import type { Route } from './router.ts';

const escapePointer = (token: string) => token.replace(/~/g, '~0').replace(/\//g, '~1');

export function createResponseValidator(spec: Record<string, any>) {
  const ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  addFormats.default(ajv);
  for (const keyword of OPENAPI_ANNOTATIONS) if (!ajv.getKeyword(keyword)) ajv.addKeyword(keyword);
  ajv.addSchema({ ...spec, $id: 'bundle' }, 'bundle');
  const compiled = new Map<string, ValidateFunction | null>();

  function validatorFor(route: Route, status: number): ValidateFunction | null {
    const key = `${route.method} ${route.path} ${status}`;
    if (!compiled.has(key)) {
      const responses = route.operation.responses ?? {};
      const code = String(status) in responses ? String(status) : `${String(status)[0]}XX` in responses ? `${String(status)[0]}XX` : undefined;
      const resolved = code ? resolveLocalRef(spec, responses[code]) : undefined;
      const response = resolved?.value;
      const base = resolved?.pointer ?? `#/paths/${escapePointer(route.path)}/${route.method.toLowerCase()}/responses/${code}`;
      const mediaType = Object.keys(response?.content ?? {}).find((type) => /json/i.test(type));
      const pointer = response?.content?.[mediaType ?? '']?.schema
        ? `bundle${base}/content/${escapePointer(mediaType!)}/schema`
        : undefined;
      compiled.set(key, pointer ? ajv.compile({ $ref: pointer }) : null);
    }
    return compiled.get(key)!;
  }

  /** The schema errors of an answer, as `field: reason` lines; empty when it validates or nothing is documented. */
  return function responseErrors(route: Route, status: number, body: unknown): string[] {
    const validate = validatorFor(route, status);
    if (!validate || validate(body)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'}: ${error.message}`);
  };
}
