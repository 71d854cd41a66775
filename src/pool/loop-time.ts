// The time the pool stamps leases and waiters with. Reading the system clock is a system call on some machines
// (measured: 200ns in a VM whose clock source has no vDSO — a fifth of a whole checkout and checkin), so the
// reading is taken once per run of synchronous work (a macrotask and the microtasks it queues) and shared, the way
// Node's own timers count from the event loop's cached time. Any other clock (a ManualClock) is read every time.
// A reading can be as old as a long run of microtasks (the tick that forgets it waits for them): what must never
// be early — a queued checkout's deadline — reads the clock itself.
import { type Clock, systemClock } from '../clock.js';

/** A clock reading shared by one synchronous run of work when the clock is the system clock. */
export class LoopTime {
  readonly #clock: Clock;
  readonly #isShared: boolean;
  #stamp: number | undefined;
  readonly #expire = () => {
    this.#stamp = undefined;
  };

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#isShared = clock === systemClock;
  }

  /** Milliseconds on the pool's clock; with the system clock, possibly as old as the current synchronous run. */
  now(): number {
    if (!this.#isShared) return this.#clock.now();
    if (this.#stamp === undefined) {
      this.#stamp = this.#clock.now();
      // Ticks run once the current macrotask and its microtasks are done: the next run reads the clock afresh.
      process.nextTick(this.#expire);
    }
    return this.#stamp;
  }
}
