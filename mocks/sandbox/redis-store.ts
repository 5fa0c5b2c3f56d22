// `--store redis://host:port/db`: replicas of the sandbox share one Redis, so that any number of them behind a load
// balancer are one sandbox. Each replica keeps its tenants in memory (the SandboxStore, as without Redis) as a cache:
//   open     before a request reads or changes a tenant: a short per-tenant lock (SET NX PX, retried briefly) whose
//            script also answers the tenant's version and refreshes its keys' expiry; the tenant is reloaded only
//            when that version differs from the cached one.
//   release  the request's changes (the store names each one: add, set, remove, a whole tenant) written by one Lua
//            script that checks the lock is still ours, applies them to the per-collection lists, increments the
//            version, refreshes the expiry and frees the lock: atomic, and before the 2xx.
// Keys (one hash tag per tenant, so they could live on one cluster slot): pas:{<api>:<tenant>}:lock, :v (version),
// :c:<collection> (a list of JSON items), :dlog and :drec (deliveries, mocks/sandbox/redis-deliveries.ts), :req
// (the request journal). Every key of a tenant expires after the store's tenantIdleMs without a request.
// ioredis is imported only here, and this module only when a Redis store is asked for.
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { JOURNAL_LIMIT, keptBody, type JournalEntry } from './journal.ts';
import type { SandboxState } from './state.ts';
import { tenantOf, type SharedTenants, type StoreChange, type StoreHealth, type TenantLease, type TenantState } from './store.ts';
import { createRedisDeliveries, type RedisDeliveryOptions } from './redis-deliveries.ts';

export interface RedisStoreOptions {
  log?: (line: string) => void;
}

export interface SharedMockOptions extends RedisDeliveryOptions {
  /** How long a request may hold its tenant (default 10 s: a request may make a delivery attempt meanwhile). */
  lockMs?: number;
  /** How long a request waits for a tenant another request holds before it answers 503 (default 5 s). */
  lockWaitMs?: number;
}

/** A script run by its SHA1, sent again in full when Redis does not have it (after a restart). */
export function redisScript(client: Redis, lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await client.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return client.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/** `redis://[user:password@]host:port/db` with the password hidden, for messages and logs. */
export function redactedUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Checks a `--store` value: `redis://host:port/db` (or `rediss://`); throws naming what is wrong. */
export function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`store: ${JSON.stringify(redactedUrl(url))} is not a URL; give redis://host:port/db`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`store: ${parsed.protocol} is not redis: or rediss: (give redis://host:port/db)`);
  if (!parsed.hostname) throw new Error('store: the Redis URL names no host (give redis://host:port/db)');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`store: the database ${JSON.stringify(db)} is not a number (give redis://host:port/db)`);
}

// KEYS[1] lock, KEYS[2] version, KEYS[3..] the tenant's other keys. ARGV token, lock ms, idle ms.
// -1: the lock is held; 0: Redis holds no such tenant; else its version.
const OPEN = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
local version = redis.call('GET', KEYS[2])
if not version then return 0 end
return tonumber(version)
`;

// KEYS as OPEN's, the collections' lists from KEYS[3]. ARGV token, idle ms, the changes as JSON:
// ["push", key, json] | ["set", key, index, json] | ["remove", key, index] | ["clear", key] (key: an index into KEYS).
// A change that cannot apply (it never should, under the lock) still bumps the version, so every replica reloads.
const WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('LOCKLOST the tenant was held too long: its lock expired before the change was stored') end
local failed = nil
for _, change in ipairs(cjson.decode(ARGV[3])) do
  local key = KEYS[change[2]]
  local result
  if change[1] == 'push' then result = redis.pcall('RPUSH', key, change[3])
  elseif change[1] == 'set' then result = redis.pcall('LSET', key, change[3], change[4])
  elseif change[1] == 'remove' then
    result = redis.pcall('LSET', key, change[3], '\\0removed')
    if type(result) ~= 'table' or not result.err then result = redis.pcall('LREM', key, 1, '\\0removed') end
  elseif change[1] == 'clear' then result = redis.pcall('DEL', key)
  end
  if type(result) == 'table' and result.err then failed = result.err end
end
local version = redis.call('INCR', KEYS[2])
for i = 2, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
redis.call('DEL', KEYS[1])
if failed then return redis.error_reply('CHANGEFAILED ' .. failed) end
return version
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Change = [kind: 'push', key: number, json: string] | [kind: 'set', key: number, index: number, json: string] | [kind: 'remove', key: number, index: number] | [kind: 'clear', key: number];

/** The key prefix of one tenant of one API. */
export const tenantKey = (api: string, tenant: string) => `pas:{${api}:${encodeURIComponent(tenant)}}`;

/**
 * Makes `state.store` a cache of the tenants Redis holds for `api`: see the top of this file. Returns what the
 * store's `shareThrough` takes.
 */
function createRedisTenants(client: Redis, api: string, state: SandboxState, options: SharedMockOptions & { health: () => StoreHealth; log?: (line: string) => void }): SharedTenants {
  const store = state.store;
  const collections = Object.keys(state.collections);
  const lockMs = options.lockMs ?? 10_000;
  const lockWaitMs = options.lockWaitMs ?? 5_000;
  const open = redisScript(client, OPEN);
  const write = redisScript(client, WRITE);
  const unlock = redisScript(client, UNLOCK);
  /** The version of each cached tenant as Redis had it (0: Redis held none). */
  const versions = new Map<string, number>();
  /** Changes of the tenants this replica holds, written on release. */
  const pending = new Map<string, Change[]>();
  /** The last write of each tenant issued by this process, settled (its version known) or not yet. */
  const writes = new Map<string, Promise<void>>();
  /** Requests of this process wait here for each other, rather than spin on the Redis lock. */
  const queues = new Map<string, Promise<void>>();
  const keysOf = (tenant: string) => {
    const prefix = tenantKey(api, tenant);
    return [`${prefix}:lock`, `${prefix}:v`, ...collections.map((name) => `${prefix}:c:${name}`), `${prefix}:dlog`, `${prefix}:drec`, `${prefix}:req`];
  };
  const collectionKey = (name: string) => {
    const index = collections.indexOf(name);
    return index < 0 ? undefined : index + 3;
  };

  /** The tenant's collections as Redis holds them, into the cache (the caller holds the tenant's lock). */
  async function reload(tenant: string, keys: string[], version: number) {
    const lists = await client.pipeline(collections.map((_, index) => ['lrange', keys[index + 2]!, '0', '-1'])).exec();
    const loaded: TenantState = {};
    collections.forEach((name, index) => {
      const [error, items] = lists![index]!;
      if (error) throw error;
      loaded[name] = (items as string[]).map((item) => JSON.parse(item));
    });
    store.load(tenant, loaded);
    versions.set(tenant, version);
  }

  async function acquire(tenant: string, keys: string[], token: string) {
    const started = Date.now();
    const health = options.health();
    if (!health.ok) throw new Error(health.reason);
    for (let tries = 0; ; tries++) {
      const version = Number(await open(keys, [token, lockMs, store.tenantIdleMs]));
      await writes.get(tenant);
      if (version >= 0) {
        if (version === 0) {
          // Redis holds no such tenant (never stored, or expired): neither does this cache. Unknown tenants (a
          // fuzzer's ever-new tokens) leave nothing behind.
          if (store.has(tenant)) store.load(tenant, undefined);
          versions.delete(tenant);
        } else if (versions.get(tenant) !== version || !store.has(tenant)) {
          // A tenant this cache forgot (limits, idle) or another replica changed is read again.
          if (versions.size > 2 * store.maxTenants) for (const name of versions.keys()) if (!store.has(name)) versions.delete(name);
          try {
            await reload(tenant, keys, version);
          } catch (error) {
            await unlock([keys[0]!], [token]).catch(() => undefined);
            throw error;
          }
        }
        return;
      }
      if (Date.now() - started > lockWaitMs) throw new Error(`the tenant stayed busy for ${lockWaitMs} ms (another request holds it)`);
      await sleep(Math.min(2 + tries * 2, 20) * (0.5 + Math.random()));
    }
  }

  function lease(tenant: string, keys: string[], token: string, done: () => void): TenantLease {
    let released: Promise<void> | undefined;
    return {
      release: () =>
        (released ??= (async () => {
          const changes = pending.get(tenant);
          pending.delete(tenant);
          const sent = changes?.length ? write(keys, [token, store.tenantIdleMs, JSON.stringify(changes)]) : unlock([keys[0]!], [token]);
          const stored = sent.then(
            (version) => void (changes?.length && versions.set(tenant, Number(version))),
            (error: Error) => {
              // The cache may now hold what Redis does not: read the tenant again next time.
              versions.delete(tenant);
              throw error;
            },
          );
          const settled = stored.catch(() => undefined);
          writes.set(tenant, settled);
          // The next request of this process may go at once: its commands follow these on the one connection, and
          // it reads the version this write sets before it compares.
          done();
          try {
            await stored;
          } catch (error) {
            await unlock([keys[0]!], [token]).catch(() => undefined);
            throw error;
          } finally {
            if (writes.get(tenant) === settled) writes.delete(tenant);
          }
        })()),
    };
  }

  return {
    async open(tenant: string): Promise<TenantLease> {
      const before = queues.get(tenant);
      let done!: () => void;
      const mine = new Promise<void>((resolveMine) => (done = resolveMine));
      const tail = (before ?? Promise.resolve()).then(() => mine);
      queues.set(tenant, tail);
      const finish = () => {
        done();
        if (queues.get(tenant) === tail) queues.delete(tenant);
      };
      if (before) await before;
      const keys = keysOf(tenant);
      const token = randomUUID();
      try {
        await acquire(tenant, keys, token);
      } catch (error) {
        finish();
        throw error;
      }
      pending.set(tenant, []);
      return lease(tenant, keys, token, finish);
    },

    write(change: StoreChange) {
      if (change.op === 'drop' || change.op === 'delivery' || change.op === 'attempt' || change.op === 'deliveries-cleared') return;
      const changes = pending.get(change.tenant);
      if (!changes) {
        // A change outside a request (none is expected): not written; the tenant is read from Redis again next time.
        versions.delete(change.tenant);
        options.log?.(`store: a change to ${change.tenant} outside a request was not stored in Redis`);
        return;
      }
      if (change.op === 'tenant') {
        changes.length = 0;
        for (const name of collections) {
          changes.push(['clear', collectionKey(name)!]);
          for (const stored of change.state[name] ?? []) changes.push(['push', collectionKey(name)!, JSON.stringify(stored)]);
        }
        return;
      }
      const key = collectionKey(change.collection);
      if (key === undefined) return;
      if (change.op === 'add') changes.push(['push', key, JSON.stringify(change.stored)]);
      else if (change.op === 'set') changes.push(['set', key, change.index, JSON.stringify(change.stored)]);
      else changes.push(['remove', key, change.index]);
    },

    // Changes are stored when the request's lease is released, before its answer.
    flushed: () => Promise.resolve(),
    health: options.health,
  };
}

/** The request journal in Redis: newest first, at most JOURNAL_LIMIT entries per tenant, expiring with the tenant. */
function createRedisJournal(client: Redis, api: string, idleMs: () => number, log?: (line: string) => void) {
  const key = (tenant: string) => `${tenantKey(api, tenant)}:req`;
  return {
    record(authorization: string | undefined, entry: JournalEntry) {
      const tenant = tenantOf(authorization);
      if (!tenant) return;
      client
        .multi()
        .lpush(key(tenant), JSON.stringify({ ...entry, body: keptBody(entry.body) }))
        .ltrim(key(tenant), 0, JOURNAL_LIMIT - 1)
        .pexpire(key(tenant), idleMs())
        .exec()
        .catch((error: Error) => log?.(`request journal: not stored in Redis (${error.message})`));
    },
    async list(tenant: string): Promise<JournalEntry[]> {
      return (await client.lrange(key(tenant), 0, -1)).map((entry) => JSON.parse(entry));
    },
    async clear(tenant: string) {
      await client.del(key(tenant));
    },
  };
}

/**
 * Connects to Redis (throws naming the URL and the reason when it cannot) and gives, per API, what
 * createPrismMock's `sharedStore` takes. `close` stops claiming deliveries and disconnects.
 */
export async function openRedisStore(url: string, options: RedisStoreOptions = {}) {
  checkRedisUrl(url);
  const shown = redactedUrl(url);
  const { Redis } = await import('ioredis');
  let lastError: string | undefined;
  const client = new Redis(url, {
    lazyConnect: true,
    // Fail at once while Redis is away (the request answers 503), rather than queue behind a reconnect.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  client.on('error', (error: Error) => {
    if (error.message !== lastError) options.log?.(`store ${shown}: ${error.message}`);
    lastError = error.message;
  });
  client.on('ready', () => (lastError = undefined));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`store: cannot connect to ${shown} (${(error as Error).message})`);
  }
  const health = (): StoreHealth =>
    client.status === 'ready' ? { ok: true } : { ok: false, reason: `the Redis store ${shown} is unreachable (${client.status}${lastError ? `: ${lastError}` : ''})` };
  const stops: (() => void)[] = [];

  return {
    url: shown,
    client,
    health,
    /** createPrismMock's `sharedStore` for one API. */
    forApi(api: string, mockOptions: SharedMockOptions = {}) {
      return (state: SandboxState) => {
        state.store.shareThrough(createRedisTenants(client, api, state, { ...mockOptions, health, log: options.log }));
        const deliveries = createRedisDeliveries(client, api, () => state.store.tenantIdleMs, { ...mockOptions, log: options.log });
        stops.push(deliveries.stop);
        return { deliveries, journal: createRedisJournal(client, api, () => state.store.tenantIdleMs, options.log) };
      };
    },
    /** The tenants Redis holds for the API (a SCAN of their version keys). */
    async tenants(api: string): Promise<string[]> {
      const prefix = `pas:{${api}:`;
      const names: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*}:v`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) names.push(decodeURIComponent(key.slice(prefix.length, -'}:v'.length)));
      } while (cursor !== '0');
      return names;
    },
    /** True for one replica per period: the one that takes `name`'s turn first. */
    async turn(name: string, periodMs: number): Promise<boolean> {
      return (await client.set(`pas:turn:${name}`, '1', 'PX', Math.max(1, Math.floor(periodMs * 0.9)), 'NX')) === 'OK';
    },
    async close() {
      for (const stop of stops) stop();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

export type RedisStore = Awaited<ReturnType<typeof openRedisStore>>;
