// The cluster limit's options, documented and validated once into a ClusterLimitConfig.
import type { Cluster, Redis } from 'ioredis';
import { type Clock, systemClock } from '../clock.js';
import { InvalidPoolOptionError } from '../errors.js';

/** What to do with a checkout while Redis cannot be reached. */
export type RedisDownPolicy = 'fail' | 'local';

/** Options of a cluster-wide limit: `withClusterLimit(pool, options)` or `new ClusterSemaphore(options)`. */
export interface ClusterLimitOptions {
  /**
   * An ioredis client (`Redis`, or `Cluster` for Redis Cluster), connected or connecting to the Redis that every
   * process of the cluster shares. The limit opens one more connection of the same kind for pub/sub.
   */
  readonly redis: Redis | Cluster;
  /** The limit's name in Redis; every process using the same key shares the same `limit` slots. */
  readonly key: string;
  /** Slots shared by all processes using `key`. Every process must pass the same value. */
  readonly limit: number;
  /**
   * How long a slot outlives its holder's last heartbeat: a process that dies (even by SIGKILL) gives its slots
   * back after at most this long. Heartbeats renew held slots every `leaseTtlMs / 3`. Every process must pass the
   * same value. @default 10000
   */
  readonly leaseTtlMs?: number;
  /** `'fail'`: checkouts reject with `ClusterLimitUnavailableError` while Redis is down. `'local'`: they go on under
   * the pool's own limit only, and the cluster limit may be exceeded. @default 'fail' */
  readonly onRedisDown?: RedisDownPolicy;
  /** A Redis command not answered within this many ms counts as Redis being down. @default 1000 */
  readonly redisTimeoutMs?: number;
  /** The longest pause between two attempts of a waiting checkout (they back off from 5ms with jitter). @default 200 */
  readonly pollMaxMs?: number;
  /** The clock for heartbeats, polls and deadlines. @default systemClock */
  readonly clock?: Clock;
}

/** Cluster limit options after validation, with defaults filled in and derived timings. */
export interface ClusterLimitConfig {
  readonly redis: Redis | Cluster;
  readonly key: string;
  readonly limit: number;
  readonly leaseTtlMs: number;
  readonly onRedisDown: RedisDownPolicy;
  readonly redisTimeoutMs: number;
  readonly pollMaxMs: number;
  readonly clock: Clock;
  /** Time between two renewals of the held slots. */
  readonly heartbeatMs: number;
  /** A slot not renewed for this long (counted from sending the last successful renewal) is considered lost. */
  readonly keepMs: number;
  /** A waiter that has not asked for this long is dropped from the line (it presumably died). */
  readonly waiterTtlMs: number;
}

const known = new Set(['redis', 'key', 'limit', 'leaseTtlMs', 'onRedisDown', 'redisTimeoutMs', 'pollMaxMs', 'clock']);

function positiveInteger(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
    throw new InvalidPoolOptionError(`clusterLimit.${name}`, `an integer >= ${minimum}`, value);
  }
  return value;
}

/** Validate cluster limit options once; unknown keys are rejected rather than silently ignored. */
export function parseClusterLimitOptions(options: ClusterLimitOptions): ClusterLimitConfig {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidPoolOptionError('clusterLimit', 'an object { redis, key, limit, leaseTtlMs }', options);
  }
  for (const name of Object.keys(options)) {
    if (!known.has(name)) throw new InvalidPoolOptionError(`clusterLimit.${name}`, 'no such option', name);
  }
  const { redis, key } = options;
  if (
    typeof redis?.evalsha !== 'function' ||
    typeof redis?.status !== 'string' ||
    typeof redis?.duplicate !== 'function'
  ) {
    throw new InvalidPoolOptionError('clusterLimit.redis', 'an ioredis client', redis);
  }
  if (typeof key !== 'string' || key.length === 0) {
    throw new InvalidPoolOptionError('clusterLimit.key', 'a non-empty string', key);
  }
  const limit = positiveInteger('limit', options.limit, 1);
  // Below 300ms a heartbeat every 100ms competes with ordinary latency spikes and slots would be lost needlessly.
  const leaseTtlMs = positiveInteger('leaseTtlMs', options.leaseTtlMs ?? 10_000, 300);
  const onRedisDown = options.onRedisDown ?? 'fail';
  if (onRedisDown !== 'fail' && onRedisDown !== 'local') {
    throw new InvalidPoolOptionError('clusterLimit.onRedisDown', "'fail' or 'local'", onRedisDown);
  }
  const redisTimeoutMs = positiveInteger('redisTimeoutMs', options.redisTimeoutMs ?? 1000, 1);
  const pollMaxMs = positiveInteger('pollMaxMs', options.pollMaxMs ?? 200, 5);
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function' || typeof clock?.setTimer !== 'function') {
    throw new InvalidPoolOptionError('clusterLimit.clock', 'a Clock { now, setTimer }', clock);
  }
  const heartbeatMs = Math.floor(leaseTtlMs / 3);
  return {
    redis,
    key,
    limit,
    leaseTtlMs,
    onRedisDown,
    redisTimeoutMs,
    pollMaxMs,
    clock,
    heartbeatMs,
    // Give up a slot a sixth of its TTL before Redis would expire it: the holder's work must stop before another
    // process can be granted the slot, and stopping takes a moment.
    keepMs: leaseTtlMs - Math.floor(leaseTtlMs / 6),
    // A waiter asks again at least every pollMaxMs (plus a round trip); missing several asks in a row means dead.
    waiterTtlMs: 4 * pollMaxMs + 2 * redisTimeoutMs,
  };
}
