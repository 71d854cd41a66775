import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { type ClusterLimitOptions, ClusterSemaphore } from '../src/cluster/index.js';
import { semaphoreKeys } from '../src/cluster/semaphore-scripts.js';
import { connectRedis, deleteLimitKeys, describeWithRedis, uniqueKey } from './fixtures/local-redis.js';

const leaseTtlMs = 600;

describeWithRedis('ClusterSemaphore', () => {
  let redis: Redis;
  let key: string;
  const opened: ClusterSemaphore[] = [];
  const extraClients: Redis[] = [];

  /** A semaphore on the test's key; each stands for one process of the cluster. */
  function semaphore(options: Partial<ClusterLimitOptions> = {}): ClusterSemaphore {
    const made = new ClusterSemaphore({ redis, key, limit: 2, leaseTtlMs, ...options });
    opened.push(made);
    return made;
  }

  function client(): Redis {
    const made = connectRedis();
    extraClients.push(made);
    return made;
  }

  beforeEach(async () => {
    redis = connectRedis();
    key = uniqueKey();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((each) => each.close()));
    await deleteLimitKeys(redis, key);
    for (const each of [redis, ...extraClients.splice(0)]) each.disconnect();
  });

  describe('take', () => {
    it('grants slots up to the limit, then refuses a checkout that will not wait', async () => {
      const limit = semaphore();
      await limit.take();
      await limit.take();
      await expect(limit.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
      expect(limit.status()).toMatchObject({ limit: 2, heldHere: 2, heldInCluster: 2, isRedisReachable: true });
    });

    it('counts the slots of every process against the one limit', async () => {
      const here = semaphore();
      const there = semaphore({ redis: client() });
      await here.take();
      await there.take();
      await expect(here.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
      expect(here.status()).toMatchObject({ heldHere: 1, heldInCluster: 2 });
    });

    it('grants a freed slot to the oldest live waiter across processes, however often younger ones ask', async () => {
      const holder = semaphore({ limit: 1 });
      const slot = await holder.take();
      // The oldest waiter asks rarely, the younger one as often as it can: order still wins.
      const oldest = semaphore({ limit: 1, redis: client(), pollMaxMs: 300 });
      const younger = semaphore({ limit: 1, redis: client(), pollMaxMs: 5 });
      const oldestTake = oldest.take();
      await once(oldest, 'waiter:queued');
      const youngerTake = younger.take();
      await once(younger, 'waiter:queued');
      await slot.free();
      const oldestSlot = await oldestTake;
      expect(younger.status()).toMatchObject({ heldHere: 0, waitingHere: 1 });
      await oldestSlot.free();
      await expect(youngerTake).resolves.toMatchObject({ token: expect.any(String) });
    });

    it('rejects with ClusterSlotTimeoutError when no slot frees up before the deadline, and leaves the line', async () => {
      const clock = new ManualClock();
      const holder = semaphore({ limit: 1 });
      await holder.take();
      const waiter = semaphore({ limit: 1, clock });
      const taking = waiter.take({ timeoutMs: 1000 });
      await once(waiter, 'waiter:queued');
      clock.advance(1000);
      await expect(taking).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT', timeoutMs: 1000 });
      // Same connection, so the refresh runs after the waiter's own clean-up.
      await expect(holder.refresh()).resolves.toMatchObject({ heldInCluster: 1, waitingInCluster: 0 });
    });

    it("rejects with the signal's reason when aborted, and leaves the line", async () => {
      const holder = semaphore({ limit: 1 });
      await holder.take();
      const controller = new AbortController();
      const waiter = semaphore({ limit: 1 });
      const taking = waiter.take({ signal: controller.signal });
      await once(waiter, 'waiter:queued');
      controller.abort(new Error('client went away'));
      await expect(taking).rejects.toThrow('client went away');
      await expect(holder.refresh()).resolves.toMatchObject({ waitingInCluster: 0 });
    });

    it('rejects with ClusterLimitUnavailableError at once when Redis is not connected', async () => {
      const offline = client();
      offline.disconnect();
      const limit = semaphore({ redis: offline });
      const failed = once(limit, 'redis:failed');
      await expect(limit.take()).rejects.toMatchObject({ code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE', key });
      expect((await failed)[0]).toMatchObject({ code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE' });
      expect(limit.status().isRedisReachable).toBe(false);
    });

    it('grants a key never used before at once', async () => {
      const limit = semaphore();
      await expect(limit.take({ timeoutMs: 0 })).resolves.toMatchObject({ fence: expect.any(Number) });
    });

    it('grants no slot right after the key was deleted under a process that had used it', async () => {
      const limit = semaphore();
      await (await limit.take()).free();
      await redis.del(...semaphoreKeys(key));
      await expect(limit.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
      expect(limit.status().heldInCluster).toBe(0);
    });

    it('rejects a bad option with a typed error naming it', () => {
      expect(() => semaphore({ limit: 0 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_POOL_OPTION', option: 'clusterLimit.limit', got: 0 }),
      );
      expect(() => semaphore({ leaseTtlMs: 10 })).toThrow(/clusterLimit.leaseTtlMs/);
    });
  });

  describe('free', () => {
    it('hands the slot to a waiter of this process at once', async () => {
      const limit = semaphore({ limit: 1, pollMaxMs: 60_000 });
      const slot = await limit.take();
      const taking = limit.take({ timeoutMs: Number.POSITIVE_INFINITY });
      await once(limit, 'waiter:queued');
      // The waiter's backoff is long (pollMaxMs), so only the local wake-up can have granted it.
      await slot.free();
      await expect(taking).resolves.toMatchObject({ token: expect.any(String) });
      expect(limit.status()).toMatchObject({ heldHere: 1, waitingHere: 0 });
    });

    it('is ignored the second time', async () => {
      const limit = semaphore({ limit: 1 });
      const slot = await limit.take();
      await slot.free();
      const next = await limit.take();
      await slot.free();
      expect(limit.status()).toMatchObject({ heldHere: 1 });
      await expect(limit.refresh()).resolves.toMatchObject({ heldInCluster: 1 });
      await next.free();
    });
  });

  describe('heartbeat', () => {
    it('keeps a held slot alive past its TTL', async () => {
      const limit = semaphore();
      const slot = await limit.take();
      // Three heartbeats, a third of the TTL apart: the slot's first expiry has passed by now.
      for (let beat = 0; beat < 4; beat++) await once(limit, 'slots:renewed');
      expect(slot.signal.aborted).toBe(false);
      expect(await redis.zscore(semaphoreKeys(key)[0]!, slot.token)).not.toBeNull();
    });

    it("aborts the slot's signal when Redis no longer lists it", async () => {
      const clock = new ManualClock();
      const limit = semaphore({ clock });
      const slot = await limit.take();
      await redis.del(semaphoreKeys(key)[0]!);
      clock.advance(limit.config.heartbeatMs);
      await once(slot.signal, 'abort');
      expect(slot.signal.reason).toMatchObject({ code: 'ERR_CLUSTER_SLOT_LOST', key });
      expect(limit.status().heldHere).toBe(0);
    });

    it('considers a slot lost once renewals have failed for most of its TTL', async () => {
      const clock = new ManualClock();
      const connection = client();
      const limit = semaphore({ clock, redis: connection });
      const slot = await limit.take();
      connection.disconnect();
      clock.advance(limit.config.keepMs - 1);
      expect(slot.signal.aborted).toBe(false);
      clock.advance(1);
      expect(slot.signal.reason).toMatchObject({ code: 'ERR_CLUSTER_SLOT_LOST' });
    });
  });

  describe('fencing', () => {
    it('gives the slot of a holder paused past its TTL to another process, with a larger fencing token', async () => {
      // A clock that never moves stands for a paused process: no heartbeat, no loss timer.
      const paused = semaphore({ limit: 1, clock: new ManualClock() });
      const stale = await paused.take();
      const next = await semaphore({ limit: 1, redis: client() }).take({ timeoutMs: 10 * leaseTtlMs });
      expect(stale.signal.aborted).toBe(false); // it still believes it holds the slot: only the token tells
      expect(next.fence).toBeGreaterThan(stale.fence);
    });
  });

  describe('close', () => {
    it('rejects waiters with ClusterLimitClosedError and frees held slots', async () => {
      const limit = semaphore({ limit: 1 });
      const slot = await limit.take();
      const taking = limit.take();
      await once(limit, 'waiter:queued');
      const rejected = expect(taking).rejects.toMatchObject({ code: 'ERR_CLUSTER_LIMIT_CLOSED' });
      await limit.close();
      await rejected;
      expect(slot.signal.reason).toMatchObject({ code: 'ERR_CLUSTER_LIMIT_CLOSED' });
      await expect(semaphore({ limit: 1 }).refresh()).resolves.toMatchObject({ heldInCluster: 0 });
    });
  });
});
