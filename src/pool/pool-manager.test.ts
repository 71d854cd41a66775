// The manager's behaviours beyond Poolboy's suite: cooldown, recycling, start backoff and fail-fast, lease
// timeouts, owners that are signals, bounded queues, and stop. A manual clock and hand-driven workers.
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlledWorkers, controlledWorkers, nextStart } from '../../test/fixtures/controlled-workers.js';
import { ManualClock } from '../clock.js';
import { LeaseRevokedError, QueueFullError, WorkerStartError } from '../errors.js';
import type { PoolOptions } from '../options.js';
import type { CallableWorker } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import type { PoolEventMap, PoolEventName } from './pool-events.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

async function startPool(
  workers: ControlledWorkers,
  options: Omit<PoolOptions<CallableWorker>, 'worker' | 'clock'>,
): Promise<{ pool: Pool<CallableWorker>; clock: ManualClock }> {
  const clock = new ManualClock();
  const creating = createPool({ name: 'unit', worker: workers.kind, clock, ...options });
  for (let i = 0; i < (options.size ?? 5); i++) (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  return { pool, clock };
}

const nextEvent = <K extends PoolEventName>(pool: Pool<CallableWorker>, name: K) =>
  new Promise<PoolEventMap[K]>((resolve) => pool.once(name, resolve));

describe('cooldown', () => {
  it('keeps a surplus worker idle for overflowTtlMs, then stops it', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 1, maxOverflow: 1, overflowTtlMs: 1000 });
    await pool.checkout();
    const overflow = pool.checkout();
    (await nextStart(workers)).succeed();
    (await overflow).release();
    expect(pool.workers().map((worker) => worker.state)).toContain('cooling');
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1, overflow: 1 });
    clock.advance(1000);
    await pool.settled();
    expect(pool.status()).toEqual({ state: 'overflow', idle: 0, overflow: 0, checkedOut: 1, waiting: 0 });
  });

  it('reuses a cooling worker and cancels its cooldown', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 1, maxOverflow: 1, overflowTtlMs: 1000 });
    await pool.checkout();
    const overflow = pool.checkout();
    (await nextStart(workers)).succeed();
    const lease = await overflow;
    lease.release();
    const again = await pool.checkout();
    expect(again.workerId).toBe(lease.workerId);
    clock.advance(5000);
    expect(pool.workers().find((worker) => worker.id === lease.workerId)?.state).toBe('busy');
  });
});

describe('recycling', () => {
  it('replaces a worker past maxUses, starting the replacement before stopping it', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 1, maxOverflow: 0, maxUses: 2 });
    (await pool.checkout()).release();
    const second = await pool.checkout();
    second.release();
    const replacement = await nextStart(workers);
    // The old worker waits, out of service, for its replacement: no process-level dip below size.
    expect(workers.handles[0]!.exit).toBeUndefined();
    replacement.succeed();
    await pool.settled();
    expect(workers.handles[0]!.exit).toEqual({ kind: 'shutdown' });
    expect(pool.workers().map((worker) => worker.id)).toEqual([replacement.workerId]);
  });

  it('replaces a worker older than maxAgeMs at its checkin', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 1, maxOverflow: 0, maxAgeMs: 60_000 });
    const lease = await pool.checkout();
    clock.advance(60_000);
    const recycled = new Promise((resolve) => pool.once('worker:recycled', resolve));
    lease.release();
    expect(await recycled).toEqual({ workerId: lease.workerId, reason: 'maxAge' });
  });
});

describe('start failures', () => {
  it('retries with backoff, fails fast past maxRestarts, and recovers at the first successful start', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, {
      size: 1,
      maxOverflow: 0,
      maxRestarts: 1,
      restartBackoffMs: 100,
      restartBackoffMaxMs: 100,
    });
    const lease = await pool.checkout();
    const waiter = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY });
    workers.handles[0]!.die();
    const failed = nextEvent(pool, 'worker:startFailed');
    (await nextStart(workers)).fail(new Error('database down'));
    const { retryInMs } = await failed;
    expect(retryInMs).toBeGreaterThan(0);
    expect(workers.starts).toHaveLength(0); // no tight loop: the retry waits out its backoff
    clock.advance(retryInMs);
    const failedAgain = nextEvent(pool, 'worker:startFailed');
    (await nextStart(workers)).fail(new Error('database down'));
    const { retryInMs: nextRetryInMs } = await failedAgain;
    const rejection = await waiter.catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(WorkerStartError);
    expect((rejection as Error).cause).toEqual(new Error('database down'));
    await expect(pool.checkout({ block: false })).rejects.toBeInstanceOf(WorkerStartError);
    expect(lease.isActive).toBe(false);
    clock.advance(nextRetryInMs);
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect((await pool.checkout()).workerId).toBe(workers.handles[1]!.workerId);
  });

  it('rejects createPool with the start error as cause when no worker starts', async () => {
    const workers = controlledWorkers();
    const creating = createPool({ name: 'down', worker: workers.kind, size: 2, clock: new ManualClock() });
    (await nextStart(workers)).fail(new Error('no route to host'));
    (await nextStart(workers)).fail(new Error('no route to host'));
    const error = await creating.catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).cause).toEqual(new Error('no route to host'));
  });

  it('gives up a start after startTimeoutMs', async () => {
    const workers = controlledWorkers();
    const clock = new ManualClock();
    const creating = createPool({ name: 'slow', worker: workers.kind, size: 1, startTimeoutMs: 500, clock });
    const start = await nextStart(workers);
    clock.advance(500);
    expect(start.signal.aborted).toBe(true);
    await expect(creating).rejects.toThrow(/startTimeoutMs \(500ms\)/);
  });
});

describe('leases', () => {
  it('revokes a lease held past leaseTimeoutMs and replaces its worker', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 1, maxOverflow: 0, leaseTimeoutMs: 1000 });
    const lease = await pool.checkout();
    clock.advance(1000);
    expect(lease.isActive).toBe(false);
    expect(lease.signal.reason).toBeInstanceOf(LeaseRevokedError);
    expect((lease.signal.reason as LeaseRevokedError).reason).toBe('expired');
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
  });

  it('revokes a lease whose owner signal aborts, with the reason as cause, and leaves no listener', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 1, maxOverflow: 0, onOwnerExit: 'checkin' });
    const owner = new AbortController();
    const lease = await pool.checkout({ owner: owner.signal });
    const seen: unknown[] = [];
    lease.signal.addEventListener('abort', () => seen.push(lease.signal.reason));
    owner.abort(new Error('request closed'));
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).cause).toEqual(new Error('request closed'));
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });

  it('does not abort the signal on a normal release, and ignores a second release', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 1, maxOverflow: 0 });
    const lease = await pool.checkout();
    const ignored: unknown[] = [];
    pool.on('checkin:ignored', (event) => ignored.push(event.reason));
    lease.release();
    lease.release();
    expect(lease.signal.aborted).toBe(false);
    expect(ignored).toEqual(['alreadyCheckedIn']);
    expect(() => pool.checkin({} as never)).toThrow(TypeError);
  });
});

describe('checkout', () => {
  it('rejects with QueueFullError past maxWaiting, and with the signal reason when aborted', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 1, maxOverflow: 0, maxWaiting: 1 });
    const held = await pool.checkout();
    const controller = new AbortController();
    const queued = pool.checkout({ signal: controller.signal });
    await expect(pool.checkout()).rejects.toBeInstanceOf(QueueFullError);
    controller.abort(new Error('gave up'));
    await expect(queued).rejects.toThrow('gave up');
    held.release();
    expect(pool.status()).toMatchObject({ idle: 1, waiting: 0 });
  });

  it('refuses unknown and invalid checkout options with a typed error', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 1, maxOverflow: 0 });
    await expect(pool.checkout({ timeout: 5 } as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(pool.checkout({ checkoutTimeoutMs: -1 })).rejects.toThrow(/checkoutTimeoutMs.*got -1/);
    await expect(pool.checkout({ owner: {} as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('stop', () => {
  it('rejects waiters, revokes leases not returned in time, and reports them and the workers it killed', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 2, maxOverflow: 0, stopTimeoutMs: 100 });
    const held = await pool.checkout();
    const kept = await pool.checkout();
    const waiter = pool.checkout();
    const stubborn = workers.handles.find((handle) => handle.workerId === held.workerId)!;
    stubborn.obeysStop = false;
    const stopping = pool.stop({ timeoutMs: 1000 });
    await expect(waiter).rejects.toMatchObject({ code: 'ERR_POOL_STOPPED' });
    await expect(pool.checkout()).rejects.toMatchObject({ code: 'ERR_POOL_STOPPED' });
    held.release();
    clock.advance(1000);
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advance(100);
    const report = await stopping;
    expect(report.killed).toEqual([stubborn.workerId]);
    expect(report.leasesHeld).toEqual([{ workerId: kept.workerId, owner: 'unowned', heldMs: 1000 }]);
    expect(kept.signal.reason).toMatchObject({ code: 'ERR_POOL_STOPPED' });
  });
});
