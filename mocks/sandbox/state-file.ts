// `npm start -- --state-file <path>`: the sandbox state of every API and tenant in one JSON file, loaded at start
// and written atomically (temporary file, then rename) after changes and at exit. A file that cannot be read or
// parsed stops the start with its path and the reason: state is never dropped silently.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { TenantSnapshot } from './store.ts';

export const STATE_FILE_FORMAT = 'partner-api-contracts/sandbox-state@1';

export type StateFileContents = Record<string, Record<string, TenantSnapshot>>;

function check(path: string, data: unknown): StateFileContents {
  const fail = (where: string, reason: string): never => {
    throw new Error(`${path}: ${where} ${reason}`);
  };
  if (!data || typeof data !== 'object' || Array.isArray(data)) fail('the file', 'is not a JSON object');
  const file = data as { format?: unknown; apis?: unknown };
  if (file.format !== STATE_FILE_FORMAT) fail('format', `must be "${STATE_FILE_FORMAT}" (found ${JSON.stringify(file.format)})`);
  if (!file.apis || typeof file.apis !== 'object' || Array.isArray(file.apis)) fail('apis', 'must be an object of API ids');
  for (const [api, tenants] of Object.entries(file.apis as object)) {
    if (!tenants || typeof tenants !== 'object' || Array.isArray(tenants)) fail(`apis.${api}`, 'must be an object of tenants');
    for (const [tenant, collections] of Object.entries(tenants as object)) {
      if (!collections || typeof collections !== 'object' || Array.isArray(collections)) fail(`apis.${api}.${tenant}`, 'must be an object of collections');
      for (const [name, items] of Object.entries(collections as object)) {
        if (!Array.isArray(items)) fail(`apis.${api}.${tenant}.${name}`, 'must be a list');
        (items as unknown[]).forEach((stored, index) => {
          const entry = stored as { item?: unknown; parent?: unknown };
          if (!entry || typeof entry.item !== 'object' || entry.item === null || Array.isArray(entry.item)) fail(`apis.${api}.${tenant}.${name}[${index}].item`, 'must be an object');
          if (entry.parent !== undefined && typeof entry.parent !== 'string') fail(`apis.${api}.${tenant}.${name}[${index}].parent`, 'must be a string');
        });
      }
    }
  }
  return file.apis as StateFileContents;
}

/** The saved state per API id; an absent file is an empty state (it is created on the first change). */
export function loadStateFile(path: string): StateFileContents {
  if (!existsSync(path)) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read the state file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: the state file is not valid JSON (${(error as Error).message})`);
  }
  return check(path, data);
}

export function writeStateFile(path: string, apis: StateFileContents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ format: STATE_FILE_FORMAT, apis }, null, 2) + '\n');
  renameSync(temporary, path);
}

/** Writes at most once per `delayMs` after changes; `flush` writes now (at exit). */
export function createStateFileWriter(path: string, snapshot: () => StateFileContents, delayMs = 200, onError: (error: Error) => void = () => {}) {
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer), (timer = undefined);
    try {
      writeStateFile(path, snapshot());
    } catch (error) {
      onError(new Error(`${path}: cannot write the state file (${(error as Error).message})`));
    }
  };
  return {
    schedule() {
      timer ??= setTimeout(flush, delayMs);
    },
    flush,
  };
}
