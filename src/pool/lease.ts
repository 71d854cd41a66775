// A lease: a checked-out worker and its client. The public `Lease` is a thin face over a `LeaseState` the pool
// keeps; the pool never holds the `Lease` itself, so a lease the client drops becomes unreachable and the
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
}

/** How a lease ended; `active` while the client holds the worker. */
export type LeaseEnd = 'active' | 'checkedIn' | 'revoked';

/** The pool's side of a lease. */
export class LeaseState<W = unknown> {
  readonly keeper: LeaseKeeper<W>;
  readonly worker: PooledWorker<W>;
  readonly sinceMs: number;
  readonly owner: Owner | undefined;
  end: LeaseEnd = 'active';
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

  constructor(keeper: LeaseKeeper<W>, worker: PooledWorker<W>, sinceMs: number, owner: Owner | undefined) {
    this.keeper = keeper;
    this.worker = worker;
    this.sinceMs = sinceMs;
    this.owner = owner;
  }

  /** Mark the lease ended and stop listening to its owner and timers; false if it had already ended. */
  finish(end: Exclude<LeaseEnd, 'active'>, reason?: unknown): boolean {
    if (this.end !== 'active') return false;
    this.end = end;
    this.unwatchOwner?.();
    this.unwatchOwner = undefined;
    this.expiryTimer?.cancel();
    this.expiryTimer = undefined;
    if (end === 'revoked') {
      this.reason = reason;
      this.controller?.abort(reason);
      this.onRevoked?.(reason);
    }
    return true;
  }
}

/** A checked-out worker. Give it back with `release()`, `pool.checkin(lease)`, or by leaving `await using`. */
export class Lease<W = unknown> implements AsyncDisposable, Disposable {
  /** The worker: the resource itself for a resource pool, a handle with `call` for the other kinds. */
  readonly worker: W;
  /** The worker's id, e.g. `"db#3"`. */
  readonly workerId: string;
  readonly #state: LeaseState<W>;

  constructor(state: LeaseState<W>, worker: W) {
    this.#state = state;
    this.worker = worker;
    this.workerId = state.worker.id;
  }

  /** The pool's side of `value` if it is a lease, else `undefined` (a brand check, not a duck type). */
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
    this.#state.keeper.checkin(this, options);
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
