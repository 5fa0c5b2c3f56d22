// The sandbox's memory: per API, per tenant (the bearer token, or the Basic user), named collections of plain
// JSON items. A tenant is created from the seed the first time it is seen; reset puts it back. Every change is
// named (add, set, remove, a whole tenant), so a durable store can keep the change rather than the whole state:
// the store hands each one to its sink (none in memory; the journal of sandbox/durable-store.ts for
// --state-file), and `flushed()` resolves once the sink holds them, before the mock answers 2xx.
//
// Limits, so that no tenant exhausts a shared sandbox: at most `maxItems` items per collection per tenant, at most
// `maxTenants` tenants (the least recently seen one goes first), and a tenant not seen for `tenantIdleMs` expires.
import type { Attempt, DeliveryRecord } from './deliveries.ts';
import { clientOfToken } from './oauth.ts';

export interface StoredItem {
  /** The parent the item belongs to (a RedEx device's application), when its collection declares one. */
  parent?: string;
  item: Record<string, unknown>;
}

export type TenantState = Record<string, StoredItem[]>;

/** What `GET /_sandbox/state` answers and the state file holds per tenant. */
export type TenantSnapshot = Record<string, StoredItem[]>;

/** One change, as a durable store keeps it; replaying the changes in order rebuilds the state and delivery logs. */
export type StoreChange =
  | { op: 'tenant'; tenant: string; state: TenantState }
  | { op: 'add'; tenant: string; collection: string; stored: StoredItem }
  | { op: 'set'; tenant: string; collection: string; index: number; stored: StoredItem }
  | { op: 'remove'; tenant: string; collection: string; index: number }
  | { op: 'drop'; tenant: string }
  | { op: 'delivery'; tenant: string; record: DeliveryRecord }
  | { op: 'attempt'; tenant: string; id: string; attempt: Attempt; state: DeliveryRecord['state']; nextAttemptAt?: string }
  | { op: 'deliveries-cleared'; tenant: string };

export interface StoreHealth {
  ok: boolean;
  /** What is wrong, when not ok. */
  reason?: string;
}

/** Where changes go beyond memory: a journal file today; a Redis stream or hash could be another. */
export interface ChangeSink {
  /** Takes a change now (a sink copies or serializes it at once: the objects go on changing). */
  write(change: StoreChange): void;
  /** Resolves once every change written so far is durable; rejects when the sink cannot keep them. */
  flushed(): Promise<void>;
  health(): StoreHealth;
}

export interface StoreLimits {
  /** Items per collection per tenant (default 1,000; `--max-items`). */
  maxItems?: number;
  /** Tenants kept at once (default 10,000); past it, the least recently seen tenant is dropped. */
  maxTenants?: number;
  /** A tenant not seen for this long is dropped (default 7 days). */
  tenantIdleMs?: number;
  /** Milliseconds now (tests). */
  now?: () => number;
}

export const DEFAULT_MAX_ITEMS = 1000;
export const DEFAULT_MAX_TENANTS = 10_000;
export const DEFAULT_TENANT_IDLE_MS = 7 * 24 * 60 * 60 * 1000;

/** What the state layer, the deliveries and the control API need of a store, whichever keeps the data. */
export interface StateStore {
  tenant(name: string): TenantState;
  peek(name: string): TenantState;
  /** Undefined when stored; else why not (a limit), and nothing was stored. */
  add(tenant: string, collection: string, stored: StoredItem, replaceAll?: boolean): string | undefined;
  set(tenant: string, collection: string, stored: StoredItem, item: Record<string, unknown>): void;
  remove(tenant: string, collection: string, stored: StoredItem): void;
  changed(tenant: string): void;
  reset(name: string): TenantState;
  replace(name: string, state: TenantState): string | undefined;
  recordDelivery(tenant: string, record: DeliveryRecord): Promise<void>;
  recordAttempt(tenant: string, record: DeliveryRecord): void;
  clearDeliveries(tenant: string): void;
  flushed(): Promise<void>;
  health(): StoreHealth;
  /**
   * A shared store only (Redis): makes the tenant current before a request reads or changes it (a short lock
   * across replicas; the tenant reloaded when another replica changed it). Absent in memory, so that step costs
   * nothing there: `const opening = store.open?.(tenant); if (opening) await opening;`.
   */
  open?(tenant: string): Promise<TenantLease>;
}

/** A tenant held for one request: `release` stores the request's changes, then lets other requests have it. */
export interface TenantLease {
  /** Resolves once the changes are stored and the tenant is free; rejects when they could not be stored. Idempotent. */
  release(): Promise<void>;
}

/** What makes a SandboxStore a cache of a shared store (mocks/sandbox/redis-store.ts). */
export interface SharedTenants extends ChangeSink {
  open(tenant: string): Promise<TenantLease>;
}

export class SandboxStore implements StateStore {
  /** Least recently seen first (a Map keeps insertion order; a tenant seen again moves to the end). */
  private readonly tenants = new Map<string, { state: TenantState; seen: number }>();
  private listeners: ((change: StoreChange) => void)[] = [];
  private dropListeners: ((tenant: string) => void)[] = [];
  private sink: ChangeSink | undefined;
  /** Set when this store is a cache of a shared one: tenants it lets go stay in the shared store. */
  open?: (tenant: string) => Promise<TenantLease>;
  readonly maxItems: number;
  readonly maxTenants: number;
  readonly tenantIdleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly seed: () => TenantState,
    limits: StoreLimits = {},
  ) {
    this.maxItems = limits.maxItems ?? DEFAULT_MAX_ITEMS;
    this.maxTenants = limits.maxTenants ?? DEFAULT_MAX_TENANTS;
    this.tenantIdleMs = limits.tenantIdleMs ?? DEFAULT_TENANT_IDLE_MS;
    this.now = limits.now ?? Date.now;
  }

  /** The tenant's collections, seeded on first use. */
  tenant(name: string): TenantState {
    const entry = this.touch(name);
    if (entry) return entry.state;
    while (this.tenants.size >= this.maxTenants) this.drop(this.tenants.keys().next().value!);
    const state = this.seed();
    this.tenants.set(name, { state, seen: this.now() });
    this.emit({ op: 'tenant', tenant: name, state });
    return state;
  }

  /**
   * The tenant's collections for reading only: an unknown tenant reads a shared seed without being stored, so
   * requests under ever-new tokens (a fuzzer, a load test) do not grow the store. Never modify what it returns.
   */
  peek(name: string): TenantState {
    return this.touch(name)?.state ?? (this.sharedSeed ??= this.seed());
  }

  private sharedSeed: TenantState | undefined;

  /** Appends an item (a singleton's `replaceAll` empties the collection first); when full, says so and stores nothing. */
  add(tenant: string, collection: string, stored: StoredItem, replaceAll = false): string | undefined {
    const items = (this.tenant(tenant)[collection] ??= []);
    if (replaceAll && items.length > 0) {
      items.length = 0;
      items.push(stored);
      this.changed(tenant);
      return undefined;
    }
    if (items.length >= this.maxItems) return this.fullText(collection);
    items.push(stored);
    this.emit({ op: 'add', tenant, collection, stored });
    return undefined;
  }

  set(tenant: string, collection: string, stored: StoredItem, item: Record<string, unknown>) {
    const items = this.tenant(tenant)[collection] ?? [];
    stored.item = item;
    const index = items.indexOf(stored);
    if (index < 0) return this.changed(tenant);
    this.emit({ op: 'set', tenant, collection, index, stored });
  }

  remove(tenant: string, collection: string, stored: StoredItem) {
    const items = this.tenant(tenant)[collection] ?? [];
    const index = items.indexOf(stored);
    if (index < 0) return;
    items.splice(index, 1);
    this.emit({ op: 'remove', tenant, collection, index });
  }

  /** The tenant changed in a way not named above (an item changed in place): its whole state is the change. */
  changed(tenant: string) {
    const entry = this.tenants.get(tenant);
    if (entry) this.emit({ op: 'tenant', tenant, state: entry.state });
  }

  reset(name: string): TenantState {
    this.tenant(name);
    const state = this.seed();
    this.tenants.get(name)!.state = state;
    this.emit({ op: 'tenant', tenant: name, state });
    return state;
  }

  /** A whole new state for the tenant; when a collection is over the limit, says so and stores nothing. */
  replace(name: string, state: TenantState): string | undefined {
    const over = Object.entries(state).find(([, items]) => items.length > this.maxItems);
    if (over) return this.fullText(over[0]);
    this.tenant(name);
    this.tenants.get(name)!.state = state;
    this.emit({ op: 'tenant', tenant: name, state });
    return undefined;
  }

  /** Stored (durably, with a durable sink) before the first attempt is made. */
  recordDelivery(tenant: string, record: DeliveryRecord): Promise<void> {
    if (!this.sink) return Promise.resolve();
    this.sink.write({ op: 'delivery', tenant, record });
    return this.sink.flushed();
  }

  /** The outcome of the record's latest attempt, and what comes next. */
  recordAttempt(tenant: string, record: DeliveryRecord) {
    const attempt = record.attempts[record.attempts.length - 1];
    if (this.sink && attempt) this.sink.write({ op: 'attempt', tenant, id: record.id, attempt, state: record.state, nextAttemptAt: record.nextAttemptAt });
  }

  clearDeliveries(tenant: string) {
    this.sink?.write({ op: 'deliveries-cleared', tenant });
  }

  /** Told of every change, in order (what the answer cache drops, which indexes go stale). */
  onChange(listener: (change: StoreChange) => void) {
    this.listeners.push(listener);
  }

  /** Told when a tenant is dropped (over the tenant limit, or idle), so what else it owns goes too. */
  onDrop(listener: (tenant: string) => void) {
    this.dropListeners.push(listener);
  }

  /** From now on every change also goes to the sink (a durable store, attached after its state is restored). */
  persistTo(sink: ChangeSink) {
    this.sink = sink;
  }

  /**
   * From now on this store is a cache of a shared store: each request opens its tenant first (see `open`), every
   * change goes to the shared store, and a tenant dropped here (limits, idle) is only forgotten, not deleted.
   */
  shareThrough(shared: SharedTenants) {
    this.sink = shared;
    this.open = (tenant) => shared.open(tenant);
  }

  /** The tenant's state as the shared store holds it (undefined: it holds none); not a change, so not written back. */
  load(name: string, state: TenantState | undefined) {
    if (state === undefined) this.tenants.delete(name);
    else {
      this.tenants.delete(name);
      this.tenants.set(name, { state, seen: this.now() });
    }
    // Listeners learn of it as of a change made here (their views of the tenant go stale); the sink does not.
    const change: StoreChange = state === undefined ? { op: 'drop', tenant: name } : { op: 'tenant', tenant: name, state };
    for (const listener of this.listeners) listener(change);
  }

  has(name: string): boolean {
    return this.tenants.has(name);
  }

  flushed(): Promise<void> {
    return this.sink ? this.sink.flushed() : Promise.resolve();
  }

  health(): StoreHealth {
    return this.sink?.health() ?? { ok: true };
  }

  snapshot(): Record<string, TenantSnapshot> {
    return Object.fromEntries([...this.tenants].map(([name, entry]) => [name, entry.state]));
  }

  restore(snapshot: Record<string, TenantSnapshot>) {
    this.tenants.clear();
    const now = this.now();
    for (const [name, state] of Object.entries(snapshot)) this.tenants.set(name, { state, seen: now });
  }

  get tenantCount() {
    return this.tenants.size;
  }

  private fullText(collection: string) {
    return `${collection}: at most ${this.maxItems} items per tenant (the sandbox's limit, --max-items); delete some first`;
  }

  /** The tenant's entry, marked as seen now; idle tenants expire on the way. */
  private touch(name: string) {
    const now = this.now();
    for (const [oldest, entry] of this.tenants) {
      if (now - entry.seen <= this.tenantIdleMs) break;
      this.drop(oldest);
    }
    const entry = this.tenants.get(name);
    if (!entry) return undefined;
    this.tenants.delete(name);
    entry.seen = now;
    this.tenants.set(name, entry);
    return entry;
  }

  private drop(name: string) {
    this.tenants.delete(name);
    // A shared store keeps the tenant (its keys expire on their own there): only this cache forgets it.
    if (this.open) return;
    this.emit({ op: 'drop', tenant: name });
    for (const listener of this.dropListeners) listener(name);
  }

  private emit(change: StoreChange) {
    this.sink?.write(change);
    for (const listener of this.listeners) listener(change);
  }
}

/**
 * The tenant a request belongs to: `bearer:<token>` or `basic:<user>`; undefined without usable credentials. A token
 * from the sandbox's token endpoint stands for its client id (`bearer:<client id>`), and is unusable once expired.
 */
export function tenantOf(authorization: string | undefined): string | undefined {
  const match = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === 'bearer') {
    const client = clientOfToken(match[2]!);
    return client === null ? undefined : `bearer:${client ?? match[2]}`;
  }
  const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : `basic:${decoded.slice(0, colon)}`;
}
