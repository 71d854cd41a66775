// OTP serialises a supervisor's work through its mailbox; Node has no mailbox, so this queue is one: every
// decision that awaits (start, restart, stop) runs alone, in arrival order.

/** Resolves on a later turn of the event loop, once the timers, I/O and immediates already due have run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A queue of async tasks run one at a time, in the order they were posted. */
export class Mailbox {
  #tail: Promise<void> = Promise.resolve();

  /** Run `task` after every task posted before it; the returned promise is the task's own outcome. */
  post(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(task);
    // The queue goes on whatever the task's outcome: its rejection belongs to whoever posted it.
    this.#tail = run.catch(() => {});
    return run;
  }

  /**
   * As `post`, but once at the front the task first waits for the next turn of the event loop. A promise chain
   * alone never lets the loop turn: a task that posts its own retry (a restart that fails at once) would starve
   * every timer, I/O callback and outside call. OTP's supervisor retries by a message to itself for the same reason.
   */
  postNextTurn(task: () => Promise<void>): Promise<void> {
    return this.post(async () => {
      await nextTurn();
      await task();
    });
  }

  /** Resolves once every task posted so far, and every task those posted, has run. */
  async settled(): Promise<void> {
    for (let tail = this.#tail; ; tail = this.#tail) {
      await tail;
      if (tail === this.#tail) return;
    }
  }
}
