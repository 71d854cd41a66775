// The manager's record of one worker: its lifecycle state and what it is doing. Plain fields, mutated only by the
// pool manager; the links let it sit in the idle list without an allocation.
import type { Timer } from '../clock.js';
import type { WorkerState } from '../observer/snapshot.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import type { IdleNode } from './idle-workers.js';
import type { LeaseState } from './lease.js';
import type { Waiter } from './waiter.js';

/** One worker as the pool manager tracks it, from the start it asked for until its exit. */
export class PooledWorker<W = unknown> implements IdleNode<PooledWorker<W>> {
  readonly id: string;
  /** `starting` → `idle`/`cooling` ⇄ `busy` → `stopping` → (gone, `hasExited`). */
  state: WorkerState = 'starting';
  handle: WorkerHandle<W> | undefined;
  /** Checkouts served. */
  uses = 0;
  /** Clock time the worker became ready (its age counts from there). */
  readyAt = 0;
  /** Its place among the pool's starts (1, 2, …): tells a crash loop's replacement from a worker already up. */
  startOrdinal = 0;
  /** Started beyond `size` (cosmetic: any worker checked in while the pool is over size is the surplus). */
  isOverflow: boolean;
  /** The lease holding it, while busy. */
  lease: LeaseState<W> | undefined;
  /** The waiter it is being validated for (busy, no lease yet). */
  validatingFor: Waiter<W> | undefined;
  /** The cooldown of an idle surplus worker, or the grace before a discarded worker is stopped. */
  timer: Timer | undefined;
  /** A recycled worker that waits for this one's start to settle before it is stopped (capacity never dips). */
  retiree: PooledWorker<W> | undefined;
  /** It stayed up `minHealthyMs` or a lease of it was checked in: a death now is not part of a crash loop. */
  provedHealthy = false;
  /** The manager has learned of its exit; nothing may touch it again. */
  hasExited = false;
  idlePrevious: PooledWorker<W> | undefined;
  idleNext: PooledWorker<W> | undefined;
  isIdleListed = false;

  constructor(id: string, isOverflow: boolean) {
    this.id = id;
    this.isOverflow = isOverflow;
  }
}
