// A lease: a checked-out worker and its client. By default one object per checkout, a `PooledLease` that is both
// the client's `Lease` and the pool's `LeaseState`. With `leakDetection` the two are apart (`DetachedLeaseState`):
// the pool must never hold the `Lease` itself, so that a lease the client drops becomes unreachable and the
// FinalizationRegistry can reclaim its worker.
import type { Timer } from '../clock.js';
import type { Owner } from './owner-monitor.js';
import type { PooledWorker } from './pooled-worker.js';

/** Options of `lease.release()`. */
export interface ReleaseOptions {
  /** The worker must not be reused (its state is unknown): stop it and let the pool start another. */
  readonly discard?: boolean;
  /** With `discard`: let the worker wind down this long before it is stopped. @default 0 */
  readonly graceMs?: number;
}

/** Who takes a lease back: the pool manager that granted it. */
export interface LeaseKeeper<W> {
  checkin(lease: Lease<W>, options?: ReleaseOptions): void;
  /** `lease.release()`: the lease hands in its own side, so no brand check and no foreign-pool check are needed. */
  checkinState(state: LeaseState<W>, options?: ReleaseOptions): void;
}

/** How a lease ended; `active` while the client holds the worker. */
export type LeaseEnd = 'active' | 'checkedIn' | 'revoked';

/** The pool's side of a lease: what the manager reads and changes while the lease lives. */
export interface LeaseState<W = unknown> {
  readonly keeper: LeaseKeeper<W>;
  readonly pooledWorker: PooledWorker<W>;
  readonly sinceMs: number;
  readonly owner: Owner | undefined;
  end: LeaseEnd;
  /** Created on the first read of `lease.signal`: most leases never need one. */
  controller: AbortController | undefined;
  /** Why the lease was revoked. */
  reason: unknown;
  unwatchOwner: (() => void) | undefined;
  /** Told the reason when the lease is revoked: `pool.run` rejects its call through it without a signal. */
  onRevoked: ((reason: unknown) => void) | undefined;
  expiryTimer: Timer | undefined;
  /** Where the checkout happened, with `leakDetection`. */
  stack: string | undefined;
}

/** Mark a lease ended and stop listening to its owner and timers; false if it had already ended. */
export function finishLease<W>(state: LeaseState<W>, end: Exclude<LeaseEnd, 'active'>, reason?: unknown): boolean {
  if (state.end !== 'active') return false;
  state.end = end;
  if (state.unwatchOwner !== undefined) {
    state.unwatchOwner();
    state.unwatchOwner = undefined;
  }
  if (state.expiryTimer !== undefined) {
    state.expiryTimer.cancel();
    state.expiryTimer = undefined;
  }
  if (end === 'revoked') {
    state.reason = reason;
    state.controller?.abort(reason);
    state.onRevoked?.(reason);
  }
  return true;
}

/**
 * The pool's side kept apart from the `Lease`, with `leakDetection` only: the FinalizationRegistry needs the pool
 * never to hold the `Lease` itself, so that a lease the client drops becomes unreachable.
 */
export class DetachedLeaseState<W = unknown> implements LeaseState<W> {
  readonly keeper: LeaseKeeper<W>;
  readonly pooledWorker: PooledWorker<W>;
  readonly sinceMs: number;
  readonly owner: Owner | undefined;
  end: LeaseEnd = 'active';
  controller: AbortController | undefined = undefined;
  reason: unknown = undefined;
  unwatchOwner: (() => void) | undefined = undefined;
  onRevoked: ((reason: unknown) => void) | undefined = undefined;
  expiryTimer: Timer | undefined = undefined;
  stack: string | undefined = undefined;

  constructor(keeper: LeaseKeeper<W>, pooledWorker: PooledWorker<W>, sinceMs: number, owner: Owner | undefined) {
    this.keeper = keeper;
    this.pooledWorker = pooledWorker;
    this.sinceMs = sinceMs;
    this.owner = owner;
  }
}

/** A checked-out worker. Give it back with `release()`, `pool.checkin(lease)`, or by leaving `await using`. */
export class Lease<W = unknown> implements AsyncDisposable, Disposable {
  /** The worker: the resource itself for a resource pool, a handle with `call` for the other kinds. */
  readonly worker: W;
  /** The worker's id, e.g. `"db#3"`. */
  readonly workerId: string;
  readonly #state: LeaseState<W>;

  /** @internal Made by the pool: `state` is the pool's side, or `undefined` when this lease is its own. */
  constructor(state: LeaseState<W> | undefined, worker: W, workerId: string) {
    this.worker = worker;
    this.workerId = workerId;
    this.#state = state ?? (this as unknown as LeaseState<W>);
  }

  /** @internal The pool's side of `value` if it is a lease, else `undefined` (a brand check, not a duck type). */
  static stateOf<T>(value: unknown): LeaseState<T> | undefined {
    if (typeof value !== 'object' || value === null || !(#state in value)) return undefined;
    return (value as unknown as Lease<T>).#state;
  }

  /**
   * Aborts when the pool takes the lease back: `LeaseRevokedError` (owner ended, lease expired), `WorkerExitError`
   * (the worker died) or `PoolStoppedError`. A normal release does not abort it.
   */
  get signal(): AbortSignal {
    const state = this.#state;
    if (state.controller === undefined) {
      state.controller = new AbortController();
      if (state.end === 'revoked') state.controller.abort(state.reason);
    }
    return state.controller.signal;
  }

  /** Does the client still hold the worker (not released, not revoked)? */
  get isActive(): boolean {
    return this.#state.end === 'active';
  }

  /** Give the worker back. Idempotent: a second release, or one after a revocation, is ignored. */
  release(options?: ReleaseOptions): void {
    const state = this.#state;
    state.keeper.checkinState(state, options);
  }

  /** `await using lease = await pool.checkout()` releases the lease when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** `using lease = …` releases the lease when the block ends. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * A lease that is also the pool's side of itself: one object per checkout, when no FinalizationRegistry needs the
 * two apart (`leakDetection` off, the default).
 */
export class PooledLease<W = unknown> extends Lease<W> implements LeaseState<W> {
  readonly keeper: LeaseKeeper<W>;
  readonly pooledWorker: PooledWorker<W>;
  readonly sinceMs: number;
  readonly owner: Owner | undefined;
  end: LeaseEnd = 'active';
  controller: AbortController | undefined = undefined;
  reason: unknown = undefined;
  unwatchOwner: (() => void) | undefined = undefined;
  onRevoked: ((reason: unknown) => void) | undefined = undefined;
  expiryTimer: Timer | undefined = undefined;
  stack: string | undefined = undefined;

  constructor(keeper: LeaseKeeper<W>, pooledWorker: PooledWorker<W>, sinceMs: number, owner: Owner | undefined) {
    super(undefined, pooledWorker.handle!.worker, pooledWorker.id);
    this.keeper = keeper;
    this.pooledWorker = pooledWorker;
    this.sinceMs = sinceMs;
    this.owner = owner;
  }
}
