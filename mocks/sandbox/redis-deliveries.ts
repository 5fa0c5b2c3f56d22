// Deliveries shared by replicas on one Redis (mocks/sandbox/redis-store.ts): a delivery's record is stored before its
// first attempt, its next attempts are due in a sorted set (score: when, in ms), and each attempt is made by exactly
// one replica: a replica claims due deliveries atomically (one Lua script moves their score to now + a lease), makes
// the attempt, stores the outcome and sets the next due time or removes the entry. A replica killed mid-attempt
// leaves its claim to expire with the lease, and another replica makes the attempt.
// Keys: pas:due:<api> (the sorted set; members `<delivery id> <tenant>`), and per tenant :drec (a hash of the
// records by id) and :dlog (their ids, newest first, at most DELIVERY_LOG_LIMIT: older records go with their ids).
import type { Redis } from 'ioredis';
import { DELIVERY_LOG_LIMIT, type DeliveryRecord, type SharedDeliveries } from './deliveries.ts';
import { redisScript, tenantKey } from './redis-store.ts';

export interface RedisDeliveryOptions {
  /** How long a claimed attempt belongs to the replica that claimed it (default 30 s). */
  deliveryLeaseMs?: number;
  /** How often a replica looks for due attempts (default 250 ms). */
  deliveryPollMs?: number;
  log?: (line: string) => void;
}

// KEYS[1] records, KEYS[2] log, KEYS[3] due. ARGV id, record, tenant, claimed until, log limit, idle ms.
const STORE = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[1])
while redis.call('LLEN', KEYS[2]) > tonumber(ARGV[5]) do
  local old = redis.call('RPOP', KEYS[2])
  redis.call('HDEL', KEYS[1], old)
  redis.call('ZREM', KEYS[3], old .. ' ' .. ARGV[3])
end
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1] .. ' ' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 1
`;

// KEYS[1] records, KEYS[2] due, KEYS[3] log. ARGV id, record, tenant, next due ms ('' when none), idle ms. A record
// trimmed from the log meanwhile stays gone; a delivery still going keeps its tenant's log from expiring.
const ATTEMPTED = `
local member = ARGV[1] .. ' ' .. ARGV[3]
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then redis.call('ZREM', KEYS[2], member) return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] == '' then redis.call('ZREM', KEYS[2], member) else redis.call('ZADD', KEYS[2], ARGV[4], member) end
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
return 1
`;

// KEYS[1] due. ARGV now, claimed until, how many. The due members, each now claimed until the lease ends.
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], member) end
return due
`;

export function createRedisDeliveries(client: Redis, api: string, idleMs: () => number, options: RedisDeliveryOptions = {}): SharedDeliveries & { stop(): void } {
  const leaseMs = options.deliveryLeaseMs ?? 30_000;
  const pollMs = options.deliveryPollMs ?? 250;
  const due = `pas:due:${api}`;
  const records = (tenant: string) => `${tenantKey(api, tenant)}:drec`;
  const log = (tenant: string) => `${tenantKey(api, tenant)}:dlog`;
  const store = redisScript(client, STORE);
  const attempted = redisScript(client, ATTEMPTED);
  const claim = redisScript(client, CLAIM);
  let timer: NodeJS.Timeout | undefined;
  let claiming = false;

  async function claimDue(attempt: (tenant: string, record: DeliveryRecord) => Promise<void>) {
    if (claiming || client.status !== 'ready') return;
    claiming = true;
    try {
      const now = Date.now();
      const members = (await claim([due], [now, now + leaseMs, 50])) as string[];
      for (const member of members) {
        const space = member.indexOf(' ');
        const id = member.slice(0, space);
        const tenant = member.slice(space + 1);
        const text = await client.hget(records(tenant), id);
        const record = text ? (JSON.parse(text) as DeliveryRecord) : undefined;
        if (!record || (record.state !== 'retrying' && record.state !== 'delivering')) {
          await client.zrem(due, member);
          continue;
        }
        attempt(tenant, record).catch((error: Error) => options.log?.(`delivery ${id}: ${error.message}`));
      }
    } catch (error) {
      options.log?.(`deliveries: cannot claim due attempts (${(error as Error).message})`);
    } finally {
      claiming = false;
    }
  }

  return {
    async stored(tenant, record) {
      await store([records(tenant), log(tenant), due], [record.id, JSON.stringify(record), tenant, Date.now() + leaseMs, DELIVERY_LOG_LIMIT, idleMs()]);
    },
    async attempted(tenant, record) {
      const next = record.state === 'retrying' && record.nextAttemptAt ? String(Date.parse(record.nextAttemptAt)) : '';
      await attempted([records(tenant), due, log(tenant)], [record.id, JSON.stringify(record), tenant, next, idleMs()]);
    },
    async log(tenant) {
      const ids = await client.lrange(log(tenant), 0, -1);
      if (ids.length === 0) return [];
      const texts = await client.hmget(records(tenant), ...ids);
      return texts.filter((text): text is string => text !== null).map((text) => JSON.parse(text));
    },
    async find(tenant, id) {
      const text = await client.hget(records(tenant), id);
      return text ? JSON.parse(text) : undefined;
    },
    async clear(tenant) {
      await client.del(records(tenant), log(tenant));
    },
    start(attempt) {
      timer = setInterval(() => void claimDue(attempt), pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
