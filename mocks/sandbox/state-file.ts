// The state file's snapshot format: the sandbox state of every API and tenant in one JSON file, read and checked
// here; sandbox/durable-store.ts writes it (at compaction and at exit) beside its journal. A file that cannot be
// read or parsed stops the start with its path and the reason: state is never dropped silently.
import { existsSync, readFileSync } from 'node:fs';
import type { DeliveryRecord } from './deliveries.ts';
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

/** What a durable store adds to the same file (older readers ignore it): delivery logs, the journal position. */
export interface StateSnapshot {
  apis: StateFileContents;
  /** Per API id, per tenant, the delivery log (newest first). */
  deliveries: Record<string, Record<string, DeliveryRecord[]>>;
  /** The last journal entry the snapshot holds (entries up to it are in the file already). */
  journalSeq: number;
}

/** The saved state; an absent file is an empty state (it is created at the first compaction). */
export function loadStateSnapshot(path: string): StateSnapshot {
  if (!existsSync(path)) return { apis: {}, deliveries: {}, journalSeq: 0 };
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
  const apis = check(path, data);
  const { deliveries, journalSeq } = data as { deliveries?: unknown; journalSeq?: unknown };
  if (deliveries !== undefined && (!deliveries || typeof deliveries !== 'object' || Array.isArray(deliveries))) throw new Error(`${path}: deliveries must be an object of API ids`);
  if (journalSeq !== undefined && !Number.isSafeInteger(journalSeq)) throw new Error(`${path}: journalSeq must be a whole number`);
  return { apis, deliveries: (deliveries ?? {}) as StateSnapshot['deliveries'], journalSeq: (journalSeq as number | undefined) ?? 0 };
}
