// The `overflow` tag means "started beyond size, and the pool is still beyond size": it goes when that stops
// being true, whichever path brings the worker back. A manual clock and hand-driven workers.
import { afterEach, expect, it } from 'vitest';
import { controlledWorkers, nextStart } from '../../test/fixtures/controlled-workers.js';
import { ManualClock } from '../clock.js';
import type { CallableWorker } from '../workers/worker-kind.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';

const pools: Pool<CallableWorker>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

it('clears the overflow tag of a worker checked in once the pool is back within size', async () => {
  const workers = controlledWorkers();
  const creating = createPool({ name: 'tag', worker: workers.kind, clock: new ManualClock(), size: 1, maxOverflow: 1 });
  (await nextStart(workers)).succeed();
  const pool = await creating;
  pools.push(pool);
  const base = await pool.checkout();
  const overflowing = pool.checkout();
  (await nextStart(workers)).succeed();
  const overflow = await overflowing;
  expect(pool.workers().find((worker) => worker.id === overflow.workerId)?.isOverflow).toBe(true);

  base.release({ discard: true }); // the worker within size leaves; the overflow worker is now the pool's one
  await pool.settled();
  overflow.release();
  const row = pool.workers().find((worker) => worker.id === overflow.workerId);
  expect(row).toMatchObject({ state: 'idle', isOverflow: false });
});
