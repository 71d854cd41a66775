// A worker that starts and then dies at once (on its first call, or right after it is ready) is a crash loop, not
// a string of independent deaths: younger than minHealthyMs, a death counts as a failed start. A manual clock and
// hand-driven workers.
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlledWorkers, controlledWorkers, nextStart } from '../../test/fixtures/controlled-workers.js';
import { ManualClock } from '../clock.js';
import { WorkerStartError } from '../errors.js';
import type { PoolOptions } from '../options.js';
import type { CallableWorker } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import type { PoolEventMap, PoolEventName } from './pool-events.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

const crashLoopOptions = {
  size: 1,
  maxOverflow: 0,
  minHealthyMs: 1000,
  maxRestarts: 2,
  restartPeriodMs: 5000,
  restartBackoffMs: 100,
  restartBackoffMaxMs: 1000,
} satisfies Omit<PoolOptions<CallableWorker>, 'worker'>;

async function startPool(workers: ControlledWorkers): Promise<{ pool: Pool<CallableWorker>; clock: ManualClock }> {
  const clock = new ManualClock();
  const creating = createPool({ name: 'loop', worker: workers.kind, clock, ...crashLoopOptions });
  (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  return { pool, clock };
}

const nextEvent = <K extends PoolEventName>(pool: Pool<CallableWorker>, name: K) =>
  new Promise<PoolEventMap[K]>((resolve) => pool.once(name, resolve));

/** Let the worker supervisor's promise ticks run: a start the pool asked for shows up in `workers.starts`. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The newest worker dies, and the pool's answer: the backoff before the next start. */
async function youngDeath(pool: Pool<CallableWorker>, workers: ControlledWorkers): Promise<number> {
  const failed = nextEvent(pool, 'worker:startFailed');
  workers.handles.at(-1)!.die(new Error('segfault on the first call'));
  const { retryInMs, error } = await failed;
  expect(error).toBeInstanceOf(WorkerStartError);
  expect((error as Error).message).toMatch(/before minHealthyMs \(1000ms\): segfault on the first call/);
  return retryInMs;
}

describe('a worker that dies younger than minHealthyMs', () => {
  it('is replaced only after the start backoff, not at once', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    const retryInMs = await youngDeath(pool, workers);
    expect(retryInMs).toBeGreaterThanOrEqual(50);
    await flush();
    expect(workers.starts).toHaveLength(0);
    expect(pool.workers()).toEqual([]);
    clock.advance(retryInMs);
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  });

  it('keeps starts bounded in a window while every new worker dies at once, then recovers', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    let starts = 0;
    pool.on('worker:starting', () => starts++);
    workers.handles[0]!.die();
    // Five seconds of a crash loop, in steps of 10ms: each start succeeds and its worker dies at once.
    for (let elapsedMs = 0; elapsedMs < 5000; elapsedMs += 10) {
      await flush();
      while (workers.starts.length > 0) workers.starts.shift()!.succeed().die();
      clock.advance(10);
    }
    // Without the rule this is a tight loop; with it the backoff (50–100, 100–200, … up to 1000ms) allows ~10.
    expect(starts).toBeGreaterThanOrEqual(4);
    expect(starts).toBeLessThanOrEqual(12);
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(WorkerStartError);
    // The fault is gone: the next start stays up, and serves.
    const recovered = nextEvent(pool, 'pool:recovered');
    clock.advance(1000);
    (await nextStart(workers)).succeed();
    await recovered;
    const lease = await pool.checkout();
    expect(lease.workerId).toBe(workers.handles.at(-1)!.workerId);
    lease.release();
  });

  it('fails fast past maxRestarts: queued and new checkouts reject with WorkerStartError, its cause the crash', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    for (let death = 1; death <= 2; death++) {
      clock.advance(await youngDeath(pool, workers));
      (await nextStart(workers)).succeed();
      await pool.settled();
    }
    const held = await pool.checkout();
    const queued = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY }).catch((error: unknown) => error);
    await youngDeath(pool, workers);
    expect(held.isActive).toBe(false);
    const rejection = await queued;
    expect(rejection).toBeInstanceOf(WorkerStartError);
    expect((rejection as Error).cause).toEqual(new Error('segfault on the first call'));
    await expect(pool.checkout()).rejects.toBeInstanceOf(WorkerStartError);
  });

  it('resets the backoff once a worker has stayed up minHealthyMs, so a later death is replaced at once', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    clock.advance(await youngDeath(pool, workers));
    (await nextStart(workers)).succeed();
    await pool.settled();
    clock.advance(1000);
    const starting = nextEvent(pool, 'worker:starting');
    workers.handles.at(-1)!.die(); // a death at 1000ms of age: healthy, not part of a loop
    await starting;
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
    // A new loop starts from the first step of the backoff (50–100ms), not from where the old one left off.
    expect(await youngDeath(pool, workers)).toBeLessThan(100);
  });
});

describe('minHealthyMs: 0', () => {
  it('replaces a worker that died at once without a backoff', async () => {
    const workers = controlledWorkers();
    const clock = new ManualClock();
    const creating = createPool({ name: 'off', worker: workers.kind, clock, ...crashLoopOptions, minHealthyMs: 0 });
    (await nextStart(workers)).succeed();
    pools.push(await creating);
    workers.handles[0]!.die();
    (await nextStart(workers)).succeed();
    expect(workers.handles).toHaveLength(2);
  });
});
