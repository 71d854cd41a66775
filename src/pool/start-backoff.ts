// When starts fail, how long to wait before the next try, and when to stop making clients wait for a start that
// keeps failing. Exponential backoff with jitter, so that many pools failing on one database do not retry in step.

/** The start-failure policy of one pool: backoff between retries, and the count past which it fails fast. */
export class StartBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #maxFailures: number;
  readonly #random: () => number;
  /** Failed starts since the last success (a worker proving healthy), however far apart. */
  #inARow = 0;
  #round = 0;

  constructor(options: { initialMs: number; maxMs: number; maxFailures: number }, random: () => number = Math.random) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#maxFailures = options.maxFailures;
    this.#random = random;
  }

  /**
   * Record a failed start; is the pool now past its intensity (more than `maxFailures` in a row, no success
   * between)? Not a time window: once the backoff has grown past one, the failures of one loop would fall in
   * different windows, and the pool would stop failing fast while the loop goes on.
   */
  recordFailure(): boolean {
    this.#inARow++;
    return this.#inARow > this.#maxFailures;
  }

  /** The wait before the next round of starts: doubles each round, half of it random ("equal jitter"). */
  nextDelayMs(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#round, 30));
    this.#round++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** Has a failure been recorded since the last success? */
  get hasFailures(): boolean {
    return this.#round > 0 || this.#inARow > 0;
  }

  /** A start succeeded: the next failure starts from the first step again. */
  recordSuccess(): void {
    this.#inARow = 0;
    this.#round = 0;
  }
}
