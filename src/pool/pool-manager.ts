// Longer than 250 lines on purpose: this is the whole state machine, and splitting it would scatter one set of counts.
// The pool manager: one synchronous state machine with no I/O of its own. It asks its host to start and stop
// workers and reads time and sets timers through the Clock; Node's event loop serialises every call into it.
import type { Clock, Timer } from '../clock.js';
import {
  CheckoutTimeoutError,
  describeValue,
  LeaseRevokedError,
  type LeaseRevokedReason,
  PoolCrashedError,
  PoolFullError,
  PoolStoppedError,
  QueueFullError,
  WorkerExitError,
  WorkerStartError,
} from '../errors.js';
import type { WorkerSnapshot } from '../observer/snapshot.js';
import type { PoolConfig } from '../options.js';
import type { Exit } from '../supervisor/exit.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import { IdleWorkers } from './idle-workers.js';
import { Lease, type LeaseKeeper, LeaseState, type ReleaseOptions } from './lease.js';
import { describeOwner, endedOwnerReason, type Owner, watchOwner } from './owner-monitor.js';
import type { PoolEvents, StopCause } from './pool-events.js';
import { derivePoolStatus, type PoolStatus } from './pool-status.js';
import { PooledWorker } from './pooled-worker.js';
import { StartBackoff } from './start-backoff.js';
import { Waiter } from './waiter.js';
import { WaitingQueue } from './waiting-queue.js';

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

type Phase = 'running' | 'stopping' | 'crashed';

// Worker ids are unique in the process (a restarted pool of the same name must not reuse its old ids).
const lastWorkerNumber = new Map<string, number>();

/** The pool's state machine: checkout, checkin, the pump, worker starts, deaths and retirements. */
export class PoolManager<W = unknown> implements LeaseKeeper<W> {
  readonly events: PoolEvents;
  readonly #config: PoolConfig<W>;
  readonly #clock: Clock;
  readonly #host: WorkerHost<W>;
  readonly #workers = new Map<string, PooledWorker<W>>();
  readonly #idle = new IdleWorkers<PooledWorker<W>>();
  readonly #waiting = new WaitingQueue<Waiter<W>>();
  readonly #backoff: StartBackoff;
  // Only with `leakDetection`: registering every lease costs more than the rest of a checkout (measured: the GC
  // work of weak cells made checkout/checkin about 8× slower).
  readonly #leaks: FinalizationRegistry<LeaseState<W>> | undefined;
  #phase: Phase = 'running';
  #crashError: PoolCrashedError | undefined;
  /** Told once when the manager crashes. */
  onCrash: ((error: unknown) => void) | undefined;
  #live = 0;
  #starting = 0;
  #stopping = 0;
  #checkedOut = 0;
  #lastStarted: PooledWorker<W> | undefined;
  #backoffTimer: { cancel(): void } | undefined;
  /** The worker whose staying up `minHealthyMs` resets the backoff. */
  #probation: { readonly worker: PooledWorker<W>; readonly timer: Timer } | undefined;
  #failingWith: WorkerStartError | undefined;
  #lastStartError: WorkerStartError | undefined;
  #startsSucceeded = 0;
  #whenSettled: (() => void)[] = [];
  #whenLeasesBack: (() => void)[] = [];
  #killedWhileStopping: string[] = [];

  constructor(config: PoolConfig<W>, host: WorkerHost<W>, events: PoolEvents) {
    this.events = events;
    this.#config = config;
    this.#clock = config.clock;
    this.#host = host;
    this.#backoff = new StartBackoff({
      initialMs: config.restartBackoffMs,
      maxMs: config.restartBackoffMaxMs,
      maxFailures: config.maxRestarts,
      periodMs: config.restartPeriodMs,
    });
    this.#leaks = !config.leakDetection
      ? undefined
      : new FinalizationRegistry((state) => this.#guard(() => this.#revokeLease(state, 'leaked')));
  }

  get name(): string {
    return this.#config.name;
  }

  /** Workers started so far, and the last start error: `createPool` fails when none of the first ones started. */
  get startOutcome(): { readonly succeeded: number; readonly lastError: WorkerStartError | undefined } {
    return { succeeded: this.#startsSucceeded, lastError: this.#lastStartError };
  }

  /** Start the `size` workers the pool keeps. */
  start(): void {
    this.#pump();
  }

  status(): PoolStatus {
    return derivePoolStatus({
      idle: this.#idle.size,
      live: this.#live,
      checkedOut: this.#checkedOut,
      waiting: this.#waiting.size,
      size: this.#config.size,
      maxOverflow: this.#config.maxOverflow,
    });
  }

  /** Check a worker out: an idle one at once, else wait per SEMANTICS.md's five steps. */
  checkout(
    timeoutMs: number,
    block: boolean,
    signal: AbortSignal | undefined,
    owner: Owner | undefined,
  ): Promise<Lease<W>> {
    if (this.#phase !== 'running') return this.#refuse(this.#crashError ?? new PoolStoppedError(this.#config.name));
    if (owner !== undefined) {
      const reason = endedOwnerReason(owner);
      if (reason !== undefined) return this.#refuse(reason);
    }
    if (signal?.aborted) return this.#refuse(signal.reason);
    const worker = this.#takeIdle();
    if (worker !== undefined && worker.handle!.validate === undefined) {
      const stack = this.#config.leakDetection ? new Error('checked out here').stack : undefined;
      return Promise.resolve(this.#lease(worker, owner, 0, stack));
    }
    if (worker === undefined) {
      if (this.#failingWith !== undefined) return this.#refuse(this.#failingWith);
      const willHaveWorker = this.#starting > this.#waiting.size || this.#live < this.#maxLive;
      if (!willHaveWorker && !block) return this.#refuse(new PoolFullError(this.#config.name, this.status()));
      if (!willHaveWorker && this.#waiting.size >= this.#config.maxWaiting) {
        return this.#refuse(new QueueFullError(this.#config.name, this.#config.maxWaiting));
      }
    }
    return new Promise<Lease<W>>((resolve, reject) => {
      const stack = this.#config.leakDetection ? new Error('checked out here').stack : undefined;
      const waiter = new Waiter<W>(this.#clock.now(), owner, stack, resolve, reject);
      if (timeoutMs !== Number.POSITIVE_INFINITY) {
        waiter.timer = this.#clock.setTimer(timeoutMs, () => this.#guard(() => this.#timedOut(waiter, timeoutMs)));
      }
      this.#watchWaiter(waiter, signal, owner);
      if (worker !== undefined) return this.#grant(waiter, worker);
      this.#waiting.push(waiter);
      if (this.events.isListening) this.events.emit('checkout:queued', { waiting: this.#waiting.size });
      this.#pump();
    });
  }

  /** Take a lease back. Ignores double, revoked and foreign leases; a non-lease is a TypeError. */
  checkin(lease: Lease<W>, options?: ReleaseOptions): void {
    const state = Lease.stateOf<W>(lease);
    if (state === undefined) {
      throw new TypeError(`checkin expects a lease from pool.checkout(), got ${describeValue(lease)}`);
    }
    if (state.keeper !== this) {
      this.#ignoreCheckin(state, 'foreign');
      return;
    }
    if (!state.finish('checkedIn')) {
      this.#ignoreCheckin(state, state.end === 'revoked' ? 'revoked' : 'alreadyCheckedIn');
      return;
    }
    this.#leaks?.unregister(state);
    const worker = state.worker;
    worker.lease = undefined;
    this.#checkedOut--;
    if (this.events.isListening) {
      this.events.emit('checkin:done', { workerId: worker.id, heldMs: this.#clock.now() - state.sinceMs });
    }
    if (options?.discard) this.#retire(worker, 'discarded', options.graceMs ?? 0);
    else this.#returnWorker(worker);
    this.#maybeLeasesBack();
  }

  /** Resolves once no worker is starting or stopping. */
  settled(): Promise<void> {
    if (this.#starting === 0 && this.#stopping === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenSettled.push(resolve));
  }

  /** One row per worker: the monitor table. */
  workers(): WorkerSnapshot[] {
    const now = this.#clock.now();
    const kind = this.#config.worker.kind;
    return [...this.#workers.values()].map((worker) => ({
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

  // ── the pump ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Give idle workers to the oldest live waiters, then start what is missing. The only place a waiter is served. */
  #pump(): void {
    const waiting = this.#waiting;
    while (waiting.size > 0) {
      const worker = this.#takeIdle();
      if (worker === undefined) break;
      this.#grant(waiting.oldest!, worker);
    }
    if (this.#phase !== 'running' || this.#backoffTimer !== undefined) return;
    // Keep `size` workers, and start one for each waiter that no start in progress will serve.
    while (this.#live < this.#maxLive && (this.#live < this.#config.size || waiting.size > this.#starting)) {
      this.#startWorker();
    }
  }

  get #maxLive(): number {
    return this.#config.size + this.#config.maxOverflow;
  }

  #takeIdle(): PooledWorker<W> | undefined {
    const worker = this.#idle.take(this.#config.strategy);
    if (worker?.timer !== undefined) {
      // A checkout during the cooldown reuses the surplus worker.
      worker.timer.cancel();
      worker.timer = undefined;
    }
    return worker;
  }

  #grant(waiter: Waiter<W>, worker: PooledWorker<W>): void {
    this.#waiting.remove(waiter);
    if (worker.handle!.validate !== undefined) {
      this.#validateFor(waiter, worker);
      return;
    }
    waiter.grant(this.#lease(worker, waiter.owner, this.#clock.now() - waiter.queuedAt, waiter.stack));
  }

  #lease(worker: PooledWorker<W>, owner: Owner | undefined, waitMs: number, stack: string | undefined): Lease<W> {
    worker.state = 'busy';
    worker.uses++;
    this.#checkedOut++;
    const state = new LeaseState<W>(this, worker, this.#clock.now(), owner);
    worker.lease = state;
    const lease = new Lease<W>(state, worker.handle!.worker);
    if (owner !== undefined)
      state.unwatchOwner = watchOwner(owner, (reason) =>
        this.#guard(() => this.#revokeLease(state, 'ownerExited', reason)),
      );
    if (this.#config.leaseTimeoutMs !== Number.POSITIVE_INFINITY) {
      state.expiryTimer = this.#clock.setTimer(this.#config.leaseTimeoutMs, () =>
        this.#guard(() => this.#revokeLease(state, 'expired')),
      );
    }
    state.stack = stack;
    this.#leaks?.register(lease, state, state);
    if (this.events.isListening) this.events.emit('checkout:granted', { workerId: worker.id, waitMs });
    return lease;
  }

  #validateFor(waiter: Waiter<W>, worker: PooledWorker<W>): void {
    worker.state = 'busy';
    worker.validatingFor = waiter;
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = worker.handle!.validate!();
    } catch {
      verdict = false;
    }
    Promise.resolve(verdict).then(
      (isValid) => this.#guard(() => this.#validated(waiter, worker, isValid === true)),
      () => this.#guard(() => this.#validated(waiter, worker, false)),
    );
  }

  #validated(waiter: Waiter<W>, worker: PooledWorker<W>, isValid: boolean): void {
    // The worker died while validating: its exit already put the waiter back in the queue.
    if (worker.validatingFor !== waiter || worker.hasExited) return;
    worker.validatingFor = undefined;
    if (!isValid) {
      if (!waiter.isSettled && this.#phase === 'running') this.#waiting.unshift(waiter);
      if (this.events.isListening) this.events.emit('worker:recycled', { workerId: worker.id, reason: 'invalid' });
      this.#retire(worker, 'invalid');
      return;
    }
    if (waiter.isSettled || this.#phase !== 'running') {
      this.#returnWorker(worker);
      return;
    }
    waiter.grant(this.#lease(worker, waiter.owner, this.#clock.now() - waiter.queuedAt, waiter.stack));
  }

  // ── workers coming back, going away ─────────────────────────────────────────────────────────────────────────

  /** A worker is free again (checked in, started, validated for nobody): recycle, serve, cool down or idle. */
  #returnWorker(worker: PooledWorker<W>): void {
    if (this.#phase !== 'running') {
      this.#retire(worker, 'poolStopping');
      return;
    }
    const config = this.#config;
    const reason =
      worker.uses >= config.maxUses
        ? 'maxUses'
        : config.maxAgeMs !== Number.POSITIVE_INFINITY && this.#clock.now() - worker.readyAt >= config.maxAgeMs
          ? 'maxAge'
          : undefined;
    if (reason !== undefined) {
      if (this.events.isListening) this.events.emit('worker:recycled', { workerId: worker.id, reason });
      this.#retire(worker, 'recycled');
      return;
    }
    if (this.#waiting.size === 0 && this.#live > config.size) {
      // Surplus: Poolboy dismisses whichever worker is checked in while over size; a cooldown avoids the churn.
      if (config.overflowTtlMs === 0) {
        if (this.events.isListening) this.events.emit('overflow:dismissed', { workerId: worker.id });
        this.#retire(worker, 'dismissed');
        return;
      }
      worker.state = 'cooling';
      worker.timer = this.#clock.setTimer(config.overflowTtlMs, () => this.#guard(() => this.#cooledDown(worker)));
      if (this.events.isListening) {
        this.events.emit('overflow:cooling', { workerId: worker.id, ttlMs: config.overflowTtlMs });
      }
    } else {
      worker.state = 'idle';
    }
    this.#idle.push(worker);
    this.#pump();
    if (config.maxMemoryMb !== Number.POSITIVE_INFINITY) this.#checkMemory(worker);
  }

  /** Memory is read between calls; a reading that arrives after the worker was taken again applies next time. */
  #checkMemory(worker: PooledWorker<W>): void {
    const read = worker.handle!.memoryBytes;
    if (read === undefined) return;
    Promise.resolve()
      .then(() => read.call(worker.handle))
      .then(
        (bytes) =>
          this.#guard(() => {
            const isIdle = worker.state === 'idle' || worker.state === 'cooling';
            if (bytes === undefined || bytes <= this.#config.maxMemoryMb * 1024 * 1024 || !isIdle) return;
            if (this.events.isListening)
              this.events.emit('worker:recycled', { workerId: worker.id, reason: 'maxMemory' });
            this.#retire(worker, 'recycled');
          }),
        () => {},
      );
  }

  #cooledDown(worker: PooledWorker<W>): void {
    worker.timer = undefined;
    if (worker.state !== 'cooling') return;
    if (this.#live > this.#config.size) {
      if (this.events.isListening) this.events.emit('overflow:dismissed', { workerId: worker.id });
      this.#retire(worker, 'dismissed');
    } else {
      // Still needed: another worker left while this one cooled down.
      worker.state = 'idle';
      worker.isOverflow = false;
      this.#pump();
    }
  }

  /**
   * Take a worker out of service and stop it. Whether it is replaced follows one rule for every cause: a waiter
   * no start serves, or fewer than `size` live workers, starts one (the pump decides). A recycled worker is
   * stopped only once its replacement's start settles, so capacity never dips below `size`.
   */
  #retire(worker: PooledWorker<W>, cause: StopCause, graceMs = 0): void {
    this.#idle.remove(worker);
    worker.timer?.cancel();
    worker.timer = undefined;
    worker.state = 'stopping';
    this.#live--;
    this.#stopping++;
    if (this.events.isListening) this.events.emit('worker:stopping', { workerId: worker.id, cause });
    const lastStarted = this.#lastStarted;
    this.#pump();
    if (cause === 'recycled' && this.#lastStarted !== lastStarted && this.#lastStarted?.state === 'starting') {
      this.#lastStarted.retiree = worker;
    } else if (graceMs > 0 && this.#phase === 'running') {
      worker.timer = this.#clock.setTimer(graceMs, () =>
        this.#guard(() => {
          worker.timer = undefined;
          this.#stopHandle(worker);
        }),
      );
    } else {
      this.#stopHandle(worker);
    }
  }

  #stopHandle(worker: PooledWorker<W>): void {
    if (!worker.hasExited) this.#host.stopWorker(worker.handle!);
  }

  #startWorker(): void {
    const name = this.#config.name;
    const number = (lastWorkerNumber.get(name) ?? 0) + 1;
    lastWorkerNumber.set(name, number);
    const worker = new PooledWorker<W>(`${name}#${number}`, this.#live >= this.#config.size);
    worker.readyAt = this.#clock.now();
    this.#workers.set(worker.id, worker);
    this.#live++;
    this.#starting++;
    this.#lastStarted = worker;
    if (this.events.isListening) {
      this.events.emit('worker:starting', { workerId: worker.id, isOverflow: worker.isOverflow });
    }
    this.#host.startWorker(worker.id);
  }

  /** The host started worker `workerId`. */
  workerStarted(workerId: string, handle: WorkerHandle<W>): void {
    const worker = this.#workers.get(workerId);
    if (worker === undefined || worker.state !== 'starting') {
      this.#host.stopWorker(handle);
      return;
    }
    this.#starting--;
    worker.handle = handle;
    const startMs = this.#clock.now() - worker.readyAt;
    worker.readyAt += startMs;
    this.#startsSucceeded++;
    this.#putOnProbation(worker);
    this.#releaseRetiree(worker);
    if (this.events.isListening) this.events.emit('worker:started', { workerId, startMs });
    if (this.#failingWith !== undefined) {
      this.#failingWith = undefined;
      if (this.events.isListening) this.events.emit('pool:recovered', {});
    }
    worker.state = 'idle';
    this.#returnWorker(worker);
    // Subscribed last: a worker that died while starting reports at once, into a consistent state.
    handle.onExit((exit) => this.#guard(() => this.#workerExited(worker, exit)));
    this.#maybeSettled();
  }

  /** The host could not start worker `workerId`. */
  workerStartFailed(workerId: string, error: unknown): void {
    const worker = this.#workers.get(workerId);
    if (worker === undefined || worker.state !== 'starting') return;
    this.#workers.delete(workerId);
    worker.hasExited = true;
    this.#starting--;
    this.#live--;
    this.#releaseRetiree(worker);
    const startError =
      error instanceof WorkerStartError ? error : new WorkerStartError(this.#config.name, workerId, error);
    this.#countFailedStart(startError);
    this.#pump();
    this.#maybeSettled();
  }

  /**
   * A start failed, or a worker died younger than `minHealthyMs` (a crash loop looks like a start that succeeds
   * and then fails): back off before the next start, and fail fast past the restart intensity.
   */
  #countFailedStart(startError: WorkerStartError): void {
    this.#lastStartError = startError;
    this.#probation?.timer.cancel();
    this.#probation = undefined;
    const isPastIntensity = this.#backoff.recordFailure(this.#clock.now());
    let retryInMs = 0;
    if (this.#phase === 'running' && this.#backoffTimer === undefined) {
      retryInMs = this.#backoff.nextDelayMs();
      this.#backoffTimer = this.#clock.setTimer(retryInMs, () =>
        this.#guard(() => {
          this.#backoffTimer = undefined;
          this.#pump();
        }),
      );
    }
    if (this.events.isListening) {
      this.events.emit('worker:startFailed', { workerId: startError.workerId, error: startError, retryInMs });
    }
    if (this.#phase === 'running' && (isPastIntensity || this.#failingWith !== undefined)) {
      this.#failFast(startError);
    }
  }

  /**
   * The backoff is reset only once a started worker has stayed up `minHealthyMs`: reset at the start itself, a
   * worker that crashes on its first call would clear the count of the loop it is part of.
   */
  #putOnProbation(worker: PooledWorker<W>): void {
    const minHealthyMs = this.#config.minHealthyMs;
    if (minHealthyMs === 0) {
      this.#backoff.recordSuccess();
      return;
    }
    if (!this.#backoff.hasFailures) return;
    this.#probation?.timer.cancel();
    const timer = this.#clock.setTimer(
      minHealthyMs,
      () =>
        this.#guard(() => {
          this.#probation = undefined;
          if (!worker.hasExited) this.#backoff.recordSuccess();
        }),
      { unref: true },
    );
    this.#probation = { worker, timer };
  }

  /** A worker that exited unasked before `minHealthyMs`: the start it came from did not really succeed. */
  #maybeCountYoungDeath(worker: PooledWorker<W>, exit: Exit): void {
    const livedMs = this.#clock.now() - worker.readyAt;
    if (livedMs >= this.#config.minHealthyMs || this.#phase !== 'running') return;
    const why =
      exit.kind === 'crashed'
        ? exit.error.message
        : exit.kind === 'killed'
          ? `killed (${exit.signal ?? 'SIGKILL'})`
          : `exited (${exit.kind})`;
    this.#countFailedStart(
      new WorkerStartError(
        this.#config.name,
        worker.id,
        exit.kind === 'crashed' ? exit.error : exit,
        `worker "${worker.id}" of pool "${this.#config.name}" exited ${Math.round(livedMs)}ms after it started, before minHealthyMs (${this.#config.minHealthyMs}ms): ${why}`,
      ),
    );
  }

  /** Starts keep failing: waiters and new checkouts that cannot be served at once reject instead of timing out. */
  #failFast(error: WorkerStartError): void {
    const wasFailing = this.#failingWith !== undefined;
    this.#failingWith = error;
    if (!wasFailing && this.events.isListening) this.events.emit('pool:failing', { error });
    for (const waiter of this.#waiting.drain()) this.#rejectWaiter(waiter, error);
  }

  #releaseRetiree(worker: PooledWorker<W>): void {
    const retiree = worker.retiree;
    if (retiree === undefined) return;
    worker.retiree = undefined;
    this.#stopHandle(retiree);
  }

  /** A worker exited. Counts change now, not behind queued checkouts. */
  #workerExited(worker: PooledWorker<W>, exit: Exit): void {
    if (worker.hasExited) return;
    worker.hasExited = true;
    this.#workers.delete(worker.id);
    const wasExpected = worker.state === 'stopping';
    if (wasExpected) {
      this.#stopping--;
      worker.timer?.cancel();
      if (this.#phase === 'stopping' && exit.kind === 'killed') this.#killedWhileStopping.push(worker.id);
    } else {
      this.#idle.remove(worker);
      worker.timer?.cancel();
      this.#live--;
      const lease = worker.lease;
      if (lease !== undefined) {
        this.#checkedOut--;
        const error =
          exit.kind === 'crashed' && exit.error instanceof WorkerExitError
            ? exit.error
            : new WorkerExitError(worker.id, {
                ...(exit.kind === 'killed' && { signal: exit.signal ?? 'SIGKILL' }),
                ...(exit.kind === 'crashed' && { cause: exit.error }),
              });
        this.#endLease(lease, error);
      }
      const waiter = worker.validatingFor;
      worker.validatingFor = undefined;
      if (waiter !== undefined && !waiter.isSettled && this.#phase === 'running') this.#waiting.unshift(waiter);
      this.#maybeCountYoungDeath(worker, exit);
    }
    worker.timer = undefined;
    if (this.events.isListening) this.events.emit('worker:exited', { workerId: worker.id, exit, wasExpected });
    this.#pump();
    this.#maybeSettled();
    this.#maybeLeasesBack();
  }

  /** Revoke a lease whose owner ended, that expired, or that leaked; its worker is replaced or returned per `onOwnerExit`. */
  #revokeLease(state: LeaseState<W>, reason: LeaseRevokedReason, cause?: unknown): void {
    if (state.end !== 'active') return;
    const worker = state.worker;
    this.#checkedOut--;
    this.#endLease(state, new LeaseRevokedError(this.#config.name, worker.id, reason, cause));
    if (this.events.isListening) {
      if (reason === 'expired') {
        this.events.emit('lease:expired', { workerId: worker.id, heldMs: this.#clock.now() - state.sinceMs });
      } else if (reason === 'leaked') {
        this.events.emit('lease:leaked', { workerId: worker.id, stack: state.stack });
      }
    }
    if (this.#config.onOwnerExit === 'checkin') this.#returnWorker(worker);
    else
      this.#retire(worker, reason === 'ownerExited' ? 'ownerExited' : reason === 'expired' ? 'leaseExpired' : 'leaked');
    this.#maybeLeasesBack();
  }

  #endLease(state: LeaseState<W>, reason: unknown): void {
    if (!state.finish('revoked', reason)) return;
    this.#leaks?.unregister(state);
    state.worker.lease = undefined;
    if (this.events.isListening) this.events.emit('lease:revoked', { workerId: state.worker.id, reason });
  }

  #ignoreCheckin(state: LeaseState<W>, reason: 'alreadyCheckedIn' | 'revoked' | 'foreign'): void {
    if (this.events.isListening) this.events.emit('checkin:ignored', { workerId: state.worker.id, reason });
  }

  // ── waiters giving up ───────────────────────────────────────────────────────────────────────────────────────

  #watchWaiter(waiter: Waiter<W>, signal: AbortSignal | undefined, owner: Owner | undefined): void {
    if (signal === undefined && owner === undefined) return;
    const giveUp = (reason: unknown) => this.#guard(() => this.#giveUp(waiter, reason));
    const unwatchSignal = signal && watchOwner(signal, giveUp);
    const unwatchOwner = owner && watchOwner(owner, giveUp);
    waiter.unwatch = () => {
      unwatchSignal?.();
      unwatchOwner?.();
    };
  }

  #timedOut(waiter: Waiter<W>, timeoutMs: number): void {
    waiter.timer = undefined;
    if (waiter.isSettled) return;
    this.#waiting.remove(waiter);
    waiter.fail(new CheckoutTimeoutError(this.#config.name, timeoutMs, this.status(), this.#oldestLeaseDetail()));
    if (this.events.isListening) {
      this.events.emit('checkout:timedOut', { timeoutMs, waiting: this.#waiting.size });
    }
    this.#pump();
  }

  #giveUp(waiter: Waiter<W>, reason: unknown): void {
    if (waiter.isSettled) return;
    this.#waiting.remove(waiter);
    this.#rejectWaiter(waiter, reason);
    this.#pump();
  }

  #rejectWaiter(waiter: Waiter<W>, error: unknown): void {
    if (waiter.fail(error) && this.events.isListening) this.events.emit('checkout:rejected', { error });
  }

  #refuse(error: unknown): Promise<never> {
    if (this.events.isListening) this.events.emit('checkout:rejected', { error });
    return Promise.reject(error);
  }

  /** For the timeout message: who has held a worker longest. Only on the error path, so a scan is fine. */
  #oldestLeaseDetail(): string | undefined {
    let oldest: LeaseState<W> | undefined;
    for (const worker of this.#workers.values()) {
      if (worker.lease && (oldest === undefined || worker.lease.sinceMs < oldest.sinceMs)) oldest = worker.lease;
    }
    if (oldest === undefined) return undefined;
    const heldS = ((this.#clock.now() - oldest.sinceMs) / 1000).toFixed(1);
    return `oldest lease held ${heldS}s by ${describeOwner(oldest.owner)}`;
  }

  // ── crashing ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Run a callback from a timer, an owner, a worker or the GC; a throw there is a bug and crashes the manager. */
  #guard(run: () => void): void {
    if (this.#phase === 'crashed') return;
    try {
      run();
    } catch (error) {
      this.crash(error);
    }
  }

  /**
   * Crash: waiters and leases fail with `PoolCrashedError`, and `onCrash` tells the manager's child handle, so
   * that the pool supervisor restarts the manager with fresh workers (half-updated counts must not live on).
   */
  crash(error: unknown): void {
    if (this.#phase === 'crashed') return;
    this.#phase = 'crashed';
    this.#crashError = new PoolCrashedError(this.#config.name, error);
    this.#backoffTimer?.cancel();
    this.#probation?.timer.cancel();
    for (const waiter of this.#waiting.drain()) waiter.fail(this.#crashError);
    for (const worker of this.#workers.values()) {
      worker.timer?.cancel();
      if (worker.lease !== undefined) this.#endLease(worker.lease, this.#crashError);
    }
    this.#host.abortStarts();
    this.onCrash?.(error);
  }

  // ── stopping ────────────────────────────────────────────────────────────────────────────────────────────────

  /** Stop intake: waiters reject with `PoolStoppedError`, idle workers stop, starts are given up. */
  beginStop(): void {
    if (this.#phase !== 'running') return;
    this.#phase = 'stopping';
    this.#backoffTimer?.cancel();
    this.#backoffTimer = undefined;
    this.#probation?.timer.cancel();
    this.#probation = undefined;
    const error = new PoolStoppedError(this.#config.name);
    for (const waiter of this.#waiting.drain()) this.#rejectWaiter(waiter, error);
    for (let worker = this.#idle.take('fifo'); worker; worker = this.#idle.take('fifo')) {
      this.#retire(worker, 'poolStopping');
    }
    this.#host.abortStarts();
  }

  /** Resolves when every lease has come back (or been revoked). */
  leasesBack(): Promise<void> {
    if (this.#checkedOut === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenLeasesBack.push(resolve));
  }

  /** Revoke the leases still held (their signals abort with `PoolStoppedError`) and stop every worker. */
  stopAll(): HeldLease[] {
    this.beginStop();
    const now = this.#clock.now();
    const held: HeldLease[] = [];
    const error = new PoolStoppedError(this.#config.name);
    for (const worker of [...this.#workers.values()]) {
      const lease = worker.lease;
      if (lease !== undefined) {
        held.push({ workerId: worker.id, owner: describeOwner(lease.owner), heldMs: now - lease.sinceMs });
        this.#checkedOut--;
        this.#endLease(lease, error);
      }
      worker.retiree = undefined;
      if (worker.state === 'stopping') {
        // A discarded worker in its grace period, or a recycled one waiting for its replacement: stop it now.
        if (worker.timer !== undefined || worker.handle !== undefined) {
          worker.timer?.cancel();
          worker.timer = undefined;
          this.#stopHandle(worker);
        }
      } else if (worker.state !== 'starting') {
        this.#retire(worker, 'poolStopping');
      }
    }
    this.#maybeLeasesBack();
    return held;
  }

  /** Workers that had to be killed since the stop began. */
  get killedWhileStopping(): readonly string[] {
    return this.#killedWhileStopping;
  }

  #maybeSettled(): void {
    if (this.#starting !== 0 || this.#stopping !== 0 || this.#whenSettled.length === 0) return;
    const resolvers = this.#whenSettled;
    this.#whenSettled = [];
    for (const resolve of resolvers) resolve();
  }

  #maybeLeasesBack(): void {
    if (this.#checkedOut !== 0 || this.#whenLeasesBack.length === 0) return;
    const resolvers = this.#whenLeasesBack;
    this.#whenLeasesBack = [];
    for (const resolve of resolvers) resolve();
  }
}
