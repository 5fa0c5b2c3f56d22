// The vendor's side of the sandbox: events pushed to the partner's subscriptions. A delivery reads top-down:
// trigger -> payload (example merged with overrides, validated) -> vendor-side effect -> matching subscribers ->
// sign -> send -> log -> retry. Which webhook goes to which subscriber field is `deliveries` in sandbox.yaml.
import { randomUUID } from 'node:crypto';
import { pointerValues, valueAt } from '../shared/openapi-json.ts';
import { signatureHeaders } from '../shared/signing.ts';
import { createCallbackGuard, pinnedConnector, type Connector, type Resolver } from './callback-guard.ts';
import { checkStamp, stampPayload } from './stamp.ts';
import { LIMIT_STATUS, type SandboxState } from './state.ts';
import { examplePayload, listWebhooks, mergePayload, validatePayload, type PayloadProblem, type Webhook } from '../shared/webhook-payloads.ts';

type Json = Record<string, any>;

export interface DeliveryDeclaration {
  /** Collection whose items subscribe. */
  subscribers: string;
  /** Array field of a subscriber whose entries are the targets (the VTN's objectOperations, Bajie's eventSubscriptions). */
  targets?: string;
  /** Fields holding the URL, first non-empty wins, looked up on the target, then on the subscriber. */
  url: string | string[];
  /** Target field -> a payload pointer (`/objectType`; a `*` token steps into every array item) whose value it must hold, or a literal. */
  match?: Record<string, unknown>;
  /** A field value that matches every payload value (HanChuESS `events: ['*']`). */
  wildcard?: string;
  /** A match field that is absent or null matches everything (a Spark subscription without filters). */
  absentMatchesAll?: boolean;
  /** Target field holding a bearer token for `Authorization`. */
  bearer?: string;
  /** Header -> subscriber field, sent when set (HanChuESS `X-Api-Version` <- `version`). */
  headers?: Record<string, string>;
  /** What the vendor's event does to vendor-side state (a Spark event created, changed or removed). */
  effect?: { collection: string; action: 'create' | 'update' | 'delete'; item: string };
  /** Fields the vendor stamps with the send time: pointer -> `$now` or `$now(<format>)` (see stamp.ts). */
  stamp?: Record<string, string>;
  /** The partner's own changes that send this webhook (the VTN notifies subscribers of SUBSCRIPTION objects). */
  onChange?: { collection: string; operations: Record<'create' | 'update' | 'delete', string>; payload: Json };
}

export interface Attempt {
  at: string;
  status: number | null;
  error: string | null;
  /** How the attempt went out when that differs from the URL (plain HTTP to a loopback https receiver). */
  note: string | null;
  ms: number;
}

export interface DeliveryRecord {
  id: string;
  webhook: string;
  subscription: string;
  url: string;
  request: { method: string; headers: Record<string, string>; body: string };
  attempts: Attempt[];
  state: 'delivering' | 'retrying' | 'delivered' | 'failed';
  /** The delivery this one sends again (`POST /_sandbox/deliveries/{id}/redeliver`). */
  redeliveryOf?: string;
  /** When the next attempt is due, while retrying. */
  nextAttemptAt?: string;
}

export interface DeliveryResult {
  /** The delivery's id in `GET /_sandbox/deliveries`, for redelivery. */
  delivery: string;
  subscription: string;
  url: string;
  status: number | null;
  attempts: number;
  error: string | null;
}

export interface DeliveryOptions {
  log?: (line: string) => void;
  allowRemote?: boolean;
  /** Accept self-signed certificates of https receivers. */
  insecureTls?: boolean;
  /** Waits before attempts 2..n; the sandbox's policy is 1, 2, 4 and 8 s (5 attempts in all). */
  retryDelaysMs?: number[];
  attemptTimeoutMs?: number;
  /** The send time stamped into events (tests fix it). */
  clock?: () => Date;
  /** How target names are resolved and checked addresses connected to (tests inject both; see callback-guard.ts). */
  resolve?: Resolver;
  connector?: Connector;
  /** Deliveries kept in a store replicas share (mocks/sandbox/redis-deliveries.ts) instead of this process's timers. */
  shared?: SharedDeliveries;
}

/**
 * Deliveries shared by replicas: records, logs and due attempts live in the shared store, and each attempt is
 * claimed by exactly one replica, so a subscriber gets one delivery per event however many replicas run.
 */
export interface SharedDeliveries {
  /** Stores the record, its first attempt claimed by this replica, before that attempt is made. */
  stored(tenant: string, record: DeliveryRecord): Promise<void>;
  /** Stores the latest attempt's outcome; the next attempt is due at `nextAttemptAt`, or there is none. */
  attempted(tenant: string, record: DeliveryRecord): Promise<void>;
  log(tenant: string): Promise<DeliveryRecord[]>;
  find(tenant: string, id: string): Promise<DeliveryRecord | undefined>;
  clear(tenant: string): Promise<void>;
  /** From now on, claims due attempts (whoever stored them) and makes each through `attempt`. */
  start(attempt: (tenant: string, record: DeliveryRecord) => Promise<void>): void;
}

export const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];
/** Deliveries a tenant's log keeps, newest first, whichever store holds it (memory, state file, Redis). */
export const DELIVERY_LOG_LIMIT = 200;

export class TriggerError extends Error {
  constructor(readonly field: string, message: string, readonly status = 400) {
    super(message);
  }
}

function substitute(template: unknown, values: Record<string, unknown>): unknown {
  if (typeof template === 'string' && template.startsWith('$') && template.slice(1) in values) return structuredClone(values[template.slice(1)]);
  if (Array.isArray(template)) return template.map((entry) => substitute(entry, values));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, substitute(value, values)]));
  return template;
}

/**
 * The example to lay overrides over: the one sharing most top-level values with them (`event: CABINET_OFFLINE`
 * picks Bajie's offline example), so a partial payload does not inherit another event's fields.
 */
function closestExample(webhook: Webhook, overrides: unknown): string | undefined {
  if (!overrides || typeof overrides !== 'object' || Array.isArray(overrides)) return undefined;
  let best: { name: string; score: number } | undefined;
  for (const example of webhook.examples) {
    const value = example.value as Json;
    if (!value || typeof value !== 'object') continue;
    const score = Object.entries(overrides).filter(([key, wanted]) => wanted !== null && typeof wanted !== 'object' && value[key] === wanted).length;
    if (score > 0 && (!best || score > best.score)) best = { name: example.name, score };
  }
  return best?.name;
}

export function createDeliveries(spec: Json, declarations: Record<string, DeliveryDeclaration>, state: SandboxState, options: DeliveryOptions = {}) {
  const webhooks = new Map<string, Webhook>(listWebhooks(spec).map((webhook) => [webhook.name, webhook]));
  for (const [name, declaration] of Object.entries(declarations)) {
    if (!webhooks.has(name)) throw new Error(`deliveries.${name}: no webhook of that name in the spec (has ${[...webhooks.keys()].join(', ')})`);
    if (!state.collections[declaration.subscribers]) throw new Error(`deliveries.${name}.subscribers: no collection "${declaration.subscribers}"`);
    checkStamp(declaration.stamp, `deliveries.${name}.stamp`);
  }
  const clock = options.clock ?? (() => new Date());
  const retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const timeoutMs = options.attemptTimeoutMs ?? 5000;
  const logs = new Map<string, DeliveryRecord[]>();
  // A dropped tenant (idle, or over the tenant limit) takes its delivery log with it.
  state.store.onDrop((tenant) => logs.delete(tenant));
  const guard = createCallbackGuard({ allowRemote: options.allowRemote, resolve: options.resolve });
  const connect = options.connector ?? pinnedConnector;
  const shared = options.shared;

  const keyOf = (collection: string, item: Json) => {
    const key = state.collections[collection]?.key;
    const field = Array.isArray(key) ? key.find((name) => item[name] !== undefined) : key;
    return field && item[field] !== undefined ? String(item[field]) : collection;
  };

  /** Every (subscriber, target, url) of the tenant that this payload goes to. */
  function recipients(tenant: string, webhookName: string, payload: unknown, only?: Json) {
    const declaration = declarations[webhookName]!;
    // What the payload offers per match field, computed once rather than per subscriber.
    const conditions = Object.entries(declaration.match ?? {}).map(([field, wanted]) =>
      typeof wanted === 'string' && wanted.startsWith('/') ? { field, offered: new Set(pointerValues(payload, wanted).map(String)) } : { field, literal: wanted },
    );
    const urlFields = Array.isArray(declaration.url) ? declaration.url : [declaration.url];
    const accepts = (subscriber: Json, target: Json) =>
      conditions.every((condition) => {
        const held = target[condition.field] ?? subscriber[condition.field];
        if (!('offered' in condition)) return condition.literal === true ? held !== false : held === condition.literal;
        if ((held === undefined || held === null) && declaration.absentMatchesAll) return true;
        const heldValues = Array.isArray(held) ? held : held === undefined || held === null ? [] : [held];
        return heldValues.some((value) => (declaration.wildcard !== undefined && value === declaration.wildcard) || condition.offered!.has(String(value)));
      });
    const found: { subscriber: Json; target: Json; url: string }[] = [];
    // Only subscribers that hold an offered value (or none) can match: the state finds them without a scan.
    const indexed = only ? undefined : conditions.find((condition) => 'offered' in condition);
    const pool = indexed
      ? state.subscribersHolding(tenant, declaration.subscribers, declaration.targets, indexed.field, [...indexed.offered!, ...(declaration.wildcard !== undefined ? [String(declaration.wildcard)] : [])])
      : (state.store.tenant(tenant)[declaration.subscribers] ?? []);
    for (const stored of pool) {
      const subscriber = stored.item;
      if (only && subscriber !== only) continue;
      const listed = declaration.targets ? subscriber[declaration.targets] : [subscriber];
      for (const target of Array.isArray(listed) ? (listed as Json[]) : []) {
        // A delivery to one named subscriber (a test delivery) goes whatever it subscribes to.
        if (!only && !accepts(subscriber, target)) continue;
        const url = urlFields.map((field) => target[field] || subscriber[field]).find((value) => typeof value === 'string' && value !== '');
        if (url) found.push({ subscriber, target, url });
      }
    }
    return found;
  }

  async function attempt(record: DeliveryRecord): Promise<Attempt> {
    const started = performance.now();
    const at = new Date().toISOString();
    let url: URL;
    try {
      url = new URL(record.url);
    } catch {
      return { at, status: null, error: `not a URL: ${record.url}`, note: null, ms: 0 };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { at, status: null, error: `refused: ${url.protocol} is not http or https`, note: null, ms: 0 };
    const verdict = await guard(url);
    if (!verdict.ok) return { at, status: null, error: `refused: ${verdict.reason}`, note: null, ms: 0 };
    const result = await connect(verdict.target, record.request, { timeoutMs, insecureTls: options.insecureTls });
    return { at, ...result, ms: Math.round(performance.now() - started) };
  }

  /** Sends one delivery; resolves after the first attempt, retrying in the background. */
  async function send(tenant: string, record: DeliveryRecord, onDelivered?: () => void): Promise<DeliveryResult> {
    if (shared) {
      await shared.stored(tenant, record);
      const first = await run(tenant, record, onDelivered);
      return { delivery: record.id, subscription: record.subscription, url: record.url, status: first.status, attempts: record.attempts.length, error: first.error };
    }
    const log = logs.get(tenant) ?? logs.set(tenant, []).get(tenant)!;
    log.unshift(record);
    if (log.length > DELIVERY_LOG_LIMIT) log.length = DELIVERY_LOG_LIMIT;
    // Stored before the first attempt (on disk, with a state file), so that a restart resumes it.
    await state.store.recordDelivery(tenant, record);
    const first = await run(tenant, record, onDelivered);
    return { delivery: record.id, subscription: record.subscription, url: record.url, status: first.status, attempts: record.attempts.length, error: first.error };
  }

  /** One attempt, its outcome recorded, and the next one scheduled when there is one. */
  async function run(tenant: string, record: DeliveryRecord, onDelivered?: () => void): Promise<Attempt> {
    const result = await attempt(record);
    record.attempts.push(result);
    const total = retryDelays.length + 1;
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    options.log?.(`delivery ${record.webhook} -> ${record.url}: ${result.status ?? `error: ${result.error}`}, ${result.ms} ms, attempt ${record.attempts.length}/${total}${result.note ? ` (${result.note})` : ''}`);
    delete record.nextAttemptAt;
    if (ok) {
      record.state = 'delivered';
      onDelivered?.();
    } else if (record.attempts.length < total && !result.error?.startsWith('refused')) {
      record.state = 'retrying';
      const delayMs = retryDelays[record.attempts.length - 1]!;
      record.nextAttemptAt = new Date(Date.now() + delayMs).toISOString();
      // Shared: the next attempt is due in the shared store, for whichever replica claims it then.
      if (!shared) schedule(tenant, record, delayMs, onDelivered);
    } else record.state = 'failed';
    if (shared) await shared.attempted(tenant, record);
    else state.store.recordAttempt(tenant, record);
    return result;
  }

  function schedule(tenant: string, record: DeliveryRecord, delayMs: number, onDelivered?: () => void) {
    setTimeout(() => void run(tenant, record, onDelivered), delayMs).unref();
  }

  function recordFor(webhookName: string, subscriber: Json, target: Json, url: string, payload: unknown): DeliveryRecord {
    const declaration = declarations[webhookName]!;
    const webhook = webhooks.get(webhookName)!;
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'partner-api-contracts-sandbox' };
    for (const [header, field] of Object.entries(declaration.headers ?? {})) if (subscriber[field] !== undefined && subscriber[field] !== null) headers[header] = String(subscriber[field]);
    const token = declaration.bearer ? target[declaration.bearer] : undefined;
    if (typeof token === 'string' && token !== '') headers.authorization = `Bearer ${token}`;
    const secretField = webhook.signature?.key;
    const secret = secretField ? subscriber[secretField] : undefined;
    if (webhook.signature && typeof secret === 'string' && secret !== '') Object.assign(headers, signatureHeaders(webhook, body, secret));
    return {
      id: randomUUID(),
      webhook: webhookName,
      subscription: keyOf(declaration.subscribers, subscriber),
      url,
      request: { method: webhook.method.toUpperCase(), headers, body },
      attempts: [],
      state: 'delivering',
    };
  }

  /** A payload for the webhook: the override merged over a valid example, checked against the schema. */
  function payloadFor(webhookName: string, overrides?: unknown, exampleName?: string): unknown {
    const webhook = webhooks.get(webhookName);
    if (!webhook || !declarations[webhookName]) {
      throw new TriggerError('webhook', `webhook: unknown webhook ${JSON.stringify(webhookName)}; this API delivers ${Object.keys(declarations).join(', ')}`);
    }
    if (exampleName !== undefined && !webhook.examples.some((example) => example.name === exampleName)) {
      const names = webhook.examples.map((example) => example.name);
      throw new TriggerError('example', `example: ${webhookName} has no example ${JSON.stringify(exampleName)}; it has ${names.join(', ') || 'none'}`);
    }
    const base = exampleName ?? closestExample(webhook, overrides);
    const payload = overrides === undefined ? examplePayload(spec, webhook, base) : mergePayload(examplePayload(spec, webhook, base), overrides);
    stampPayload(payload, declarations[webhookName]!.stamp ?? {}, clock(), overrides);
    const problems: PayloadProblem[] = validatePayload(spec, webhook, payload);
    if (problems.length) throw new TriggerError(`payload.${problems[0]!.field}`, problems.map((problem) => `payload.${problem.field}: ${problem.reason}`).join('; '));
    return payload;
  }

  function applyEffect(tenant: string, webhookName: string, payload: unknown) {
    const effect = declarations[webhookName]!.effect;
    if (!effect) return;
    const item = valueAt(payload, effect.item) as Json | undefined;
    if (!item || typeof item !== 'object') return;
    const items = state.store.tenant(tenant)[effect.collection] ?? [];
    const key = keyOf(effect.collection, item);
    const found = items.find((stored) => keyOf(effect.collection, stored.item) === key);
    if (effect.action === 'delete') {
      if (found) state.store.remove(tenant, effect.collection, found);
    } else if (found) state.store.set(tenant, effect.collection, found, structuredClone(item));
    else {
      const full = state.store.add(tenant, effect.collection, { item: structuredClone(item) });
      if (full) throw new TriggerError('webhook', full, LIMIT_STATUS);
    }
  }

  shared?.start(async (tenant, record) => void (await run(tenant, record)));

  return {
    webhookNames: () => Object.keys(declarations),

    /** The vendor sends `webhookName`: validated payload, effect on state, then every matching subscriber. */
    async trigger(tenant: string, webhookName: string, overrides?: unknown, only?: { item?: Json; exampleName?: string; onDelivered?: () => void }): Promise<DeliveryResult[]> {
      const payload = payloadFor(webhookName, overrides, only?.exampleName);
      applyEffect(tenant, webhookName, payload);
      const sends = recipients(tenant, webhookName, payload, only?.item).map(({ subscriber, target, url }) =>
        send(tenant, recordFor(webhookName, subscriber, target, url, payload), only?.onDelivered),
      );
      return Promise.all(sends);
    },

    /** The partner changed its own objects: webhooks declared `onChange` for that collection go out. */
    onChange(tenant: string, collection: string, action: 'create' | 'update' | 'delete', item: Json) {
      for (const [name, declaration] of Object.entries(declarations)) {
        if (declaration.onChange?.collection !== collection) continue;
        const payload = substitute(declaration.onChange.payload, { item, operation: declaration.onChange.operations[action] });
        // Every delivered body validates against the webhook's schema; one that does not is logged, never sent.
        const problems = validatePayload(spec, webhooks.get(name)!, payload);
        if (problems.length) {
          options.log?.(`delivery ${name} not sent: the payload breaks the webhook schema (${problems.map((problem) => `${problem.field}: ${problem.reason}`).join('; ')})`);
          continue;
        }
        for (const { subscriber, target, url } of recipients(tenant, name, payload)) void send(tenant, recordFor(name, subscriber, target, url, payload));
      }
    },

    /** Sends a logged delivery again, as it was sent, as a new logged delivery naming the original; undefined for an unknown id. */
    async redeliver(tenant: string, id: string): Promise<DeliveryResult | undefined> {
      const original = shared ? await shared.find(tenant, id) : logs.get(tenant)?.find((record) => record.id === id);
      if (!original) return undefined;
      const copy: DeliveryRecord = {
        id: randomUUID(),
        webhook: original.webhook,
        subscription: original.subscription,
        url: original.url,
        request: structuredClone(original.request),
        attempts: [],
        state: 'delivering',
        redeliveryOf: original.id,
      };
      return send(tenant, copy);
    },

    /** The tenant's deliveries, newest first (a promise with a shared store). */
    log: (tenant: string): DeliveryRecord[] | Promise<DeliveryRecord[]> => (shared ? shared.log(tenant) : (logs.get(tenant) ?? [])),
    clearLog: (tenant: string): Promise<void> | void => {
      if (shared) return shared.clear(tenant);
      state.store.clearDeliveries(tenant);
      logs.delete(tenant);
    },

    /** Delivery logs kept by a durable store: pending retries go on at their stored time, an overdue one at once. */
    restore(saved: Record<string, DeliveryRecord[]>) {
      for (const [tenant, records] of Object.entries(saved)) {
        logs.set(tenant, records.slice(0, DELIVERY_LOG_LIMIT));
        for (const record of records) {
          if (record.state !== 'retrying' && record.state !== 'delivering') continue;
          const dueInMs = record.nextAttemptAt ? Date.parse(record.nextAttemptAt) - Date.now() : 0;
          schedule(tenant, record, Math.max(0, dueInMs));
        }
      }
    },
    snapshot: (): Record<string, DeliveryRecord[]> => Object.fromEntries(logs),
  };
}

export type Deliveries = ReturnType<typeof createDeliveries>;
