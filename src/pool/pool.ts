// The public face of a pool: checkout, checkin, transaction, run, status, events, stop. It validates arguments
// and forwards to the current manager (the pool supervisor may replace it after a crash).
import { InvalidArgumentError, type PoolFailedError } from '../errors.js';
import type { PoolSnapshot, PoolStatusSnapshot, ToyEvent, WorkerSnapshot } from '../observer/snapshot.js';
import { isDuration, type PoolConfig } from '../options.js';
import type { CallableWorker, CallOptions, RunPayload, RunResult } from '../workers/worker-kind.js';
import type { Lease } from './lease.js';
import { assertOwner, type Owner } from './owner-monitor.js';
import { type PoolEventListener, type PoolEventName, PoolEvents, toToyEvent } from './pool-events.js';
import type { HeldLease, PoolManager } from './pool-manager.js';
import { callWorker } from './pool-run.js';
import type { PoolStatus } from './pool-status.js';
import { checkoutTimeout } from './timeout-options.js';

/** Options of `pool.checkout()`. */
export interface CheckoutOptions {
  /**
   * Give up waiting for a worker after this long (`CheckoutTimeoutError`); `Infinity` waits forever.
   * @defaultValue the pool's `checkoutTimeoutMs`
   */
  readonly checkoutTimeoutMs?: number;
  /**
   * @deprecated Use `checkoutTimeoutMs` (same meaning). Kept for one minor release; giving both is an
   * `InvalidArgumentError`.
   */
  readonly timeoutMs?: number;
  /** `false`: reject with `PoolFullError` rather than queue. @default true */
  readonly block?: boolean;
  /** Aborting it gives up the wait; the checkout rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** What the lease's life is tied to: an AbortSignal, or an emitter of 'close'/'exit'. */
  readonly owner?: Owner;
}

/** Options of `pool.run()`. */
export interface RunOptions {
  /**
   * Bounds the wait for a worker (`CheckoutTimeoutError`); `Infinity` waits forever.
   * @defaultValue the pool's `checkoutTimeoutMs`
   */
  readonly checkoutTimeoutMs?: number;
  /**
   * @deprecated Use `checkoutTimeoutMs` (same meaning: the wait for a worker, not the call). Kept for one minor
   * release; giving both is an `InvalidArgumentError`.
   */
  readonly timeoutMs?: number;
  /**
   * Bounds the call, from the moment it starts (`RunTimeoutError`).
   * @defaultValue Infinity
   */
  readonly runTimeoutMs?: number;
  /** Aborts the wait, or the call (the worker gets the abort, then is replaced). */
  readonly signal?: AbortSignal;
  /** Transferables, for thread workers. */
  readonly transfer?: CallOptions['transfer'];
}

/** What `pool.stop()` reports. */
export interface StopReport {
  /** Workers that did not stop within `stopTimeoutMs` and were killed. */
  readonly killed: readonly string[];
  /** Leases not returned in time: revoked, with their owners. */
  readonly leasesHeld: readonly HeldLease[];
}

const CHECKOUT_KEYS = new Set(['checkoutTimeoutMs', 'timeoutMs', 'block', 'signal', 'owner']);
const RUN_KEYS = new Set(['checkoutTimeoutMs', 'timeoutMs', 'runTimeoutMs', 'signal', 'transfer']);

/** A pool of workers. Made by `createPool` (or a `PoolToy` tree). */
export class Pool<W = unknown> {
  readonly name: string;
  readonly #config: PoolConfig<W>;
  readonly #events: PoolEvents;
  #manager: PoolManager<W> | undefined;
  #stopped: Promise<StopReport> | undefined;
  #stopHook: (() => Promise<unknown>) | undefined;
  #restarts = -1;
  #statusSources: (() => Partial<PoolStatusSnapshot>)[] = [];

  /** @internal Built by `startPoolTree`; attach a manager before use. */
  constructor(config: PoolConfig<W>) {
    this.name = config.name;
    this.#config = config;
    this.#events = new PoolEvents(config.name);
  }

  /** @internal The events every manager of this pool emits into (listeners survive a manager restart). */
  get events(): PoolEvents {
    return this.#events;
  }

  /** @internal The pool supervisor started a (new) manager. */
  attach(manager: PoolManager<W>, stopHook: () => Promise<unknown>): void {
    this.#manager = manager;
    this.#stopHook = stopHook;
    this.#restarts++;
  }

  /** @internal The pool supervisor gave up: every checkout from now on rejects with `error`. */
  fail(error: PoolFailedError): void {
    this.#manager?.fail(error);
  }

  get #current(): PoolManager<W> {
    return this.#manager!;
  }

  /** Check a worker out. Resolves with a lease; docs/semantics.md gives the order of the rules. */
  checkout(options?: CheckoutOptions): Promise<Lease<W>> {
    if (options === undefined)
      return this.#current.checkout(this.#config.checkoutTimeoutMs, true, undefined, undefined);
    try {
      checkKeys('checkout', options, CHECKOUT_KEYS);
      const timeoutMs = checkoutTimeout('checkout', options, this.#config.checkoutTimeoutMs);
      const { block = true, signal, owner } = options;
      if (typeof block !== 'boolean') throw new InvalidArgumentError('checkout option "block"', 'a boolean', block);
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new InvalidArgumentError('checkout option "signal"', 'an AbortSignal', signal);
      }
      if (owner !== undefined) assertOwner(owner);
      return this.#current.checkout(timeoutMs, block, signal, owner);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Give a lease back (same as `lease.release()`). Ignores leases already returned, revoked, or of another pool. */
  checkin(lease: Lease<W>): void {
    this.#current.checkin(lease);
  }

  /** Check out, run `fn(worker, lease)`, check in (even when `fn` throws). The timeout bounds the checkout only. */
  async transaction<T>(fn: (worker: W, lease: Lease<W>) => T | Promise<T>, options?: CheckoutOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('transaction function', 'a function', fn);
    const lease = await this.checkout(options);
    try {
      return await fn(lease.worker, lease);
    } finally {
      lease.release();
    }
  }

  /**
   * Send `payload` to a worker that answers calls (process, thread, command) and resolve with its answer. A call
   * that times out or is aborted rejects at once; the worker gets the abort, then is stopped and replaced. The
   * payload and result are the worker's handler's types (`unknown` for an untyped worker kind).
   */
  async run(payload: RunPayload<W>, options?: RunOptions): Promise<RunResult<W>> {
    if (options !== undefined) checkKeys('run', options, RUN_KEYS);
    const timeoutMs =
      options === undefined
        ? this.#config.checkoutTimeoutMs
        : checkoutTimeout('run', options, this.#config.checkoutTimeoutMs);
    const { runTimeoutMs = Number.POSITIVE_INFINITY, signal, transfer } = options ?? {};
    if (!isDuration(runTimeoutMs)) {
      throw new InvalidArgumentError('run option "runTimeoutMs"', 'a duration in ms, or Infinity', runTimeoutMs);
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new InvalidArgumentError('run option "signal"', 'an AbortSignal', signal);
    }
    const lease = await this.#current.checkout(timeoutMs, true, signal, undefined);
    const worker = lease.worker as unknown as CallableWorker;
    if (typeof worker?.call !== 'function') {
      lease.release();
      throw new InvalidArgumentError('pool.run() worker', 'a worker with call() (process, thread, command)', worker);
    }
    return callWorker<RunResult<W>>(
      lease as Lease<unknown>,
      worker,
      payload,
      { runTimeoutMs, signal, transfer },
      this.#config as PoolConfig<unknown>,
    );
  }

  /** `{ state, idle, overflow, checkedOut, waiting }`, derived now. */
  status(): PoolStatus {
    return this.#current.status();
  }

  /** Resolves once no worker is starting or stopping. */
  settled(): Promise<void> {
    return this.#current.settled();
  }

  /** One row per worker: id, state, uses, age, the lease holder and for how long. */
  workers(): WorkerSnapshot[] {
    return this.#current.workers();
  }

  /** The pool as plain data, for the observer. */
  snapshot(): PoolSnapshot {
    const { worker, clock, ...rest } = this.#config;
    return {
      name: this.name,
      kind: worker.kind,
      options: { ...rest, worker: worker.kind },
      status: Object.assign({}, this.status(), ...this.#statusSources.map((source) => source())),
      workers: this.workers(),
      restarts: Math.max(0, this.#restarts),
      ...startTrouble(this.#current),
    };
  }

  /** Add fields to the status `snapshot()` reports (a cluster limit adds its slots); returns the remover. */
  addStatusSource(source: () => Partial<PoolStatusSnapshot>): () => void {
    this.#statusSources = [...this.#statusSources, source];
    return () => {
      this.#statusSources = this.#statusSources.filter((each) => each !== source);
    };
  }

  /** Listen to an event (`worker:exited`, `checkout:granted`, … — see `PoolEventMap`). */
  on<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): this {
    this.#events.on(name, listener);
    return this;
  }

  /** Listen to the next occurrence of an event only. */
  once<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): this {
    const once: PoolEventListener<K> = (payload) => {
      this.#events.off(name, once);
      listener(payload);
    };
    this.#events.on(name, once);
    return this;
  }

  /** Stop listening. */
  off<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): this {
    this.#events.off(name, listener);
    return this;
  }

  /** Same as `off` (for `events.once(pool, name)`). */
  removeListener<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): this {
    return this.off(name, listener);
  }

  /** Receive every event as a `ToyEvent` (what a tree's observer logs); returns the function that stops it. */
  onAnyEvent(listener: (event: ToyEvent) => void): () => void {
    return this.#events.onAny((name, payload) => listener(toToyEvent(this.name, name, payload)));
  }

  /**
   * Stop: checkouts and waiters reject with `PoolStoppedError`, leases get `timeoutMs` to come back (then are
   * revoked), workers stop gracefully and are killed after `stopTimeoutMs`. Idempotent.
   */
  stop(options: { timeoutMs?: number } = {}): Promise<StopReport> {
    this.#stopped ??= this.#stop(options.timeoutMs ?? 5000);
    return this.#stopped;
  }

  async #stop(timeoutMs: number): Promise<StopReport> {
    if (!isDuration(timeoutMs)) {
      throw new InvalidArgumentError('stop option "timeoutMs"', 'a duration in ms, or Infinity', timeoutMs);
    }
    const manager = this.#current;
    manager.beginStop();
    if (timeoutMs > 0) {
      let timer: { cancel(): void } | undefined;
      const deadline = new Promise<void>((resolve) => {
        if (timeoutMs !== Number.POSITIVE_INFINITY) timer = this.#config.clock.setTimer(timeoutMs, resolve);
      });
      await Promise.race([manager.leasesBack(), deadline]);
      timer?.cancel();
    }
    const leasesHeld = manager.stopAll();
    await manager.settled();
    await this.#stopHook?.();
    const report: StopReport = { killed: [...manager.killedWhileStopping], leasesHeld };
    if (this.#events.isListening)
      this.#events.emit('pool:stopped', { killed: report.killed, leasesHeld: leasesHeld.length });
    return report;
  }
}

function checkKeys(operation: string, options: object, known: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${operation} options`, 'an object', options);
  }
  for (const key in options) {
    if (!known.has(key)) {
      throw new InvalidArgumentError(`${operation} option "${key}"`, `one of ${[...known].join(', ')}`, key);
    }
  }
}

function startTrouble<W>(manager: PoolManager<W>): Pick<PoolSnapshot, 'startTrouble'> {
  const trouble = manager.startTrouble();
  return trouble === undefined ? {} : { startTrouble: trouble };
}
