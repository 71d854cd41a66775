// The races that bit Poolboy, replayed deterministically: a manual clock decides which of two things happens first
// in the same instant, and the test decides when a worker's start finishes.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { CheckoutTimeoutError, OwnerExitError, WorkerExitError } from '../src/errors.js';
import type { PoolOptions } from '../src/options.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';
import { type ControlledWorkers, controlledWorkers, nextStart } from './fixtures/controlled-workers.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

/** Start a pool of controlled workers, letting its first `size` starts succeed. */
async function startPool(
  workers: ControlledWorkers,
  options: Omit<PoolOptions<CallableWorker>, 'worker'>,
): Promise<Pool<CallableWorker>> {
  const creating = createPool({ name: 'race', worker: workers.kind, ...options });
  for (let i = 0; i < (options.size ?? 5); i++) (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  return pool;
}

const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ granted: value }),
    (error: unknown) => ({ rejected: error }),
  );

describe('a checkout that times out at the moment a worker is granted', () => {
  it('gets the worker when the checkin comes first, and its timer is cancelled', async () => {
    const clock = new ManualClock();
    const pool = await startPool(controlledWorkers(), { size: 1, maxOverflow: 0, clock });
    const held = await pool.checkout();
    clock.setTimer(100, () => held.release()); // set before the checkout's timer: fires first at the same instant
    const waiter = outcome(pool.checkout({ checkoutTimeoutMs: 100 }));
    clock.advance(100);
    const result = await waiter;
    expect(result).toHaveProperty('granted');
    expect(clock.pendingTimers).toBe(0);
    expect(pool.status()).toMatchObject({ checkedOut: 1, waiting: 0, idle: 0 });
  });

  it('times out when the deadline comes first, and the worker goes to the next waiter, not to it', async () => {
    const clock = new ManualClock();
    const pool = await startPool(controlledWorkers(), { size: 1, maxOverflow: 0, clock });
    const held = await pool.checkout();
    const first = outcome(pool.checkout({ checkoutTimeoutMs: 100 }));
    const second = outcome(pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY }));
    clock.setTimer(100, () => held.release()); // set after the checkout's timer: fires second at the same instant
    clock.advance(100);
    expect((await first) as { rejected: unknown }).toEqual({ rejected: expect.any(CheckoutTimeoutError) });
    const served = (await second) as { granted: { workerId: string } };
    expect(served.granted.workerId).toBe(held.workerId);
    expect(pool.status()).toMatchObject({ checkedOut: 1, waiting: 0, idle: 0 });
  });

  it('returns the worker to idle when the only waiter timed out just before the checkin', async () => {
    const clock = new ManualClock();
    const pool = await startPool(controlledWorkers(), { size: 1, maxOverflow: 0, clock });
    const held = await pool.checkout();
    const waiter = outcome(pool.checkout({ checkoutTimeoutMs: 100 }));
    clock.setTimer(100, () => held.release());
    clock.advance(100);
    expect(await waiter).toEqual({ rejected: expect.any(CheckoutTimeoutError) });
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
  });
});

describe('a waiter whose owner dies while an overflow worker is starting for it', () => {
  it('rejects with OwnerExitError, and the started worker is dismissed as surplus', async () => {
    const workers = controlledWorkers();
    const pool = await startPool(workers, { size: 1, maxOverflow: 1, overflowTtlMs: 0, clock: new ManualClock() });
    await pool.checkout();
    const owner = new EventEmitter();
    const waiter = outcome(pool.checkout({ owner }));
    const start = await nextStart(workers);
    expect(pool.status()).toMatchObject({ state: 'full', overflow: 1, waiting: 1 });
    owner.emit('close');
    expect(await waiter).toEqual({ rejected: expect.any(OwnerExitError) });
    expect(owner.listenerCount('close')).toBe(0);
    start.succeed();
    await pool.settled();
    expect(pool.status()).toEqual({ state: 'overflow', idle: 0, overflow: 0, checkedOut: 1, waiting: 0 });
    expect(pool.workers()).toHaveLength(1);
  });

  it('hands the started worker to the next waiter instead', async () => {
    const workers = controlledWorkers();
    const pool = await startPool(workers, { size: 1, maxOverflow: 1, overflowTtlMs: 0, clock: new ManualClock() });
    await pool.checkout();
    const owner = new EventEmitter();
    const first = outcome(pool.checkout({ owner }));
    const start = await nextStart(workers);
    const second = pool.checkout();
    owner.emit('exit', 1);
    expect(await first).toEqual({ rejected: expect.any(OwnerExitError) });
    start.succeed();
    expect((await second).workerId).toBe(start.workerId);
    expect(pool.status()).toEqual({ state: 'full', idle: 0, overflow: 1, checkedOut: 2, waiting: 0 });
  });
});

describe('a worker dying while the pool is full with waiters', () => {
  it('counts the death at once, revokes its lease, and starts a worker for the oldest waiter', async () => {
    const workers = controlledWorkers();
    const pool = await startPool(workers, { size: 2, maxOverflow: 0, clock: new ManualClock() });
    const a = await pool.checkout();
    await pool.checkout();
    const first = pool.checkout();
    const second = outcome(pool.checkout());
    const dying = workers.handles.find((handle) => handle.workerId === a.workerId)!;
    dying.die();
    // Counts change the moment the pool learns of the death, not behind the queued checkouts.
    // …and a replacement starts for the oldest waiter at once: its capacity is reserved, so the pool is full.
    expect(pool.status()).toEqual({ state: 'full', idle: 0, overflow: 0, checkedOut: 1, waiting: 2 });
    expect(a.isActive).toBe(false);
    expect(a.signal.reason).toBeInstanceOf(WorkerExitError);
    const start = await nextStart(workers);
    start.succeed();
    expect((await first).workerId).toBe(start.workerId);
    expect(pool.status()).toEqual({ state: 'full', idle: 0, overflow: 0, checkedOut: 2, waiting: 1 });
    a.release(); // a revoked lease: ignored
    expect(pool.status().waiting).toBe(1);
    const stopped = pool.stop({ timeoutMs: 0 });
    expect(await second).toEqual({ rejected: expect.objectContaining({ code: 'ERR_POOL_STOPPED' }) });
    await stopped;
  });
});
