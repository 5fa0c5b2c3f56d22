// Lookups by value in a tenant's collection without scanning it: the item an id names (read, update, delete)
// and the subscribers a notification may go to. One index per item list and lookup kind, built on first use
// and kept up to date by the state's own changes (create, update, delete, then `settle`). Any other change to
// the store (a webhook's effect, reset, PUT /_sandbox/state, a delivery marking an item) is announced through
// the store's onChange and makes every index be built again on its next use; so does a length that disagrees.
import type { StoredItem } from './store.ts';

type Json = Record<string, unknown>;

/** The values an item is found under (`String` of each key field, or of each subscribed object type). */
export type IndexKeys = (item: Json) => Iterable<string>;

interface Index {
  keys: IndexKeys;
  buckets: Map<string, Set<StoredItem>>;
  /** The list's length as this index knows it; anything else means the list changed behind its back. */
  length: number;
  /** The store change this index is current with. */
  version: number;
}

export class ItemIndexes {
  private readonly lists = new WeakMap<StoredItem[], Map<string, Index>>();
  /** Position order of the stored items (a create appends, an update keeps its place). */
  private readonly order = new WeakMap<StoredItem, number>();
  private nextOrder = 0;
  private version = 0;

  /** The store changed (by anyone): every index is built again on its next use, unless settled. */
  invalidate() {
    this.version++;
  }

  /** After the state's own change to `items` was announced: its indexes, kept up to date, are current. */
  settle(items: StoredItem[]) {
    for (const index of this.lists.get(items)?.values() ?? []) if (index.length === items.length) index.version = this.version;
  }

  /** The items found under any of `values`, in list order. */
  lookup(items: StoredItem[], name: string, keys: IndexKeys, values: Iterable<string>): StoredItem[] {
    const index = this.current(items, name, keys);
    const found = new Set<StoredItem>();
    for (const value of values) for (const stored of index.buckets.get(value) ?? []) found.add(stored);
    if (found.size < 2) return [...found];
    return [...found].sort((a, b) => this.order.get(a)! - this.order.get(b)!);
  }

  /** After `stored` was appended to `items` (a create), or put back after `removing` (an update). */
  added(items: StoredItem[], stored: StoredItem) {
    if (!this.order.has(stored)) this.order.set(stored, this.nextOrder++);
    for (const [name, index] of this.lists.get(items) ?? []) {
      if (index.length + 1 !== items.length) this.lists.get(items)!.delete(name);
      else (this.file(index, stored), index.length++);
    }
  }

  /** Before `stored` leaves `items` (a delete) or its item is replaced (an update, then `added`). */
  removing(items: StoredItem[], stored: StoredItem) {
    for (const [name, index] of this.lists.get(items) ?? []) {
      if (index.length !== items.length) this.lists.get(items)!.delete(name);
      else {
        for (const value of index.keys(stored.item)) index.buckets.get(value)?.delete(stored);
        index.length--;
      }
    }
  }

  private current(items: StoredItem[], name: string, keys: IndexKeys): Index {
    let indexes = this.lists.get(items);
    if (!indexes) this.lists.set(items, (indexes = new Map()));
    let index = indexes.get(name);
    if (!index || index.length !== items.length || index.version !== this.version) {
      index = { keys, buckets: new Map(), length: items.length, version: this.version };
      const start = this.nextOrder;
      this.nextOrder += items.length;
      items.forEach((stored, position) => {
        this.order.set(stored, start + position);
        this.file(index!, stored);
      });
      indexes.set(name, index);
    }
    return index;
  }

  private file(index: Index, stored: StoredItem) {
    for (const value of index.keys(stored.item)) {
      let bucket = index.buckets.get(value);
      if (!bucket) index.buckets.set(value, (bucket = new Set()));
      bucket.add(stored);
    }
  }
}
