// The control API beside each mock, under /_sandbox/ (outside every vendor base path; after WireMock's
// /__admin): reset, state, events, deliveries. It takes the API's own credentials, so each partner team acts on
// its own tenant. Errors are problem+json: this API is the sandbox's, not the vendor's.
import { STATUS_CODES } from 'node:http';
import { TriggerError, type Deliveries } from './deliveries.ts';
import { createTokenEndpoint, TOKEN_PATH } from './oauth.ts';
import { LIMIT_STATUS, type SandboxState } from './state.ts';
import type { JournalEntry } from './journal.ts';
import { tenantOf, type StoredItem, type StoreHealth, type TenantLease, type TenantState } from './store.ts';
import { bundleValidator } from './validate.ts';

export interface ControlAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

type Json = Record<string, any>;

const ENDPOINTS: Record<string, string[]> = {
  '/_sandbox/reset': ['POST'],
  '/_sandbox/state': ['GET', 'PUT'],
  '/_sandbox/events': ['POST'],
  '/_sandbox/deliveries': ['GET'],
  '/_sandbox/deliveries/{id}/redeliver': ['POST'],
  '/_sandbox/requests': ['GET'],
  [TOKEN_PATH]: ['POST'],
  '/_sandbox/health': ['GET'],
};

const REDELIVER = /^\/_sandbox\/deliveries\/([^/]+)\/redeliver$/;

const problem = (status: number, detail: string, extra: Record<string, string> = {}, errors?: Record<string, string[]>): ControlAnswer => ({
  status,
  headers: { 'content-type': 'application/problem+json', ...extra },
  body: { type: 'about:blank', title: STATUS_CODES[status], status, detail, ...(errors ? { errors } : {}) },
});

/** The tenant's state as the control API shows it: a list per collection, or per parent for parented ones. */
export function stateView(state: SandboxState, tenant: TenantState): Json {
  const view: Json = {};
  for (const name of Object.keys(state.collections)) {
    const items = tenant[name] ?? [];
    if (state.collections[name]!.seed?.parent !== undefined || items.some((stored) => stored.parent !== undefined)) {
      const byParent: Record<string, Json[]> = {};
      for (const stored of items) (byParent[stored.parent ?? ''] ??= []).push(stored.item);
      view[name] = byParent;
    } else view[name] = items.map((stored) => stored.item);
  }
  return view;
}

/** What the control API needs of a request journal: the in-memory one (journal.ts) or a shared one (Redis). */
export interface Journal {
  list(tenant: string): JournalEntry[] | Promise<JournalEntry[]>;
  clear(tenant: string): void | Promise<void>;
}

function healthAnswer(health: StoreHealth): ControlAnswer {
  return {
    status: health.ok ? 200 : 503,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: health.ok ? { status: 'ok' } : { status: 'unavailable', reason: health.reason },
  };
}

export function createControl(spec: Json, state: SandboxState, deliveries: Deliveries, challenge: string, journal?: Journal) {
  const scheme = challenge.split(' ')[0]!.toLowerCase();
  const tokenEndpoint = createTokenEndpoint();
  const validatorOf = (schemaName: string) => bundleValidator(spec, `#/components/schemas/${schemaName}`);

  /** A full replacement of the tenant's state from the shape `GET /_sandbox/state` answers; 400 names the field. */
  function parseState(body: unknown): TenantState | ControlAnswer {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return problem(400, 'body: must be an object of collections (the shape GET /_sandbox/state answers)');
    const next: TenantState = {};
    for (const [name, value] of Object.entries(body as Json)) {
      const collection = state.collections[name];
      if (!collection) return problem(400, `body.${name}: no such collection; this sandbox keeps ${Object.keys(state.collections).join(', ')}`);
      const entries: [string | undefined, unknown][] = Array.isArray(value)
        ? value.map((item) => [undefined, item])
        : value && typeof value === 'object'
          ? Object.entries(value as Json).flatMap(([parent, items]) => (Array.isArray(items) ? items.map((item) => [parent, item] as [string, unknown]) : [[parent, null] as [string, unknown]]))
          : [[undefined, null]];
      const stored: StoredItem[] = [];
      for (const [index, [parent, item]] of entries.entries()) {
        const where = `body.${name}${parent !== undefined ? `.${parent}` : ''}[${index}]`;
        if (!item || typeof item !== 'object' || Array.isArray(item)) return problem(400, `${where}: must be an object`);
        if (collection.schema) {
          const validate = validatorOf(collection.schema);
          if (!validate(item)) {
            const error = validate.errors![0]!;
            return problem(400, `${where}${error.instancePath.replace(/\//g, '.')}: ${error.message}`);
          }
        }
        stored.push({ parent, item: item as Json });
      }
      next[name] = stored;
    }
    for (const name of Object.keys(state.collections)) next[name] ??= [];
    return next;
  }

  return async function handle(method: string, path: string, authorization: string | undefined, body: unknown, bodyInvalid?: string): Promise<ControlAnswer> {
    const redelivery = REDELIVER.exec(path);
    const endpoint = redelivery ? '/_sandbox/deliveries/{id}/redeliver' : path;
    const methods = ENDPOINTS[endpoint];
    if (!methods) return problem(404, `path: no sandbox endpoint ${path}; there are ${Object.keys(ENDPOINTS).join(', ')}`);
    if (!methods.includes(method)) return problem(405, `method: ${method} is not allowed on ${path}; allowed: ${methods.join(', ')}`, { Allow: methods.join(', ') });
    // The token endpoint authenticates OAuth clients, not tenants (mocks/sandbox/oauth.ts).
    if (path === TOKEN_PATH) return tokenEndpoint(authorization, body);
    // For load balancers: no credentials, 503 when the store cannot keep changes.
    if (path === '/_sandbox/health') return healthAnswer(state.store.health());
    const tenant = tenantOf(authorization);
    if (!tenant || !tenant.startsWith(`${scheme}:`)) {
      return problem(401, `header.Authorization: the control API takes this API's credentials (${challenge.split(' ')[0]}), to know whose sandbox to act on`, { 'WWW-Authenticate': challenge });
    }
    if (bodyInvalid) return problem(400, bodyInvalid);
    const key = `${method} ${endpoint}`;
    // A shared store (replicas on Redis): the tenant is made current first, and its changes stored before the answer.
    const opening = state.store.open?.(tenant);
    if (!opening) return act(key, tenant, body, redelivery);
    let lease: TenantLease;
    try {
      lease = await opening;
    } catch (error) {
      return problem(503, `the sandbox could not reach its store: ${(error as Error).message}`);
    }
    let answer: ControlAnswer;
    try {
      answer = await act(key, tenant, body, redelivery, lease);
    } catch (error) {
      await lease.release().catch(() => undefined);
      throw error;
    }
    return (await released(lease)) ?? answer;
  };

  /** Undefined once the tenant's changes are stored and it is free; a 503 when they could not be stored. */
  async function released(lease: TenantLease | undefined): Promise<ControlAnswer | undefined> {
    try {
      await lease?.release();
      return undefined;
    } catch (error) {
      return problem(503, `the sandbox could not store the change: ${(error as Error).message}`);
    }
  }

  /**
   * `lease`: with a shared store, released (the state changes stored) before delivery attempts are made, so that a
   * receiver that calls back into its tenant while it is being delivered to does not wait for the delivery.
   */
  async function act(key: string, tenant: string, body: unknown, redelivery: RegExpExecArray | null, lease?: TenantLease): Promise<ControlAnswer> {
    if (key === 'POST /_sandbox/reset') {
      await deliveries.clearLog(tenant);
      await journal?.clear(tenant);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: stateView(state, state.store.reset(tenant)) };
    }
    if (key === 'GET /_sandbox/state') return { status: 200, headers: { 'content-type': 'application/json' }, body: stateView(state, state.store.peek(tenant)) };
    if (key === 'PUT /_sandbox/state') {
      const next = parseState(body);
      if ('status' in next && 'headers' in next) return next as ControlAnswer;
      const full = state.store.replace(tenant, next as TenantState);
      if (full) return problem(LIMIT_STATUS, full);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: stateView(state, state.store.tenant(tenant)) };
    }
    if (key === 'GET /_sandbox/deliveries') return { status: 200, headers: { 'content-type': 'application/json' }, body: await deliveries.log(tenant) };
    if (key === 'GET /_sandbox/requests') return { status: 200, headers: { 'content-type': 'application/json' }, body: (await journal?.list(tenant)) ?? [] };
    if (key === 'POST /_sandbox/deliveries/{id}/redeliver') {
      const id = decodeURIComponent(redelivery![1]!);
      const unstored = await released(lease);
      if (unstored) return unstored;
      const sent = await deliveries.redeliver(tenant, id);
      if (!sent) return problem(404, `id: no delivery ${JSON.stringify(id)} in this tenant's log (GET /_sandbox/deliveries lists them)`);
      return { status: 200, headers: { 'content-type': 'application/json' }, body: sent };
    }
    // POST /_sandbox/events
    if (!body || typeof body !== 'object' || Array.isArray(body)) return problem(400, 'body: must be an object { "webhook": "<name>", "example": "<name>", "payload": { ... } }');
    const { webhook, example, payload } = body as Json;
    if (typeof webhook !== 'string') return problem(400, `webhook: required, one of ${deliveries.webhookNames().join(', ')}`, {}, { webhook: ['required'] });
    if (example !== undefined && typeof example !== 'string') return problem(400, 'example: must be the name of one of the webhook\'s examples', {}, { example: ['must be a string'] });
    try {
      // The trigger changes the state (an effect) and picks the recipients before its first await; then the attempts.
      const sending = deliveries.trigger(tenant, webhook, payload, example === undefined ? undefined : { exampleName: example });
      sending.catch(() => undefined);
      const unstored = await released(lease);
      if (unstored) return unstored;
      const sent = await sending;
      return { status: 200, headers: { 'content-type': 'application/json' }, body: sent };
    } catch (error) {
      if (error instanceof TriggerError) return problem(error.status, error.message, {}, { [error.field]: [error.message] });
      throw error;
    }
  }
}
