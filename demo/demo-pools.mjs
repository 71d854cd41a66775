// The demo's three pools, one per kind of work: CPU in processes, CPU in threads, and I/O-bound resources.
import { processWorker, threadWorker } from 'pooltoy';

/**
 * The options of `PoolToy.start({ pools })`: small sizes, so a burst overflows and the cooldown shows.
 * `database` is demoDatabase()'s answer: the `db` pool's worker kind, real PostgreSQL or simulated.
 */
export function demoPools(database) {
  return {
    primes: {
      worker: processWorker(new URL('./workers/primes.mjs', import.meta.url)),
      size: 2,
      maxOverflow: 2,
      overflowTtlMs: 3000,
      // Recycled now and then, to show a replacement started before its predecessor leaves.
      maxUses: 150,
    },
    hashing: {
      worker: threadWorker(new URL('./workers/hash.mjs', import.meta.url)),
      size: 2,
      maxOverflow: 3,
      overflowTtlMs: 2000,
    },
    db: {
      worker: database.worker,
      size: 3,
      maxOverflow: 4,
      overflowTtlMs: 1500,
      // Past 20 queued queries a burst is refused at once (QueueFullError), as a service would shed load.
      maxWaiting: 20,
      // Each lease remembers where it was checked out: the observer's worker detail shows the holder's stack.
      leakDetection: true,
    },
  };
}
