// The pool manager's state: counts, the worker table, the idle list and the waiting queue, timers and the
// start-failure policy. The manager holds it in a private field and hands it to the transition functions of
// `src/pool/` (pump, admission, starts, exits, return, stop); nothing outside `src/pool/` ever sees it.
import type { Clock, Timer } from '../clock.js';
import type { PoolCrashedError, PoolFailedError, WorkerStartError } from '../errors.js';
import type { PoolConfig } from '../options.js';
import { timedOut } from './checkout-admission.js';
import { CheckoutDeadlines } from './checkout-deadlines.js';
import { IdleWorkers } from './idle-workers.js';
import type { LeaseKeeper, LeaseState } from './lease.js';
import { LoopTime } from './loop-time.js';
import type { PoolEvents } from './pool-events.js';
import type { WorkerHost } from './pool-manager.js';
import { derivePoolStatus, type PoolStatus } from './pool-status.js';
import { crash } from './pool-stop.js';
import type { PooledWorker } from './pooled-worker.js';
import { StartBackoff } from './start-backoff.js';
import type { Waiter } from './waiter.js';
import { WaitingQueue } from './waiting-queue.js';
import { revokeLease } from './worker-exits.js';

/** Where the manager is in its life: serving, stopping (no intake), or crashed (its state is not to be trusted). */
export type ManagerPhase = 'running' | 'stopping' | 'crashed';

/** Everything the manager knows, mutated only by the transition functions of `src/pool/`. */
export class PoolState<W = unknown> {
  /** The manager: leases name it as the one that takes them back. */
  readonly keeper: LeaseKeeper<W>;
  readonly config: PoolConfig<W>;
  readonly clock: Clock;
  /** Lease and wait times: the clock read at most once per synchronous run (loop-time.ts says why). */
  readonly time: LoopTime;
  readonly host: WorkerHost<W>;
  readonly events: PoolEvents;
  /** Every worker from the start the manager asked for until the manager learns of its exit. */
  readonly byId = new Map<string, PooledWorker<W>>();
  readonly idle = new IdleWorkers<PooledWorker<W>>();
  readonly waiting = new WaitingQueue<Waiter<W>>();
  /** The deadlines of queued checkouts, one timer per distinct timeout. */
  readonly deadlines: CheckoutDeadlines<Waiter<W>>;
  readonly backoff: StartBackoff;
  /** `size + maxOverflow`: live workers never exceed it. */
  readonly maxLive: number;
  // Only with `leakDetection`: registering every lease costs more than the rest of a checkout (measured: the GC
  // work of weak cells made checkout/checkin about 8× slower).
  readonly leaks: FinalizationRegistry<LeaseState<W>> | undefined;
  phase: ManagerPhase = 'running';
  /** Why checkouts are refused after a crash: restarting (`PoolCrashedError`) or gone for good (`PoolFailedError`). */
  crashError: PoolCrashedError | PoolFailedError | undefined;
  /** Told once when the manager crashes. */
  onCrash: ((error: unknown) => void) | undefined;
  /** Started, starting or cooling down; a stopping worker no longer counts. */
  live = 0;
  starting = 0;
  stopping = 0;
  checkedOut = 0;
  /** The last worker whose start began: a recycled worker waits for it (capacity never dips). */
  lastStarted: PooledWorker<W> | undefined;
  backoffTimer: Timer | undefined;
  /** The worker whose staying up `minHealthyMs` proves it healthy (and resets the backoff). */
  probation: { readonly worker: PooledWorker<W>; readonly timer: Timer } | undefined;
  /** Workers that died before they proved healthy, in a row (no worker proved healthy since): a crash loop past 1. */
  earlyDeaths = 0;
  /** Workers started so far; and how many had been started when the row's last early death was counted. */
  startsBegun = 0;
  earlyDeathMark = 0;
  /** Set while past the restart intensity: checkouts that cannot be served at once reject with it. */
  failingWith: WorkerStartError | undefined;
  lastStartError: WorkerStartError | undefined;
  startsSucceeded = 0;
  whenSettled: (() => void)[] = [];
  whenLeasesBack: (() => void)[] = [];
  readonly stoppedByKill: string[] = [];

  constructor(keeper: LeaseKeeper<W>, config: PoolConfig<W>, host: WorkerHost<W>, events: PoolEvents) {
    this.keeper = keeper;
    this.config = config;
    this.clock = config.clock;
    this.time = new LoopTime(config.clock);
    this.host = host;
    this.events = events;
    this.maxLive = config.size + config.maxOverflow;
    this.deadlines = new CheckoutDeadlines<Waiter<W>>(config.clock, (waiter, timeoutMs) =>
      this.guard(() => timedOut(this, waiter, timeoutMs)),
    );
    this.backoff = new StartBackoff({
      initialMs: config.restartBackoffMs,
      maxMs: config.restartBackoffMaxMs,
      maxFailures: config.maxRestarts,
    });
    this.leaks = !config.leakDetection
      ? undefined
      : new FinalizationRegistry((lease) => this.guard(() => revokeLease(this, lease, 'leaked')));
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

  /** Run a callback from a timer, an owner, a worker or the GC; a throw there is a bug and crashes the manager. */
  guard(run: () => void): void {
    if (this.phase === 'crashed') return;
    try {
      run();
    } catch (error) {
      crash(this, error);
    }
  }

  /** Resolve `settled()` once nothing is starting or stopping. */
  maybeSettled(): void {
    if (this.starting !== 0 || this.stopping !== 0 || this.whenSettled.length === 0) return;
    const resolvers = this.whenSettled;
    this.whenSettled = [];
    for (const resolve of resolvers) resolve();
  }

  /** Resolve `leasesBack()` once no lease is out. */
  maybeLeasesBack(): void {
    if (this.checkedOut !== 0 || this.whenLeasesBack.length === 0) return;
    const resolvers = this.whenLeasesBack;
    this.whenLeasesBack = [];
    for (const resolve of resolvers) resolve();
  }
}
