// Which operation of the bundle a request names, or why none does: no such path (404), or a path without that
// method (405, with the methods it has for `Allow`). Prism routes too; this answer is needed before Prism runs.
import { resolveLocalRef } from '../shared/openapi-json.ts';
import type { OperationObject } from './errors.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface Route {
  method: string;
  /** The spec's path template, e.g. `/subscriptions/{subscriptionID}`. */
  path: string;
  operationId?: string;
  operation: OperationObject & Record<string, any>;
  /** Path parameters of a matched request (filled per match). */
  params: Record<string, string>;
}

export type Match = { kind: 'ok'; route: Route } | { kind: 'no-path' } | { kind: 'no-method'; allowed: string[] };

interface Template {
  path: string;
  pattern: RegExp;
  names: string[];
  /** Count of literal segments, so `/events/latest` wins over `/events/{id}`. */
  literals: number;
  methods: Map<string, Route>;
}

function templateOf(path: string): Omit<Template, 'methods'> {
  const names: string[] = [];
  let literals = 0;
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.includes('{')) {
        literals++;
        return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      }
      return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'));
    })
    .join('/');
  return { path, pattern: new RegExp(`^${source}/?$`), names, literals };
}

const schemeChallenge: Record<string, string> = { bearer: 'Bearer', basic: 'Basic' };

export function createRouter(spec: Record<string, any>) {
  const templates: Template[] = [];
  for (const [path, rawItem] of Object.entries<any>(spec.paths ?? {})) {
    const item = resolveLocalRef(spec, rawItem).value ?? {};
    const template: Template = { ...templateOf(path), methods: new Map() };
    for (const method of METHODS) {
      if (item[method]) template.methods.set(method.toUpperCase(), { method: method.toUpperCase(), path, operationId: item[method].operationId, operation: item[method], params: {} });
    }
    templates.push(template);
  }
  templates.sort((a, b) => b.literals - a.literals);
  const title = String(spec.info?.title ?? 'sandbox').replace(/["\\]/g, '');

  return {
    match(method: string, path: string): Match {
      const candidates = templates.filter((template) => template.pattern.test(path));
      if (candidates.length === 0) return { kind: 'no-path' };
      for (const template of candidates) {
        const route = template.methods.get(method);
        if (!route) continue;
        const values = template.pattern.exec(path)!.slice(1);
        const params: Record<string, string> = {};
        template.names.forEach((name, index) => (params[name] = decodeURIComponent(values[index]!)));
        return { kind: 'ok', route: { ...route, params } };
      }
      const allowed = [...new Set(candidates.flatMap((template) => [...template.methods.keys()]))];
      return { kind: 'no-method', allowed: [...allowed, 'OPTIONS'] };
    },

    /** True when the operation (or the API) requires credentials: some requirement, and none of them empty. */
    requiresCredentials(route: Route): boolean {
      const requirements: Record<string, unknown>[] = route.operation.security ?? spec.security ?? [];
      return requirements.length > 0 && requirements.every((requirement) => Object.keys(requirement).length > 0);
    },

    /** `WWW-Authenticate` for a 401: the HTTP scheme the operation (or the API) requires. */
    challengeOf(route?: Route): string {
      const requirements: Record<string, unknown>[] = route?.operation.security ?? spec.security ?? [];
      const schemes = requirements.flatMap((requirement) => Object.keys(requirement));
      const challenges = schemes
        .map((name) => schemeChallenge[String(spec.components?.securitySchemes?.[name]?.scheme).toLowerCase()])
        .filter((challenge): challenge is string => Boolean(challenge));
      return [...new Set(challenges.length ? challenges : ['Bearer'])].map((challenge) => `${challenge} realm="${title}"`).join(', ');
    },
  };
}
