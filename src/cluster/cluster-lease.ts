// A lease under a cluster limit: the pool's lease plus the cluster slot it holds. Ending either ends both — a
// checkin frees the slot at once, a revoked or leaked lease frees it too, and a lost slot takes the worker back.
import type { Lease, ReleaseOptions } from '../pool/lease.js';
import type { ClusterSlot } from './cluster-semaphore.js';

// A lease dropped without a checkin frees its slot when it is garbage-collected; the pool reclaims the worker the
// same way. For that, nothing long-lived (signal listeners, the pool's map) may hold the lease itself: they hold
// the `end` closure, which knows only the slot.
const reclaimed = new FinalizationRegistry<() => void>((end) => end());

/** A checked-out worker that also holds a cluster slot (or, under `onRedisDown: 'local'`, may hold none). */
export class ClusterLease<W = unknown> implements AsyncDisposable, Disposable {
  /** The pool's lease. Checking it in (`release`, `pool.checkin`) frees the slot too. */
  readonly lease: Lease<W>;
  /** The cluster slot; `undefined` when Redis was down and the checkout fell back to the pool's own limit. */
  readonly slot: ClusterSlot | undefined;
  readonly #lost = new AbortController();
  readonly #ending = { hasEnded: false };
  readonly #end: () => void;
  #signal: AbortSignal | undefined;

  /**
   * @internal Made by `ClusterLimitedPool.checkout`. `shouldRevokeOnLoss` is false under the local fallback;
   * `onEnd` runs once when the lease ends, however it ends.
   */
  constructor(lease: Lease<W>, slot: ClusterSlot | undefined, shouldRevokeOnLoss: boolean, onEnd: () => void) {
    this.lease = lease;
    this.slot = slot;
    const ending = this.#ending;
    const lost = this.#lost;
    const leaseSignal = lease.signal;
    const leaseRef = new WeakRef(lease);
    const end = () => {
      if (ending.hasEnded) return;
      ending.hasEnded = true;
      leaseSignal.removeEventListener('abort', end);
      slot?.signal.removeEventListener('abort', onSlotLost);
      onEnd();
      void slot?.free();
    };
    const onSlotLost = () => {
      if (!shouldRevokeOnLoss) return;
      // Another process may be granted the slot any moment now: take the worker back — it may be mid-work, so
      // it is stopped and replaced rather than reused — and tell the client through `signal`.
      lost.abort(slot?.signal.reason);
      leaseRef.deref()?.release({ discard: true });
      end();
    };
    leaseSignal.addEventListener('abort', end, { once: true });
    slot?.signal.addEventListener('abort', onSlotLost, { once: true });
    this.#end = end;
    reclaimed.register(this, end, this);
  }

  /** @internal Frees the slot once the pool's lease has ended; holds no reference to either lease. */
  get ending(): () => void {
    return this.#end;
  }

  /**
   * The slot's fencing token (see `ClusterSlot.fence`): pass it with each write to the guarded resource, which refuses
   * writes carrying a lower number than the highest it has seen. `undefined` without a slot (local fallback).
   */
  get fence(): number | undefined {
    return this.slot?.fence;
  }

  /** The worker (see `Lease.worker`). */
  get worker(): W {
    return this.lease.worker;
  }

  /** The worker's id, e.g. `"db#3"`. */
  get workerId(): string {
    return this.lease.workerId;
  }

  /**
   * Aborts when the pool revokes the lease (see `Lease.signal`) or when the cluster slot is lost
   * (`ClusterSlotLostError`): stop using the worker then. A normal release does not abort it.
   */
  get signal(): AbortSignal {
    this.#signal ??= AbortSignal.any([this.lease.signal, this.#lost.signal]);
    return this.#signal;
  }

  /** Does the client still hold the worker? */
  get isActive(): boolean {
    return !this.#ending.hasEnded && this.lease.isActive;
  }

  /** Check the worker in and free the slot at once. Idempotent. */
  release(options?: ReleaseOptions): void {
    this.lease.release(options);
    this.#end();
    reclaimed.unregister(this);
  }

  /** `await using lease = await limited.checkout()` releases the lease when the block ends. */
  [Symbol.asyncDispose](): Promise<void> {
    this.release();
    return Promise.resolve();
  }

  /** `using lease = …` releases the lease when the block ends. */
  [Symbol.dispose](): void {
    this.release();
  }
}
