// The pool manager: one synchronous state machine with no I/O of its own. It asks its host to start and stop
// workers and reads time and sets timers through the Clock; Node's event loop serialises every call into it.
// This file holds the public operations. The state is a private `PoolState` (pool-state.ts) handed to each
// concept's transitions, which live in their own file (docs/architecture.md lists them): the pump (pump.ts),
// checkout admission and waiters (checkout-admission.ts, deadlines in checkout-deadlines.ts), starts and the
// start/crash-loop policy (worker-starts.ts), deaths and lease revocation (worker-exits.ts), return, recycling and
// cooldown (worker-return.ts), crash, failure and stop (pool-stop.ts).
import type { PoolFailedError, WorkerStartError } from '../errors.js';
import type { WorkerSnapshot } from '../observer/snapshot.js';
import type { PoolConfig } from '../options.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import { checkin, checkinState, checkout } from './checkout-admission.js';
import type { Lease, LeaseKeeper, LeaseState, ReleaseOptions } from './lease.js';
import { describeOwner, type Owner } from './owner-monitor.js';
import type { PoolEvents } from './pool-events.js';
import { PoolState } from './pool-state.js';
import type { PoolStatus } from './pool-status.js';
import { beginStop, crash, fail, stopAll } from './pool-stop.js';
import { pump } from './pump.js';
import { workerStarted, workerStartFailed } from './worker-starts.js';
import { maybeSampleUsage, usageOf } from './worker-usage.js';

/** What the manager asks of the world: start and stop workers. Outcomes come back as method calls. */
export interface WorkerHost<W> {
  /** Begin starting worker `workerId`; report with `workerStarted` or `workerStartFailed`, never synchronously. */
  startWorker(workerId: string): void;
  /** Stop a worker gracefully (killed after `stopTimeoutMs`); its exit arrives through `handle.onExit`. */
  stopWorker(handle: WorkerHandle<W>): void;
  /** Give up every start in progress (the pool is stopping). */
  abortStarts(): void;
}

/** A lease still held when the pool stopped. */
export interface HeldLease {
  readonly workerId: string;
  readonly owner: string;
  readonly heldMs: number;
}

/**
 * The pool's state machine: checkout, checkin, the pump, worker starts, deaths and retirements. Its state is a
 * private `PoolState` that only the transition functions of `src/pool/` are handed.
 */
export class PoolManager<W = unknown> implements LeaseKeeper<W> {
  readonly #state: PoolState<W>;

  constructor(config: PoolConfig<W>, host: WorkerHost<W>, events: PoolEvents) {
    this.#state = new PoolState<W>(this, config, host, events);
  }

  /** The events this manager emits into. */
  get events(): PoolEvents {
    return this.#state.events;
  }

  /** Told once when the manager crashes. */
  set onCrash(listener: ((error: unknown) => void) | undefined) {
    this.#state.onCrash = listener;
  }

  /** The pool's name. */
  get name(): string {
    return this.#state.config.name;
  }

  /** Workers started so far, and the last start error: `createPool` fails when none of the first ones started. */
  get startOutcome(): { readonly succeeded: number; readonly lastError: WorkerStartError | undefined } {
    return { succeeded: this.#state.startsSucceeded, lastError: this.#state.lastStartError };
  }

  /** Start the `size` workers the pool keeps. */
  start(): void {
    pump(this.#state);
  }

  /** The status, derived from the counts now. */
  status(): PoolStatus {
    return this.#state.status();
  }

  /** Check a worker out: an idle one at once, else by the five steps of docs/semantics.md. */
  checkout(
    timeoutMs: number,
    block: boolean,
    signal: AbortSignal | undefined,
    owner: Owner | undefined,
  ): Promise<Lease<W>> {
    return checkout(this.#state, timeoutMs, block, signal, owner);
  }

  /** Take a lease back. Ignores double, revoked and foreign leases; a non-lease is a TypeError. */
  checkin(lease: Lease<W>, options?: ReleaseOptions): void {
    checkin(this.#state, lease, options);
  }

  /** Take back a lease that hands in its own side (`lease.release()`): it is this manager's by construction. */
  checkinState(state: LeaseState<W>, options?: ReleaseOptions): void {
    checkinState(this.#state, state, options);
  }

  /** Resolves once no worker is starting or stopping. */
  settled(): Promise<void> {
    const state = this.#state;
    // A crashed manager's counts are not to be trusted, and it hears of no exit any more: nothing to wait for.
    if ((state.starting === 0 && state.stopping === 0) || state.phase === 'crashed') return Promise.resolve();
    return new Promise((resolve) => this.#state.whenSettled.push(resolve));
  }

  /** One row per worker: the monitor table. */
  workers(): WorkerSnapshot[] {
    const now = this.#state.clock.now();
    const kind = this.#state.config.worker.kind;
    maybeSampleUsage(this.#state);
    return [...this.#state.byId.values()].map((worker) => ({
      id: worker.id,
      state: worker.state,
      kind,
      ...(worker.handle?.pid !== undefined && { pid: worker.handle.pid }),
      ...(worker.handle?.threadId !== undefined && { threadId: worker.handle.threadId }),
      ...(worker.handle?.backendPid !== undefined && { backendPid: worker.handle.backendPid }),
      uses: worker.uses,
      ageMs: worker.state === 'starting' ? 0 : now - worker.readyAt,
      isOverflow: worker.isOverflow,
      ...usageOf(worker),
      ...(worker.lease && {
        lease: {
          owner: describeOwner(worker.lease.owner),
          sinceMs: now - worker.lease.sinceMs,
          ...(worker.lease.stack !== undefined && { stack: worker.lease.stack }),
        },
      }),
    }));
  }

  /** `failing` past `maxRestarts` (checkouts that need a start fail fast), `backoff` while a start waits to retry. */
  startTrouble(): 'backoff' | 'failing' | undefined {
    return this.#state.failingWith ? 'failing' : this.#state.backoffTimer ? 'backoff' : undefined;
  }

  /** The host started worker `workerId`. */
  workerStarted(workerId: string, handle: WorkerHandle<W>): void {
    workerStarted(this.#state, workerId, handle);
  }

  /** The host could not start worker `workerId`. */
  workerStartFailed(workerId: string, error: unknown): void {
    workerStartFailed(this.#state, workerId, error);
  }

  /** Crash: waiters and leases fail with `PoolCrashedError`, and `onCrash` tells the pool supervisor. */
  crash(error: unknown): void {
    crash(this.#state, error);
  }

  /** The pool supervisor gave up on this pool: checkouts reject with `error` (not "restarting") from now on. */
  fail(error: PoolFailedError): void {
    fail(this.#state, error);
  }

  /** Stop intake: waiters reject with `PoolStoppedError`, idle workers stop, starts are given up. */
  beginStop(): void {
    beginStop(this.#state);
  }

  /** Resolves when every lease has come back (or been revoked). */
  leasesBack(): Promise<void> {
    if (this.#state.checkedOut === 0 || this.#state.phase === 'crashed') return Promise.resolve();
    return new Promise((resolve) => this.#state.whenLeasesBack.push(resolve));
  }

  /** Revoke the leases still held (their signals abort with `PoolStoppedError`) and stop every worker. */
  stopAll(): HeldLease[] {
    return stopAll(this.#state);
  }

  /** Workers that had to be killed since the stop began. */
  get killedWhileStopping(): readonly string[] {
    return this.#state.stoppedByKill;
  }
}
