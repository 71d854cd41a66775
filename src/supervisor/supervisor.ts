// About 280 lines, on purpose: start, restart, give-up and stop share one state and read best side by side.
// A static supervisor, as OTP's: a fixed list of children started in order, restarted by a strategy, within a
// restart intensity past which it gives up and crashes so that its own supervisor can try from higher up.
import { type Clock, systemClock } from '../clock.js';
import {
  ChildStartError,
  DuplicateChildError,
  InvalidArgumentError,
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
import { Mailbox } from './mailbox.js';
import { RestartIntensity } from './restart-intensity.js';
import { shutdownChild } from './shutdown.js';
import { SupervisorEventEmitter } from './supervisor-events.js';

/** Which children a supervisor restarts when one of them must be restarted. */
export type Strategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** How to build a `Supervisor`. */
export interface SupervisorOptions {
  /** Names the supervisor in errors, events and snapshots. @default 'supervisor' */
  readonly id?: string;
  /** `'one-for-one'`: the child alone; `'one-for-all'`: all children; `'rest-for-one'`: it and those after it. */
  readonly strategy: Strategy;
  /** Restarts allowed within `periodMs` before the supervisor gives up. @default 3 */
  readonly maxRestarts?: number;
  /** The restart intensity's sliding window, in ms. @default 5000 */
  readonly periodMs?: number;
  /** Started in this order, stopped in reverse. Ids must be unique. */
  readonly children: readonly ChildSpec[];
  /** @default systemClock */
  readonly clock?: Clock;
}

type SupervisorState = 'new' | 'starting' | 'running' | 'stopping' | 'killing' | 'exited';

const strategies: readonly Strategy[] = ['one-for-one', 'one-for-all', 'rest-for-one'];

/** The children a restart of `entry` takes down (in reverse) and starts again (in order), by strategy. */
const affectedBy: Readonly<Record<Strategy, (entries: readonly ChildEntry[], entry: ChildEntry) => ChildEntry[]>> = {
  'one-for-one': (_entries, entry) => [entry],
  'one-for-all': (entries) => [...entries],
  'rest-for-one': (entries, entry) => entries.slice(entries.indexOf(entry)),
};

/** An OTP-style supervisor of a fixed list of children; itself a `ChildHandle`, so supervisors nest. */
export class Supervisor extends SupervisorEventEmitter implements ChildHandle {
  readonly id: string;
  readonly strategy: Strategy;
  readonly #clock: Clock;
  readonly #intensity: RestartIntensity;
  readonly #reporter = new ExitReporter();
  #entries: ChildEntry[];
  #state: SupervisorState = 'new';
  // Start, restart and stop run one at a time: a crash handled mid-restart would otherwise see half-started siblings.
  readonly #mailbox = new Mailbox();
  #started: Promise<this> | undefined;

  /** A child spec that starts a new `Supervisor` with `options` each time (a supervisor is started once). */
  static childSpec(options: SupervisorOptions & { restart?: RestartType; shutdown?: Shutdown }): ChildSpec<Supervisor> {
    const { restart, shutdown, ...supervisorOptions } = options;
    const supervisor = new Supervisor(supervisorOptions); // validates the options now, not at the first start
    return {
      id: supervisor.id,
      type: 'supervisor',
      restart,
      shutdown,
      start: () => new Supervisor(supervisorOptions).start(),
    };
  }

  /** Validate `options` (throws `InvalidArgumentError` or `DuplicateChildError`); nothing starts until `start()`. */
  constructor(options: SupervisorOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('supervisor options', 'an object', options);
    }
    const { id = 'supervisor', strategy, children, maxRestarts, periodMs, clock = systemClock } = options;
    if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('supervisor id', 'a non-empty string', id);
    if (!strategies.includes(strategy)) {
      throw new InvalidArgumentError(`supervisor "${id}" strategy`, `one of ${strategies.join(', ')}`, strategy);
    }
    if (!Array.isArray(children)) throw new InvalidArgumentError(`supervisor "${id}" children`, 'an array', children);
    this.id = id;
    this.strategy = strategy;
    this.#clock = clock;
    this.#intensity = new RestartIntensity({ maxRestarts, periodMs, clock });
    this.#entries = children.map((spec) => new ChildEntry(spec));
    const ids = new Set<string>();
    for (const entry of this.#entries) {
      if (ids.has(entry.id)) throw new DuplicateChildError(id, entry.id);
      ids.add(entry.id);
    }
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

  /** Start the children in order; on a failure, stop those started (in reverse) and reject `ChildStartError`. */
  start(): Promise<this> {
    if (this.#started) return this.#started;
    if (this.#state !== 'new') return Promise.reject(new SupervisorStoppedError(this.id));
    this.#state = 'starting';
    this.#started = this.#mailbox.post(() => this.#startAll()).then(() => this);
    return this.#started;
  }

  /** Stop the children in reverse order, each per its shutdown, then report `shutdown`. Idempotent. */
  stop(): void {
    if (this.#state === 'new') {
      this.#finish(shutdownExit);
      return;
    }
    if (this.#state !== 'starting' && this.#state !== 'running') return;
    this.#state = 'stopping';
    this.#schedule(async () => {
      await this.#stopAll();
      if (this.#state === 'stopping') this.#finish(shutdownExit);
    });
  }

  /** Kill every child at once, then report `killed`. Idempotent. */
  kill(): void {
    this.#killAll(killedExit());
  }

  /** `stop()`, resolving with the exit once every child has stopped. */
  shutdown(): Promise<Exit> {
    this.stop();
    return this.exited;
  }

  /** Resolves once no start, restart or stop is under way (what tests await instead of sleeping). */
  settled(): Promise<void> {
    return this.#mailbox.settled();
  }

  /** The children in start order, with their handle while alive. */
  whichChildren(): ChildInfo[] {
    return this.#entries.map((entry) => entry.info());
  }

  /** The live tree under this supervisor, as plain data. */
  snapshot(): SupervisorSnapshot {
    const children = this.#entries.map((entry) => entry.snapshot()).filter((child) => child !== undefined);
    return { id: this.id, strategy: this.strategy, children };
  }

  async #startAll(): Promise<void> {
    for (const entry of [...this.#entries]) {
      const result = await this.#startChild(entry);
      // stop() or kill() came first: their own work stops whatever has started.
      if (this.#state !== 'starting') throw new SupervisorStoppedError(this.id);
      if (!result.ok) {
        const error = new ChildStartError(this.id, entry.id, result.error);
        this.#state = 'stopping';
        await this.#stopAll();
        this.#finish(crashedExit(error));
        throw error;
      }
    }
    this.#state = 'running';
  }

  async #startChild(entry: ChildEntry): Promise<{ ok: true } | { ok: false; error: unknown }> {
    entry.state = { kind: 'starting' };
    const result = await entry.startHandle();
    if (!result.ok) {
      entry.state = { kind: 'down' };
      return result;
    }
    const { handle } = result;
    entry.state = { kind: 'running', handle };
    this.announce('child:started', { supervisorId: this.id, id: entry.id, handle });
    handle.onExit((exit) => this.#childExited(entry, handle, exit));
    // A start that outlived a kill() must not outlive the supervisor.
    if (this.#state === 'killing' || this.#state === 'exited') handle.kill();
    return { ok: true };
  }

  #childExited(entry: ChildEntry, handle: ChildHandle, exit: Exit): void {
    if (entry.handle !== handle) return;
    const wasRunning = entry.state.kind === 'running';
    entry.state = { kind: 'down' };
    if (entry.restart === 'temporary') this.#entries = this.#entries.filter((other) => other !== entry);
    this.announce('child:exited', { supervisorId: this.id, id: entry.id, exit });
    // Exits the supervisor caused itself (a stop, a sibling's restart) are not crashes.
    const isUnexpected = wasRunning && (this.#state === 'starting' || this.#state === 'running');
    if (isUnexpected) this.#scheduleRestart(entry, exit);
  }

  async #handleExit(entry: ChildEntry, exit: Exit): Promise<void> {
    // A sibling's restart (one-for-all) may have started it again meanwhile.
    if (this.#state !== 'running' || entry.state.kind !== 'down' || !this.#entries.includes(entry)) return;
    if (shouldRestart[entry.restart](exit)) await this.#restart(entry, exit);
  }

  async #restart(entry: ChildEntry, exit: Exit): Promise<void> {
    if (!this.#intensity.record()) return this.#giveUp(entry, exit);
    const affected = affectedBy[this.strategy](this.#entries, entry);
    // Reverse start order: later children may depend on earlier ones.
    for (const sibling of [...affected].reverse()) await this.#stopChild(sibling);
    for (const child of affected) {
      if (this.#state !== 'running') return;
      // Temporary siblings left with their exit; they are not started again.
      if (!this.#entries.includes(child) || child.state.kind !== 'down') continue;
      const result = await this.#startChild(child);
      if (!result.ok) {
        // A failed restart counts as one more restart and is retried from the queue, never in a tight loop.
        this.#scheduleRestart(child, crashedExit(new ChildStartError(this.id, child.id, result.error)));
        return;
      }
      this.announce('child:restarted', { supervisorId: this.id, id: child.id });
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

  async #stopChild(entry: ChildEntry): Promise<void> {
    const state = entry.state;
    if (state.kind === 'stopping') await state.handle.exited;
    if (state.kind !== 'running') return;
    entry.state = { kind: 'stopping', handle: state.handle };
    await shutdownChild(state.handle, entry.shutdown, this.#clock);
  }

  async #stopAll(): Promise<void> {
    for (const entry of [...this.#entries].reverse()) await this.#stopChild(entry);
  }

  #killAll(exit: Exit): void {
    if (this.#state === 'new') {
      this.#finish(exit);
      return;
    }
    if (this.#state === 'killing' || this.#state === 'exited') return;
    this.#state = 'killing';
    const handles = this.#entries.map((entry) => entry.handle).filter((handle) => handle !== undefined);
    for (const handle of handles) handle.kill();
    void Promise.all(handles.map((handle) => handle.exited)).then(() => this.#finish(exit));
  }

  #finish(exit: Exit): void {
    this.#state = 'exited';
    this.#reporter.report(exit);
  }

  // As OTP's restart message to itself: each attempt waits behind what is queued, then for a turn of the event
  // loop, so a stop(), a timer or a sibling's exit is served between two attempts however fast they fail.
  #scheduleRestart(entry: ChildEntry, exit: Exit): void {
    this.#schedule(() => this.#handleExit(entry, exit), 'nextTurn');
  }

  #schedule(task: () => Promise<void>, when: 'now' | 'nextTurn' = 'now'): void {
    const posted = when === 'now' ? this.#mailbox.post(task) : this.#mailbox.postNextTurn(task);
    // Tasks handle every expected failure; one that still throws is a bug, and a half-alive tree is worse than a crash.
    posted.catch((error) => this.#killAll(crashedExit(error)));
  }
}
