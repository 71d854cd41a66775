// OTP's restart intensity: a supervisor that restarts children faster than `maxRestarts` per `periodMs` is in a
// crash loop it cannot fix, so it gives up and lets its own supervisor try from higher up.
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';

/** How many restarts a supervisor allows, and over which sliding window. */
export interface RestartIntensityOptions {
  /** Restarts allowed within `periodMs`; one more and the supervisor gives up. @default 3 */
  readonly maxRestarts?: number;
  /** The sliding window, in ms. @default 5000 */
  readonly periodMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** A sliding-window count of restarts: `record()` says whether one more restart is still within the limit. */
export class RestartIntensity {
  readonly maxRestarts: number;
  readonly periodMs: number;
  readonly #clock: Clock;
  // Times of the restarts still inside the window, oldest first; never longer than maxRestarts + 1.
  #restartTimes: number[] = [];

  constructor(options: RestartIntensityOptions = {}) {
    const { maxRestarts = 3, periodMs = 5000, clock = systemClock } = options;
    if (!Number.isInteger(maxRestarts) || maxRestarts < 0) {
      throw new InvalidArgumentError('maxRestarts', 'a non-negative integer', maxRestarts);
    }
    if (typeof periodMs !== 'number' || !Number.isFinite(periodMs) || periodMs <= 0) {
      throw new InvalidArgumentError('periodMs', 'a positive finite number of ms', periodMs);
    }
    this.maxRestarts = maxRestarts;
    this.periodMs = periodMs;
    this.#clock = clock;
  }

  /** Count one restart now; `false` when it is one too many and the supervisor must give up instead. */
  record(): boolean {
    const now = this.#clock.now();
    // A restart exactly periodMs ago has left the window (as Elixir counts): the window is (now - periodMs, now].
    this.#restartTimes = this.#restartTimes.filter((time) => now - time < this.periodMs);
    this.#restartTimes.push(now);
    return this.#restartTimes.length <= this.maxRestarts;
  }

  /** Restarts counted within the current window. */
  get recentRestarts(): number {
    const now = this.#clock.now();
    return this.#restartTimes.filter((time) => now - time < this.periodMs).length;
  }
}
