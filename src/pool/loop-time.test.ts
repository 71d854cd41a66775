// The shared loop time may be as old as a long run of microtasks; a checkout's deadline must not inherit that age.
import { describe, expect, it } from 'vitest';
import { CheckoutTimeoutError } from '../errors.js';
import { resourceWorker } from '../workers/resource-worker.js';
import { createPool } from './create-pool.js';

/** Burn `ms` of CPU inside microtasks only, so no tick or macrotask runs in between. */
async function spinInMicrotasks(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await Promise.resolve();
  }
}

describe('checkout deadline', () => {
  it('is counted from when the checkout queued, even after a long run of microtasks (never early)', async () => {
    const pool = await createPool({ size: 1, maxOverflow: 0, worker: resourceWorker({ create: () => ({}) }) });
    try {
      await Promise.resolve(); // from here on, only microtasks run: a tick queued now waits for them all
      const held = await pool.checkout(); // reads the loop time: the shared stamp is taken here
      // A queues first and arms its group's timer; then ~150 ms of microtasks, then B queues behind it.
      const first = pool.checkout({ checkoutTimeoutMs: 100 }).catch((rejection: unknown) => rejection);
      await spinInMicrotasks(150);
      const queuedAt = performance.now();
      const error = await pool.checkout({ checkoutTimeoutMs: 100 }).catch((rejection: unknown) => rejection);
      const waitedMs = performance.now() - queuedAt;
      expect(await first).toBeInstanceOf(CheckoutTimeoutError);
      expect(error).toBeInstanceOf(CheckoutTimeoutError);
      // A lower bound only: B's deadline counted from the stale stamp would expire with A's, ~150 ms too early.
      expect(waitedMs).toBeGreaterThanOrEqual(99);
      held.release();
    } finally {
      await pool.stop();
    }
  });
});
