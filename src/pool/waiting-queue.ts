// The queue of checkouts waiting for a worker. Intrusive doubly linked list: enqueue, take the oldest and cancel
// any waiter are O(1) — a waiter that gives up unlinks itself, so nothing ever scans or splices the queue.

/** A node of the waiting queue; the waiter itself carries the links. */
export interface QueueNode<T extends QueueNode<T>> {
  previous: T | undefined;
  next: T | undefined;
  isQueued: boolean;
}

/** Waiters in arrival order (FIFO), with O(1) removal of any of them. */
export class WaitingQueue<T extends QueueNode<T>> {
  #oldest: T | undefined;
  #newest: T | undefined;
  #size = 0;

  /** Waiters in the queue; every one of them is live (a waiter that gave up is already gone). */
  get size(): number {
    return this.#size;
  }

  /** The waiter that has waited longest, without removing it. */
  get oldest(): T | undefined {
    return this.#oldest;
  }

  /** Add a waiter at the back. */
  push(node: T): void {
    node.previous = this.#newest;
    node.next = undefined;
    if (this.#newest) this.#newest.next = node;
    else this.#oldest = node;
    this.#newest = node;
    node.isQueued = true;
    this.#size++;
  }

  /** Put a waiter back at the front (it was served a worker that turned out unfit, so it keeps its turn). */
  unshift(node: T): void {
    node.next = this.#oldest;
    node.previous = undefined;
    if (this.#oldest) this.#oldest.previous = node;
    else this.#newest = node;
    this.#oldest = node;
    node.isQueued = true;
    this.#size++;
  }

  /** Unlink a waiter wherever it is; a no-op if it is not queued. */
  remove(node: T): void {
    if (!node.isQueued) return;
    if (node.previous) node.previous.next = node.next;
    else this.#oldest = node.next;
    if (node.next) node.next.previous = node.previous;
    else this.#newest = node.previous;
    node.previous = undefined;
    node.next = undefined;
    node.isQueued = false;
    this.#size--;
  }

  /** Remove and return every waiter, oldest first (when the pool stops or fails fast). */
  drain(): T[] {
    const nodes: T[] = [];
    for (let node = this.#oldest; node; node = this.#oldest) {
      this.remove(node);
      nodes.push(node);
    }
    return nodes;
  }
}
