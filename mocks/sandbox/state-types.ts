// The shapes of the sandbox state's declaration (specs/<id>/sandbox.yaml `collections` and `operations`), of a
// request the state answers, and of its answers.
import type { StoreLimits } from './store.ts';
import type { Reason } from './errors.ts';
import type { Route } from './router.ts';

export type Json = Record<string, any>;

export interface CollectionDeclaration {
  /** Identity field(s) of an item; a lookup matches any of them. Omitted for a singleton. */
  key?: string | string[];
  /** One item, no identity (a configuration). */
  singleton?: boolean;
  /** Items a fresh tenant starts with: the documented success example of an operation. */
  seed?: { operation: string; at?: string; each?: string; parent?: string };
  /** Fields the vendor sets on create: `$id`, `$now` or a literal. */
  assign?: Record<string, unknown>;
  /** Fields the vendor sets on every update. */
  onUpdate?: Record<string, unknown>;
  /** Fields a replacing update keeps from the stored item (identity fields are always kept). */
  keep?: string[];
  /** Fields stored (a secret to sign with) but never answered. */
  private?: string[];
  /** components.schemas name the items of PUT /_sandbox/state must match. */
  schema?: string;
}

export interface OperationDeclaration {
  action: 'list' | 'read' | 'create' | 'update' | 'delete';
  collection: string;
  /** Where the request names the item: `path.x`, `query.x`, `body.x`. */
  id?: string;
  /** Where the request names the parent of a parented collection; an unknown parent is a 404. */
  parent?: string;
  /** Item fields that must equal request values, else 404 (HanChuESS's oem beside the subscription id). */
  match?: Record<string, string>;
  /** Item field (dotted, through arrays) -> request value; a request without the value does not filter. */
  filters?: Record<string, string>;
  offset?: string;
  limit?: string;
  page?: { number: string; size: string };
  /** Update semantics: replace the item (PUT) or merge the sent fields into it. */
  update?: 'replace' | 'merge';
  /** `example`: the documented success example as is; else where the result goes in that example. */
  respond?: 'example' | { at: string; each?: string; meta?: Record<string, string> };
  /** Message of the 404 for an unknown id or parent; `{id}` is replaced. */
  notFound?: string;
  /** The vendor delivers a webhook to the item read (HanChuESS's test), then sets `onDelivered` on a 2xx. */
  deliver?: { webhook: string; example?: string; onDelivered?: Record<string, unknown> };
}

export interface StateDeclaration {
  collections?: Record<string, CollectionDeclaration>;
  operations?: Record<string, OperationDeclaration>;
}

export interface StateRequest {
  route: Route;
  query: Record<string, string | string[]>;
  body: unknown;
  tenant: string;
}

export type StateAnswer =
  | { kind: 'answer'; status: number; body: unknown; change?: Change; subject?: Json; deliver?: OperationDeclaration['deliver'] }
  | { kind: 'error'; status: number; reasons: Reason[]; message?: string };

/** A change to a collection, for deliveries (the VTN notifies subscribers of its own subscriptions). */
export interface Change {
  collection: string;
  action: 'create' | 'update' | 'delete';
  item: Json;
  tenant: string;
}

export interface StateOptions {
  ids?: () => string;
  clock?: () => Date;
  /** Items per collection, tenants, idle expiry (sandbox/store.ts). */
  limits?: StoreLimits;
}

/** A create past a store limit: the request conflicts with how full the tenant's collection is. */
export const LIMIT_STATUS = 409;
