// A real process that crashes on its first call, in a loop: the first death is replaced at once, then the pool backs
// off between replacements, fails fast once past maxRestarts (nothing live to wait for), and serves again when the
// calls stop crashing it. Time is a manual clock, so "bounded"
// is counted in starts per clock step, never measured on the wall clock.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { WorkerExitError, WorkerStartError } from '../src/errors.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import type { PoolEventMap } from '../src/pool/pool-events.js';
import { processWorker } from '../src/workers/process-worker.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';

const crashOnCall = new URL('./fixtures/crash-on-call.mjs', import.meta.url);
const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

function next<K extends keyof PoolEventMap>(of: Pool<CallableWorker>, name: K): Promise<PoolEventMap[K]> {
  return new Promise((resolve) => of.once(name, resolve));
}

describe('a process that crashes on its first call', () => {
  it('is restarted at once, then with backoff, not in a loop; checkouts fail fast past maxRestarts; it serves once the fault is gone', async () => {
    const clock = new ManualClock();
    const pool = await createPool({
      name: 'crashy',
      worker: processWorker(crashOnCall),
      size: 1,
      maxOverflow: 0,
      stopTimeoutMs: 1000,
      maxRestarts: 2,
      restartBackoffMs: 100,
      restartBackoffMaxMs: 100,
      clock,
    });
    pools.push(pool);
    let starts = 0;
    pool.on('worker:starting', () => starts++);
    // One early death alone is no loop (a SIGKILL can hit a young worker): replaced at once.
    const replaced = next(pool, 'worker:started');
    await expect(pool.run('exit')).rejects.toBeInstanceOf(WorkerExitError);
    await replaced;
    expect(starts).toBe(1);
    for (let crash = 1; crash <= 3; crash++) {
      const failed = next(pool, 'worker:startFailed');
      await expect(pool.run('exit')).rejects.toBeInstanceOf(WorkerExitError);
      const { retryInMs, error } = await failed;
      expect((error as Error).message).toMatch(/before it proved healthy/);
      // The clock has not moved: no replacement has been asked for, however long the real processes take.
      await pool.settled();
      expect(starts).toBe(crash);
      expect(pool.workers()).toEqual([]);
      if (crash === 3) {
        // Past maxRestarts (2): a client hears why at once instead of waiting out its timeout.
        const rejection = await pool.run('hello').catch((reason: unknown) => reason);
        expect(rejection).toBeInstanceOf(WorkerStartError);
        expect((rejection as Error).cause).toBeInstanceOf(WorkerExitError);
      }
      const started = next(pool, 'worker:started');
      clock.advance(retryInMs);
      await started;
      expect(starts).toBe(crash + 1);
    }
    // The calls no longer crash it: the pool serves, and has left fail-fast.
    expect(await pool.run('hello')).toBe('hello');
    expect(pool.status()).toMatchObject({ state: 'ready', idle: 1 });
  }, 30_000);
});
