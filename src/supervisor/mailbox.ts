// OTP serialises a supervisor's work through its mailbox; Node has no mailbox, so this queue is one: every
// decision that awaits (start, restart, stop) runs alone, in arrival order.

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

  /** Resolves once every task posted so far, and every task those posted, has run. */
  async settled(): Promise<void> {
    for (let tail = this.#tail; ; tail = this.#tail) {
      await tail;
      if (tail === this.#tail) return;
    }
  }
}
