// Over 250 lines: one rule (deaths, early deaths, proof of health, fail-fast) and its cases read best in one file.
// The crash-loop rule. Only a start that fails counts towards the restart intensity at once; a worker that dies
// after it proved healthy (up minHealthyMs, or a lease of it checked in) is replaced at once; only early deaths in a
// row (a crash loop) back off; and a checkout a live worker can serve is never refused. A manual clock and
// hand-driven workers: no wall-clock waits.
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
  maxRestarts: 2,
  restartBackoffMs: 100,
  restartBackoffMaxMs: 1000,
} satisfies Omit<PoolOptions<CallableWorker>, 'worker'>;

async function startPool(
  workers: ControlledWorkers,
  options: Omit<PoolOptions<CallableWorker>, 'worker'> = {},
): Promise<{ pool: Pool<CallableWorker>; clock: ManualClock }> {
  const clock = new ManualClock();
  const size = options.size ?? 1;
  const creating = createPool({ name: 'loop', worker: workers.kind, clock, ...crashLoopOptions, ...options });
  for (let started = 0; started < size; started++) (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  return { pool, clock };
}

const nextEvent = <K extends PoolEventName>(pool: Pool<CallableWorker>, name: K) =>
  new Promise<PoolEventMap[K]>((resolve) => pool.once(name, resolve));

/** Let the worker supervisor's promise ticks run: a start the pool asked for shows up in `workers.starts`. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The newest worker dies young, again: the pool's answer is the backoff before the next start. */
async function earlyDeathInARow(pool: Pool<CallableWorker>, workers: ControlledWorkers): Promise<number> {
  const failed = nextEvent(pool, 'worker:startFailed');
  workers.handles.at(-1)!.die(new Error('segfault on the first call'));
  const { retryInMs, error } = await failed;
  expect(error).toBeInstanceOf(WorkerStartError);
  expect((error as Error).message).toMatch(/before it proved healthy .*: segfault on the first call/);
  return retryInMs;
}

describe('a worker that dies after it proved healthy', () => {
  it('is replaced at once however young, once a lease of it was checked in', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    for (let kill = 0; kill < 10; kill++) {
      (await pool.checkout()).release(); // the worker served: it is healthy
      const starting = nextEvent(pool, 'worker:starting');
      workers.handles.at(-1)!.kill(); // a SIGKILL on a clock that never moved: every worker is young
      await starting;
      (await nextStart(workers)).succeed();
    }
    expect(workers.handles).toHaveLength(11);
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  });

  it('is replaced at once once it has stayed up minHealthyMs', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    workers.handles[0]!.die(); // the first early death is replaced at once
    (await nextStart(workers)).succeed();
    await pool.settled();
    clock.advance(1000); // minHealthyMs
    const starting = nextEvent(pool, 'worker:starting');
    workers.handles[1]!.die();
    await starting;
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  });
});

describe('early deaths', () => {
  it('replaces the first of a row at once, and backs off from the second with no healthy worker between', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    workers.handles[0]!.kill();
    (await nextStart(workers)).succeed();
    await pool.settled();
    const retryInMs = await earlyDeathInARow(pool, workers);
    expect(retryInMs).toBeGreaterThanOrEqual(50);
    await flush();
    expect(workers.starts).toHaveLength(0);
    expect(pool.workers()).toEqual([]);
    clock.advance(retryInMs);
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  });

  it('counts workers killed together as one early death: each is replaced at once, none backs off', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 4 });
    const failures: unknown[] = [];
    pool.on('worker:startFailed', (event) => failures.push(event));
    for (const handle of workers.handles.slice(0, 4)) handle.kill(); // one OOM sweep, or four call slots of a process
    for (let replaced = 0; replaced < 4; replaced++) (await nextStart(workers)).succeed();
    await pool.settled();
    expect(failures).toEqual([]);
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 4 });
    // The row goes on with the replacements: one of them dying young again is a crash loop.
    const retryInMs = await earlyDeathInARow(pool, workers);
    expect(retryInMs).toBeGreaterThanOrEqual(50);
  });

  it('keep starts bounded in a window while every new worker dies at once, then the pool recovers', async () => {
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
    // Nothing live to wait for: a checkout hears why at once.
    await expect(pool.checkout()).rejects.toBeInstanceOf(WorkerStartError);
    // The fault is gone: the next start stays up, and serves.
    const recovered = nextEvent(pool, 'pool:recovered');
    clock.advance(1000);
    (await nextStart(workers)).succeed();
    await recovered;
    const lease = await pool.checkout();
    expect(lease.workerId).toBe(workers.handles.at(-1)!.workerId);
    lease.release();
  });

  it('reset once a worker has stayed up minHealthyMs: a new loop starts from the first step of the backoff', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    workers.handles[0]!.die();
    (await nextStart(workers)).succeed();
    await pool.settled();
    clock.advance(await earlyDeathInARow(pool, workers));
    (await nextStart(workers)).succeed();
    await pool.settled();
    clock.advance(1000); // the new worker stays up minHealthyMs: healthy, the row is over
    const starting = nextEvent(pool, 'worker:starting');
    workers.handles.at(-1)!.die();
    await starting;
    (await nextStart(workers)).succeed();
    await pool.settled();
    // One early death is replaced at once again; the second backs off from the first step (50–100ms).
    const again = nextEvent(pool, 'worker:starting');
    workers.handles.at(-1)!.die();
    await again;
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(await earlyDeathInARow(pool, workers)).toBeLessThanOrEqual(100);
  });
});

describe('a worker proving healthy', () => {
  it('ends a pending backoff: the replacement starts at once, without waiting out the old loop', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { size: 2 });
    const [first, other] = workers.handles;
    first!.die(); // early death 1: replaced at once
    (await nextStart(workers)).succeed();
    await pool.settled();
    const retryInMs = await earlyDeathInARow(pool, workers); // early death 2: a backoff
    expect(retryInMs).toBeGreaterThan(0);
    await flush();
    expect(workers.starts).toHaveLength(0);
    // The other worker serves for the first time: starts work after all.
    const starting = nextEvent(pool, 'worker:starting');
    const lease = await pool.checkout();
    expect(lease.workerId).toBe(other!.workerId);
    lease.release();
    await starting;
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 2 });
  });
});

describe('failing fast', () => {
  it('refuses no checkout a live worker can serve when it is checked in; refuses once nothing live is left', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { size: 2 });
    // Both workers proved healthy (served); one is held again, the other dies.
    (await pool.checkout()).release();
    (await pool.checkout()).release();
    const held = await pool.checkout();
    const spare = await pool.checkout();
    spare.release();
    // The spare worker dies after it proved healthy; its replacements fail to start, past maxRestarts (2).
    const failing = nextEvent(pool, 'pool:failing');
    workers.handles.find((handle) => handle.workerId === spare.workerId)!.kill();
    for (let start = 0; start < 3; start++) {
      const failed = nextEvent(pool, 'worker:startFailed');
      (await nextStart(workers)).fail(new Error('connection refused'));
      clock.advance((await failed).retryInMs);
    }
    await failing;
    // A busy worker lives: the checkout waits for it rather than hear WorkerStartError.
    const waiting = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY });
    await flush();
    expect(pool.status().waiting).toBe(1);
    held.release();
    const served = await waiting;
    expect(served.workerId).toBe(held.workerId);
    // The last live worker dies: a waiter has nothing left to wait for, and hears why at once.
    const next = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY });
    await flush();
    const exited = nextEvent(pool, 'worker:exited');
    workers.handles.find((handle) => handle.workerId === held.workerId)!.kill();
    await exited;
    const rejection = await next.catch((error: unknown) => error);
    expect(rejection).toBeInstanceOf(WorkerStartError);
    expect((rejection as Error).cause).toEqual(new Error('connection refused'));
    await expect(pool.checkout()).rejects.toBeInstanceOf(WorkerStartError);
  });
});

describe('failing fast, however far apart the failures', () => {
  it('counts failed starts in a row, not in a window: a loop whose backoff outgrew restartPeriodMs still fails fast', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers, { restartPeriodMs: 1000 });
    (await pool.checkout()).release();
    const failing = nextEvent(pool, 'pool:failing');
    workers.handles[0]!.kill();
    for (let start = 0; start < 3; start++) {
      const failed = nextEvent(pool, 'worker:startFailed');
      (await nextStart(workers)).fail(new Error('connection refused'));
      clock.advance(5000); // each failure far outside the last one's restartPeriodMs
      clock.advance((await failed).retryInMs);
    }
    expect((await failing).error).toBeInstanceOf(WorkerStartError);
    await expect(pool.checkout()).rejects.toBeInstanceOf(WorkerStartError);
  });
});

describe('minHealthyMs: 0 (Poolboy)', () => {
  it('replaces every death at once, early deaths in a row too', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers, { minHealthyMs: 0 });
    for (let death = 0; death < 5; death++) {
      workers.handles.at(-1)!.die();
      (await nextStart(workers)).succeed();
    }
    expect(workers.handles).toHaveLength(6);
    await pool.settled();
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  });
});
