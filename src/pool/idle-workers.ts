// Idle workers, ordered by when they became idle. LIFO takes the newest (a warm core, and the cooling overflow
// workers are reused first), FIFO the oldest (spreads use). Any worker can leave in O(1) — it died or its
// cooldown ended — because the worker carries its own links.
import type { PoolStrategy } from '../options.js';

/** A node of the idle list; the worker record carries the links. */
export interface IdleNode<T extends IdleNode<T>> {
  idlePrevious: T | undefined;
  idleNext: T | undefined;
  isIdleListed: boolean;
}

/** The idle workers of a pool. */
export class IdleWorkers<T extends IdleNode<T>> {
  #oldest: T | undefined;
  #newest: T | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Add a worker that just became idle. */
  push(node: T): void {
    node.idlePrevious = this.#newest;
    node.idleNext = undefined;
    if (this.#newest) this.#newest.idleNext = node;
    else this.#oldest = node;
    this.#newest = node;
    node.isIdleListed = true;
    this.#size++;
  }

  /** Take the worker the strategy picks, or `undefined` when none is idle. */
  take(strategy: PoolStrategy): T | undefined {
    const node = strategy === 'lifo' ? this.#newest : this.#oldest;
    if (node) this.remove(node);
    return node;
  }

  /** Remove a worker wherever it is; a no-op if it is not idle. */
  remove(node: T): void {
    if (!node.isIdleListed) return;
    if (node.idlePrevious) node.idlePrevious.idleNext = node.idleNext;
    else this.#oldest = node.idleNext;
    if (node.idleNext) node.idleNext.idlePrevious = node.idlePrevious;
    else this.#newest = node.idlePrevious;
    node.idlePrevious = undefined;
    node.idleNext = undefined;
    node.isIdleListed = false;
    this.#size--;
  }
}
