// A checkout that could not be served at once. It carries its own queue links (O(1) cancel) and settles exactly
// once: granted a lease, or rejected (timeout, abort, owner gone, pool stopped, starts failing).
import type { DeadlineGroup, DeadlineNode } from './checkout-deadlines.js';
import type { Lease } from './lease.js';
import type { Owner } from './owner-monitor.js';
import type { QueueNode } from './waiting-queue.js';

/** A queued checkout. */
export class Waiter<W = unknown> implements QueueNode<Waiter<W>>, DeadlineNode<Waiter<W>> {
  previous: Waiter<W> | undefined;
  next: Waiter<W> | undefined;
  isQueued = false;
  /** Settled (granted or rejected): a worker is never handed to a waiter that gave up. */
  isSettled = false;
  readonly queuedAt: number;
  readonly owner: Owner | undefined;
  readonly stack: string | undefined;
  deadlinePrevious: Waiter<W> | undefined;
  deadlineNext: Waiter<W> | undefined;
  /** Set while the checkout has a deadline (not `Infinity`): the group its timeout shares. */
  deadlineGroup: DeadlineGroup<Waiter<W>> | undefined;
  deadline = 0;
  /** Stops listening to the checkout's signal and owner. */
  unwatch: (() => void) | undefined;
  #resolve!: (lease: Lease<W>) => void;
  #reject!: (reason: unknown) => void;
  /** What the checkout resolves with: the lease, or the reason it gave up. */
  readonly settled: Promise<Lease<W>>;

  constructor(queuedAt: number, owner: Owner | undefined, stack: string | undefined) {
    this.queuedAt = queuedAt;
    this.owner = owner;
    this.stack = stack;
    // An arrow executor, not one shared executor handed the waiter through a static slot: TurboFan inlines this
    // one into the constructor and never allocates its closure (measured: the shared one was ~5% slower in A2).
    this.settled = new Promise<Lease<W>>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Hand over the lease; returns false if the waiter had already settled. */
  grant(lease: Lease<W>): boolean {
    if (!this.#settle()) return false;
    this.#resolve(lease);
    return true;
  }

  /** Reject the checkout; returns false if the waiter had already settled. */
  fail(reason: unknown): boolean {
    if (!this.#settle()) return false;
    this.#reject(reason);
    return true;
  }

  #settle(): boolean {
    if (this.isSettled) return false;
    this.isSettled = true;
    this.deadlineGroup?.deadlines.remove(this);
    this.unwatch?.();
    this.unwatch = undefined;
    return true;
  }
}
