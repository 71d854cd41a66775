// `validate` with limits: a check that hangs is given up after validateTimeoutMs, a failing one counts like a failed
// start (backoff, then fail-fast) so a dead backend is not asked in a loop, only `false` or a throw fails, and the
// pump never loops without yielding, even with a synchronous `create`. A manual clock; no wall-clock waits.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { WorkerStartError } from '../errors.js';
import type { PoolOptions } from '../options.js';
import { resourceWorker } from '../workers/resource-worker.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import type { PoolEventMap, PoolEventName } from './pool-events.js';

interface Connection {
  readonly id: number;
}

const pools: Pool<Connection>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

/** A pool of in-process connections whose health check is `validate`; counts creations and checks. */
async function poolWith(
  validate: (connection: Connection) => unknown,
  options: Omit<PoolOptions<Connection>, 'worker'> = {},
): Promise<{ pool: Pool<Connection>; clock: ManualClock; counts: { created: number; checked: number } }> {
  const clock = new ManualClock();
  const counts = { created: 0, checked: 0 };
  const pool = await createPool<Connection>({
    name: 'validated',
    size: 1,
    maxOverflow: 0,
    clock,
    worker: resourceWorker<Connection>({
      create: () => ({ id: ++counts.created }), // synchronous: nothing here waits on I/O
      validate: (connection) => {
        counts.checked++;
        return validate(connection);
      },
    }),
    ...options,
  });
  pools.push(pool);
  return { pool, clock, counts };
}

const nextEvent = <K extends PoolEventName>(pool: Pool<Connection>, name: K) =>
  new Promise<PoolEventMap[K]>((resolve) => pool.once(name, resolve));

describe('validate', () => {
  it('passes on any result but false: true, undefined, a query result object, 0', async () => {
    for (const result of [true, undefined, { rows: [{ '?column?': 1 }] }, 0, Promise.resolve({ rowCount: 1 })]) {
      const { pool, counts } = await poolWith(() => result);
      const lease = await pool.checkout();
      expect(lease.worker.id).toBe(1);
      lease.release();
      expect(counts).toEqual({ created: 1, checked: 1 });
    }
  });

  it('fails on false, a throw or a rejection: the worker is retired and counted as a failed start', async () => {
    const failures: (() => unknown)[] = [
      () => false,
      () => {
        throw new Error('socket closed');
      },
      () => Promise.reject(new Error('socket closed')),
    ];
    for (const fail of failures) {
      let calls = 0;
      const { pool, clock } = await poolWith((connection) => (++calls === 1 ? fail() : connection.id === 2));
      const failed = nextEvent(pool, 'worker:startFailed');
      const checkout = pool.checkout();
      const { retryInMs, error } = await failed;
      expect(error).toBeInstanceOf(WorkerStartError);
      expect((error as Error).message).toMatch(/failed its validate check/);
      expect(retryInMs).toBeGreaterThan(0); // the replacement waits out the backoff
      clock.advance(retryInMs);
      expect((await checkout).worker.id).toBe(2);
    }
  });

  it('that never settles is given up after validateTimeoutMs; the waiting client gets a fresh worker', async () => {
    let calls = 0;
    const { pool, clock } = await poolWith(
      () => (++calls <= 2 ? new Promise(() => {}) : true), // hangs for its first two calls
      { validateTimeoutMs: 1000, checkoutTimeoutMs: Number.POSITIVE_INFINITY },
    );
    const checkout = pool.checkout();
    for (let hung = 1; hung <= 2; hung++) {
      const failed = nextEvent(pool, 'worker:startFailed');
      clock.advance(1000);
      const { retryInMs, error } = await failed;
      expect((error as Error).message).toMatch(/did not settle within validateTimeoutMs \(1000ms\)/);
      const started = nextEvent(pool, 'worker:started');
      clock.advance(retryInMs);
      await started;
    }
    const lease = await checkout;
    expect(lease.worker.id).toBe(3);
    expect(pool.status()).toMatchObject({ checkedOut: 1, idle: 0 });
  });

  it('failing every time with a synchronous create backs off, fails fast, and never stops timers or aborts from running', async () => {
    const { pool, clock, counts } = await poolWith(() => false, { maxRestarts: 3 });
    const controller = new AbortController();
    const firstFailure = nextEvent(pool, 'worker:startFailed');
    const checkout = pool.checkout({ signal: controller.signal, checkoutTimeoutMs: Number.POSITIVE_INFINITY });
    const { retryInMs: firstRetryInMs } = await firstFailure;
    // If the pump looped create → validate → destroy without yielding, neither this timer nor the abort would run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(counts.checked).toBe(1); // one check, then the backoff: no replacement yet
    controller.abort(new Error('client gave up'));
    await expect(checkout).rejects.toThrow('client gave up');
    // Each backoff round asks once; past maxRestarts (3) a checkout hears WorkerStartError at once.
    const waiting = pool.checkout({ checkoutTimeoutMs: Number.POSITIVE_INFINITY }).catch((error: unknown) => error);
    let retryInMs = firstRetryInMs;
    for (let round = 0; round < 3; round++) {
      const failed = nextEvent(pool, 'worker:startFailed');
      clock.advance(retryInMs);
      ({ retryInMs } = await failed);
    }
    // Failing fast with nothing live to wait for: the waiter hears why.
    expect(await waiting).toBeInstanceOf(WorkerStartError);
    expect(counts.checked).toBe(4);
    expect(counts.created).toBeLessThanOrEqual(5);
    await expect(pool.checkout()).rejects.toBeInstanceOf(WorkerStartError);
  });
});
