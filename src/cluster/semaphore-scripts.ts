// The cluster semaphore's Lua scripts. Redis runs a script atomically, so each one sees and changes the holders and
// the waiting line as one step: no two processes can both see a free slot and both take it.
//
// Keys (always in this order, see `semaphoreKeys`; one hash tag, so Redis Cluster keeps them in one hash slot):
//   1 holders       sorted set: token → the slot's expiry (ms, Redis time)
//   2 line          sorted set: token → ticket (the FIFO order of waiters)
//   3 lineExpiry    sorted set: token → when the waiter is presumed dead unless it asks again (ms, Redis time)
//   4 meta          hash: run (the run_id of the Redis server that wrote the record), recoverUntil (ms), fence
//                   (the last fencing token handed out), ticket (the line's counter)
//   5 fences        hash: token → the fencing token of its slot
//
// ARGV, the same first seven for every script (see `ClusterSemaphore#run`):
//   1 leaseTtlMs, 2 isSubscribed (1 when this process listens on the held channel), 3 hasSeen (1 when this process
//   has met the key's record before), 4 'PUBLISH' or 'SPUBLISH' (Redis Cluster), 5 the highest fencing token this
//   process has seen, 6 the held channel (holders listen), 7 the wake channel (waiters listen); then the script's own.
//
// Time is always Redis' own (`TIME`): every process judges expiry by one clock, whatever the skew between machines.
// Scripts are replicated by effects (the default since Redis 5), so reading TIME and INFO inside them is safe.
// Take and count refuse to run (before they write anything) when Redis is over maxmemory or may evict the keys:
// Redis itself lets a script without flags write past maxmemory once it has written once.
import { createHash } from 'node:crypto';

/** A Lua script and its SHA-1, for EVALSHA. */
export interface SemaphoreScript {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): SemaphoreScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// Loss detection. The record in `meta` names the Redis server (run_id) that wrote it:
// - another run_id: the data outlived a restart (an older snapshot, an AOF that lost its last second) or moved to a
//   replica (a failover to a lagging one) — the holders it lists may be stale and holders granted since are missing;
// - no record at all: a key never used, or its data is gone (FLUSHALL, a restart without persistence). It is not
//   fresh when Redis started less than leaseTtlMs ago, when this process met the record before, or when a PUBLISH
//   on the held channel reaches another process (holders listen there; subscriptions survive a flush).
// Either way the limit recovers: no new slot until every holder of before has either re-registered (a renewal of a
// slot Redis no longer lists is accepted while recovering) or given its slot up (it does within leaseTtlMs of its
// last renewal, which was before the loss). A PUBLISH of 'lost' asks the holders to re-register at once.
const prelude = `
local leaseTtl, pub, heldChannel, wakeChannel = tonumber(ARGV[1]), ARGV[4], ARGV[6], ARGV[7]
local server = redis.call('INFO', 'server')
local runId = string.match(server, 'run_id:(%x+)')
local uptimeMs = 1000 * tonumber(string.match(server, 'uptime_in_seconds:(%d+)'))
local function num(n) return string.format('%.0f', n) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, member in ipairs(expired) do redis.call('HDEL', KEYS[5], member) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local dead = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for _, member in ipairs(dead) do redis.call('ZREM', KEYS[2], member) end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if #expired + #dead > 0 then redis.call(pub, wakeChannel, 'freed') end
local meta = redis.call('HMGET', KEYS[4], 'run', 'recoverUntil', 'fence')
local recoverUntil = tonumber(meta[2]) or 0
local fence = math.max(tonumber(meta[3]) or 0, tonumber(ARGV[5]))
if not meta[1] then
  recoverUntil = 0
  if uptimeMs < leaseTtl then recoverUntil = now - uptimeMs + leaseTtl end
  local others = redis.call(pub, heldChannel, 'lost') - tonumber(ARGV[2])
  if others > 0 or ARGV[3] == '1' then recoverUntil = now + leaseTtl end
  redis.call('HSET', KEYS[4], 'run', runId, 'recoverUntil', num(recoverUntil), 'fence', num(fence))
elseif meta[1] ~= runId then
  recoverUntil = math.max(recoverUntil, now + leaseTtl)
  redis.call('HSET', KEYS[4], 'run', runId, 'recoverUntil', num(recoverUntil))
  redis.call(pub, heldChannel, 'lost')
end
local recoverMs = math.max(0, recoverUntil - now)
`;

// Only take and count (what starts a use of the limit) check memory: a renewal or a release must still go through.
const memoryCheck = `
local memory = redis.call('INFO', 'memory')
local policy = string.match(memory, 'maxmemory_policy:([%w-]+)')
local maxMemory = tonumber(string.match(memory, 'maxmemory:(%d+)')) or 0
if maxMemory > 0 and tonumber(string.match(memory, 'used_memory:(%d+)')) > maxMemory then
  return redis.error_reply('OOM command not allowed when used memory > maxmemory (the cluster limit cannot record its holders)')
end
if policy and string.sub(policy, 1, 7) == 'allkeys' then
  return redis.error_reply('POOLTOY_EVICTION maxmemory-policy is ' .. policy ..
    ': Redis may evict the limit\\'s keys and forget its holders; set it to noeviction (or a volatile-* policy)')
end
`;

const parts = ['holders', 'line', 'line-expiry', 'meta', 'fences'] as const;

/** The key's hash tag: the key itself when it has one (`limits:{db}`), else the whole key in braces. */
function tagged(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key : `{${key}}`;
}

/** The Redis keys of the limit named `key`, in the order the scripts expect. */
export function semaphoreKeys(key: string): string[] {
  return parts.map((part) => `${tagged(key)}:${part}`);
}

/** The pub/sub channels of the limit named `key`: holders listen on `held`, waiters on `wake`. */
export function semaphoreChannels(key: string): { held: string; wake: string } {
  return { held: `${tagged(key)}:held`, wake: `${tagged(key)}:wake` };
}

/**
 * The scripts, by what they do. Every reply starts with `{ heldInCluster, waitingInCluster, recoverMs }` so each
 * round trip also refreshes what `status()` shows; `recoverMs` > 0 while the limit recovers from lost data.
 */
export const semaphoreScripts = {
  /**
   * Take a slot or keep a place in line. ARGV 8…: token, limit, waiterTtlMs.
   * Reply: { held, waiting, recoverMs, granted (0|1), fence }.
   *
   * A waiter may take a slot only when fewer older live waiters stand ahead of it than there are free slots:
   * the oldest live waiters across all processes get the slots, whoever happens to ask first. The fencing token
   * only grows: one more than the last, and never below Redis' clock in ms × 1000 (so it keeps growing when the
   * counter itself was lost) nor below what the asking process has seen.
   */
  take: script(`${memoryCheck}${prelude}
local token, limit, waiterTtl = ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
if redis.call('ZSCORE', KEYS[1], token) then
  redis.call('ZADD', KEYS[1], now + leaseTtl, token)
  local held = tonumber(redis.call('HGET', KEYS[5], token)) or 0
  return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), recoverMs, 1, held }
end
if not redis.call('ZSCORE', KEYS[2], token) then
  redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[4], 'ticket', 1), token)
end
redis.call('ZADD', KEYS[3], now + waiterTtl, token)
local held = redis.call('ZCARD', KEYS[1])
local waiting = redis.call('ZCARD', KEYS[2])
if recoverMs == 0 and redis.call('ZRANK', KEYS[2], token) < limit - held then
  redis.call('ZREM', KEYS[2], token)
  redis.call('ZREM', KEYS[3], token)
  redis.call('ZADD', KEYS[1], now + leaseTtl, token)
  fence = math.max(fence + 1, now * 1000)
  redis.call('HSET', KEYS[4], 'fence', num(fence))
  redis.call('HSET', KEYS[5], token, num(fence))
  return { held + 1, waiting - 1, 0, 1, fence }
end
return { held, waiting, recoverMs, 0, 0 }
`),

  /**
   * Renew held slots. ARGV 8…: token, fence, token, fence… Reply: { held, waiting, recoverMs, renewed per token
   * (0|1)… }. A slot Redis does not list is lost — unless the limit is recovering from lost data: then its holder,
   * which held it before the loss, re-registers it with its fencing token.
   */
  renew: script(`${prelude}
local reply = { 0, 0, recoverMs }
for i = 8, #ARGV, 2 do
  local token, tokenFence = ARGV[i], tonumber(ARGV[i + 1])
  if redis.call('ZSCORE', KEYS[1], token) then
    redis.call('ZADD', KEYS[1], 'XX', now + leaseTtl, token)
    reply[#reply + 1] = 1
  elseif recoverMs > 0 then
    redis.call('ZADD', KEYS[1], now + leaseTtl, token)
    redis.call('HSET', KEYS[5], token, num(tokenFence))
    if tokenFence > fence then
      fence = tokenFence
      redis.call('HSET', KEYS[4], 'fence', num(fence))
    end
    reply[#reply + 1] = 1
  else
    reply[#reply + 1] = 0
  end
end
reply[1] = redis.call('ZCARD', KEYS[1])
reply[2] = redis.call('ZCARD', KEYS[2])
return reply
`),

  /**
   * Forget a token: free its slot, or take it out of the line. ARGV 8…: token, limit, waiterTtlMs. A freed slot goes
   * straight to the oldest live waiter (unless the limit is recovering), announced on the wake channel as
   * `granted <token> <fence>`: its process uses it without another round trip. Until that process renews it, the
   * slot lasts only waiterTtlMs — a waiter that died since it last asked does not keep it for a whole lease.
   */
  forget: script(`${prelude}
local token, limit, waiterTtl = ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10])
local removed = redis.call('ZREM', KEYS[1], token) + redis.call('ZREM', KEYS[2], token)
redis.call('ZREM', KEYS[3], token)
redis.call('HDEL', KEYS[5], token)
local held = redis.call('ZCARD', KEYS[1])
if removed > 0 and recoverMs == 0 then
  while held < limit do
    local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
    if not head then break end
    redis.call('ZREM', KEYS[2], head)
    redis.call('ZREM', KEYS[3], head)
    fence = math.max(fence + 1, now * 1000)
    redis.call('HSET', KEYS[4], 'fence', num(fence))
    redis.call('HSET', KEYS[5], head, num(fence))
    redis.call('ZADD', KEYS[1], now + waiterTtl, head)
    redis.call(pub, wakeChannel, 'granted ' .. head .. ' ' .. num(fence))
    held = held + 1
  end
end
return { held, redis.call('ZCARD', KEYS[2]), recoverMs }
`),

  /** Count live holders and waiters (dropping the expired ones). */
  count: script(`${memoryCheck}${prelude}
return { redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), recoverMs }
`),
} as const;
