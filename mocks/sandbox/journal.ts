// The request journal: what each tenant sent to a mock and what it was answered, newest first and bounded, so a
// partner's test can assert on what its service under test called (after WireMock's request journal and MSW's
// life-cycle events). Credentials are never kept.
import { DEFAULT_MAX_TENANTS, tenantOf } from './store.ts';

export interface JournalEntry {
  at: string;
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  /** The parsed JSON body, the text when it is not JSON, or null without a body. */
  body: unknown;
  status: number;
  /** The spec's operationId the request matched, or null (unknown path, wrong method, control API). */
  operationId: string | null;
  /** The reasons the request was refused, as its error answer names them; empty when it was accepted. */
  problems: string[];
}

/** Headers that carry credentials or cookies: dropped from the journal. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

export const JOURNAL_LIMIT = 500;

export function journalHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADERS.has(name.toLowerCase())) continue;
    kept[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

export class RequestJournal {
  private readonly entries = new Map<string, JournalEntry[]>();

  /** `maxTenants`: requests under ever-new tokens must not grow it without bound (least recently seen goes first). */
  constructor(
    private readonly limit = JOURNAL_LIMIT,
    private readonly maxTenants = DEFAULT_MAX_TENANTS,
  ) {}

  /** Keeps the entry under the tenant its Authorization header names; requests without usable credentials have none. */
  record(authorization: string | undefined, entry: JournalEntry) {
    const tenant = tenantOf(authorization);
    if (!tenant) return;
    const list = this.entries.get(tenant) ?? [];
    this.entries.delete(tenant);
    while (this.entries.size >= this.maxTenants) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(tenant, list);
    list.unshift(entry);
    if (list.length > this.limit) list.length = this.limit;
  }

  list(tenant: string): JournalEntry[] {
    return this.entries.get(tenant) ?? [];
  }

  clear(tenant: string) {
    this.entries.delete(tenant);
  }
}
