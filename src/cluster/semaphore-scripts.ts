// The cluster semaphore's Lua scripts. Redis runs a script atomically, so each one sees and changes the holders and
// the waiting line as one step: no two processes can both see a free slot and both take it.
//
// Keys (always in this order, see `semaphoreKeys`):
//   1 holders       sorted set: token → the slot's expiry (ms, Redis time)
//   2 line          sorted set: token → ticket (the FIFO order of waiters)
//   3 lineExpiry    sorted set: token → when the waiter is presumed dead unless it asks again (ms, Redis time)
//   4 tickets       counter handing out tickets
//   5 epoch         when this limit's keys were (re)created (ms, Redis time); survives only as long as Redis' data
//
// Time is always Redis' own (`TIME`): every process then judges expiry by one clock, whatever the skew between
// machines. Scripts are replicated by effects (the default since Redis 5), so reading TIME inside them is safe.
import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA. */
export interface SemaphoreScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): SemaphoreScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const prelude = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, member in ipairs(dead) do redis.call('ZREM', KEYS[2], member) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
`;

/** The Redis keys of the limit named `key`, in the order the scripts expect. */
export function semaphoreKeys(key: string): string[] {
  return ['holders', 'line', 'line-expiry', 'tickets', 'epoch'].map((part) => `${key}:${part}`);
}

/**
 * The scripts, by what they do. Every reply starts with `{ heldInCluster, waitingInCluster }` so each round trip
 * also refreshes what `status()` shows.
 */
export const semaphoreScripts = {
  /**
   * Take a slot or keep a place in line. ARGV: token, limit, leaseTtlMs, waiterTtlMs.
   * Reply: { held, waiting, granted (0|1), quarantineMs }.
   *
   * A waiter may take a slot only when fewer older live waiters stand ahead of it than there are free slots:
   * the oldest live waiters across all processes get the slots, whoever happens to ask first.
   * Quarantine: when the epoch key is missing, Redis lost its data (restart, flush, failover to a stale replica)
   * and with it the holders of before; those holders stop using their slots once they fail to renew them, at the
   * latest `leaseTtlMs` after Redis went away, so no slot is granted until `leaseTtlMs` after the new epoch.
   */
  take: script(`${prelude}
local token, limit, leaseTtl, waiterTtl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local epoch = tonumber(redis.call('GET', KEYS[5]))
if not epoch then
  epoch = now
  redis.call('SET', KEYS[5], epoch)
end
if redis.call('ZSCORE', KEYS[1], token) then
  redis.call('ZADD', KEYS[1], now + leaseTtl, token)
  return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), 1, 0 }
end
if not redis.call('ZSCORE', KEYS[2], token) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), token)
end
redis.call('ZADD', KEYS[3], now + waiterTtl, token)
local held = redis.call('ZCARD', KEYS[1])
local waiting = redis.call('ZCARD', KEYS[2])
if now < epoch + leaseTtl then
  return { held, waiting, 0, epoch + leaseTtl - now }
end
if redis.call('ZRANK', KEYS[2], token) < limit - held then
  redis.call('ZREM', KEYS[2], token)
  redis.call('ZREM', KEYS[3], token)
  redis.call('ZADD', KEYS[1], now + leaseTtl, token)
  return { held + 1, waiting - 1, 1, 0 }
end
return { held, waiting, 0, 0 }
`),

  /**
   * Renew held slots. ARGV: leaseTtlMs, token… Reply: { held, waiting, renewed per token (0|1)… }.
   * A slot already expired is not revived: someone else may own it by now.
   */
  renew: script(`${prelude}
local reply = { 0, 0 }
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
    reply[#reply + 1] = 1
  else
    reply[#reply + 1] = 0
  end
end
reply[1] = redis.call('ZCARD', KEYS[1])
reply[2] = redis.call('ZCARD', KEYS[2])
return reply
`),

  /** Forget a token: free its slot, or take it out of the line. ARGV: token. Reply: { held, waiting }. */
  forget: script(`${prelude}
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]) }
`),

  /** Count live holders and waiters (dropping the expired ones). Reply: { held, waiting }. */
  count: script(`${prelude}
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]) }
`),
} as const;
