// The demo's three pools, one per kind of work: CPU in processes, CPU in threads, and I/O-bound resources.
import { processWorker, resourceWorker, threadWorker } from 'pooltoy';
import { FakeConnection } from './fake-database.mjs';

/** The options of `PoolToy.start({ pools })`: small sizes, so a burst overflows and the cooldown shows. */
export function demoPools() {
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
      worker: resourceWorker({
        create: ({ signal }) => FakeConnection.open(signal),
        destroy: (connection) => connection.close(),
      }),
      size: 3,
      maxOverflow: 4,
      overflowTtlMs: 1500,
      // Past 20 queued queries a burst is refused at once (QueueFullError), as a service would shed load.
      maxWaiting: 20,
    },
  };
}
