import { once } from 'node:events';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import {
  type ClusterLimitedPool,
  type ClusterLimitOptions,
  collectClusterMetrics,
  withClusterLimit,
} from '../src/cluster/index.js';
import { semaphoreKeys } from '../src/cluster/semaphore-scripts.js';
import { createPool, type Pool, resourceWorker } from '../src/index.js';
import { connectRedis, deleteLimitKeys, describeWithRedis, uniqueKey } from './fixtures/local-redis.js';

const leaseTtlMs = 600;

/** A resource that answers calls, so that `run` works on a resource pool. */
interface Doubler {
  call(payload: number): Promise<number>;
}

describeWithRedis('withClusterLimit', () => {
  let redis: Redis;
  let key: string;
  const pools: Pool<Doubler>[] = [];
  const limitedPools: ClusterLimitedPool<Doubler>[] = [];

  /** A pool of `size` under the test's limit: each stands for one process of the cluster. */
  async function limitedPool(
    options: Partial<ClusterLimitOptions> = {},
    size = 2,
  ): Promise<ClusterLimitedPool<Doubler>> {
    const pool = await createPool<Doubler>({
      size,
      maxOverflow: 0,
      worker: resourceWorker({ create: () => ({ call: async (payload: number) => payload * 2 }) }),
    });
    pools.push(pool);
    const limited = withClusterLimit(pool, { redis, key, limit: 1, leaseTtlMs, ...options });
    limitedPools.push(limited);
    return limited;
  }

  beforeEach(async () => {
    redis = connectRedis();
    key = uniqueKey();
  });

  afterEach(async () => {
    await Promise.all(limitedPools.splice(0).map((limited) => limited.close()));
    await Promise.all(pools.splice(0).map((pool) => pool.stop()));
    await deleteLimitKeys(redis, key);
    redis.disconnect();
  });

  describe('checkout', () => {
    it('hands out a worker only with a slot: another pool on the same key must wait', async () => {
      const here = await limitedPool();
      const there = await limitedPool();
      const lease = await here.checkout();
      expect(lease.slot).toBeDefined();
      await expect(there.checkout({ checkoutTimeoutMs: 0 })).rejects.toMatchObject({
        code: 'ERR_CLUSTER_SLOT_TIMEOUT',
      });
      expect(there.pool.status().checkedOut).toBe(0);
    });

    it('frees the slot when the pool has no worker for it in the time left', async () => {
      const limited = await limitedPool({ limit: 2 }, 1);
      const bypass = await limited.pool.checkout();
      await expect(limited.checkout({ checkoutTimeoutMs: 0 })).rejects.toMatchObject({
        code: 'ERR_POOL_CHECKOUT_TIMEOUT',
      });
      await expect(limited.semaphore.refresh()).resolves.toMatchObject({ heldHere: 0, heldInCluster: 0 });
      bypass.release();
    });

    it('gives up waiting for a slot when its owner ends, with the owner’s reason', async () => {
      const here = await limitedPool();
      const there = await limitedPool();
      await here.checkout();
      const owner = new AbortController();
      const waiting = there.checkout({ owner: owner.signal });
      await once(there.semaphore, 'waiter:queued');
      owner.abort(new Error('request closed'));
      await expect(waiting).rejects.toThrow('request closed');
    });

    it('rejects with ClusterLimitUnavailableError while Redis is down', async () => {
      const offline = connectRedis();
      offline.disconnect();
      const limited = await limitedPool({ redis: offline });
      await expect(limited.checkout()).rejects.toMatchObject({ code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE', key });
      expect(limited.status().cluster.isRedisReachable).toBe(false);
    });

    it("falls back to the pool's own limit while Redis is down, with onRedisDown: 'local'", async () => {
      const offline = connectRedis();
      offline.disconnect();
      const limited = await limitedPool({ redis: offline, onRedisDown: 'local' });
      const lease = await limited.checkout();
      expect(lease.slot).toBeUndefined();
      expect(limited.status()).toMatchObject({ checkedOut: 1, cluster: { heldHere: 0, isRedisReachable: false } });
      lease.release();
    });

    it("rejects with ClusterLimitConfigurationError when a limit key holds another type, even with onRedisDown: 'local'", async () => {
      await redis.set(semaphoreKeys(key)[0]!, 'not a sorted set');
      const limited = await limitedPool({ onRedisDown: 'local' });
      await expect(limited.checkout()).rejects.toMatchObject({
        code: 'ERR_CLUSTER_LIMIT_CONFIGURATION',
        redisCode: 'WRONGTYPE',
        key,
      });
      expect(limited.pool.status().checkedOut).toBe(0);
      expect(limited.status().cluster.isRedisReachable).toBe(true);
    });

    it('hands out the slot with a fencing token that grows from one checkout to the next', async () => {
      const limited = await limitedPool();
      const first = await limited.checkout();
      first.release();
      const second = await limited.checkout();
      second.release();
      expect(second.fence).toBeGreaterThan(first.fence!);
    });
  });

  describe('checkin', () => {
    it('frees the slot at once, for a waiter of another pool', async () => {
      const here = await limitedPool();
      const there = await limitedPool();
      const lease = await here.checkout();
      const waiting = there.checkout();
      await once(there.semaphore, 'waiter:queued');
      lease.release();
      await expect(waiting).resolves.toMatchObject({ isActive: true });
      expect(here.status()).toMatchObject({ checkedOut: 0, cluster: { heldHere: 0 } });
    });

    it('frees the slot when the lease is checked in through the pool', async () => {
      const limited = await limitedPool();
      const lease = await limited.checkout();
      limited.pool.checkin(lease.lease);
      expect(lease.isActive).toBe(false);
      expect(limited.status()).toMatchObject({ checkedOut: 0, cluster: { heldHere: 0 } });
    });

    it('frees the slot of a lease dropped without a checkin, once it is garbage-collected', async () => {
      const limited = await limitedPool();
      const freed = once(limited.semaphore, 'slot:freed');
      let isFreed = false;
      void freed.then(() => {
        isFreed = true;
      });
      await (async () => {
        await limited.checkout(); // dropped on the floor
      })();
      v8.setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      // Finalizers run as tasks after a collection: collect, then let the event loop turn, until ours ran.
      while (!isFreed) {
        gc();
        await new Promise(setImmediate);
      }
      expect(limited.status().cluster.heldHere).toBe(0);
    });

    it('frees the slot when the pool revokes the lease', async () => {
      const limited = await limitedPool();
      const owner = new AbortController();
      const lease = await limited.checkout({ owner: owner.signal });
      owner.abort(new Error('client gone'));
      expect(lease.signal.aborted).toBe(true);
      await once(limited.semaphore, 'slot:freed');
      expect(limited.status().cluster.heldHere).toBe(0);
    });
  });

  describe('slot loss', () => {
    it("takes the worker back and aborts the lease's signal with ClusterSlotLostError", async () => {
      const clock = new ManualClock();
      const limited = await limitedPool({ clock });
      const lease = await limited.checkout();
      await redis.del(semaphoreKeys(key)[0]!);
      clock.advance(limited.semaphore.config.heartbeatMs);
      await once(lease.signal, 'abort');
      expect(lease.signal.reason).toMatchObject({ code: 'ERR_CLUSTER_SLOT_LOST', key });
      expect(lease.isActive).toBe(false);
      expect(limited.pool.status().checkedOut).toBe(0);
    });
  });

  describe('transaction and run', () => {
    it('runs the function with a worker and a slot, then frees both', async () => {
      const limited = await limitedPool();
      const result = await limited.transaction(async (worker, lease) => {
        expect(limited.status()).toMatchObject({ checkedOut: 1, cluster: { heldHere: 1 } });
        expect(lease.slot).toBeDefined();
        return worker.call(4);
      });
      expect(result).toBe(8);
      expect(limited.status()).toMatchObject({ checkedOut: 0, cluster: { heldHere: 0 } });
    });

    it('calls a worker under the limit and frees the slot after the call', async () => {
      const limited = await limitedPool();
      await expect(limited.run(21)).resolves.toBe(42);
      expect(limited.status()).toMatchObject({ checkedOut: 0, cluster: { heldHere: 0 } });
    });
  });

  describe('status', () => {
    it('shows the limit and the slots held here and across the cluster', async () => {
      const here = await limitedPool({ limit: 3 });
      const there = await limitedPool({ limit: 3 });
      await here.checkout();
      await there.checkout();
      await here.semaphore.refresh();
      expect(here.status().cluster).toEqual({
        key,
        limit: 3,
        heldHere: 1,
        waitingHere: 0,
        heldInCluster: 2,
        waitingInCluster: 0,
        isRedisReachable: true,
      });
      expect(here.snapshot().status.cluster).toMatchObject({ heldInCluster: 2 });
    });

    it("is in the wrapped pool's own snapshot (what a PoolToy tree and its observer read) until closed", async () => {
      const limited = await limitedPool({ limit: 3 });
      await limited.checkout();
      expect(limited.pool.snapshot().status.cluster).toMatchObject({ key, limit: 3, heldHere: 1 });
      await limited.close();
      expect(limited.pool.snapshot().status.cluster).toBeUndefined();
    });

    it('is exported as Prometheus gauges labelled by pool and key', async () => {
      const limited = await limitedPool({ limit: 3 });
      await limited.checkout();
      const registry = new Registry();
      const stop = collectClusterMetrics([limited], registry);
      const text = await registry.metrics();
      const labels = `{pool="${limited.name}",key="${key}"}`;
      expect(text).toContain(`pooltoy_cluster_limit${labels} 3`);
      expect(text).toContain(`pooltoy_cluster_slots_held_here${labels} 1`);
      expect(text).toContain(`pooltoy_cluster_slots_held${labels} 1`);
      expect(text).toContain(`pooltoy_cluster_redis_up${labels} 1`);
      stop();
      expect(await registry.metrics()).not.toContain('pooltoy_cluster_limit');
    });
  });
});
