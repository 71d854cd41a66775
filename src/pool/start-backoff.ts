// When starts fail, how long to wait before the next try, and when to stop making clients wait for a start that
// keeps failing. Exponential backoff with jitter, so that many pools failing on one database do not retry in step.

/** The start-failure policy of one pool: backoff between retries, and the intensity past which it fails fast. */
export class StartBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #maxFailures: number;
  readonly #periodMs: number;
  readonly #random: () => number;
  /** Failures since the last successful start, capped at the ones the intensity window needs. */
  #failureTimes: number[] = [];
  #round = 0;

  constructor(
    options: { initialMs: number; maxMs: number; maxFailures: number; periodMs: number },
    random: () => number = Math.random,
  ) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#maxFailures = options.maxFailures;
    this.#periodMs = options.periodMs;
    this.#random = random;
  }

  /** Record a failed start at `now`; is the pool now past its intensity (more than `maxFailures` in the period)? */
  recordFailure(now: number): boolean {
    this.#failureTimes.push(now);
    if (this.#failureTimes.length > this.#maxFailures + 1) this.#failureTimes.shift();
    const oldest = this.#failureTimes[0]!;
    return this.#failureTimes.length > this.#maxFailures && now - oldest <= this.#periodMs;
  }

  /** The wait before the next round of starts: doubles each round, half of it random ("equal jitter"). */
  nextDelayMs(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#round, 30));
    this.#round++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** Has a failure been recorded since the last success? */
  get hasFailures(): boolean {
    return this.#round > 0 || this.#failureTimes.length > 0;
  }

  /** A start succeeded: the next failure starts from the first step again. */
  recordSuccess(): void {
    this.#failureTimes = [];
    this.#round = 0;
  }
}
