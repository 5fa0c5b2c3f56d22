// A test's handle on a running sandbox, through its control API (`/_sandbox/...` on each mock's port): the same
// requests a curl would send, so it works as well against a sandbox started in this process, in another process,
// or hosted for many teams. `startSandbox` returns one; `connectSandbox(urls)` makes one from URLs (a vitest
// worker gets them from globalSetup).
import type { SandboxApiTable } from '../generated/sandbox-apis.ts';
import type { DeliveryRecord, DeliveryResult } from './sandbox/deliveries.ts';
import type { JournalEntry } from './sandbox/journal.ts';

export type { DeliveryRecord, DeliveryResult, JournalEntry };

/** The API ids the sandbox serves. */
export type ApiId = keyof SandboxApiTable;
/** The webhooks an API pushes. */
export type WebhookName<Id extends ApiId> = SandboxApiTable[Id]['webhooks'][number];
export type BearerCredentials = { token: string };
export type BasicCredentials = { username: string; password: string };
/** A tenant's credentials, as the typed clients take them: a bearer token, or a Basic user and password. */
export type Credentials<Id extends ApiId> = SandboxApiTable[Id]['auth'] extends 'basic' ? BasicCredentials : BearerCredentials;

/** A tenant's objects per collection, as `GET /_sandbox/state` answers them. */
export type TenantStateView = Record<string, unknown>;

export interface EmitOptions {
  /** The name of one of the webhook's examples in the spec (default: the one closest to `payload`, else the first). */
  example?: string;
  /** Fields laid over the example. */
  payload?: unknown;
}

export interface WaitOptions<Id extends ApiId> {
  webhook?: WebhookName<Id>;
  /** The receiver's URL exactly as subscribed. */
  url?: string;
  /** Default 5000. */
  timeoutMs?: number;
}

export interface SandboxTenant<Id extends ApiId> {
  /** Back to the seed; clears the delivery log and the request journal. */
  reset(): Promise<TenantStateView>;
  state(): Promise<TenantStateView>;
  setState(state: TenantStateView): Promise<TenantStateView>;
  /** The vendor sends the webhook to this tenant's matching subscriptions; resolves once each first attempt is done. */
  emit(webhook: WebhookName<Id>, options?: EmitOptions): Promise<DeliveryResult[]>;
  /** The delivery log, newest first. */
  deliveries(): Promise<DeliveryRecord[]>;
  /** The first matching delivery (oldest first) once one of its attempts got a 2xx. */
  waitForDelivery(options?: WaitOptions<Id>): Promise<DeliveryRecord>;
  /** What this tenant sent to the mock, newest first: method, path, query, headers without credentials, body, status. */
  requests(): Promise<JournalEntry[]>;
  /** Sends a logged delivery again, as a new delivery naming the original. */
  redeliver(deliveryId: string): Promise<DeliveryResult>;
}

export interface SandboxApi<Id extends ApiId> {
  id: Id;
  /** The mock's origin, e.g. http://127.0.0.1:4014; the vendor's paths work under it. */
  url: string;
  tenant(credentials: Credentials<Id>): SandboxTenant<Id>;
}

export interface SandboxConnection {
  /** API id to the mock's origin. */
  urls: Partial<Record<ApiId, string>>;
  api<Id extends ApiId>(id: Id): SandboxApi<Id>;
}

/** A control API answer that is not 2xx: the status and the problem's detail. */
export class SandboxError extends Error {
  override name = 'SandboxError';
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
  }
}

function authorizationOf(credentials: BearerCredentials | BasicCredentials): string {
  if (credentials && typeof (credentials as BearerCredentials).token === 'string' && (credentials as BearerCredentials).token !== '') {
    return `Bearer ${(credentials as BearerCredentials).token}`;
  }
  const { username, password } = (credentials ?? {}) as BasicCredentials;
  if (typeof username === 'string' && username !== '' && !username.includes(':') && typeof password === 'string') {
    return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  throw new TypeError('tenant(credentials): give { token } (a bearer API) or { username, password } (a Basic API; the username without ":")');
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
const delivered = (record: DeliveryRecord) => record.attempts.some((attempt) => attempt.status !== null && attempt.status >= 200 && attempt.status < 300);

function tenantOf<Id extends ApiId>(id: Id, origin: string, credentials: Credentials<Id>): SandboxTenant<Id> {
  const authorization = authorizationOf(credentials);
  async function control<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${origin}/_sandbox/${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new SandboxError(`${method} ${url}: no sandbox answers (${cause})`, 0, undefined);
    }
    const answer = (await response.json().catch(() => undefined)) as { detail?: string } | undefined;
    if (!response.ok) throw new SandboxError(`${method} ${url} answered ${response.status}: ${answer?.detail ?? JSON.stringify(answer)}`, response.status, answer);
    return answer as T;
  }
  return {
    reset: () => control('POST', 'reset'),
    state: () => control('GET', 'state'),
    setState: (state) => control('PUT', 'state', state),
    emit: (webhook, options = {}) => control('POST', 'events', { webhook, ...options }),
    deliveries: () => control('GET', 'deliveries'),
    requests: () => control('GET', 'requests'),
    redeliver: (deliveryId) => control('POST', `deliveries/${encodeURIComponent(deliveryId)}/redeliver`),
    async waitForDelivery(options = {}) {
      const timeoutMs = options.timeoutMs ?? 5000;
      const deadline = Date.now() + timeoutMs;
      const matches = (record: DeliveryRecord) => (options.webhook === undefined || record.webhook === options.webhook) && (options.url === undefined || record.url === options.url);
      let seen: DeliveryRecord[] = [];
      for (;;) {
        seen = (await control<DeliveryRecord[]>('GET', 'deliveries')).filter(matches);
        const found = [...seen].reverse().find(delivered);
        if (found) return found;
        if (Date.now() >= deadline) break;
        await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
      }
      const what = [options.webhook && `webhook ${options.webhook}`, options.url && `url ${options.url}`].filter(Boolean).join(' to ') || 'any delivery';
      const lastErrors = seen.map((record) => record.attempts.at(-1)?.error).filter(Boolean);
      throw new Error(
        `waitForDelivery (${id}): no ${what} got a 2xx within ${timeoutMs} ms; ${seen.length} matching delivery(ies) seen${lastErrors.length ? `, last errors: ${[...new Set(lastErrors)].join('; ')}` : ''}`,
      );
    },
  };
}

/** A handle on a sandbox that is already running: its mocks' origins by API id. */
export function connectSandbox(urls: Partial<Record<ApiId, string>>): SandboxConnection {
  return {
    urls,
    api<Id extends ApiId>(id: Id): SandboxApi<Id> {
      const url = urls[id];
      if (!url) throw new TypeError(`api("${id}"): this sandbox serves ${Object.keys(urls).join(', ') || 'no API'}`);
      const origin = url.replace(/\/+$/, '');
      return { id, url: origin, tenant: (credentials) => tenantOf(id, origin, credentials) };
    },
  };
}
