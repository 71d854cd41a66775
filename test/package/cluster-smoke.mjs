// Run from a scratch project where the packed pooltoy, ioredis (of the major under test), prom-client and pg are
// installed: a cluster limit over the local Redis, its metrics through prom-client. Exits 0, or throws.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { createPool, resourceWorker } from 'pooltoy';
import { collectClusterMetrics, withClusterLimit } from 'pooltoy/cluster';
import { collectMetrics } from 'pooltoy/observer';
import { Registry } from 'prom-client';

const require = createRequire(import.meta.url);
const versionOf = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).version;
const redis = new Redis({ host: '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379), maxRetriesPerRequest: 1 });
const key = `pooltoy-packed-smoke:${randomUUID()}`;
const pools = [];
const limited = [];
try {
  for (const name of ['here', 'there']) {
    const pool = await createPool({ name, size: 1, maxOverflow: 0, worker: resourceWorker({ create: () => ({}) }) });
    pools.push(pool);
    limited.push(withClusterLimit(pool, { redis, key, limit: 1, leaseTtlMs: 600 }));
  }
  const [here, there] = limited;
  // A new key starts in quarantine (docs/cluster.md): the first checkout waits it out.
  const lease = await here.checkout({ checkoutTimeoutMs: 10_000 });
  await assert.rejects(there.checkout({ checkoutTimeoutMs: 0 }), { code: 'ERR_CLUSTER_SLOT_TIMEOUT' });
  const registry = new Registry();
  collectMetrics(pools[0], registry);
  collectClusterMetrics(limited, registry);
  assert.match(await registry.metrics(), /pooltoy_cluster_slots_held_here\{pool="here",key="[^"]+"\} 1/);
  lease.release();
  (await there.checkout({ checkoutTimeoutMs: 10_000 })).release();
  console.log(
    `ok: pooltoy ${versionOf('pooltoy')} with ioredis ${versionOf('ioredis')}, prom-client ${versionOf('prom-client')}`,
  );
} finally {
  await Promise.all(limited.map((each) => each.close()));
  await Promise.all(pools.map((pool) => pool.stop()));
  await redis.del(...['holders', 'line', 'line-expiry', 'tickets', 'epoch'].map((part) => `${key}:${part}`));
  redis.disconnect();
}
