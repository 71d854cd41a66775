// A pool's own tree: a manager that crashes is restarted within `maxPoolRestarts` (checkouts meanwhile get
// `PoolCrashedError`: restarting), and past it the pool is gone for good (`PoolFailedError`, every time).
import { describe, expect, it } from 'vitest';
import { managerCrasher } from '../../test/fixtures/manager-crasher.js';
import { ManualClock } from '../clock.js';
import { PoolCrashedError, PoolFailedError, RestartIntensityError } from '../errors.js';
import { resourceWorker } from '../workers/resource-worker.js';
import { startPoolTree } from './create-pool.js';

describe('a pool whose supervisor gave up', () => {
  it('revokes leases with PoolCrashedError as it crashes, then rejects every checkout with PoolFailedError', async () => {
    const crasher = managerCrasher(resourceWorker({ create: ({ workerId }) => ({ workerId }) }));
    const { pool, supervisor } = await startPoolTree({
      name: 'doomed',
      worker: crasher.kind,
      size: 1,
      maxOverflow: 1,
      maxPoolRestarts: 1,
      clock: new ManualClock(),
    });
    const held = await pool.checkout();
    crasher.crashesToCause = Number.POSITIVE_INFINITY;
    // The overflow worker started for this checkout crashes the manager as it arrives (its lease is revoked with
    // the crash); the restarted manager crashes on its first worker, one restart too many.
    const restarting = await pool.checkout();
    expect(restarting.signal.reason).toBeInstanceOf(PoolCrashedError);
    const exit = await supervisor.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: expect.any(RestartIntensityError) });
    expect(held.signal.reason).toBeInstanceOf(PoolCrashedError);
    for (const options of [undefined, { block: false }, { checkoutTimeoutMs: 0 }]) {
      const error = await pool.checkout(options).catch((reason: unknown) => reason);
      expect(error).toBeInstanceOf(PoolFailedError);
      expect(error).toMatchObject({
        code: 'ERR_POOL_FAILED',
        pool: 'doomed',
        cause: expect.any(RestartIntensityError),
      });
    }
    await expect(pool.transaction(() => 1)).rejects.toBeInstanceOf(PoolFailedError);
    expect(await pool.stop({ timeoutMs: 0 })).toEqual({ killed: [], leasesHeld: [] });
    expect(crasher.crashes).toBe(2);
  });
});
