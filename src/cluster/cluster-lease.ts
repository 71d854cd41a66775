// A lease under a cluster limit: the pool's lease plus the cluster slot it holds. Ending either ends both — a
// checkin frees the slot at once, a revoked lease frees it too, and a lost slot takes the worker back.
import type { Lease, ReleaseOptions } from '../pool/lease.js';
import type { ClusterSlot } from './cluster-semaphore.js';

/** A checked-out worker that also holds a cluster slot (or, under `onRedisDown: 'local'`, may hold none). */
export class ClusterLease<W = unknown> implements AsyncDisposable, Disposable {
  /** The pool's lease. Check in through this cluster lease, not the pool, so that the slot is freed too. */
  readonly lease: Lease<W>;
  /** The cluster slot; `undefined` when Redis was down and the checkout fell back to the pool's own limit. */
  readonly slot: ClusterSlot | undefined;
  readonly #lost = new AbortController();
  readonly #stopWatching: () => void;
  #signal: AbortSignal | undefined;
  #hasEnded = false;

  /** @internal Made by `ClusterLimitedPool.checkout`; `shouldRevokeOnLoss` is false under the local fallback. */
  constructor(lease: Lease<W>, slot: ClusterSlot | undefined, shouldRevokeOnLoss: boolean) {
    this.lease = lease;
    this.slot = slot;
    const onRevoked = () => this.#end();
    const onSlotLost = () => {
      if (!shouldRevokeOnLoss) return;
      // Another process may be granted the slot any moment now: take the worker back — it may be mid-work, so
      // it is stopped and replaced rather than reused — and tell the client through `signal`.
      this.#lost.abort(slot?.signal.reason);
      this.release({ discard: true });
    };
    lease.signal.addEventListener('abort', onRevoked, { once: true });
    slot?.signal.addEventListener('abort', onSlotLost, { once: true });
    this.#stopWatching = () => {
      lease.signal.removeEventListener('abort', onRevoked);
      slot?.signal.removeEventListener('abort', onSlotLost);
    };
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
    return !this.#hasEnded && this.lease.isActive;
  }

  /** Check the worker in and free the slot at once. Idempotent. */
  release(options?: ReleaseOptions): void {
    this.lease.release(options);
    this.#end();
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

  #end(): void {
    if (this.#hasEnded) return;
    this.#hasEnded = true;
    this.#stopWatching();
    void this.slot?.free();
  }
}
