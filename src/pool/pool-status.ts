// The pool's status is derived from its counts at the moment it is asked, never stored (as Poolboy does): a
// stored state would have to be kept right on every transition, and once it is not, it lies.
import type { PoolStatusSnapshot } from '../observer/snapshot.js';

/** `pool.status()`: `{ state, idle, overflow, checkedOut, waiting }`. */
export type PoolStatus = PoolStatusSnapshot;

/** The counts the status is derived from. */
export interface PoolCounts {
  readonly idle: number;
  /** Started, starting or cooling down; a worker that is stopping no longer counts. */
  readonly live: number;
  readonly checkedOut: number;
  readonly waiting: number;
  readonly size: number;
  readonly maxOverflow: number;
}

/** Derive the status: `'ready'` with an idle worker, else `'overflow'` while a worker can start, else `'full'`. */
export function derivePoolStatus(counts: PoolCounts): PoolStatus {
  const state =
    counts.idle > 0 ? 'ready' : counts.live < counts.size + counts.maxOverflow ? 'overflow' : ('full' as const);
  return {
    state,
    idle: counts.idle,
    overflow: Math.max(0, counts.live - counts.size),
    checkedOut: counts.checkedOut,
    waiting: counts.waiting,
  };
}
