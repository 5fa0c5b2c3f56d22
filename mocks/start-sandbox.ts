// startSandbox(): the mocks of the chosen APIs, each on its own port of one host, in this process. The CLI's
// `start`, the repository's `npm start` and a partner's test suite all start the sandbox through this function.
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { FIRST_MOCK_PORT, selectApis, shippedCatalogue, UsageError, type SandboxApiFiles } from './catalogue.ts';
import { connectSandbox, type ApiId, type SandboxApi } from './connect.ts';
import { createPrismMock, type MockServer } from './prism-server.ts';
import { openDurableStore } from './sandbox/durable-store.ts';

export interface SandboxOptions {
  /** The APIs to serve (default: all). */
  apis?: readonly ApiId[];
  /** Default 127.0.0.1. */
  host?: string;
  /** The first API's port; the others follow in catalogue order. Default 0: the system picks free ports. */
  portBase?: number;
  /** Keep every tenant's state and deliveries in this file (a journal beside it), each change on disk before its answer. */
  stateFile?: string;
  /**
   * Where tenants live: `memory` (the default) or `redis://host:port/db`, a Redis that any number of replicas
   * share (each change stored there before its answer; see mocks/sandbox/redis-store.ts).
   */
  store?: string;
  /** Deliver to hosts other than loopback. */
  remoteCallbacks?: boolean;
  /** Accept self-signed certificates of https receivers. */
  insecureTls?: boolean;
  /** A port per API id, over portBase (`start --port` for one API). */
  ports?: Partial<Record<ApiId, number>>;
  /** Items per collection per tenant (default 1,000); past it a create answers 409. */
  maxItems?: number;
  /** A tenant without requests for this long expires (default 7 days), in memory and in Redis. */
  tenantIdleMs?: number;
  /** Waits between delivery attempts (default 1, 2, 4, 8 s; tests shorten them). */
  retryDelaysMs?: number[];
  /**
   * Replicas on Redis: how long a delivery attempt a replica claimed stays its own (default 30 s); after it, a
   * replica killed mid-attempt has its attempt made by another. Keep it above the attempt timeout (5 s).
   */
  deliveryLeaseMs?: number;
  /** Share of requests (0 to 1) answered with a random fault. */
  faults?: number;
  /** Every so many seconds, each API sends a random one of its webhooks to every tenant's subscribers. */
  emitEvery?: number;
  /** One line per request and per delivery attempt; default: silent. */
  log?: (line: string) => void;
  /** The APIs' files; default: the catalogue shipped with the package. */
  catalogue?: SandboxApiFiles[];
}

export interface RunningSandbox {
  /** API id to the mock's origin, e.g. `{ redex: 'http://127.0.0.1:41234' }`. */
  urls: Partial<Record<ApiId, string>>;
  api<Id extends ApiId>(id: Id): SandboxApi<Id>;
  /** The state file in use, and how many tenants it held at start. */
  stateFile?: { path: string; tenantsLoaded: number };
  /** The Redis store in use (its password hidden). */
  store?: { url: string };
  /** Stops every mock (the state file is written first); afterwards nothing of the sandbox keeps the process alive. */
  close(): Promise<void>;
}

function checkOptions(options: SandboxOptions) {
  const { portBase = 0, faults = 0, emitEvery } = options;
  if (!Number.isInteger(portBase) || portBase < 0 || portBase > 65535) throw new UsageError(`portBase: ${portBase} is not a port number`);
  if (!(faults >= 0 && faults <= 1)) throw new UsageError(`faults: ${faults} is not a share from 0 to 1`);
  if (emitEvery !== undefined && !(emitEvery > 0)) throw new UsageError(`emitEvery: ${emitEvery} is not a number of seconds above 0`);
  if (options.store !== undefined && options.store !== 'memory' && options.stateFile !== undefined) throw new UsageError('stateFile: a state file and a Redis store exclude each other; choose one');
  if (options.tenantIdleMs !== undefined && !(Number.isSafeInteger(options.tenantIdleMs) && options.tenantIdleMs > 0)) throw new UsageError(`tenantIdleMs: ${options.tenantIdleMs} is not a whole number of milliseconds above 0`);
  if (options.maxItems !== undefined && !(Number.isSafeInteger(options.maxItems) && options.maxItems > 0)) throw new UsageError(`maxItems: ${options.maxItems} is not a whole number above 0`);
}

function listen(server: MockServer, id: string, port: number, host: string): Promise<void> {
  return new Promise((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? Object.assign(new Error(`port ${port} (${id}) is already in use on ${host}: stop whatever holds it, or choose other ports (--port-base)`), { code: 'EADDRINUSE', port })
          : new Error(`${id} could not listen on ${host}:${port}: ${error.message}`),
      ),
    );
    server.listen(port, host, () => resolveListen());
  });
}

function closeServer(server: MockServer): Promise<void> {
  return new Promise((resolveClose) => {
    if (!server.listening) return resolveClose();
    server.closeAllConnections();
    server.close(() => resolveClose());
  });
}

export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  checkOptions(options);
  const catalogue = options.catalogue ?? shippedCatalogue();
  const selected = selectApis(catalogue, options.apis);
  const host = options.host ?? '127.0.0.1';
  const portBase = options.portBase ?? 0;
  const statePath = options.stateFile ? resolve(options.stateFile) : undefined;
  // Read before listening, so a corrupt file stops the start at once, naming the file and the reason.
  const durable = statePath ? openDurableStore(statePath, { onError: (error) => options.log?.(`state file: ${error.message}`) ?? console.error(`sandbox: ${error.message}`) }) : undefined;

  // Imported only when asked for: the in-memory start does not load the Redis client.
  let redis: import('./sandbox/redis-store.ts').RedisStore | undefined;
  if (options.store !== undefined && options.store !== 'memory') {
    const { checkRedisUrl, openRedisStore } = await import('./sandbox/redis-store.ts');
    try {
      checkRedisUrl(options.store);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    redis = await openRedisStore(options.store, { log: (line) => (options.log ?? console.error)(line) });
  }

  const mocks = new Map<string, MockServer>();
  await Promise.all(selected.map(async (api) => {
    const mock = await createPrismMock({
      specPath: api.spec,
      declarationPath: api.declaration,
      log: options.log && ((line) => options.log!(`[${api.id}] ${line}`)),
      allowRemoteCallbacks: options.remoteCallbacks,
      insecureTls: options.insecureTls,
      faultShare: options.faults ?? 0,
      maxItems: options.maxItems,
      tenantIdleMs: options.tenantIdleMs,
      retryDelaysMs: options.retryDelaysMs,
      sharedStore: redis?.forApi(api.id, { deliveryLeaseMs: options.deliveryLeaseMs }),
    });
    mocks.set(api.id, mock);
  }));

  durable?.attach(mocks);

  try {
    const portOf = (api: SandboxApiFiles) => options.ports?.[api.id as ApiId] ?? (portBase === 0 ? 0 : api.port - FIRST_MOCK_PORT + portBase);
    await Promise.all(selected.map((api) => listen(mocks.get(api.id)!, api.id, portOf(api), host)));
  } catch (error) {
    await Promise.all([...mocks.values()].map(closeServer));
    await redis?.close();
    throw error;
  }

  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const urls = Object.fromEntries(selected.map((api) => [api.id, `http://${hostInUrl}:${(mocks.get(api.id)!.address() as AddressInfo).port}`])) as Partial<Record<ApiId, string>>;

  let emitter: NodeJS.Timeout | undefined;
  if (options.emitEvery) {
    const periodMs = options.emitEvery * 1000;
    // Replicas on Redis: one replica a period takes the turn, and emits to every tenant Redis holds.
    const tenantsToEmitTo = async (id: string, mock: MockServer) =>
      !redis ? Object.keys(mock.sandbox.state.store.snapshot()) : (await redis.turn(`emit-every:${id}`, periodMs)) ? redis.tenants(id) : [];
    emitter = setInterval(() => {
      for (const [id, mock] of mocks) {
        const names = mock.sandbox.deliveries.webhookNames();
        if (names.length === 0) continue;
        const store = mock.sandbox.state.store;
        const emit = async (tenant: string, webhook: string) => {
          // With a shared store the tenant is held while the event changes it, like a request.
          const lease = await store.open?.(tenant);
          try {
            await mock.sandbox.deliveries.trigger(tenant, webhook);
          } finally {
            await lease?.release();
          }
        };
        tenantsToEmitTo(id, mock)
          .then((tenants) => {
            for (const tenant of tenants) {
              const webhook = names[Math.floor(Math.random() * names.length)]!;
              emit(tenant, webhook).catch((error: Error) => options.log?.(`[${id}] emit-every ${webhook}: ${error.message}`));
            }
          })
          .catch((error: Error) => options.log?.(`[${id}] emit-every: ${error.message}`));
      }
    }, options.emitEvery * 1000);
    emitter.unref();
  }

  const connection = connectSandbox(urls);
  let closing: Promise<void> | undefined;
  return {
    urls,
    api: (id) => connection.api(id),
    ...(durable ? { stateFile: { path: durable.path, tenantsLoaded: durable.tenantCount } } : {}),
    ...(redis ? { store: { url: redis.url } } : {}),
    close() {
      closing ??= (async () => {
        if (emitter) clearInterval(emitter);
        await Promise.all([...mocks.values()].map(closeServer));
        durable?.closeSync();
        await redis?.close();
      })();
      return closing;
    },
  };
}
