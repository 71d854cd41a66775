// Time is injected: production uses the real clock, tests a manual one they advance. Nothing else in PoolToy
// reads the time or sets a timer directly.

/** A cancellable timer. */
export interface Timer {
  /** Stop the timer: its callback will not run (a no-op once it ran or was cancelled). */
  cancel(): void;
}

/** Monotonic time and timers. */
export interface Clock {
  /** Milliseconds on a monotonic clock (not wall time). */
  now(): number;
  /** Run `callback` after `ms`; the timer never keeps the process alive on its own when `unref` is true. */
  setTimer(ms: number, callback: () => void, options?: { unref?: boolean }): Timer;
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, callback, options) {
    const handle = setTimeout(callback, ms);
    if (options?.unref) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock that moves only when told: for tests and model runs. */
export class ManualClock implements Clock {
  #now = 0;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #nextId = 0;

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, callback: () => void): Timer {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order of their deadline (then of creation). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, timer] of this.#timers) {
        if (timer.at <= target && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.#timers.get(nextId)!;
      this.#timers.delete(nextId);
      this.#now = Math.max(this.#now, timer.at);
      timer.callback();
    }
    this.#now = target;
  }
}
