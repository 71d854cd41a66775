// What a pg pool gets from PoolToy, against the local PostgreSQL (and Redis for the cluster limit): a place in a
// PoolToy tree, the observer's snapshot with each connection's backend pid, metrics, leak detection, owners,
// AbortSignals, and a cluster-wide limit.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry as PromRegistry } from 'prom-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { ClusterSemaphore, withClusterLimit } from '../src/cluster/index.js';
import { LeaseRevokedError } from '../src/errors.js';
import { collectMetrics } from '../src/observer/index.js';
import { PgPool, pgPoolOptions } from '../src/pg/index.js';
import { PoolToy } from '../src/pooltoy.js';
import { applicationPrefix, describeWithPostgres, PostgresAdmin, postgresConfig } from './fixtures/local-postgres.js';
import { connectRedis, deleteLimitKeys, describeWithRedis, uniqueKey } from './fixtures/local-redis.js';
import { nextPoolEvent } from './fixtures/next-pool-event.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
const prefix = applicationPrefix('pg-pooltoy');

describeWithPostgres('a pg pool in a PoolToy tree', () => {
  let admin: PostgresAdmin;
  let toy: PoolToy;
  let db: PgPool;

  beforeAll(async () => {
    admin = await new PostgresAdmin().connect();
  });
  afterEach(async () => {
    await db.end();
    await toy.stop();
  });
  afterAll(async () => {
    await admin.end();
  });

  async function start(options: Parameters<typeof pgPoolOptions>[0] = {}) {
    toy = await PoolToy.start({
      pools: {
        db: pgPoolOptions({
          ...postgresConfig,
          min: 1,
          max: 2,
          applicationName: (workerId) => `${prefix}:${workerId}`,
          ...options,
        }),
      },
    });
    db = PgPool.of(toy.pool('db'));
  }

  it('serves queries, shows each connection with its backend pid on the snapshot, and leaves the tree to stop it', async () => {
    await start();
    const { rows } = await db.query('SELECT pg_backend_pid() AS pid');
    const [pool] = toy.snapshot().pools;
    expect(pool).toMatchObject({ name: 'db', kind: 'pg' });
    expect(pool!.workers.map((worker) => worker.backendPid)).toEqual([rows[0].pid]);
    const [worker] = pool!.workers;
    const { rows: seen } = await db.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
      `${prefix}:${worker!.id}`,
    ]);
    expect(seen).toEqual([{ pid: worker!.backendPid }]);
    await db.end();
    expect(toy.pools()).toEqual(['db']);
  });

  it('counts its checkouts in the metrics', async () => {
    await start();
    const registry = new PromRegistry();
    const stop = collectMetrics(toy, registry);
    await db.query('SELECT 1');
    expect(await registry.metrics()).toMatch(/pool="db"/);
    stop();
  });

  it('reclaims a client dropped without release() when leakDetection is on', async () => {
    await start({ leakDetection: true, max: 1 });
    const leaked = nextPoolEvent(toy.pool('db'), 'lease:leaked');
    await (async () => {
      const client = await db.connect();
      await client.query('SELECT 1');
    })();
    let report: Awaited<typeof leaked> | undefined;
    leaked.then((payload) => (report = payload));
    for (let round = 0; round < 100 && report === undefined; round++) {
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(report?.stack).toMatch(/pg-pooltoy\.test/);
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it("takes a connection back when its owner's signal aborts, and replaces it", async () => {
    await start({ max: 1 });
    const owner = new AbortController();
    const client = await db.connect({ owner: owner.signal });
    const revoked = nextPoolEvent(toy.pool('db'), 'lease:revoked');
    owner.abort();
    expect((await revoked).reason).toBeInstanceOf(LeaseRevokedError);
    expect(client.signal.aborted).toBe(true);
    expect((await db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it("gives up a query's wait for a connection when its signal aborts", async () => {
    await start({ max: 1 });
    const held = await db.connect();
    const controller = new AbortController();
    const queued = nextPoolEvent(toy.pool('db'), 'checkout:queued');
    const waiting = db.query({ text: 'SELECT 1', signal: controller.signal });
    await queued;
    controller.abort(new Error('the user left'));
    await expect(waiting).rejects.toThrow('the user left');
    held.release();
  });

  it('rejects a running query at once when its signal aborts, and closes its connection', async () => {
    await start({ max: 1, applicationName: () => `${prefix}-abort` });
    const controller = new AbortController();
    const exited = nextPoolEvent(toy.pool('db'), 'worker:exited');
    const running = db.query({ text: 'SELECT pg_sleep(30)', signal: controller.signal });
    await admin.untilActive(`${prefix}-abort`);
    controller.abort(new Error('cancelled'));
    await expect(running).rejects.toThrow('cancelled');
    await exited;
    await admin.terminate(`${prefix}-abort`);
  });
});

describeWithRedis('a pg pool under a cluster limit', () => {
  it('serves queries within the limit and shows it on the pool snapshot', async () => {
    const redis = connectRedis();
    const key = uniqueKey();
    const leaseTtlMs = 600;
    // A new key starts in quarantine (see docs/cluster.md): wait it out, as a slot taken and freed.
    const warm = new ClusterSemaphore({ redis, key, limit: 1, leaseTtlMs });
    await (await warm.take({ timeoutMs: 10 * leaseTtlMs })).free();
    const toy = await PoolToy.start({
      pools: { db: pgPoolOptions({ ...postgresConfig, max: 2, applicationName: () => `${prefix}-cluster` }) },
    });
    const limited = withClusterLimit(toy.pool('db'), { redis, key, limit: 1, leaseTtlMs });
    const db = PgPool.of(limited);
    try {
      const { rows } = await db.query('SELECT 1 AS one');
      expect(rows).toEqual([{ one: 1 }]);
      expect(toy.snapshot().pools[0]!.status.cluster).toMatchObject({ key, limit: 1 });
    } finally {
      await db.end();
      await limited.close();
      await toy.stop();
      await deleteLimitKeys(redis, key);
      redis.disconnect();
    }
  });
});
