// The facade: run (timeouts, aborts, replacement after the grace period), await using, and events that cannot
// break the pool. Hand-driven in-process workers with `call`, and a manual clock.
import { afterEach, describe, expect, it } from 'vitest';
import { captureWarnings } from '../../test/fixtures/captured-warnings.js';
import { type ControlledWorkers, controlledWorkers, nextStart } from '../../test/fixtures/controlled-workers.js';
import { ManualClock } from '../clock.js';
import { RunTimeoutError } from '../errors.js';
import type { CallableWorker } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

async function startPool(workers: ControlledWorkers): Promise<{ pool: Pool<CallableWorker>; clock: ManualClock }> {
  const clock = new ManualClock();
  const creating = createPool({ name: 'facade', worker: workers.kind, size: 1, maxOverflow: 0, clock });
  (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  return { pool, clock };
}

/** The call the worker received, once `run` has checked out and called. */
async function nextCall(workers: ControlledWorkers, index = 0) {
  const handle = workers.handles[index]!;
  while (handle.calls.length === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  return handle.calls.shift()!;
}

describe('run', () => {
  it('checks out, calls, answers and checks in', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    const running = pool.run({ n: 1 });
    (await nextCall(workers)).answer(42);
    expect(await running).toBe(42);
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });

  it('rejects at once with RunTimeoutError, aborts the worker, and replaces it after the grace period', async () => {
    const workers = controlledWorkers();
    const { pool, clock } = await startPool(workers);
    const running = pool.run('slow', { runTimeoutMs: 1000 }).catch((error: unknown) => error);
    const call = await nextCall(workers);
    clock.advance(1000);
    expect(await running).toBeInstanceOf(RunTimeoutError);
    expect(call.signal?.aborted).toBe(true);
    expect(workers.handles[0]!.exit).toBeUndefined(); // still winding down
    clock.advance(1000); // runAbortGraceMs
    (await nextStart(workers)).succeed();
    await pool.settled();
    expect(workers.handles[0]!.exit).toEqual({ kind: 'shutdown' });
    expect(pool.status()).toEqual({ state: 'ready', idle: 1, overflow: 0, checkedOut: 0, waiting: 0 });
  });

  it("rejects with the caller's abort reason while the call runs", async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    const controller = new AbortController();
    const running = pool.run('slow', { signal: controller.signal }).catch((error: unknown) => error);
    await nextCall(workers);
    controller.abort(new Error('client left'));
    expect(await running).toEqual(new Error('client left'));
  });

  it('rejects with the abort reason, and calls no worker, when the signal aborts before the call is sent', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    const controller = new AbortController();
    const running = pool.run('never sent', { signal: controller.signal }).catch((error: unknown) => error);
    controller.abort(new Error('client left')); // the idle worker is granted, the call not yet made
    expect(await running).toEqual(new Error('client left'));
    expect(workers.handles[0]!.calls).toEqual([]);
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });
});

describe('leases', () => {
  it('are released when an `await using` block ends', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    {
      await using lease = await pool.checkout();
      expect(lease.isActive).toBe(true);
      expect(pool.status().checkedOut).toBe(1);
    }
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });
});

describe('events', () => {
  it('a throwing listener never breaks the pool', async () => {
    const workers = controlledWorkers();
    const { pool } = await startPool(workers);
    const warnings = captureWarnings();
    pool.on('checkout:granted', () => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    const stop = pool.onAnyEvent((event) => seen.push(event.type));
    const lease = await pool.checkout();
    lease.release();
    stop();
    await new Promise<void>((resolve) => setImmediate(resolve));
    warnings.restore();
    expect(seen).toEqual(['checkout:granted', 'checkin:done']);
    expect(warnings.messages.some((message) => message.includes('listener bug'))).toBe(true);
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });
});
