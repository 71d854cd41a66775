// Checkout deadlines, one timer per distinct timeout rather than one per queued checkout. Waiters that share a
// timeout expire in the order they queued, so each group is a FIFO whose oldest member's deadline is the group
// timer's: queueing and giving up are O(1) and touch no timer (a timer per waiter cost a tenth of a queued
// checkout, in arming and cancelling it). When the timer fires, every member past its deadline expires, and the
// timer is set again for the next one.
import type { Clock, Timer } from '../clock.js';

/** A waiter as the deadline groups see it: its own links, its deadline and its group. */
export interface DeadlineNode<T extends DeadlineNode<T>> {
  deadlinePrevious: T | undefined;
  deadlineNext: T | undefined;
  deadlineGroup: DeadlineGroup<T> | undefined;
  deadline: number;
}

/** The waiters that share one timeout, oldest first, and the timer set for the oldest. */
export interface DeadlineGroup<T extends DeadlineNode<T>> {
  readonly deadlines: CheckoutDeadlines<T>;
  readonly timeoutMs: number;
  oldest: T | undefined;
  newest: T | undefined;
  timer: Timer | undefined;
}

/** Every queued checkout's deadline. */
export class CheckoutDeadlines<T extends DeadlineNode<T>> {
  readonly #clock: Clock;
  readonly #onExpired: (node: T, timeoutMs: number) => void;
  readonly #groups = new Map<number, DeadlineGroup<T>>();
  // Nearly every checkout uses the pool's default timeout: remembering the last group skips the Map.
  #lastGroup: DeadlineGroup<T> | undefined;

  /** `onExpired` is called for each node past its deadline; it must `remove` the node. */
  constructor(clock: Clock, onExpired: (node: T, timeoutMs: number) => void) {
    this.#clock = clock;
    this.#onExpired = onExpired;
  }

  /** Add a node whose wait began at `since` (a reading of the pool's clock) and lasts `timeoutMs`. */
  add(node: T, since: number, timeoutMs: number): void {
    let group = this.#lastGroup;
    if (group?.timeoutMs !== timeoutMs) {
      group = this.#groups.get(timeoutMs);
      if (group === undefined) {
        group = { deadlines: this, timeoutMs, oldest: undefined, newest: undefined, timer: undefined };
        this.#groups.set(timeoutMs, group);
      }
      this.#lastGroup = group;
    }
    node.deadline = since + timeoutMs;
    node.deadlineGroup = group;
    node.deadlinePrevious = group.newest;
    node.deadlineNext = undefined;
    if (group.newest) group.newest.deadlineNext = node;
    else group.oldest = node;
    group.newest = node;
    if (group.timer === undefined) this.#arm(group, since);
  }

  /**
   * Forget a node's deadline (it was served or gave up); a no-op if it has none. The group's timer stays while the
   * group has members (it re-arms for the oldest when it fires), and is cancelled with the last one.
   */
  remove(node: T): void {
    const group = node.deadlineGroup;
    if (group === undefined) return;
    if (node.deadlinePrevious) node.deadlinePrevious.deadlineNext = node.deadlineNext;
    else group.oldest = node.deadlineNext;
    if (node.deadlineNext) node.deadlineNext.deadlinePrevious = node.deadlinePrevious;
    else group.newest = node.deadlinePrevious;
    node.deadlinePrevious = undefined;
    node.deadlineNext = undefined;
    node.deadlineGroup = undefined;
    if (group.oldest !== undefined) return;
    group.timer?.cancel();
    group.timer = undefined;
    if (this.#lastGroup !== group) this.#groups.delete(group.timeoutMs);
  }

  #arm(group: DeadlineGroup<T>, now: number): void {
    const delayMs = Math.max(0, Math.ceil(group.oldest!.deadline - now));
    group.timer = this.#clock.setTimer(delayMs, () => this.#fire(group));
  }

  #fire(group: DeadlineGroup<T>): void {
    group.timer = undefined;
    const now = this.#clock.now();
    for (let node = group.oldest; node !== undefined && node.deadline <= now; node = group.oldest) {
      this.#onExpired(node, group.timeoutMs);
      // A callback that did not unlink its node would loop forever: unlink it here in any case.
      if (group.oldest === node) this.remove(node);
    }
    if (group.oldest !== undefined) this.#arm(group, now);
    else if (this.#lastGroup !== group) this.#groups.delete(group.timeoutMs);
  }
}
