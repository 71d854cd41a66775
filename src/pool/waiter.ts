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
    // One executor for every waiter, handed the waiter through a static slot: no closure per queued checkout.
    Waiter.#made = this as Waiter<unknown>;
    this.settled = new Promise(Waiter.#capture) as Promise<Lease<W>>;
    Waiter.#made = undefined;
  }

  static #made: Waiter<unknown> | undefined;
  static readonly #capture = (resolve: (lease: Lease<unknown>) => void, reject: (reason: unknown) => void): void => {
    const waiter = Waiter.#made!;
    waiter.#resolve = resolve;
    waiter.#reject = reject;
  };

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
