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

/** A tenant's entries oldest first, from `first` on (dropping the oldest moves `first`: no copy per request). */
interface Kept {
  entries: JournalEntry[];
  sizes: number[];
  first: number;
  bytes: number;
}

const countOf = (kept: Kept) => kept.entries.length - kept.first;

export class RequestJournal {
  private readonly tenants = new Map<string, Kept>();
  private lastTenant: string | undefined;
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
    let kept = this.tenants.get(tenant);
    // The most recently active tenant goes last (the Map's order); it already is when it sent the previous request.
    if (!kept || tenant !== this.lastTenant) {
      kept ??= { entries: [], sizes: [], first: 0, bytes: 0 };
      this.tenants.delete(tenant);
      while (this.tenants.size >= this.maxTenants) this.clear(this.tenants.keys().next().value!);
      this.tenants.set(tenant, kept);
      this.lastTenant = tenant;
    }
    const body = keptBody(entry.body);
    const stored = body === entry.body ? entry : withBody(entry, body);
    const size = (stored as Partial<Sized>).approximateSize ?? 256 + JSON.stringify(stored.body ?? null).length + JSON.stringify(stored.headers).length + stored.path.length;
    kept.entries.push(stored);
    kept.sizes.push(size);
    kept.bytes += size;
    this.bytes += size;
    while (countOf(kept) > this.limit) this.dropOldest(kept);
    if (this.bytes <= this.byteBudget) return;
    for (const [name, other] of this.tenants) {
      if (this.bytes <= this.byteBudget) break;
      while (countOf(other) > (other === kept ? 1 : 0) && this.bytes > this.byteBudget) this.dropOldest(other);
      if (countOf(other) === 0) this.tenants.delete(name);
    }
  }

  private dropOldest(kept: Kept) {
    const size = kept.sizes[kept.first] ?? 0;
    (kept.entries as unknown[])[kept.first] = undefined;
    kept.first++;
    kept.bytes -= size;
    this.bytes -= size;
    if (kept.first >= 64 && kept.first * 2 >= kept.entries.length) {
      kept.entries.splice(0, kept.first);
      kept.sizes.splice(0, kept.first);
      kept.first = 0;
    }
  }

  /** The tenant's entries, newest first. */
  list(tenant: string): JournalEntry[] {
    const kept = this.tenants.get(tenant);
    if (!kept) return [];
    const { entries } = kept;
    // Entries recorded as raw pieces are built once, when first listed.
    for (let index = kept.first; index < entries.length; index++) {
      const entry = entries[index] as JournalEntry & Partial<Pick<PendingEntry, 'toJSON'>>;
      if (typeof entry.toJSON === 'function') entries[index] = entry.toJSON();
    }
    return entries.slice(kept.first).reverse();
  }

  clear(tenant: string) {
    const kept = this.tenants.get(tenant);
    if (!kept) return;
    this.bytes -= kept.bytes;
    this.tenants.delete(tenant);
  }
}
