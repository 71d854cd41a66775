// Leases with and without leak detection: by default the lease is its own pool-side state (one object), with
// `leakDetection` the pool keeps its side apart so that a dropped lease can be collected and its worker reclaimed.
// Real in-process resources; the collector is forced, and the test waits for the event, bounded by GC rounds.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolOptions } from '../options.js';
import { resourceWorker } from '../workers/resource-worker.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import type { PoolEventMap } from './pool-events.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

const pools: Pool<{ id: number }>[] = [];

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

async function resourcePool(options: Omit<PoolOptions<{ id: number }>, 'worker'>): Promise<Pool<{ id: number }>> {
  let made = 0;
  const pool = await createPool({ ...options, worker: resourceWorker({ create: () => ({ id: ++made }) }) });
  pools.push(pool);
  return pool;
}

/** Check out and drop the lease without a release; a function of its own, so no frame keeps the lease. */
async function checkoutAndDrop(pool: Pool<{ id: number }>): Promise<string> {
  const lease = await pool.checkout();
  return lease.workerId;
}

describe('leases', () => {
  it('give back the worker, the workerId and an unaborted signal, released once', async () => {
    for (const leakDetection of [false, true]) {
      const pool = await resourcePool({ size: 1, maxOverflow: 0, leakDetection });
      const lease = await pool.checkout();
      expect(lease.worker).toEqual({ id: 1 });
      expect(lease.workerId).toMatch(/#\d+$/);
      expect(lease.isActive).toBe(true);
      lease.release();
      lease.release();
      expect(lease.isActive).toBe(false);
      expect(lease.signal.aborted).toBe(false);
      expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
    }
  });

  it('with leakDetection, reclaims the worker of a lease dropped without release and says where it was taken', async () => {
    const pool = await resourcePool({ size: 1, maxOverflow: 0, leakDetection: true, onOwnerExit: 'checkin' });
    let leaked: PoolEventMap['lease:leaked'] | undefined;
    pool.once('lease:leaked', (payload) => {
      leaked = payload;
    });
    const workerId = await checkoutAndDrop(pool);
    for (let round = 0; round < 1000 && leaked === undefined; round++) {
      collectGarbage();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(leaked).toMatchObject({ workerId, stack: expect.stringContaining('checked out here') });
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });
});
