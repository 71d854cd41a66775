// About 280 lines, on purpose: start, restart, give-up and stop share one state and read best side by side.
// A supervisor of children added and removed while it runs (Elixir's DynamicSupervisor): no order among them, so
// one-for-one restarts, and a stop that stops them all at once.
import { type Clock, systemClock } from '../clock.js';
import {
  ChildStartError,
  DuplicateChildError,
  InvalidArgumentError,
  MaxChildrenError,
  RestartIntensityError,
  SupervisorStoppedError,
} from '../errors.js';
import type { SupervisorSnapshot } from '../observer/snapshot.js';
import {
  type ChildHandle,
  type ChildSpec,
  type ExitListener,
  ExitReporter,
  type RestartType,
  type Shutdown,
} from './child.js';
import { ChildEntry, type ChildInfo, shouldRestart } from './child-entry.js';
import { crashedExit, describeExit, type Exit, killedExit, shutdownExit } from './exit.js';
import { nextTurn } from './mailbox.js';
import { RestartIntensity } from './restart-intensity.js';
import { shutdownChild } from './shutdown.js';
import { SupervisorEventEmitter } from './supervisor-events.js';

/** How to build a `DynamicSupervisor`. */
export interface DynamicSupervisorOptions {
  /** Names the supervisor in errors, events and snapshots. @default 'dynamic-supervisor' */
  readonly id?: string;
  /** Children allowed at once, those still starting or restarting included. @default Infinity */
  readonly maxChildren?: number;
  /** Restarts allowed within `periodMs` before the supervisor gives up. @default 3 */
  readonly maxRestarts?: number;
  /** The restart intensity's sliding window, in ms. @default 5000 */
  readonly periodMs?: number;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** What `countChildren()` returns: all children, the live ones, and how many are supervisors or workers. */
export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

type DynamicSupervisorState = 'running' | 'stopping' | 'killing' | 'exited';
type StartResult = { ok: true; handle: ChildHandle } | { ok: false; error: unknown };

/** A one-for-one supervisor that starts with no children and takes them with `startChild`; a `ChildHandle` too. */
export class DynamicSupervisor extends SupervisorEventEmitter implements ChildHandle {
  readonly id: string;
  readonly maxChildren: number;
  readonly #clock: Clock;
  readonly #intensity: RestartIntensity;
  readonly #reporter = new ExitReporter();
  readonly #children = new Map<string, ChildEntry>();
  // Starts and restarts in flight, so that a stop can wait for them to shut their child down.
  readonly #pending = new Set<Promise<void>>();
  #state: DynamicSupervisorState = 'running';

  /** A child spec that starts a new, empty `DynamicSupervisor` with `options` each time. */
  static childSpec(
    options: DynamicSupervisorOptions & { restart?: RestartType; shutdown?: Shutdown },
  ): ChildSpec<DynamicSupervisor> {
    const { restart, shutdown, ...supervisorOptions } = options;
    const id = new DynamicSupervisor(supervisorOptions).id; // validates the options now, not at the first start
    return { id, type: 'supervisor', restart, shutdown, start: async () => new DynamicSupervisor(supervisorOptions) };
  }

  /** Validate `options` (throws `InvalidArgumentError`); the supervisor runs at once, with no children. */
  constructor(options: DynamicSupervisorOptions = {}) {
    super();
    const { id = 'dynamic-supervisor', maxChildren = Number.POSITIVE_INFINITY, maxRestarts, periodMs } = options;
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('supervisor id', 'a non-empty string', id);
    if (maxChildren !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxChildren) || maxChildren < 0)) {
      throw new InvalidArgumentError(
        `supervisor "${id}" maxChildren`,
        'a non-negative integer or Infinity',
        maxChildren,
      );
    }
    this.id = id;
    this.maxChildren = maxChildren;
    this.#clock = options.clock ?? systemClock;
    this.#intensity = new RestartIntensity({ maxRestarts, periodMs, clock: this.#clock });
  }

  get exited(): Promise<Exit> {
    return this.#reporter.exited;
  }

  get exit(): Exit | undefined {
    return this.#reporter.exit;
  }

  onExit(listener: ExitListener): () => void {
    return this.#reporter.onExit(listener);
  }

  /** Start a child; rejects `ChildStartError`, `MaxChildrenError`, `DuplicateChildError` or `SupervisorStoppedError`. */
  async startChild<H extends ChildHandle>(spec: ChildSpec<H>): Promise<H> {
    const entry = new ChildEntry(spec);
    if (this.#state !== 'running') throw new SupervisorStoppedError(this.id);
    if (this.#children.has(entry.id)) throw new DuplicateChildError(this.id, entry.id);
    // Children still starting count: otherwise a burst of startChild calls would all pass the check.
    if (this.#children.size >= this.maxChildren) throw new MaxChildrenError(this.id, this.maxChildren);
    this.#children.set(entry.id, entry);
    const result = await this.#track(this.#startChild(entry));
    if (result.ok) return result.handle as H;
    this.#forget(entry);
    if (result.error instanceof SupervisorStoppedError) throw result.error;
    throw new ChildStartError(this.id, entry.id, result.error);
  }

  /** Stop the child `id` per its shutdown; resolves with its exit, or `undefined` when no child runs as `id`. */
  async terminateChild(id: string): Promise<Exit | undefined> {
    const entry = this.#children.get(id);
    if (entry === undefined) return undefined;
    const state = entry.state;
    if (state.kind === 'stopping') return state.handle.exited;
    // Starting or between restarts: forgotten now, so that the start under way stops what it starts.
    if (state.kind !== 'running') {
      this.#forget(entry);
      return undefined;
    }
    entry.state = { kind: 'stopping', handle: state.handle };
    return shutdownChild(state.handle, entry.shutdown, this.#clock);
  }

  /** Stop every child at once (they are peers), each per its shutdown, then report `shutdown`. Idempotent. */
  stop(): void {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    void this.#stopAll().then(() => this.#finish(shutdownExit));
  }

  /** Kill every child at once, then report `killed`. Idempotent. */
  kill(): void {
    if (this.#state === 'killing' || this.#state === 'exited') return;
    this.#state = 'killing';
    const handles = [...this.#children.values()].map((entry) => entry.handle).filter((handle) => handle !== undefined);
    for (const handle of handles) handle.kill();
    void Promise.all(handles.map((handle) => handle.exited)).then(() => this.#finish(killedExit()));
  }

  /** `stop()`, resolving with the exit once every child has stopped. */
  shutdown(): Promise<Exit> {
    this.stop();
    return this.exited;
  }

  /** Resolves once no start or restart is under way (what tests await instead of sleeping). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** The children, in the order they were first started, with their handle while alive. */
  whichChildren(): ChildInfo[] {
    return [...this.#children.values()].map((entry) => entry.info());
  }

  /** How many children there are, how many are alive, and of which type. */
  countChildren(): ChildCounts {
    const entries = [...this.#children.values()];
    const supervisors = entries.filter((entry) => entry.type === 'supervisor').length;
    const active = entries.filter((entry) => entry.handle !== undefined).length;
    return { specs: entries.length, active, supervisors, workers: entries.length - supervisors };
  }

  /** The live tree under this supervisor, as plain data. */
  snapshot(): SupervisorSnapshot {
    const children = [...this.#children.values()]
      .map((entry) => entry.snapshot())
      .filter((child) => child !== undefined);
    return { id: this.id, strategy: 'one-for-one', children };
  }

  async #startChild(entry: ChildEntry): Promise<StartResult> {
    entry.state = { kind: 'starting' };
    const result = await entry.startHandle();
    if (!result.ok) {
      entry.state = { kind: 'down' };
      return result;
    }
    const { handle } = result;
    if (this.#state !== 'running' || this.#children.get(entry.id) !== entry) {
      // Stopped or terminated while starting: the child must not outlive the decision.
      entry.state = { kind: 'down' };
      if (this.#state === 'killing' || this.#state === 'exited') handle.kill();
      else await shutdownChild(handle, entry.shutdown, this.#clock);
      return { ok: false, error: new SupervisorStoppedError(this.id) };
    }
    entry.state = { kind: 'running', handle };
    this.announce('child:started', { supervisorId: this.id, id: entry.id, handle });
    handle.onExit((exit) => this.#childExited(entry, handle, exit));
    return { ok: true, handle };
  }

  #childExited(entry: ChildEntry, handle: ChildHandle, exit: Exit): void {
    if (entry.handle !== handle) return;
    const wasRunning = entry.state.kind === 'running';
    entry.state = { kind: 'down' };
    this.announce('child:exited', { supervisorId: this.id, id: entry.id, exit });
    if (wasRunning && this.#state === 'running' && shouldRestart[entry.restart](exit)) {
      this.#restartInBackground(entry, exit);
    } else {
      this.#forget(entry);
    }
  }

  #restartInBackground(entry: ChildEntry, exit: Exit): void {
    // Each attempt waits for a turn of the event loop (OTP retries by a message to itself), so a stop(), a
    // terminateChild() or a timer is served between two attempts however fast they fail.
    const attempt = nextTurn().then(() => this.#restart(entry, exit));
    // #restart handles every expected failure; one that still throws is a bug, and a half-alive tree is worse.
    this.#track(attempt).catch((error) => {
      this.kill();
      this.#finish(crashedExit(error));
    });
  }

  async #restart(entry: ChildEntry, exit: Exit): Promise<void> {
    if (this.#state !== 'running' || this.#children.get(entry.id) !== entry) return;
    if (!this.#intensity.record()) {
      // Not awaited: giving up waits for the restarts in flight to settle, and this is one of them.
      void this.#giveUp(entry, exit);
      return;
    }
    const result = await this.#startChild(entry);
    if (result.ok) {
      this.announce('child:restarted', { supervisorId: this.id, id: entry.id });
    } else if (result.error instanceof SupervisorStoppedError) {
      this.#forget(entry);
    } else {
      // A failed restart counts as one more restart and is retried after this one ends, never in a tight loop.
      this.#restartInBackground(entry, crashedExit(new ChildStartError(this.id, entry.id, result.error)));
    }
  }

  async #giveUp(entry: ChildEntry, exit: Exit): Promise<void> {
    const cause = exit.kind === 'crashed' ? exit.error : undefined;
    const error = new RestartIntensityError(this.id, this.#intensity, entry.id, describeExit(exit), cause);
    this.#state = 'stopping';
    this.announce('supervisor:restartLimitReached', { supervisorId: this.id, error });
    await this.#stopAll();
    this.#finish(crashedExit(error));
  }

  async #stopAll(): Promise<void> {
    const stops = [...this.#children.values()].map(async (entry) => {
      const state = entry.state;
      if (state.kind === 'stopping') await state.handle.exited;
      if (state.kind !== 'running') return;
      entry.state = { kind: 'stopping', handle: state.handle };
      await shutdownChild(state.handle, entry.shutdown, this.#clock);
    });
    await Promise.all(stops);
    await this.settled(); // starts that were in flight stop their own child
  }

  #forget(entry: ChildEntry): void {
    if (this.#children.get(entry.id) === entry) this.#children.delete(entry.id);
  }

  #track<T>(operation: Promise<T>): Promise<T> {
    const done = operation.then(
      () => {},
      () => {},
    );
    this.#pending.add(done);
    void done.then(() => this.#pending.delete(done));
    return operation;
  }

  #finish(exit: Exit): void {
    this.#state = 'exited';
    this.#reporter.report(exit);
  }
}
