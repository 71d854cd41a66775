// Refusals settle on a later macrotask: a client that retries at once must not starve the timers by which a failing
// pool recovers. The real clock and a real resource kind whose starts fail a few times; the client's retry loop is
// the test, bounded by iterations, never by time.
import { afterEach, describe, expect, it } from 'vitest';
import { PoolStoppedError, WorkerStartError } from '../errors.js';
import { resourceWorker } from '../workers/resource-worker.js';
import type { CallableWorker } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

/** A pool of on-demand echo workers whose first `failures` starts throw. */
async function flakyPool(failures: number): Promise<{ pool: Pool<CallableWorker>; attempts: () => number }> {
  let attempts = 0;
  const pool = await createPool<CallableWorker>({
    name: 'flaky',
    size: 0,
    maxOverflow: 1,
    maxRestarts: 1,
    restartBackoffMs: 1,
    restartBackoffMaxMs: 2,
    worker: resourceWorker<CallableWorker>({
      create: () => {
        attempts++;
        if (attempts <= failures) throw new Error(`start ${attempts} fails`);
        return { id: 'echo', call: async <R>(payload: unknown) => payload as R };
      },
    }),
  });
  pools.push(pool);
  return { pool, attempts: () => attempts };
}

describe('checkout refusals', () => {
  it('let a client retrying in a tight loop reach the recovery of a failing pool', async () => {
    const { pool, attempts } = await flakyPool(4);
    const refusals = new Set<string>();
    let answer: unknown;
    // Already-rejected refusals would keep this loop in microtasks: the backoff timers would never fire, and
    // it would run out of iterations without an answer.
    for (let iteration = 0; iteration < 1_000_000 && answer === undefined; iteration++) {
      answer = await pool.run('served').catch((error: unknown) => {
        refusals.add(error instanceof WorkerStartError ? 'WorkerStartError' : String(error));
        return undefined;
      });
    }
    expect(answer).toBe('served');
    expect(refusals).toEqual(new Set(['WorkerStartError']));
    expect(attempts()).toBe(5);
  });

  it('reject from a stopped pool only after the microtasks queued before them have all run', async () => {
    const { pool } = await flakyPool(0);
    await pool.stop();
    let isSettled = false;
    const refused = pool.checkout().finally(() => {
      isSettled = true;
    });
    for (let turn = 0; turn < 100; turn++) await Promise.resolve();
    expect(isSettled).toBe(false);
    await expect(refused).rejects.toBeInstanceOf(PoolStoppedError);
  });
});
