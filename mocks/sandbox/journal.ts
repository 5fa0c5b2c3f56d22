// The request journal: what each tenant sent to a mock and what it was answered, newest first and bounded, so a
// partner's test can assert on what its service under test called (after WireMock's request journal and MSW's
// life-cycle events). Credentials never reach an entry.
import type { PendingEntry } from './journal-entry.ts';
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
/** A body larger than this (as JSON) is journaled as a note of its size: 500 entries of 1 MiB per tenant would be too much to hold. */
export const JOURNAL_BODY_LIMIT = 64 * 1024;

export function keptBody(body: unknown): unknown {
  if (body === null || body === undefined) return null;
  const size = typeof body === 'string' ? body.length : JSON.stringify(body).length;
  return size > JOURNAL_BODY_LIMIT ? `(body of ${size} characters not kept: the journal keeps bodies up to ${JOURNAL_BODY_LIMIT})` : body;
}

export function journalHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SECRET_HEADERS.has(name.toLowerCase())) continue;
    kept[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return kept;
}

/** An entry that knows its approximate JSON size without being serialized (a PendingEntry). */
interface Sized {
  readonly approximateSize: number;
}

/** A plain copy of the entry with another body (an entry may be built lazily: a spread would not copy it). */
function withBody(entry: JournalEntry, body: unknown): JournalEntry {
  const { at, method, path, query, headers, status, operationId, problems } = entry;
  return { at, method, path, query, headers, body, status, operationId, problems };
}

/** What the whole journal may hold, summed over tenants (approximate JSON size), before the oldest entries go. */
export const JOURNAL_BYTE_BUDGET = 12 * 1024 * 1024;

interface Kept {
  entries: JournalEntry[];
  sizes: number[];
  bytes: number;
}

export class RequestJournal {
  private readonly tenants = new Map<string, Kept>();
  private bytes = 0;

  /**
   * `maxTenants` and `byteBudget`: requests under ever-new tokens, or with large bodies, must not grow it without
   * bound. Past either, the least recently active tenant loses its oldest entries first.
   */
  constructor(
    private readonly limit = JOURNAL_LIMIT,
    private readonly maxTenants = DEFAULT_MAX_TENANTS,
    private readonly byteBudget = JOURNAL_BYTE_BUDGET,
  ) {}

  /** Keeps the entry under the tenant its Authorization header names; requests without usable credentials have none. */
  record(authorization: string | undefined, entry: JournalEntry) {
    const tenant = tenantOf(authorization);
    if (!tenant) return;
    const kept = this.tenants.get(tenant) ?? { entries: [], sizes: [], bytes: 0 };
    this.tenants.delete(tenant);
    while (this.tenants.size >= this.maxTenants) this.clear(this.tenants.keys().next().value!);
    this.tenants.set(tenant, kept);
    const body = keptBody(entry.body);
    const stored = body === entry.body ? entry : withBody(entry, body);
    const size = (stored as Partial<Sized>).approximateSize ?? 256 + JSON.stringify(stored.body ?? null).length + JSON.stringify(stored.headers).length + stored.path.length;
    kept.entries.unshift(stored);
    kept.sizes.unshift(size);
    kept.bytes += size;
    this.bytes += size;
    while (kept.entries.length > this.limit) this.dropOldest(kept);
    for (const [name, other] of this.tenants) {
      if (this.bytes <= this.byteBudget) break;
      while (other.entries.length > (other === kept ? 1 : 0) && this.bytes > this.byteBudget) this.dropOldest(other);
      if (other.entries.length === 0) this.tenants.delete(name);
    }
  }

  private dropOldest(kept: Kept) {
    kept.entries.pop();
    const size = kept.sizes.pop() ?? 0;
    kept.bytes -= size;
    this.bytes -= size;
  }

  list(tenant: string): JournalEntry[] {
    const entries = this.tenants.get(tenant)?.entries ?? [];
    // Entries recorded as raw pieces are built once, when first listed.
    entries.forEach((entry, index) => typeof (entry as Partial<PendingEntry>).toJSON === 'function' && (entries[index] = (entry as PendingEntry).toJSON()));
    return entries;
  }

  clear(tenant: string) {
    const kept = this.tenants.get(tenant);
    if (!kept) return;
    this.bytes -= kept.bytes;
    this.tenants.delete(tenant);
  }
}
