// The contract every mock answer must keep, read from the bundle and specs/<id>/sandbox.yaml:
// (a) a status the matched operation documents, with a content type it documents for that status and a body
//     valid against the spec's schema for it; or
// (b) one of the sandbox's error statuses in the vendor's envelope (template response of sandbox.yaml `errors`:
//     its media type, a body valid against its schema, the HTTP status at `status`, a non-empty string at
//     `message`), also valid against the operation's own schema for that status where it declares one.
// 405 carries Allow listing the path's methods, 401 WWW-Authenticate naming the scheme; never 5xx.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../../scripts/lib/apis.ts';
import { escapePointerToken, resolveLocalRef, valueAt } from '../../../mocks/shared/openapi-json.ts';
import { bundledSpec, validatorFor } from '../../support/contract.ts';
import type { Answer } from './http.ts';

export const ERROR_STATUSES = [400, 401, 404, 405, 406, 413, 415, 422];
export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface Operation {
  method: string;
  template: string;
  /** JSON pointer of the operation in the bundle. */
  pointer: string;
  operation: Record<string, any>;
  parameters: Record<string, any>[];
  /** `bearer` or `basic` per security requirement alternative; empty when the operation needs none. */
  schemes: string[];
}

export interface ApiContract {
  api: string;
  spec: Record<string, any>;
  basePaths: string[];
  operations: Operation[];
  /** Spec path -> its methods (upper case). */
  pathMethods: Map<string, string[]>;
  envelope: { mediaType: string; schemaPointer: string; status: string; message: string; title?: string; fieldErrors?: string };
  /** The API's own auth schemes (`bearer`, `basic`), for 401s on paths no operation matches. */
  apiSchemes: string[];
}

const mediaTypeOf = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

export function contractOf(api: string): ApiContract {
  const spec = bundledSpec(api) as Record<string, any>;
  const sandbox = parse(readFileSync(join(projectRoot, 'specs', api, 'sandbox.yaml'), 'utf8')) as { errors: Record<string, string> };
  const { template, mediaType: declaredMediaType, status, message, title, fieldErrors } = sandbox.errors;
  const response = spec.components?.responses?.[template!];
  if (!response) throw new Error(`specs/${api}/sandbox.yaml: errors.template ${template} is not under components.responses`);
  const mediaType = declaredMediaType ?? Object.keys(response.content ?? {})[0];
  if (!mediaType || !response.content[mediaType]) throw new Error(`specs/${api}/sandbox.yaml: template ${template} has no ${mediaType ?? 'media type'}`);
  const schemeOf = (name: string) => String(spec.components?.securitySchemes?.[name]?.scheme ?? name).toLowerCase();
  const schemesOf = (security: Record<string, unknown>[] | undefined) => [...new Set((security ?? []).flatMap((requirement) => Object.keys(requirement).map(schemeOf)))];
  const operations: Operation[] = [];
  const pathMethods = new Map<string, string[]>();
  for (const [template, item] of Object.entries((spec.paths ?? {}) as Record<string, Record<string, any>>)) {
    const methods = METHODS.filter((method) => item[method]);
    pathMethods.set(template, methods.map((method) => method.toUpperCase()));
    for (const method of methods) {
      const operation = item[method];
      const byKey = new Map<string, Record<string, any>>();
      for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
        const resolved = resolveLocalRef(spec, parameter).value;
        byKey.set(`${resolved.in}:${resolved.name}`, resolved);
      }
      operations.push({
        method: method.toUpperCase(),
        template,
        pointer: `#/paths/${escapePointerToken(template)}/${method}`,
        operation,
        parameters: [...byKey.values()],
        schemes: schemesOf(operation.security ?? spec.security),
      });
    }
  }
  const basePaths = [
    ...new Set(((spec.servers ?? []) as { url: string }[]).map((server) => new URL(server.url, 'http://placeholder').pathname.replace(/\/+$/, '')).filter(Boolean)),
  ];
  return {
    api,
    spec,
    basePaths,
    operations,
    pathMethods,
    envelope: { mediaType, schemaPointer: `#/components/responses/${escapePointerToken(template!)}/content/${escapePointerToken(mediaType)}/schema`, status: status!, message: message!, title, fieldErrors },
    apiSchemes: schemesOf(spec.security),
  };
}

/** The spec path a request path (as sent) addresses, after the server's base path; literal segments win. */
export function routeOf(contract: ApiContract, rawUrl: string): string | undefined {
  let path = rawUrl.split('?')[0]!;
  for (const base of contract.basePaths) {
    if (path === base || path.startsWith(base + '/')) {
      path = path.slice(base.length) || '/';
      break;
    }
  }
  const segments = path.split('/');
  let best: { template: string; literals: number } | undefined;
  for (const template of contract.pathMethods.keys()) {
    const parts = template.split('/');
    if (parts.length !== segments.length) continue;
    let literals = 0;
    const matches = parts.every((part, index) => {
      if (/^\{[^}]+\}$/.test(part)) return segments[index] !== '';
      literals++;
      return part === segments[index];
    });
    if (matches && (!best || literals > best.literals)) best = { template, literals };
  }
  return best?.template;
}

function validationProblem(api: string, pointer: string, body: unknown): string | undefined {
  const validate = validatorFor(api, pointer);
  if (validate(body)) return undefined;
  return (validate.errors ?? [])
    .slice(0, 3)
    .map((error) => `${error.instancePath || '(body)'} ${error.message}`)
    .join('; ');
}

function parseJson(body: Buffer): { value?: unknown; error?: string } {
  const text = body.toString('utf8');
  try {
    return { value: JSON.parse(text) };
  } catch {
    return { error: `body is not JSON: ${JSON.stringify(text.slice(0, 160))}` };
  }
}

/** The documented response object (a `$ref` followed) and its pointer, for an operation and a status. */
function documentedResponse(contract: ApiContract, operation: Operation, status: number): { response: Record<string, any>; pointer: string } | undefined {
  const responses = operation.operation.responses ?? {};
  const key = [String(status), `${String(status)[0]}XX`, 'default'].find((candidate) => responses[candidate]);
  if (!key) return undefined;
  const { value, pointer } = resolveLocalRef(contract.spec, responses[key]);
  return { response: value, pointer: pointer ?? `${operation.pointer}/responses/${key}` };
}

/** Why the answer is not a documented answer of the operation, or undefined when it is one. */
function notDocumented(contract: ApiContract, operation: Operation | undefined, answer: Answer): string | undefined {
  if (!operation) return 'no operation matches the request';
  const documented = documentedResponse(contract, operation, answer.status);
  if (!documented) return `${operation.method} ${operation.template} documents no ${answer.status}`;
  const content = (documented.response.content ?? {}) as Record<string, unknown>;
  const mediaTypes = Object.keys(content);
  if (mediaTypes.length === 0) return answer.body.length === 0 ? undefined : `${answer.status} documents no body, got ${answer.body.length} bytes`;
  const mediaType = mediaTypeOf(answer.headers['content-type']);
  const declared = mediaTypes.find((candidate) => candidate.toLowerCase() === mediaType);
  if (!declared) return `content type ${JSON.stringify(answer.headers['content-type'] ?? null)} is not documented for ${answer.status} (${mediaTypes.join(', ')})`;
  const parsed = parseJson(answer.body);
  if (parsed.error) return parsed.error;
  const problem = validationProblem(contract.api, `${documented.pointer}/content/${escapePointerToken(declared)}/schema`, parsed.value);
  return problem ? `body does not match the ${answer.status} ${declared} schema: ${problem}` : undefined;
}

/** Why the answer is not the vendor's error envelope for its status, or undefined when it is. */
function notEnvelope(contract: ApiContract, operation: Operation | undefined, answer: Answer): string | undefined {
  const { envelope } = contract;
  if (!ERROR_STATUSES.includes(answer.status)) return `${answer.status} is not one of the sandbox error statuses`;
  const mediaType = mediaTypeOf(answer.headers['content-type']);
  if (mediaType !== envelope.mediaType) return `error content type ${JSON.stringify(answer.headers['content-type'] ?? null)}, not the envelope's ${envelope.mediaType}`;
  const parsed = parseJson(answer.body);
  if (parsed.error) return `error ${parsed.error}`;
  const body = parsed.value;
  const problem = validationProblem(contract.api, envelope.schemaPointer, body);
  if (problem) return `error body does not match the envelope schema: ${problem}`;
  if (valueAt(body, envelope.status) !== answer.status) return `envelope ${envelope.status} is ${JSON.stringify(valueAt(body, envelope.status))}, not ${answer.status}`;
  const message = valueAt(body, envelope.message);
  if (typeof message !== 'string' || message.trim() === '') return `envelope ${envelope.message} is ${JSON.stringify(message)}, not a non-empty string`;
  const documented = operation && documentedResponse(contract, operation, answer.status);
  if (documented?.response.content) {
    const content = documented.response.content as Record<string, unknown>;
    const declared = Object.keys(content).find((candidate) => candidate.toLowerCase() === envelope.mediaType) ?? Object.keys(content)[0]!;
    const own = validationProblem(contract.api, `${documented.pointer}/content/${escapePointerToken(declared)}/schema`, body);
    if (own) return `error body does not match ${operation!.method} ${operation!.template}'s own ${answer.status} schema: ${own}`;
  }
  return undefined;
}

/** Every way the answer breaks the contract (empty when it keeps it). */
export function contractProblems(contract: ApiContract, method: string, url: string, answer: Answer | { dropped: string }): string[] {
  if ('dropped' in answer) return [`connection dropped without an answer (${answer.dropped})`];
  const problems: string[] = [];
  if (answer.status >= 500) problems.push(`server error ${answer.status}`);
  const template = routeOf(contract, url);
  const operation = template ? contract.operations.find((candidate) => candidate.template === template && candidate.method === method.toUpperCase()) : undefined;
  // OPTIONS on a path the spec has (RFC 9110, 9.3.7): 204, no body, Allow listing the path's methods.
  if (method.toUpperCase() === 'OPTIONS' && template && !operation && answer.status === 204) {
    const allowed = String(answer.headers.allow ?? '').split(',').map((name) => name.trim().toUpperCase());
    const missing = contract.pathMethods.get(template)!.filter((name) => !allowed.includes(name));
    if (answer.body.length > 0) problems.push(`OPTIONS 204 with a ${answer.body.length}-byte body`);
    if (missing.length) problems.push(`OPTIONS Allow "${answer.headers.allow ?? ''}" does not list ${missing.join(', ')}`);
    return problems;
  }
  const documented = notDocumented(contract, operation, answer);
  const enveloped = documented === undefined ? undefined : notEnvelope(contract, operation, answer);
  if (documented !== undefined && enveloped !== undefined) {
    problems.push(answer.status < 500 ? `neither documented (${documented}) nor the vendor's error envelope (${enveloped})` : `body: ${answer.body.toString('utf8').slice(0, 200)}`);
  }
  if (answer.status === 405) {
    const allow = String(answer.headers.allow ?? '');
    const allowed = allow.split(',').map((name) => name.trim().toUpperCase()).filter(Boolean);
    const expected = template ? contract.pathMethods.get(template)! : [];
    if (!allow) problems.push(`405 without Allow (path methods: ${expected.join(', ') || 'unknown'})`);
    else if (expected.some((name) => !allowed.includes(name))) problems.push(`405 Allow "${allow}" does not list ${expected.join(', ')}`);
  }
  if (answer.status === 401) {
    const challenge = String(answer.headers['www-authenticate'] ?? '');
    const schemes = operation?.schemes.length ? operation.schemes : contract.apiSchemes;
    const named = schemes.some((scheme) => new RegExp(`^\\s*${scheme}\\b`, 'i').test(challenge) || new RegExp(`,\\s*${scheme}\\b`, 'i').test(challenge));
    if (!challenge) problems.push(`401 without WWW-Authenticate (scheme ${schemes.join(' or ')})`);
    else if (!named) problems.push(`401 WWW-Authenticate "${challenge}" does not name ${schemes.join(' or ')}`);
  }
  return problems;
}
