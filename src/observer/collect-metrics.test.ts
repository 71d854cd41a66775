import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type KillableResource, killableResources } from '../../test/fixtures/killable-resources.js';
import { ManualClock } from '../clock.js';
import { CheckoutTimeoutError, InvalidArgumentError } from '../errors.js';
import { createPool } from '../pool/create-pool.js';
import type { Pool } from '../pool/pool.js';
import { PoolToy } from '../pooltoy.js';
import { collectMetrics } from './collect-metrics.js';

const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function newPool(name: string, clock: ManualClock) {
  const resources = killableResources();
  const pool: Pool<KillableResource> = await createPool({
    name,
    worker: resources.kind,
    size: 2,
    maxOverflow: 1,
    overflowTtlMs: 0,
    clock,
  });
  cleanups.push(() => pool.stop({ timeoutMs: 0 }));
  return { pool, resources };
}

function collect(...args: Parameters<typeof collectMetrics>): Registry {
  const stop = collectMetrics(...args);
  cleanups.push(stop);
  return args[1] as Registry;
}

/** Read one sample from the exposition text, e.g. `pooltoy_busy_workers{pool="db"}`; undefined when absent. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((text) => text.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('gauges', () => {
  it('read idle, busy, overflow and waiting per pool from the pool at scrape time', async () => {
    const clock = new ManualClock();
    const { pool } = await newPool('db', clock);
    const registry = collect(pool, new Registry());
    expect(await sample(registry, 'pooltoy_idle_workers{pool="db"}')).toBe(2);
    const leases = [await pool.checkout(), await pool.checkout(), await pool.checkout()];
    const queued = pool.checkout({ checkoutTimeoutMs: 10 });
    expect(await sample(registry, 'pooltoy_idle_workers{pool="db"}')).toBe(0);
    expect(await sample(registry, 'pooltoy_busy_workers{pool="db"}')).toBe(3);
    expect(await sample(registry, 'pooltoy_overflow_workers{pool="db"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_waiting_checkouts{pool="db"}')).toBe(1);
    clock.advance(10);
    await expect(queued).rejects.toBeInstanceOf(CheckoutTimeoutError);
    for (const lease of leases) lease.release();
    await pool.settled();
    expect(await sample(registry, 'pooltoy_busy_workers{pool="db"}')).toBe(0);
    expect(await sample(registry, 'pooltoy_overflow_workers{pool="db"}')).toBe(0);
  });

  it('label each pool of a PoolToy tree, and drop a pool once it is stopped', async () => {
    const toy = await PoolToy.start({
      pools: {
        db: { worker: killableResources().kind, size: 2 },
        cache: { worker: killableResources().kind, size: 1 },
      },
    });
    cleanups.push(() => toy.stop());
    const registry = collect(toy, new Registry());
    const lease = await toy.pool('cache').checkout();
    expect(await sample(registry, 'pooltoy_busy_workers{pool="cache"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_idle_workers{pool="db"}')).toBe(2);
    expect(await sample(registry, 'pooltoy_checkouts_total{pool="cache"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_pool_restarts_total{pool="db"}')).toBe(0);
    lease.release();
    await toy.stopPool('db');
    expect(await sample(registry, 'pooltoy_idle_workers{pool="db"}')).toBeUndefined();
    expect(await sample(registry, 'pooltoy_idle_workers{pool="cache"}')).toBe(1);
  });
});

describe('counters', () => {
  it('count checkouts, timeouts and rejections', async () => {
    const clock = new ManualClock();
    const { pool } = await newPool('jobs', clock);
    const registry = collect(pool, new Registry());
    const leases = [await pool.checkout(), await pool.checkout(), await pool.checkout()];
    const queued = pool.checkout({ checkoutTimeoutMs: 50 });
    clock.advance(50);
    await expect(queued).rejects.toBeInstanceOf(CheckoutTimeoutError);
    await expect(pool.checkout({ block: false })).rejects.toMatchObject({ code: 'ERR_POOL_FULL' });
    for (const lease of leases) lease.release();
    expect(await sample(registry, 'pooltoy_checkouts_total{pool="jobs"}')).toBe(3);
    expect(await sample(registry, 'pooltoy_checkout_timeouts_total{pool="jobs"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_checkout_rejections_total{pool="jobs"}')).toBe(1);
  });

  it('count worker exits by how they ended, and the starts that replaced them', async () => {
    const clock = new ManualClock();
    const { pool, resources } = await newPool('cache', clock);
    const registry = collect(pool, new Registry());
    clock.advance(1000); // up past minHealthyMs: its death is a crash, not a failed start to back off from
    const replaced = new Promise((resolve) => pool.once('worker:started', resolve));
    resources.created[0]!.kill(new Error('connection reset'));
    await replaced;
    expect(await sample(registry, 'pooltoy_worker_exits_total{pool="cache",reason="crashed"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_worker_starts_total{pool="cache"}')).toBe(1);
    await pool.stop({ timeoutMs: 0 });
    expect(await sample(registry, 'pooltoy_worker_exits_total{pool="cache",reason="shutdown"}')).toBe(2);
  });
});

describe('histograms', () => {
  it('observe checkout wait and lease hold time in seconds', async () => {
    const clock = new ManualClock();
    const { pool } = await newPool('db', clock);
    const registry = collect(pool, new Registry());
    const leases = [await pool.checkout(), await pool.checkout(), await pool.checkout()];
    const queued = pool.checkout({ checkoutTimeoutMs: 1000 });
    clock.advance(40);
    leases[0]!.release(); // held 40ms, handed at once to the waiter, which waited 40ms
    const waited = await queued;
    clock.advance(200);
    waited.release(); // held 200ms
    expect(await sample(registry, 'pooltoy_checkout_wait_seconds_count{pool="db"}')).toBe(4);
    expect(await sample(registry, 'pooltoy_checkout_wait_seconds_sum{pool="db"}')).toBeCloseTo(0.04);
    expect(await sample(registry, 'pooltoy_checkout_wait_seconds_bucket{le="0.025",pool="db"}')).toBe(3);
    expect(await sample(registry, 'pooltoy_lease_hold_seconds_count{pool="db"}')).toBe(2);
    expect(await sample(registry, 'pooltoy_lease_hold_seconds_sum{pool="db"}')).toBeCloseTo(0.24);
    for (const lease of leases.slice(1)) lease.release();
  });
});

describe('stopping', () => {
  it('removes the metrics from the registry and follows no more events', async () => {
    const { pool } = await newPool('db', new ManualClock());
    const registry = new Registry();
    const stop = collectMetrics(pool, registry);
    stop();
    stop(); // idempotent
    (await pool.checkout()).release();
    expect(await registry.metrics()).toBe('\n');
    const again = collect(pool, registry); // the names are free again
    expect(await sample(again, 'pooltoy_checkouts_total{pool="db"}')).toBeUndefined();
  });

  it('lets two trees share a registry under different prefixes', async () => {
    const { pool: a } = await newPool('a', new ManualClock());
    const { pool: b } = await newPool('b', new ManualClock());
    const registry = collect(a, new Registry());
    collect(b, registry, { prefix: 'other_' });
    (await b.checkout()).release();
    expect(await sample(registry, 'other_checkouts_total{pool="b"}')).toBe(1);
    expect(await sample(registry, 'pooltoy_idle_workers{pool="a"}')).toBe(2);
  });
});

describe('bad input', () => {
  it('refuses a source, a registry or a prefix of the wrong shape with a typed error', async () => {
    const { pool } = await newPool('db', new ManualClock());
    expect(() => collectMetrics({} as never, new Registry())).toThrow(InvalidArgumentError);
    expect(() => collectMetrics(pool, { metrics: () => '' } as never)).toThrow(/a prom-client Registry/);
    expect(() => collectMetrics(pool, new Registry(), { prefix: 'bad-prefix' })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_ARGUMENT',
        expected: 'a Prometheus name prefix such as "pooltoy_"',
      }),
    );
  });
});
