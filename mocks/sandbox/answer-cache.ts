// The answer cache of the fast path: a GET the state answered without changing anything gets the same bytes
// again until that tenant's state changes. An entry keeps the answer as written (status, content type, the
// serialized body, already checked against the response schema) under the request target, credentials and
// Accept, with the values of every other header the request check read; it holds while the tenant's version is
// the one it was built at. The store names every change (mocks/sandbox/store.ts): each one bumps the version of
// its tenant, and a dropped tenant's entries go with it. Bounded in entries and bytes; the oldest entry goes first.
import type { OperationModel } from './compiled.ts';
import { tenantOf, type StoreChange } from './store.ts';

export interface CachedAnswer {
  tenant: string;
  /** The tenant's version the answer was built at (0: the tenant was not stored, it read the shared seed). */
  version: number;
  /** Headers the request check read besides the key's (lower-case name, value). */
  headers: [string, string | undefined][];
  status: number;
  contentType: string;
  payload: string;
  length: number;
  operationId: string | null;
}

const checkedHeaders = new WeakMap<OperationModel, string[]>();

/**
 * Headers the request check reads besides the key's (target, Authorization, Accept): Content-Type, the
 * operation's header parameters and API keys. A kept answer holds for their values only.
 */
export function checkedHeadersOf(model: OperationModel): string[] {
  let names = checkedHeaders.get(model);
  if (!names) {
    const apiKeys = model.security.flat().flatMap((scheme) => (scheme.type === 'apiKey' && scheme.in === 'header' ? [String(scheme.name).toLowerCase()] : []));
    names = [...new Set(['content-type', ...model.header.map((param) => param.name.toLowerCase()), ...apiKeys])];
    checkedHeaders.set(model, names);
  }
  return names;
}

export const ANSWER_CACHE_ENTRIES = 2_000;
export const ANSWER_CACHE_BYTES = 4 * 1024 * 1024;
/** A larger answer (a long list) is not worth the memory it would hold. */
export const ANSWER_CACHE_LARGEST = 256 * 1024;

export class AnswerCache {
  /** The version of every stored tenant; a tenant not stored reads the shared seed, which never changes (0). */
  private readonly versions = new Map<string, number>();
  private counter = 0;
  private readonly entries = new Map<string, CachedAnswer>();
  private readonly keysOfTenant = new Map<string, Set<string>>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = ANSWER_CACHE_ENTRIES,
    private readonly maxBytes = ANSWER_CACHE_BYTES,
  ) {}

  /** Every change of the store goes through here (store.onChange). */
  changed(change: StoreChange) {
    if (change.op === 'drop') {
      this.versions.delete(change.tenant);
      for (const key of this.keysOfTenant.get(change.tenant) ?? []) this.forget(key);
    } else if (change.op !== 'delivery' && change.op !== 'attempt' && change.op !== 'deliveries-cleared') this.versions.set(change.tenant, ++this.counter);
  }

  version(tenant: string): number {
    return this.versions.get(tenant) ?? 0;
  }

  static key(url: string, authorization: string, accept: string | undefined): string {
    return `${url}\n${authorization}\n${accept ?? ''}`;
  }

  /**
   * The answer to this request when one was kept and nothing it depends on changed since: the request's other
   * headers, its tenant (a sandbox token may have expired since), and that tenant's version. `seen` marks the
   * tenant as active (idle tenants expire on the way) before its version is read.
   */
  answer(key: string, headers: Record<string, string | string[] | undefined>, seen: (tenant: string) => void): CachedAnswer | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    for (const [name, value] of entry.headers) if (headers[name] !== value) return undefined;
    if (tenantOf(headers.authorization as string | undefined) !== entry.tenant) return undefined;
    seen(entry.tenant);
    if (entry.version !== this.version(entry.tenant)) return undefined;
    this.hits++;
    return entry;
  }

  /** Requests answered from here so far. */
  hits = 0;

  keep(key: string, entry: CachedAnswer) {
    if (entry.payload.length > ANSWER_CACHE_LARGEST) return;
    this.forget(key);
    this.entries.set(key, entry);
    const keys = this.keysOfTenant.get(entry.tenant) ?? this.keysOfTenant.set(entry.tenant, new Set()).get(entry.tenant)!;
    keys.add(key);
    this.bytes += entry.payload.length + key.length;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  get size() {
    return this.entries.size;
  }

  private forget(key: string) {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.keysOfTenant.get(entry.tenant)!;
    keys.delete(key);
    if (keys.size === 0) this.keysOfTenant.delete(entry.tenant);
    this.bytes -= entry.payload.length + key.length;
  }
}
