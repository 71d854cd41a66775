// The cluster limit when Redis loses data, is down, is misconfigured, or is a Redis Cluster — each on private
// redis-server processes (free ports, temp dirs) so that restarts, flushes and failovers disturb no one. Parties are
// semaphores with their own connections; a ledger counts the slots they hold at once, which must never exceed the
// limit.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Cluster, Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClusterLimitOptions,
  ClusterSemaphore,
  type ClusterSlot,
  withClusterLimit,
} from '../src/cluster/index.js';
import { semaphoreKeys } from '../src/cluster/semaphore-scripts.js';
import { createPool, resourceWorker } from '../src/index.js';
import { describeWithRedis, uniqueKey } from './fixtures/local-redis.js';
import { RedisClusterProcesses } from './fixtures/redis-cluster-processes.js';
import { RedisServerProcess } from './fixtures/redis-server-process.js';
import { SwitchableProxy } from './fixtures/switchable-proxy.js';

const testTimeoutMs = 60_000;

/** Counts the slots held at once by every party of a test, and the most ever held. */
class Ledger {
  inUse = 0;
  most = 0;

  async take(semaphore: ClusterSemaphore, timeoutMs = 30_000): Promise<ClusterSlot> {
    const slot = await semaphore.take({ timeoutMs });
    this.inUse++;
    this.most = Math.max(this.most, this.inUse);
    slot.signal.addEventListener('abort', () => this.inUse--, { once: true });
    return slot;
  }

  free(slot: ClusterSlot): Promise<void> {
    if (!slot.signal.aborted) this.inUse--;
    return slot.free();
  }
}

describeWithRedis('the cluster limit on a Redis that loses data', () => {
  let key: string;
  let dir: string;
  let ledger: Ledger;
  const servers: RedisServerProcess[] = [];
  const clients: (Redis | Cluster)[] = [];
  const semaphores: ClusterSemaphore[] = [];
  const proxies: SwitchableProxy[] = [];

  // Every server works in the test's temp dir (a replica's full sync writes a snapshot there too); `persist` names
  // its snapshot so that a restart loads it, the others save nothing.
  async function server(options: { args?: string[]; persist?: boolean } = {}): Promise<RedisServerProcess> {
    const files = options.persist ? [] : ['--dbfilename', `scratch-${servers.length}.rdb`];
    const started = await RedisServerProcess.start({ dir, args: [...files, ...(options.args ?? [])] });
    servers.push(started);
    return started;
  }

  function connect(port: number): Redis {
    const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    clients.push(client);
    return client;
  }

  /** One party (a process of the cluster) with its own connection, on a limit of 2. */
  function party(port: number, options: Partial<ClusterLimitOptions> = {}): ClusterSemaphore {
    const semaphore = new ClusterSemaphore({ redis: connect(port), key, limit: 2, leaseTtlMs: 6000, ...options });
    semaphores.push(semaphore);
    return semaphore;
  }

  /** Resolves once `semaphore` renewed its slots and Redis lists every one of them. */
  async function reRegistered(semaphore: ClusterSemaphore, port: number, slots: ClusterSlot[]): Promise<void> {
    const admin = connect(port);
    for (;;) {
      await new Promise((resolve) => semaphore.once('slots:renewed', resolve));
      const listed = await Promise.all(slots.map((slot) => admin.zscore(semaphoreKeys(key)[0]!, slot.token)));
      if (listed.every((score) => score !== null)) return;
    }
  }

  /**
   * After the loss: the newcomer gets no slot at once and waits while the holder re-registers its slots; it gets the
   * first one freed. The limit (2) is never exceeded and the holder keeps its other slot.
   */
  async function expectHoldersKept(
    newcomer: ClusterSemaphore,
    holder: ClusterSemaphore,
    port: number,
    slots: ClusterSlot[],
  ): Promise<void> {
    await expect(newcomer.take({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
    const waiting = ledger.take(newcomer);
    await reRegistered(holder, port, slots);
    expect(ledger.inUse).toBe(2);
    await ledger.free(slots[0]!);
    await waiting;
    expect(ledger.most).toBe(2);
    expect(slots[1]!.signal.aborted).toBe(false);
  }

  beforeEach(async () => {
    key = uniqueKey();
    dir = await mkdtemp(join(tmpdir(), 'pooltoy-redis-'));
    ledger = new Ledger();
  });

  afterEach(async () => {
    await Promise.all(semaphores.splice(0).map((semaphore) => semaphore.close()));
    for (const client of clients.splice(0)) client.disconnect();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
    await Promise.all(servers.splice(0).map((each) => each.kill()));
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'restarted from an older snapshot, grants a newcomer no slot while the holders of before still hold theirs',
    async () => {
      const redis = await server({ persist: true });
      const holder = party(redis.port);
      await (await holder.take({ timeoutMs: 30_000 })).free(); // a key's first use waits out a young Redis' leaseTtlMs
      await connect(redis.port).save(); // the snapshot knows the key, not the slots taken next
      const slots = [await ledger.take(holder), await ledger.take(holder)];
      await redis.kill();
      await redis.restart();
      const newcomer = party(redis.port);
      await expectHoldersKept(newcomer, holder, redis.port, slots);
    },
    testTimeoutMs,
  );

  it(
    'restarted empty, grants a newcomer no slot while the holders of before still hold theirs',
    async () => {
      const redis = await server();
      const holder = party(redis.port);
      const slots = [await ledger.take(holder), await ledger.take(holder)];
      await redis.kill();
      await redis.restart();
      const newcomer = party(redis.port);
      await expectHoldersKept(newcomer, holder, redis.port, slots);
    },
    testTimeoutMs,
  );

  it(
    'flushed (FLUSHALL), grants a newcomer no slot while the holders of before still hold theirs',
    async () => {
      const leaseTtlMs = 2000;
      const redis = await server();
      const admin = connect(redis.port);
      // Redis counts its uptime in whole seconds; past leaseTtlMs a missing record no longer counts as a restart,
      // so only the holders listening on the key's channel can tell the flush from a new key.
      while (Number(/uptime_in_seconds:(\d+)/.exec(await admin.info('server'))![1]) * 1000 < leaseTtlMs) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const holder = party(redis.port, { leaseTtlMs });
      const slots = [await ledger.take(holder), await ledger.take(holder)];
      await admin.flushall();
      const newcomer = party(redis.port, { leaseTtlMs });
      await expectHoldersKept(newcomer, holder, redis.port, slots);
    },
    testTimeoutMs,
  );

  it(
    'failed over to a replica that lags behind, grants a newcomer no slot while the holders of before still hold theirs',
    async () => {
      const primary = await server();
      const replica = await server({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
      const proxy = await SwitchableProxy.start(primary.port);
      proxies.push(proxy);
      const holder = party(proxy.port);
      await (await holder.take({ timeoutMs: 30_000 })).free(); // a key's first use waits out a young Redis' leaseTtlMs
      await connect(primary.port).wait(1, 10_000); // the replica has the key's record…
      await connect(replica.port).replicaof('NO', 'ONE'); // …and nothing after it
      const slots = [await ledger.take(holder), await ledger.take(holder)];
      proxy.switchTo(replica.port);
      const newcomer = party(proxy.port);
      await expectHoldersKept(newcomer, holder, replica.port, slots);
    },
    testTimeoutMs,
  );

  it(
    'hands out fencing tokens that only grow, also across a restart that lost every key',
    async () => {
      const redis = await server();
      const first = party(redis.port, { leaseTtlMs: 300 });
      const fences: number[] = [];
      for (let i = 0; i < 3; i++) {
        const slot = await first.take();
        fences.push(slot.fence);
        await slot.free();
      }
      await redis.kill();
      await redis.restart();
      // A process that never saw a token, and one that did.
      for (const semaphore of [party(redis.port, { leaseTtlMs: 300 }), first]) {
        const slot = await semaphore.take({ timeoutMs: 10_000 });
        fences.push(slot.fence);
        await slot.free();
      }
      expect(fences).toEqual([...fences].sort((a, b) => a - b));
      expect(new Set(fences).size).toBe(fences.length);
    },
    testTimeoutMs,
  );

  it(
    'settles a 1s checkout within 1.5s while Redis is down, with ClusterLimitUnavailableError',
    async () => {
      const redis = await server();
      await redis.kill();
      // ioredis' defaults: commands wait in its offline queue while it reconnects.
      const client = new Redis({ host: '127.0.0.1', port: redis.port });
      client.on('error', () => {});
      clients.push(client);
      const pool = await createPool({ size: 1, worker: resourceWorker({ create: () => ({}) }) });
      const limited = withClusterLimit(pool, { redis: client, key, limit: 1 });
      try {
        const startedAt = performance.now();
        await expect(limited.checkout({ checkoutTimeoutMs: 1000 })).rejects.toMatchObject({
          code: 'ERR_CLUSTER_LIMIT_UNAVAILABLE',
        });
        expect(performance.now() - startedAt).toBeLessThan(1500);
      } finally {
        await limited.close();
        await pool.stop();
      }
    },
    testTimeoutMs,
  );

  it(
    'rejects with a configuration error, never falling back, when Redis may evict the keys or is out of memory',
    async () => {
      const evicting = await server({ args: ['--maxmemory-policy', 'allkeys-lru'] });
      await expect(party(evicting.port, { onRedisDown: 'local' }).take()).rejects.toMatchObject({
        code: 'ERR_CLUSTER_LIMIT_CONFIGURATION',
        redisCode: 'POOLTOY_EVICTION',
      });
      const full = await server({ args: ['--maxmemory', '1'] });
      const pool = await createPool({ size: 1, worker: resourceWorker({ create: () => ({}) }) });
      const limited = withClusterLimit(pool, { redis: connect(full.port), key, limit: 1, onRedisDown: 'local' });
      try {
        await expect(limited.checkout()).rejects.toMatchObject({
          code: 'ERR_CLUSTER_LIMIT_CONFIGURATION',
          redisCode: 'OOM',
        });
      } finally {
        await limited.close();
        await pool.stop();
      }
    },
    testTimeoutMs,
  );

  describe('on a 3-node Redis Cluster', () => {
    let cluster: RedisClusterProcesses;

    beforeEach(async () => {
      cluster = await RedisClusterProcesses.start();
    }, testTimeoutMs);

    afterEach(async () => {
      await Promise.all(semaphores.splice(0).map((semaphore) => semaphore.close()));
      for (const client of clients.splice(0)) client.disconnect();
      await cluster.stop();
    });

    it(
      'holds the limit across four parties, each with its own cluster client, and reaches it',
      async () => {
        const parties = Array.from({ length: 4 }, () => {
          const client = cluster.connect();
          clients.push(client);
          const semaphore = new ClusterSemaphore({ redis: client, key, limit: 3, leaseTtlMs: 3000 });
          semaphores.push(semaphore);
          return semaphore;
        });
        const fences: number[] = [];
        const work = async (semaphore: ClusterSemaphore) => {
          for (let i = 0; i < 10; i++) {
            const slot = await ledger.take(semaphore);
            fences.push(slot.fence);
            await new Promise((resolve) => setTimeout(resolve, 5)); // hold it a moment, so that holds overlap
            await ledger.free(slot);
          }
        };
        await Promise.all(parties.flatMap((semaphore) => [work(semaphore), work(semaphore)]));
        expect(ledger.most).toBe(3);
        // Each grant got its own token (the order parties see their grants in is not the order Redis made them).
        expect(new Set(fences).size).toBe(fences.length);
      },
      testTimeoutMs,
    );
  });
});
