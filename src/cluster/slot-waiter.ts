// One local checkout waiting for a cluster slot: what makes it give up (its signal, its deadline, a close), its
// pauses between two asks, and the wake-up that cuts a pause short when a slot is freed in this process.
import type { Clock, Timer } from '../clock.js';

/** A take of a cluster slot that is waiting: give-up signal, deadline, pauses and wake-ups. */
export class SlotWaiter {
  /** The holder id it asks Redis for a slot under. */
  readonly token: string;
  readonly #clock: Clock;
  readonly #giveUp = new AbortController();
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = () => this.#giveUp.abort(this.#signal?.reason);
  #deadline: Timer | undefined;
  #pause: Timer | undefined;
  #endPause: (() => void) | undefined;
  #isWoken = false;
  /** The fencing token of a slot another process' release handed to this waiter, if one did. */
  handedFence: number | undefined;
  /** When the last ask was sent (clock time). */
  lastAskSentAt = 0;

  constructor(token: string, clock: Clock, signal?: AbortSignal) {
    this.token = token;
    this.#clock = clock;
    this.#signal = signal;
    signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Give up the wait: the pending `race` or `pause` rejects with `reason`. */
  giveUp(reason: unknown): void {
    this.#giveUp.abort(reason);
  }

  /** Give up with `reason()` after `ms` (unless `ms` is infinite). */
  startDeadline(ms: number, reason: () => Error): void {
    if (ms === Number.POSITIVE_INFINITY) return;
    this.#deadline = this.#clock.setTimer(ms, () => this.giveUp(reason()));
  }

  /** Settle with `promise`, or reject as soon as the waiter gives up. */
  race<T>(promise: Promise<T>): Promise<T> {
    const signal = this.#giveUp.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** Note that an ask is starting: a wake-up from now on ends the next pause. */
  asking(): void {
    this.#isWoken = false;
    this.lastAskSentAt = this.#clock.now();
  }

  /** A release handed this waiter its slot (announced on the wake channel): end the pause, the slot is ours. */
  handOver(fence: number): void {
    this.handedFence = fence;
    this.wake();
  }

  /** Pause for `ms` before the next ask; at once when woken since the last ask, earlier when woken meanwhile. */
  pause(ms: number): Promise<void> {
    if (this.#isWoken) return Promise.resolve();
    return this.race(
      new Promise<void>((resolve) => {
        this.#pause = this.#clock.setTimer(ms, resolve);
        this.#endPause = resolve;
      }),
    );
  }

  /** A slot was freed in this process: ask again now. */
  wake(): void {
    this.#isWoken = true;
    this.#pause?.cancel();
    this.#endPause?.();
  }

  /** Cancel every timer and listener. */
  dispose(): void {
    this.#deadline?.cancel();
    this.#pause?.cancel();
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}
