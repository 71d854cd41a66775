// The pool manager: one synchronous state machine with no I/O of its own. It asks its host to start and stop
// workers and reads time and sets timers through the Clock; Node's event loop serialises every call into it.
// This file holds the state and the public operations; each concept's transitions live in their own file
// (docs/architecture.md lists them), as functions of the manager: the pump (pump.ts), checkout admission and
// waiters (checkout-admission.ts), starts and the start/crash-loop policy (worker-starts.ts), deaths and lease
// revocation (worker-exits.ts), return, recycling and cooldown (worker-return.ts), crash and stop (pool-stop.ts).
import type { Clock, Timer } from '../clock.js';
import type { PoolCrashedError, WorkerStartError } from '../errors.js';
import type { WorkerSnapshot } from '../observer/snapshot.js';
import type { PoolConfig } from '../options.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import { checkin, checkout } from './checkout-admission.js';
import { IdleWorkers } from './idle-workers.js';
import type { Lease, LeaseKeeper, LeaseState, ReleaseOptions } from './lease.js';
import { describeOwner, type Owner } from './owner-monitor.js';
import type { PoolEvents } from './pool-events.js';
import { derivePoolStatus, type PoolStatus } from './pool-status.js';
import { beginStop, crash, stopAll } from './pool-stop.js';
import type { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';
import { StartBackoff } from './start-backoff.js';
import type { Waiter } from './waiter.js';
import { WaitingQueue } from './waiting-queue.js';
import { revokeLease } from './worker-exits.js';
import { workerStarted, workerStartFailed } from './worker-starts.js';

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

/** Where the manager is in its life: serving, stopping (no intake), or crashed (its state is not to be trusted). */
export type ManagerPhase = 'running' | 'stopping' | 'crashed';

/**
 * The pool's state machine: checkout, checkin, the pump, worker starts, deaths and retirements. Its state fields
 * are public only to the transition functions of `src/pool/` (marked `@internal`); nothing else may touch them.
 */
export class PoolManager<W = unknown> implements LeaseKeeper<W> {
  readonly events: PoolEvents;
  /** @internal */ readonly config: PoolConfig<W>;
  /** @internal */ readonly clock: Clock;
  /** @internal */ readonly host: WorkerHost<W>;
  /** @internal Every worker from the start the manager asked for until the manager learns of its exit. */
  readonly byId = new Map<string, PooledWorker<W>>();
  /** @internal */ readonly idle = new IdleWorkers<PooledWorker<W>>();
  /** @internal */ readonly waiting = new WaitingQueue<Waiter<W>>();
  /** @internal */ readonly backoff: StartBackoff;
  /** @internal `size + maxOverflow`: live workers never exceed it. */
  readonly maxLive: number;
  // Only with `leakDetection`: registering every lease costs more than the rest of a checkout (measured: the GC
  // work of weak cells made checkout/checkin about 8× slower).
  /** @internal */ readonly leaks: FinalizationRegistry<LeaseState<W>> | undefined;
  /** @internal */ phase: ManagerPhase = 'running';
  /** @internal */ crashError: PoolCrashedError | undefined;
  /** Told once when the manager crashes. */
  onCrash: ((error: unknown) => void) | undefined;
  /** @internal Started, starting or cooling down; a stopping worker no longer counts. */
  live = 0;
  /** @internal */ starting = 0;
  /** @internal */ stopping = 0;
  /** @internal */ checkedOut = 0;
  /** @internal The last worker whose start began: a recycled worker waits for it (capacity never dips). */
  lastStarted: PooledWorker<W> | undefined;
  /** @internal */ backoffTimer: Timer | undefined;
  /** @internal The worker whose staying up `minHealthyMs` resets the backoff. */
  probation: { readonly worker: PooledWorker<W>; readonly timer: Timer } | undefined;
  /** @internal Set while past the restart intensity: checkouts that cannot be served at once reject with it. */
  failingWith: WorkerStartError | undefined;
  /** @internal */ lastStartError: WorkerStartError | undefined;
  /** @internal */ startsSucceeded = 0;
  /** @internal */ whenSettled: (() => void)[] = [];
  /** @internal */ whenLeasesBack: (() => void)[] = [];
  /** @internal */ readonly stoppedByKill: string[] = [];

  constructor(config: PoolConfig<W>, host: WorkerHost<W>, events: PoolEvents) {
    this.events = events;
    this.config = config;
    this.clock = config.clock;
    this.host = host;
    this.maxLive = config.size + config.maxOverflow;
    this.backoff = new StartBackoff({
      initialMs: config.restartBackoffMs,
      maxMs: config.restartBackoffMaxMs,
      maxFailures: config.maxRestarts,
      periodMs: config.restartPeriodMs,
    });
    this.leaks = !config.leakDetection
      ? undefined
      : new FinalizationRegistry((state) => this.guard(() => revokeLease(this, state, 'leaked')));
  }

  /** The pool's name. */
  get name(): string {
    return this.config.name;
  }

  /** Workers started so far, and the last start error: `createPool` fails when none of the first ones started. */
  get startOutcome(): { readonly succeeded: number; readonly lastError: WorkerStartError | undefined } {
    return { succeeded: this.startsSucceeded, lastError: this.lastStartError };
  }

  /** Start the `size` workers the pool keeps. */
  start(): void {
    pump(this);
  }

  /** The status, derived from the counts now. */
  status(): PoolStatus {
    return derivePoolStatus({
      idle: this.idle.size,
      live: this.live,
      checkedOut: this.checkedOut,
      waiting: this.waiting.size,
      size: this.config.size,
      maxOverflow: this.config.maxOverflow,
    });
  }

  /** Check a worker out: an idle one at once, else wait per SEMANTICS.md's five steps. */
  checkout(
    timeoutMs: number,
    block: boolean,
    signal: AbortSignal | undefined,
    owner: Owner | undefined,
  ): Promise<Lease<W>> {
    return checkout(this, timeoutMs, block, signal, owner);
  }

  /** Take a lease back. Ignores double, revoked and foreign leases; a non-lease is a TypeError. */
  checkin(lease: Lease<W>, options?: ReleaseOptions): void {
    checkin(this, lease, options);
  }

  /** Resolves once no worker is starting or stopping. */
  settled(): Promise<void> {
    if (this.starting === 0 && this.stopping === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenSettled.push(resolve));
  }

  /** One row per worker: the monitor table. */
  workers(): WorkerSnapshot[] {
    const now = this.clock.now();
    const kind = this.config.worker.kind;
    return [...this.byId.values()].map((worker) => ({
      id: worker.id,
      state: worker.state,
      kind,
      ...(worker.handle?.pid !== undefined && { pid: worker.handle.pid }),
      ...(worker.handle?.threadId !== undefined && { threadId: worker.handle.threadId }),
      uses: worker.uses,
      ageMs: worker.state === 'starting' ? 0 : now - worker.readyAt,
      isOverflow: worker.isOverflow,
      ...(worker.lease && {
        lease: { owner: describeOwner(worker.lease.owner), sinceMs: now - worker.lease.sinceMs },
      }),
    }));
  }

  /** The host started worker `workerId`. */
  workerStarted(workerId: string, handle: WorkerHandle<W>): void {
    workerStarted(this, workerId, handle);
  }

  /** The host could not start worker `workerId`. */
  workerStartFailed(workerId: string, error: unknown): void {
    workerStartFailed(this, workerId, error);
  }

  /** Crash: waiters and leases fail with `PoolCrashedError`, and `onCrash` tells the pool supervisor. */
  crash(error: unknown): void {
    crash(this, error);
  }

  /** Stop intake: waiters reject with `PoolStoppedError`, idle workers stop, starts are given up. */
  beginStop(): void {
    beginStop(this);
  }

  /** Resolves when every lease has come back (or been revoked). */
  leasesBack(): Promise<void> {
    if (this.checkedOut === 0) return Promise.resolve();
    return new Promise((resolve) => this.whenLeasesBack.push(resolve));
  }

  /** Revoke the leases still held (their signals abort with `PoolStoppedError`) and stop every worker. */
  stopAll(): HeldLease[] {
    return stopAll(this);
  }

  /** Workers that had to be killed since the stop began. */
  get killedWhileStopping(): readonly string[] {
    return this.stoppedByKill;
  }

  /** @internal Run a callback from a timer, an owner, a worker or the GC; a throw there is a bug and crashes the manager. */
  guard(run: () => void): void {
    if (this.phase === 'crashed') return;
    try {
      run();
    } catch (error) {
      this.crash(error);
    }
  }

  /** @internal Resolve `settled()` once nothing is starting or stopping. */
  maybeSettled(): void {
    if (this.starting !== 0 || this.stopping !== 0 || this.whenSettled.length === 0) return;
    const resolvers = this.whenSettled;
    this.whenSettled = [];
    for (const resolve of resolvers) resolve();
  }

  /** @internal Resolve `leasesBack()` once no lease is out. */
  maybeLeasesBack(): void {
    if (this.checkedOut !== 0 || this.whenLeasesBack.length === 0) return;
    const resolvers = this.whenLeasesBack;
    this.whenLeasesBack = [];
    for (const resolve of resolvers) resolve();
  }
}
