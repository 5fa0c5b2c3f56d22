// The sandbox's memory: per API, per tenant (the bearer token, or the Basic user), named collections of plain
// JSON items. A tenant is created from the seed the first time it is seen; reset puts it back. Persisting the
// whole store is the caller's business (snapshot/restore), told of every change through onChange.
import { clientOfToken } from './oauth.ts';

export interface StoredItem {
  /** The parent the item belongs to (a RedEx device's application), when its collection declares one. */
  parent?: string;
  item: Record<string, unknown>;
}

export type TenantState = Record<string, StoredItem[]>;

/** What `GET /_sandbox/state` answers and the state file holds per tenant. */
export type TenantSnapshot = Record<string, StoredItem[]>;

export class SandboxStore {
  private readonly tenants = new Map<string, TenantState>();
  private listeners: (() => void)[] = [];

  constructor(private readonly seed: () => TenantState) {}

  /** The tenant's collections, seeded on first use. */
  tenant(name: string): TenantState {
    let state = this.tenants.get(name);
    if (!state) this.tenants.set(name, (state = this.seed()));
    return state;
  }

  /**
   * The tenant's collections for reading only: an unknown tenant reads a shared seed without being stored, so
   * requests under ever-new tokens (a fuzzer, a load test) do not grow the store. Never modify what it returns.
   */
  peek(name: string): TenantState {
    return this.tenants.get(name) ?? (this.sharedSeed ??= this.seed());
  }

  private sharedSeed: TenantState | undefined;

  reset(name: string): TenantState {
    this.tenants.set(name, this.seed());
    this.changed();
    return this.tenants.get(name)!;
  }

  replace(name: string, state: TenantState) {
    this.tenants.set(name, state);
    this.changed();
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void) {
    this.listeners.push(listener);
  }

  snapshot(): Record<string, TenantSnapshot> {
    return Object.fromEntries(this.tenants);
  }

  restore(snapshot: Record<string, TenantSnapshot>) {
    this.tenants.clear();
    for (const [name, state] of Object.entries(snapshot)) this.tenants.set(name, state);
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
