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
  // Times of the restarts still inside the window, oldest first, in a ring that grows up to maxRestarts + 1 slots:
  // a restart is pushed once and dropped once, so a restart costs O(1) however large maxRestarts is.
  #times: number[] = [0];
  #oldest = 0;
  #count = 0;

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
    this.#forgetOlderThan(now);
    // Past maxRestarts + 1 the answer is `false` whatever the oldest was: it makes room for the newest.
    if (this.#count === this.maxRestarts + 1) this.#dropOldest();
    else if (this.#count === this.#times.length) this.#grow();
    this.#times[(this.#oldest + this.#count) % this.#times.length] = now;
    this.#count++;
    return this.#count <= this.maxRestarts;
  }

  /** Restarts counted within the current window (at most `maxRestarts + 1`: past the limit, the newest). */
  get recentRestarts(): number {
    this.#forgetOlderThan(this.#clock.now());
    return this.#count;
  }

  // As OTP and Elixir count: a restart exactly periodMs ago is still in the window, which is [now - periodMs, now].
  #forgetOlderThan(now: number): void {
    while (this.#count > 0 && now - (this.#times[this.#oldest] as number) > this.periodMs) this.#dropOldest();
  }

  #dropOldest(): void {
    this.#oldest = (this.#oldest + 1) % this.#times.length;
    this.#count--;
  }

  // Called when the ring is full. Doubling (capped at maxRestarts + 1 slots) keeps the copy amortised O(1).
  #grow(): void {
    const size = Math.min(this.#times.length * 2, this.maxRestarts + 1);
    const inOrder = [...this.#times.slice(this.#oldest), ...this.#times.slice(0, this.#oldest)];
    this.#times = inOrder.concat(new Array<number>(size - inOrder.length).fill(0));
    this.#oldest = 0;
  }
}
