// Every scenario of Poolboy's own suite (test/poolboy_tests.erl), with its numbers, through PoolToy's public API.
// Poolboy's `get_avail_workers` is `status().idle`, `get_all_workers` the workers left once the pool has settled,
// `get_all_monitors` the leases held (or the listeners left on an owner). Where Poolboy waits 500ms to see that a
// checkout blocks, we look at the queue: a waiter is there and its promise has not settled.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { CheckoutTimeoutError, PoolFullError } from '../src/errors.js';
import type { PoolStrategy } from '../src/options.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Lease } from '../src/pool/lease.js';
import type { Pool } from '../src/pool/pool.js';
import { type KillableResource, killableResources } from './fixtures/killable-resources.js';

const pools: Pool<KillableResource>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

async function newPool(size: number, maxOverflow: number, strategy?: PoolStrategy): Promise<Pool<KillableResource>> {
  const pool = await createPool({
    name: 'poolboy',
    worker: killableResources().kind,
    size,
    maxOverflow,
    overflowTtlMs: 0, // Poolboy stops a surplus worker at checkin
    minHealthyMs: 0, // Poolboy replaces every death at once; on a clock that never moves, every death is young
    clock: new ManualClock(),
    ...(strategy && { strategy }),
  });
  pools.push(pool);
  return pool;
}

/** `get_all_workers`: the workers left once starts and stops are done. */
async function allWorkers(pool: Pool<KillableResource>): Promise<number> {
  await pool.settled();
  return pool.workers().length;
}

const avail = (pool: Pool<KillableResource>) => pool.status().idle;

async function checkoutMany(pool: Pool<KillableResource>, count: number): Promise<Lease<KillableResource>[]> {
  const leases: Lease<KillableResource>[] = [];
  for (let i = 0; i < count; i++) leases.push(await pool.checkout());
  return leases;
}

/** A checkout that has not settled yet, and a way to look. */
function pending<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

/** Let promise callbacks run (not time: nothing here waits on a clock). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('basic operations', () => {
  it('checks workers out and in (size 10, overflow 5)', async () => {
    const pool = await newPool(10, 5);
    expect(avail(pool)).toBe(10);
    await pool.checkout();
    expect(avail(pool)).toBe(9);
    const worker = await pool.checkout();
    expect(avail(pool)).toBe(8);
    worker.release();
    expect(avail(pool)).toBe(9);
    expect(pool.status().checkedOut).toBe(1);
  });
});

describe('overflow', () => {
  it('overflows to 7 workers and shrinks back to 5 as they are checked in (size 5, overflow 5)', async () => {
    const pool = await newPool(5, 5);
    const [a, b, c, d, e, f, g] = await checkoutMany(pool, 7);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(7);
    a!.release();
    b!.release();
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(5);
    c!.release();
    d!.release();
    expect(avail(pool)).toBe(2);
    expect(await allWorkers(pool)).toBe(5);
    e!.release();
    f!.release();
    expect(avail(pool)).toBe(4);
    expect(await allWorkers(pool)).toBe(5);
    g!.release();
    expect(avail(pool)).toBe(5);
    expect(await allWorkers(pool)).toBe(5);
    expect(pool.status().checkedOut).toBe(0);
  });
});

describe('empty pool', () => {
  it('queues a checkout when empty and serves it at the next checkin (size 5, overflow 2)', async () => {
    const pool = await newPool(5, 2);
    const [a, b, c, d, e, f, g] = await checkoutMany(pool, 7);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(7);
    const waiter = pending(pool.checkout().then((lease) => lease.release()));
    await flush();
    expect(waiter.settled).toBe(false);
    expect(pool.status().waiting).toBe(1);
    a!.release();
    b!.release();
    await waiter.promise;
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(5);
    c!.release();
    d!.release();
    expect(avail(pool)).toBe(2);
    expect(await allWorkers(pool)).toBe(5);
    e!.release();
    f!.release();
    expect(avail(pool)).toBe(4);
    expect(await allWorkers(pool)).toBe(5);
    g!.release();
    expect(avail(pool)).toBe(5);
    expect(await allWorkers(pool)).toBe(5);
    expect(pool.status().checkedOut).toBe(0);
  });

  it('queues a checkout when empty without overflow and serves it at the next checkin (size 5, overflow 0)', async () => {
    const pool = await newPool(5, 0);
    const [a, b, c, d, e] = await checkoutMany(pool, 5);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(5);
    const waiter = pending(pool.checkout().then((lease) => lease.release()));
    await flush();
    expect(waiter.settled).toBe(false);
    a!.release();
    b!.release();
    await waiter.promise;
    expect(avail(pool)).toBe(2);
    expect(await allWorkers(pool)).toBe(5);
    c!.release();
    d!.release();
    expect(avail(pool)).toBe(4);
    expect(await allWorkers(pool)).toBe(5);
    e!.release();
    expect(avail(pool)).toBe(5);
    expect(await allWorkers(pool)).toBe(5);
    expect(pool.status().checkedOut).toBe(0);
  });
});

describe('worker death', () => {
  it('replaces a dead worker only while the pool is under size, never an overflow one (size 5, overflow 2)', async () => {
    const pool = await newPool(5, 2);
    const worker = await pool.checkout();
    worker.worker.kill();
    await pool.settled();
    expect(avail(pool)).toBe(5);
    const [a, b, c] = await checkoutMany(pool, 7);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(7);
    a!.worker.kill();
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(6);
    b!.worker.kill();
    c!.worker.kill();
    expect(await allWorkers(pool)).toBe(5);
    expect(avail(pool)).toBe(1);
    expect(pool.status().checkedOut).toBe(4);
  });

  it('starts a worker for the queued checkout when a worker dies while full (size 5, overflow 2)', async () => {
    const pool = await newPool(5, 2);
    const worker = await pool.checkout();
    worker.worker.kill();
    await pool.settled();
    expect(avail(pool)).toBe(5);
    const [a, b] = await checkoutMany(pool, 7);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(7);
    const waiter = pending(pool.checkout()); // keeps its worker: a death with nobody waiting comes next
    await flush();
    expect(waiter.settled).toBe(false);
    a!.worker.kill();
    await waiter.promise;
    b!.worker.kill();
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(6);
    expect(pool.status().checkedOut).toBe(6);
  });

  it('starts a worker for the queued checkout when a worker dies while full without overflow (size 5, overflow 0)', async () => {
    const pool = await newPool(5, 0);
    const worker = await pool.checkout();
    worker.worker.kill();
    await pool.settled();
    expect(avail(pool)).toBe(5);
    const [a, b, c] = await checkoutMany(pool, 5);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(5);
    const waiter = pending(pool.checkout());
    await flush();
    expect(waiter.settled).toBe(false);
    a!.worker.kill();
    await waiter.promise;
    b!.worker.kill();
    await pool.settled();
    expect(avail(pool)).toBe(1);
    expect(await allWorkers(pool)).toBe(5);
    c!.worker.kill();
    await pool.settled();
    expect(avail(pool)).toBe(2);
    expect(await allWorkers(pool)).toBe(5);
    expect(pool.status().checkedOut).toBe(3);
  });
});

describe('non-blocking checkout', () => {
  it('answers full at once, and hands out a checked-in worker again (size 5, overflow 0)', async () => {
    const pool = await newPool(5, 0);
    const leases = await checkoutMany(pool, 5);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(5);
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(PoolFullError);
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(PoolFullError);
    const a = leases[0]!;
    a.release();
    expect((await pool.checkout()).worker).toBe(a.worker);
    expect(pool.status().checkedOut).toBe(5);
  });

  it('answers full at once, and starts a worker after an overflow worker is dismissed (size 5, overflow 5)', async () => {
    const pool = await newPool(5, 5);
    const leases = await checkoutMany(pool, 10);
    expect(avail(pool)).toBe(0);
    expect(await allWorkers(pool)).toBe(10);
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(PoolFullError);
    const a = leases[0]!;
    a.release();
    const newWorker = await pool.checkout({ block: false });
    await pool.settled();
    expect(pool.workers().map((worker) => worker.id)).not.toContain(a.workerId); // surplus workers are stopped
    expect(newWorker.workerId).not.toBe(a.workerId);
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(PoolFullError);
    expect(pool.status().checkedOut).toBe(10);
  });
});

describe('owner death', () => {
  it('takes the worker back when the owner ends, and replaces it (our default onOwnerExit: replace)', async () => {
    const pool = await newPool(5, 5);
    const owner = new EventEmitter();
    const lease = await pool.checkout({ owner });
    owner.emit('exit', 0);
    expect(lease.isActive).toBe(false);
    expect(await allWorkers(pool)).toBe(5);
    expect(avail(pool)).toBe(5);
    expect(pool.workers().map((worker) => worker.id)).not.toContain(lease.workerId);
    expect(owner.listenerCount('exit') + owner.listenerCount('close')).toBe(0);
  });

  it("returns the worker as is when the owner ends, with onOwnerExit: 'checkin' (Poolboy's behaviour)", async () => {
    const pool = await createPool({
      name: 'poolboy',
      worker: killableResources().kind,
      size: 5,
      maxOverflow: 5,
      overflowTtlMs: 0,
      onOwnerExit: 'checkin',
      clock: new ManualClock(),
    });
    pools.push(pool);
    const owner = new EventEmitter();
    const lease = await pool.checkout({ owner });
    owner.emit('exit', 0);
    expect(await allWorkers(pool)).toBe(5);
    expect(avail(pool)).toBe(5);
    expect(pool.workers().map((worker) => worker.id)).toContain(lease.workerId);
    expect(pool.status().checkedOut).toBe(0);
  });
});

describe('transaction', () => {
  it('checks the worker in after an exception in the transaction (size 2, overflow 0)', async () => {
    const pool = await newPool(2, 0);
    expect(avail(pool)).toBe(2);
    const thrown = new Error('it_on_the_ground');
    await expect(
      pool.transaction((worker) => {
        expect(worker.id).toMatch(/^poolboy#/);
        expect(avail(pool)).toBe(1);
        throw thrown;
      }),
    ).rejects.toBe(thrown);
    expect(avail(pool)).toBe(2);
  });

  it('runs with checkoutTimeoutMs 0 when a worker is idle, and leaves the pool as it was (Poolboy: recovers from the timeout)', async () => {
    const pool = await newPool(1, 0);
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
    const workers = pool.workers().map((worker) => worker.id);
    expect(workers).toHaveLength(1);
    // Poolboy's transaction exits with `timeout` here though a worker is idle; ours serves the idle worker first.
    expect(await pool.transaction((worker) => worker.id, { checkoutTimeoutMs: 0 })).toBe(workers[0]);
    expect(pool.workers().map((worker) => worker.id)).toEqual(workers);
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
  });

  it('times out with checkoutTimeoutMs 0 when no worker is idle, and leaves the pool as it was', async () => {
    const clock = new ManualClock();
    const pool = await createPool({
      name: 'poolboy',
      worker: killableResources().kind,
      size: 1,
      maxOverflow: 0,
      clock,
    });
    pools.push(pool);
    const workers = pool.workers().map((worker) => worker.id);
    const held = await pool.checkout();
    const transaction = pool.transaction(() => 'ran', { checkoutTimeoutMs: 0 });
    clock.advance(0);
    await expect(transaction).rejects.toBeInstanceOf(CheckoutTimeoutError);
    held.release();
    expect(pool.workers().map((worker) => worker.id)).toEqual(workers);
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
  });
});

describe('status', () => {
  it('reports ready, overflow and full with the counts Poolboy reports', async () => {
    const pool = await newPool(2, 0);
    expect(pool.status()).toEqual({ state: 'ready', idle: 2, overflow: 0, checkedOut: 0, waiting: 0 });
    await pool.checkout();
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 1, waiting: 0 });
    await pool.checkout();
    expect(pool.status()).toEqual({ state: 'full', idle: 0, overflow: 0, checkedOut: 2, waiting: 0 });

    const pool2 = await newPool(1, 1);
    expect(pool2.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
    await pool2.checkout();
    expect(pool2.status()).toEqual({ state: 'overflow', idle: 0, overflow: 0, checkedOut: 1, waiting: 0 });
    await pool2.checkout();
    expect(pool2.status()).toEqual({ state: 'full', idle: 0, overflow: 1, checkedOut: 2, waiting: 0 });

    const pool3 = await newPool(0, 2);
    expect(pool3.status()).toEqual({ state: 'overflow', idle: 0, overflow: 0, checkedOut: 0, waiting: 0 });
    await pool3.checkout();
    expect(pool3.status()).toEqual({ state: 'overflow', idle: 0, overflow: 1, checkedOut: 1, waiting: 0 });
    await pool3.checkout();
    expect(pool3.status()).toEqual({ state: 'full', idle: 0, overflow: 2, checkedOut: 2, waiting: 0 });

    const pool4 = await newPool(0, 0);
    expect(pool4.status()).toEqual({ state: 'full', idle: 0, overflow: 0, checkedOut: 0, waiting: 0 });
  });
});

describe('client monitoring', () => {
  it('stops listening to a waiter once it was served and checked in', async () => {
    const pool = await newPool(1, 0);
    const first = await pool.checkout();
    const owner = new EventEmitter();
    const waiter = pool.checkout({ owner });
    expect(owner.listenerCount('close')).toBe(1);
    first.release();
    const lease = await waiter;
    expect(owner.listenerCount('close')).toBe(1); // the lease's, the waiter's is gone
    lease.release();
    expect(owner.listenerCount('close') + owner.listenerCount('exit')).toBe(0);
  });

  it('stops listening to a waiter whose checkout timed out', async () => {
    const clock = new ManualClock();
    const pool = await createPool({
      name: 'poolboy',
      worker: killableResources().kind,
      size: 1,
      maxOverflow: 0,
      clock,
    });
    pools.push(pool);
    const owner = new EventEmitter();
    await pool.checkout({ owner });
    const cancelled = pool.checkout({ owner, checkoutTimeoutMs: 1000 });
    expect(owner.listenerCount('close')).toBe(2);
    clock.advance(1000);
    await expect(cancelled).rejects.toBeInstanceOf(CheckoutTimeoutError);
    expect(owner.listenerCount('close')).toBe(1);
  });

  it('serves the waiting client with the replacement of its worker that died', async () => {
    const pool = await newPool(1, 0);
    const owner = new EventEmitter();
    const lease = await pool.checkout({ owner });
    const second = pool.checkout({ owner });
    lease.worker.kill();
    const replacement = await second;
    expect(replacement.workerId).not.toBe(lease.workerId);
    expect(owner.listenerCount('close')).toBe(1);
    expect(pool.status().checkedOut).toBe(1);
  });
});

describe('strategy', () => {
  it('is LIFO by default: the worker just checked in comes out first', async () => {
    const pool = await newPool(2, 0);
    const worker1 = await pool.checkout();
    worker1.release();
    expect((await pool.checkout()).worker).toBe(worker1.worker);
  });

  it('with lifo, hands out the worker just checked in', async () => {
    const pool = await newPool(2, 0, 'lifo');
    const worker1 = await pool.checkout();
    worker1.release();
    expect((await pool.checkout()).worker).toBe(worker1.worker);
  });

  it('with fifo, hands out the worker idle the longest', async () => {
    const pool = await newPool(2, 0, 'fifo');
    const worker1 = await pool.checkout();
    worker1.release();
    const worker2 = await pool.checkout();
    expect(worker2.worker).not.toBe(worker1.worker);
    expect((await pool.checkout()).worker).toBe(worker1.worker);
  });
});
