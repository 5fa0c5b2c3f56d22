// The validate stage of the fast path: security, body presence and media type, body schema, header, query and
// path parameters, checked with the validators compiled at build time (generated/<id>/sandbox-validators.js).
// It reproduces what Prism's validateSecurity + validateInput report for the same request (same order, same
// paths, same words), as Prism-shaped violations, so one piece of code turns either into the vendor's answer.
// test/sandbox/oracle.test.ts compares the two on a seeded corpus.
import type { CompiledValidator, OperationModel, ParameterModel, SandboxValidators } from './compiled.ts';

/** A validation problem as Prism reports it (severity 0 is an error). */
export interface Violation {
  path?: string[];
  code?: string | number;
  message: string;
  severity: number;
  /** `WWW-Authenticate` hints of a security violation. */
  tags?: string[];
}

export interface CheckedRequest {
  /** Header names lower-case, as Node gives them. */
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[]>;
  /** The request path below the base path, still percent-encoded. */
  pathParams: Record<string, string>;
  /** The parsed body (JSON value, or the text when it is not JSON), undefined without one. */
  body: unknown;
}

const SECURITY_MESSAGE = 'Invalid security scheme used';

function securityViolation(model: OperationModel, headers: CheckedRequest['headers']): Violation | undefined {
  if (model.security.length === 0) return undefined;
  const authorization = headers.authorization;
  const value = typeof authorization === 'string' ? authorization : undefined;
  const failures: Violation[] = [];
  for (const alternative of model.security) {
    const failed: Violation[] = [];
    for (const scheme of alternative) {
      const problem = schemeProblem(scheme, value, headers);
      if (problem !== undefined) failed.push({ severity: 0, message: SECURITY_MESSAGE, code: 401, tags: problem ? [problem] : [] });
    }
    if (alternative.length === 0 && value !== undefined) failed.push({ severity: 0, message: SECURITY_MESSAGE, code: 401, tags: ['None'] });
    if (failed.length === 0) return undefined;
    failures.push(...failed);
  }
  // Prism keeps the first failure and gathers every alternative's challenge on it.
  return { ...failures[0]!, tags: failures.flatMap((failure) => failure.tags ?? []) };
}

/** undefined when the scheme is satisfied; else the challenge Prism tags the failure with ('' for none). */
function schemeProblem(scheme: Record<string, string>, authorization: string | undefined, headers: CheckedRequest['headers']): string | undefined {
  const kind = scheme.type === 'http' ? String(scheme.scheme).toLowerCase() : scheme.type;
  if (kind === 'bearer' || kind === 'oauth2' || kind === 'openIdConnect') {
    return authorization !== undefined && /^Bearer\s.+$/.test(authorization) ? undefined : kind === 'bearer' ? 'Bearer' : kind === 'oauth2' ? 'OAuth2' : 'OpenID';
  }
  if (kind === 'basic') {
    if (!authorization) return 'Basic realm="*"';
    const [authScheme, token] = authorization.split(' ');
    if (authScheme!.toLowerCase() !== 'basic') return 'Basic realm="*"';
    return token && Buffer.from(token, 'base64').toString().split(':').length === 2 ? undefined : '';
  }
  if (kind === 'apiKey' && scheme.in === 'header') return headers[String(scheme.name).toLowerCase()] ? undefined : '';
  // Schemes the sandbox's specs do not use are not checked here; the slow path (Prism) is the reference for them.
  return undefined;
}

/** `type/subtype` of a Content-Type, lower-case; undefined when it does not parse. */
export function mediaTypeOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const essence = header.split(';')[0]!.trim().toLowerCase();
  return /^[!#$%&'*+.^_`|~\w-]+\/[!#$%&'*+.^_`|~\w-]+$/.test(essence) ? essence : undefined;
}

/** Prism's wildcardMediaTypeMatch: type and the subtype after any `+suffix` (so problem+json matches json). */
function mediaTypeMatches(actual: string, declared: string): boolean {
  const parse = (value: string) => /^(.+)\/(?:(.+)\+)?(.+)$/.exec(value.split(';')[0]!.trim().toLowerCase());
  const a = parse(actual);
  const b = parse(declared);
  if (!a || !b) return false;
  return (a[1] === b[1] || b[1] === '*') && (a[3] === b[3] || b[3] === '*');
}

/** Ajv errors as Prism's convertAjvErrors words them. */
function violationsOf(validate: CompiledValidator, prefix: 'body' | 'query' | 'header' | 'path'): Violation[] {
  return (validate.errors ?? []).map((error) => {
    const allowed = 'allowedValues' in error.params ? `: ${error.params.allowedValues.join(', ')}` : '';
    const additional = 'additionalProperty' in error.params ? `; found '${error.params.additionalProperty}'` : '';
    const unevaluated = 'unevaluatedProperty' in error.params ? `: '${error.params.unevaluatedProperty}'` : '';
    const errorPath = error.instancePath.split('/').filter((segment) => segment !== '');
    const kind = errorPath.length > 0 ? (prefix === 'body' ? 'property ' : 'parameter ') : '';
    const source = `Request ${prefix} ${kind}${errorPath.join('.').trim()}${errorPath.length > 0 ? ' ' : ''}`;
    return { path: [prefix, ...errorPath], code: error.keyword || '', message: `${source}${error.message || ''}${allowed}${additional}${unevaluated}`, severity: 0 };
  });
}

function bodyViolations(model: OperationModel, validators: SandboxValidators['validators'], request: CheckedRequest): Violation[] {
  const { body } = request;
  if (model.body?.required && !body) return [{ code: 'required', message: 'Body parameter is required', severity: 0 }];
  const contentTypeHeader = request.headers['content-type'];
  const header = typeof contentTypeHeader === 'string' ? contentTypeHeader : undefined;
  const mediaType = header === undefined ? undefined : mediaTypeOf(header);
  const length = Number.parseInt(String(request.headers['content-length'] ?? ''), 10) || 0;
  if (length !== 0) {
    const declared = model.body?.mediaTypes ?? [];
    const supported = model.body !== undefined && (mediaType === undefined || declared.length === 0 || declared.some((type) => mediaTypeMatches(mediaType, type)));
    if (!supported) {
      const message = model.body && declared.length > 0 ? `Supported content types: ${declared.join(',')}` : 'No supported content types, but request included a non-empty body';
      return [{ message, code: 415, severity: 0 }];
    }
  }
  if (!model.body || body === undefined || body === null) return [];
  const declared = model.body.mediaTypes;
  const chosen = (mediaType && declared.find((type) => mediaTypeMatches(mediaType, type))) ?? declared[0];
  const name = chosen === undefined ? null : model.validators.bodies[chosen];
  const validate = name ? validators[name] : undefined;
  if (!validate || validate(body)) return [];
  return violationsOf(validate, 'body');
}

/** An unexploded object (`key,value,key,value`) as Prism reads it: a key without its value is kept, undefined. */
function objectOfPairs(list: string[]): Record<string, string | undefined> {
  const object: Record<string, string | undefined> = {};
  list.forEach((item, index) => (index % 2 === 0 ? (object[item] = undefined) : (object[list[index - 1]!] = item)));
  return object;
}

/** Prism's deserializers (form for query, simple for header and path), for the styles our specs use. */
function deserialize(param: ParameterModel, values: Record<string, string | string[] | undefined>, location: 'query' | 'header' | 'path'): unknown {
  const raw = values[param.name.toLowerCase()];
  if (location === 'query') {
    if (!(param.type === 'object' && param.explode) && !raw) return undefined;
    if (param.type === 'array') return param.explode ? (Array.isArray(raw) ? raw : [raw]) : String(Array.isArray(raw) ? raw[raw.length - 1] : raw).split(',');
    if (param.type === 'object') {
      if (param.explode) return Object.fromEntries(Object.entries(values).filter(([key]) => (param.properties ?? []).includes(key)));
      return objectOfPairs(String(Array.isArray(raw) ? raw[raw.length - 1] : raw).split(','));
    }
    return raw;
  }
  // simple (path, header)
  if (param.type === 'array') return raw === '' ? [] : String(raw).split(',');
  if (param.type === 'object') {
    if (param.explode) return Object.fromEntries(String(raw).split(',').map((pair) => pair.split('=') as [string, string]));
    return objectOfPairs(String(raw).split(','));
  }
  return raw;
}

function parameterViolations(params: ParameterModel[], name: string | null, validators: SandboxValidators['validators'], target: Record<string, unknown>, prefix: 'query' | 'header' | 'path'): Violation[] {
  if (params.length === 0 || !name) return [];
  const validate = validators[name];
  if (!validate) return [];
  const lowered: Record<string, string | string[] | undefined> = {};
  for (const [key, value] of Object.entries(target)) lowered[key.toLowerCase()] = value as string | string[] | undefined;
  const values: Record<string, unknown> = {};
  for (const param of params) {
    const value = deserialize(param, lowered, prefix);
    // lodash pickBy: falsy values are left out (an empty `?limit=` counts as absent).
    if (value) values[param.name.toLowerCase()] = value;
  }
  if (validate(values)) return [];
  return violationsOf(validate, prefix);
}

/** Everything Prism would report for this request, in Prism's order: security, then body, headers, query, path. */
export function checkRequest(model: OperationModel, validators: SandboxValidators['validators'], request: CheckedRequest): Violation[] {
  const violations: Violation[] = [];
  const security = securityViolation(model, request.headers);
  if (security) violations.push(security);
  violations.push(...bodyViolations(model, validators, request));
  violations.push(...parameterViolations(model.header, model.validators.header, validators, request.headers, 'header'));
  violations.push(...parameterViolations(model.query, model.validators.query, validators, request.query, 'query'));
  violations.push(...parameterViolations(model.pathParams, model.validators.path, validators, request.pathParams, 'path'));
  return violations;
}

/** The statuses Prism looks for, in order, when it rejects a request (mocker getExpectedCodesForViolations). */
export function expectedStatuses(violations: Violation[]): number[] {
  if (violations.some((violation) => violation.code === 401)) return [401];
  if (violations.some((violation) => violation.code === 415)) return [415, 422, 400];
  return [422, 400];
}

/** Prism's own detail when the operation documents none of those statuses (it then makes up a problem). */
export function undocumentedRejection(violations: Violation[]): { status: number; detail: string } {
  const security = violations.find((violation) => violation.code === 401);
  if (security) return { status: 401, detail: 'Your request does not fullfil the security requirements and no HTTP unauthorized response was found in the spec, so Prism is generating this error for you.' };
  const media = violations.find((violation) => violation.code === 415);
  if (media) return { status: 415, detail: media.message };
  return { status: 422, detail: 'Your request is not valid and no HTTP validation response was found in the spec, so Prism is generating this error for you.' };
}

/** The documented response Prism picks for those statuses: exact code, then `4XX`, then `default`. */
export function documentedStatus(model: OperationModel, statuses: number[]): number | undefined {
  const codes = Object.keys(model.responses);
  for (const status of statuses) {
    if (codes.some((code) => code.toLowerCase() === String(status))) return status;
    if (codes.includes(`${String(status)[0]}XX`)) return status;
  }
  return codes.includes('default') ? statuses[0] : undefined;
}

const successCodes = new WeakMap<OperationModel, string | undefined>();

/**
 * The media type of the success answer when the request's Accept takes the first JSON type documented (or says
 * nothing); undefined when only Prism's negotiation can say.
 */
export function negotiatedSuccessType(model: OperationModel, accept: string | undefined): string | undefined {
  const success = (successCodes.get(model) ?? successCodes.set(model, Object.keys(model.responses).filter((code) => /^2(\d\d|XX)$/.test(code)).sort()[0]).get(model));
  if (success === undefined) return undefined;
  const types = model.responses[success]!;
  if (types.length === 0) return 'application/json';
  const first = types[0]!;
  if (accept === undefined || accept.trim() === '') return first;
  const ranges = accept.split(',').map((range) => range.split(';')[0]!.trim().toLowerCase());
  return ranges.every((range) => range === '*/*' || range === first.toLowerCase()) ? first : undefined;
}
