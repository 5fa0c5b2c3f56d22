// Writes generated/<api>/client.ts: the spec's servers as constants and a createClient bound to its paths and
// auth kind, with the operations' retry-safety (`x-idempotent`) and paging (`x-pagination`) read from the spec.
// No per-operation code: the runtime does the calls over the generated `paths` type.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDir, type ApiEntry } from '../lib/apis.ts';
import { resolveLocalRef } from '../../mocks/shared/openapi-json.ts';
import { StepError, type Step } from '../lib/steps.ts';
import type { PageRule } from '../../runtime/paginate.ts';
import { bundlePath } from './bundle.ts';

interface BundledSpec {
  servers?: { url: string; description?: string }[];
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
  paths?: Record<string, Record<string, any>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function authKindOf(spec: BundledSpec, file: string): 'bearer' | 'basic' {
  const schemes = spec.components?.securitySchemes ?? {};
  const used = (spec.security ?? []).flatMap((requirement) => Object.keys(requirement));
  const kinds = new Set(used.map((name) => schemes[name]?.scheme?.toLowerCase()));
  if (kinds.size === 1 && (kinds.has('bearer') || kinds.has('basic'))) return [...kinds][0] as 'bearer' | 'basic';
  throw new StepError(file, `top-level security must use exactly one http bearer or http basic scheme, found: ${[...kinds].join(', ') || 'none'}`);
}

interface Operations {
  idempotent: Record<string, boolean>;
  pages: Record<string, PageRule>;
}

/** Reads `x-idempotent` and `x-pagination` from every operation; a malformed declaration names its place. */
export function operationsOf(spec: BundledSpec, file: string): Operations {
  const idempotent: Record<string, boolean> = {};
  const pages: Record<string, PageRule> = {};
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (!operation) continue;
      const where = `paths.${path}.${method}`;
      const declared = operation['x-idempotent'];
      if (declared !== undefined) {
        if (typeof declared !== 'boolean') throw new StepError(file, `${where}.x-idempotent: must be true or false`);
        idempotent[`${method.toUpperCase()} ${path}`] = declared;
      }
      const paging = operation['x-pagination'];
      if (paging === undefined) continue;
      if (pages[path]) throw new StepError(file, `${where}.x-pagination: ${path} already has a paged operation`);
      const parameters = new Map<string, any>();
      for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
        const resolved = resolveLocalRef(spec, parameter).value;
        if (resolved?.in === 'query') parameters.set(resolved.name, resolved);
      }
      const queryParameter = (key: string) => {
        const name = paging[key];
        if (typeof name !== 'string' || !parameters.has(name)) {
          throw new StepError(file, `${where}.x-pagination.${key}: must name one of the operation's query parameters (${[...parameters.keys()].join(', ') || 'none'})`);
        }
        return name;
      };
      const pointer = (key: string, required: boolean) => {
        const value = paging[key];
        if (value === undefined && !required) return undefined;
        if (typeof value !== 'string' || (value !== '' && !value.startsWith('/'))) throw new StepError(file, `${where}.x-pagination.${key}: must be a JSON pointer into the 200 body ('' for the body itself)`);
        return value;
      };
      const items = pointer('items', true)!;
      if (paging.style === 'page') {
        const totalPages = pointer('totalPages', false);
        pages[path] = { method: method.toUpperCase(), style: 'page', page: queryParameter('page'), items, ...(totalPages !== undefined ? { totalPages } : {}) };
      } else if (paging.style === 'offset') {
        const limit = queryParameter('limit');
        const defaultLimit = parameters.get(limit)?.schema?.default;
        pages[path] = { method: method.toUpperCase(), style: 'offset', offset: queryParameter('offset'), limit, items, ...(typeof defaultLimit === 'number' ? { defaultLimit } : {}) };
      } else throw new StepError(file, `${where}.x-pagination.style: must be page (a page number) or offset (an offset and a limit)`);
    }
  }
  return { idempotent, pages };
}

/** The TypeScript type of one item: the 200 body indexed along the items pointer, then an array element. */
function itemType(path: string, rule: PageRule): string {
  let type = `PageBody<paths, ${JSON.stringify(path)}, '${rule.method.toLowerCase()}'>`;
  for (const token of rule.items.split('/').slice(1)) type = `NonNullable<${type}[${JSON.stringify(token.replace(/~1/g, '/').replace(/~0/g, '~'))}]>`;
  return `${type}[number]`;
}

export function clientStep(api: ApiEntry, root: string, outRoot: string): Step {
  const input = bundlePath(outRoot, api.id);
  const output = join(generatedDir(outRoot, api.id), 'client.ts');
  return {
    name: `client ${api.id}`,
    inputs: [input, `${root}/scripts/steps/client.ts`, `${root}/mocks/shared/openapi-json.ts`],
    outputs: [output],
    async run() {
      const spec = JSON.parse(readFileSync(input, 'utf8')) as BundledSpec;
      const servers = (spec.servers ?? []).map(({ url, description }) => ({ url, description: description ?? '' }));
      if (servers.length === 0) throw new StepError(api.root, 'no servers: the client needs a default baseUrl');
      const authKind = authKindOf(spec, api.root);
      const authType = authKind === 'basic' ? 'BasicAuth' : 'BearerAuth';
      const { idempotent, pages } = operationsOf(spec, api.root);
      const paged = Object.keys(pages).length > 0;
      const rules = Object.keys(idempotent).length ? `{ idempotent: ${JSON.stringify(idempotent)} }` : '{}';
      const lines = [
        `// Generated by scripts/steps/client.ts from ${api.root}. Do not edit.`,
        `import type { paths } from './schema.js';`,
        `import { createTypedClient, type ${authType}, type ClientOptions${paged ? '' : ', type TypedClient'} } from '../../runtime/client.js';`,
        ...(paged ? [`import { withPages, type PageBody, type PagedClient, type PageRule } from '../../runtime/paginate.js';`] : []),
        '',
        `export type { paths, components, operations, webhooks } from './schema.js';`,
        `export { TimeoutError, type ${authType}, type CallOptions, type ClientOptions, type RetryOptions, type TypedClient } from '../../runtime/client.js';`,
        ...(authKind === 'bearer' ? [`export { clientCredentials, OAuthError, type ClientCredentialsOptions } from '../../runtime/oauth.js';`] : []),
        ...(paged ? [`export { PaginationError, type PageIterator, type PageOptions } from '../../runtime/paginate.js';`] : []),
        '',
        `/** The servers listed in the spec; the first is the client's default baseUrl. */`,
        `export const servers = ${JSON.stringify(servers, null, 2).replace(/"(url|description)":/g, '$1:')} as const;`,
        '',
        `export const defaultBaseUrl: string = servers[0].url;`,
        '',
      ];
      if (paged) {
        lines.push(
          `/** The paged list operations (\`x-pagination\` in the spec), with the type of their items. */`,
          `export interface Pages {`,
          ...Object.entries(pages).map(([path, rule]) => `  ${JSON.stringify(path)}: { method: '${rule.method.toLowerCase()}'; item: ${itemType(path, rule)} };`),
          `}`,
          '',
          `const pageRules: Record<string, PageRule> = ${JSON.stringify(pages, null, 2)};`,
          '',
          `/** A typed client for the API: \`client.GET('/path', { params })\` with request and answer types from the spec, and \`client.paginate\`. */`,
          `export function createClient(options: ClientOptions<${authType}>): PagedClient<paths, Pages> {`,
          `  return withPages<paths, Pages>(createTypedClient<paths>(defaultBaseUrl, '${authKind}', options, ${rules}), pageRules);`,
          `}`,
        );
      } else {
        lines.push(
          `/** A typed client for the API: \`client.GET('/path', { params })\` with request and answer types from the spec. */`,
          `export function createClient(options: ClientOptions<${authType}>): TypedClient<paths> {`,
          `  return createTypedClient<paths>(defaultBaseUrl, '${authKind}', options, ${rules});`,
          `}`,
        );
      }
      writeFileSync(output, lines.join('\n') + '\n');
    },
  };
}
