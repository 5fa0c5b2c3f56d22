// The APIs a sandbox can serve: for each, its bundled spec, its sandbox declaration and its default port. The
// installed package ships its own (dist/apis/index.json, written by the repository's build); the repository passes
// one read from its working tree, so `npm start` serves the specs being edited.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SandboxApiFiles {
  id: string;
  /** Default port: 4010 plus the API's position (`--port-base` moves the block). */
  port: number;
  /** The bundled OpenAPI document (JSON). */
  spec: string;
  /** The sandbox declaration (sandbox.json, or sandbox.yaml in the repository). */
  declaration: string;
}

export const FIRST_MOCK_PORT = 4010;

/** The catalogue shipped beside the built package: `<package>/dist/apis/index.json`. */
export function shippedCatalogue(): SandboxApiFiles[] {
  const index = fileURLToPath(new URL('./apis/index.json', import.meta.url));
  if (!existsSync(index)) {
    throw new Error(`${index}: no API catalogue beside the sandbox (a package build writes it; in the repository, use npm start)`);
  }
  const listed = JSON.parse(readFileSync(index, 'utf8')) as { apis: SandboxApiFiles[] };
  return listed.apis.map((api) => ({ ...api, spec: resolve(dirname(index), api.spec), declaration: resolve(dirname(index), api.declaration) }));
}

/** Picks APIs by id, in catalogue order; an unknown id fails with the known ones. */
export function selectApis(catalogue: SandboxApiFiles[], ids: readonly string[] | undefined): SandboxApiFiles[] {
  if (!ids || ids.length === 0) return catalogue;
  for (const id of ids) {
    if (!catalogue.some((api) => api.id === id)) throw new UsageError(`unknown API id "${id}"; known ids: ${catalogue.map((api) => api.id).join(', ')}`);
  }
  return catalogue.filter((api) => ids.includes(api.id));
}

/** A problem with what the caller asked for (the CLI exits 2 with its usage). */
export class UsageError extends Error {
  override name = 'UsageError';
}
