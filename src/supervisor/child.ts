// The child contract: what a supervisor can start, watch and stop. Supervisors, pool managers and workers all
// satisfy it, so one tree holds them all.
import type { Exit } from './exit.js';

/** Listens to a child's exit; called synchronously, exactly once, at the moment the exit is reported. */
export type ExitListener = (exit: Exit) => void;

/** A running child. */
export interface ChildHandle {
  /** Resolves exactly once, with the reason, when the child has exited. Never rejects. */
  readonly exited: Promise<Exit>;
  /** The exit, once reported; `undefined` while the child runs. */
  readonly exit: Exit | undefined;
  /**
   * Call `listener` synchronously when the child exits (at once, if it already has). Returns a function that
   * removes the listener. Used where a promise's tick would let a stale state be seen (the registry).
   */
  onExit(listener: ExitListener): () => void;
  /** Ask the child to stop gracefully; it reports `shutdown` (or another reason) when it has. Idempotent. */
  stop(): void;
  /** Stop the child at once; it reports `killed` soon after. Idempotent; a no-op after exit. */
  kill(): void;
}

/** Whether a supervisor restarts a child after it exits: a table, not a flag. */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * How a supervisor stops a child: wait up to this many ms after `stop()` then `kill()`; `'brutal'` kills at
 * once; `'infinity'` waits for as long as the child takes (for supervisors, whose children have their own).
 */
export type Shutdown = number | 'brutal' | 'infinity';

/** How to start a child, and how its supervisor treats it. */
export interface ChildSpec<H extends ChildHandle = ChildHandle> {
  /** Unique among the supervisor's children. */
  readonly id: string;
  /** Start the child; resolves once it is running, rejects if it could not start. */
  start(): Promise<H>;
  /** @default 'permanent' */
  readonly restart?: RestartType;
  /** @default 5000 for workers, 'infinity' for supervisors */
  readonly shutdown?: Shutdown;
  /** @default 'worker' */
  readonly type?: 'worker' | 'supervisor';
}

/**
 * Keeps a child's exit: the first `report` wins, listeners are told synchronously, then `exited` resolves.
 * Every ChildHandle implementation holds one.
 */
export class ExitReporter {
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;
  #listeners: ExitListener[] | undefined = [];
  #resolve!: (exit: Exit) => void;

  constructor() {
    this.exited = new Promise<Exit>((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** The exit, once reported; `undefined` before. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** Has the exit been reported? */
  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  /** Record the exit; returns false (and changes nothing) if an exit was already reported. */
  report(exit: Exit): boolean {
    if (this.#exit !== undefined) return false;
    this.#exit = exit;
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) {
      // A throwing listener must not keep the others (or the resolve) from running.
      try {
        listener(exit);
      } catch (error) {
        // Never crash the host for a listener's fault; say so where operators look.
        process.emitWarning(`a child exit listener threw: ${String(error)}`, 'PoolToyWarning');
      }
    }
    this.#resolve(exit);
    return true;
  }

  /** Call `listener` with the exit once reported (at once if it already was); returns the function that removes it. */
  onExit(listener: ExitListener): () => void {
    if (this.#exit !== undefined) {
      listener(this.#exit);
      return () => {};
    }
    this.#listeners!.push(listener);
    return () => {
      const index = this.#listeners?.indexOf(listener) ?? -1;
      if (index >= 0) this.#listeners!.splice(index, 1);
    };
  }
}

/**
 * The exit half of the child contract, for a child with no other base class: `exited`, `exit` and `onExit` kept by
 * one `ExitReporter`; subclasses report with `reportExit` and implement `stop` and `kill`.
 */
export abstract class Child implements ChildHandle {
  readonly #reporter = new ExitReporter();

  get exited(): Promise<Exit> {
    return this.#reporter.exited;
  }

  get exit(): Exit | undefined {
    return this.#reporter.exit;
  }

  /** Has the exit been reported? */
  get hasExited(): boolean {
    return this.#reporter.hasExited;
  }

  onExit(listener: ExitListener): () => void {
    return this.#reporter.onExit(listener);
  }

  abstract stop(): void;
  abstract kill(): void;

  /** Report the exit; the first report wins (returns false for any later one). */
  protected reportExit(exit: Exit): boolean {
    return this.#reporter.report(exit);
  }
}
