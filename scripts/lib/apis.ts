// The API registry: redocly.yaml's `apis` map, in file order. Everything else (bundle paths, generated
// modules, mock ports, docs pages) is derived from it, so a new API is one entry there.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const FIRST_MOCK_PORT = 4010;
export const DOCS_PORT = 4000;

export interface ApiEntry {
  /** API id: folder name, package subpath, script argument. */
  id: string;
  /** Root file of the hand-written spec, relative to the project root. */
  root: string;
  /** Folder of the hand-written spec. */
  specDir: string;
  /** Default mock port: 4010 plus the API's position in redocly.yaml. */
  port: number;
}

export function loadApis(root = projectRoot): ApiEntry[] {
  const configPath = join(root, 'redocly.yaml');
  const config = parse(readFileSync(configPath, 'utf8')) as { apis?: Record<string, { root?: string }> };
  if (!config?.apis || typeof config.apis !== 'object') {
    throw new Error(`${configPath}: no "apis" map; list every API there as <id>: { root: specs/<id>/openapi.yaml }`);
  }
  return Object.entries(config.apis).map(([id, entry], index) => {
    if (!entry?.root) throw new Error(`${configPath}: apis.${id} has no "root"`);
    return { id, root: entry.root, specDir: dirname(entry.root), port: FIRST_MOCK_PORT + index };
  });
}

/** Picks APIs by id, failing with the list of known ids on a typo. */
export function selectApis(apis: ApiEntry[], ids: string[]): ApiEntry[] {
  if (ids.length === 0) return apis;
  return ids.map((id) => {
    const api = apis.find((candidate) => candidate.id === id);
    if (!api) throw new Error(`unknown API id "${id}"; known ids: ${apis.map((a) => a.id).join(', ')}`);
    return api;
  });
}

export const generatedDir = (outRoot: string, id: string) => join(outRoot, 'generated', id);
