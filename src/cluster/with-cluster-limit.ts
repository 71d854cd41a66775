// A pool under a cluster-wide limit: a checkout first takes one of the limit's slots in Redis, then checks a worker
// out of the pool within the time left; checking in frees both at once.
import { ClusterLimitUnavailableError, InvalidArgumentError } from '../errors.js';
import type { PoolSnapshot, PoolStatusSnapshot, ToyEvent } from '../observer/snapshot.js';
import { assertOwner, endedOwnerReason, watchOwner } from '../pool/owner-monitor.js';
import type { CheckoutOptions, Pool, RunOptions } from '../pool/pool.js';
import { checkoutTimeout } from '../pool/timeout-options.js';
import type { RunPayload, RunResult } from '../workers/worker-kind.js';
import { ClusterLease } from './cluster-lease.js';
import type { ClusterLimitOptions } from './cluster-limit-options.js';
import { ClusterSemaphore, type ClusterSlot } from './cluster-semaphore.js';

/** Options of a checkout under the cluster limit: the pool's; `checkoutTimeoutMs` bounds the slot and the worker together. */
export type ClusterCheckoutOptions = CheckoutOptions;

/** Options of a `run` under the cluster limit; `checkoutTimeoutMs` bounds the slot and the worker together. */
export type ClusterRunOptions = RunOptions;

/** A pool's status with the cluster limit it is under. */
export interface ClusterPoolStatus extends PoolStatusSnapshot {
  readonly cluster: NonNullable<PoolStatusSnapshot['cluster']>;
}

/** Put `pool` under a limit shared by every process that uses the same `key` on the same Redis. */
export function withClusterLimit<W>(pool: Pool<W>, options: ClusterLimitOptions): ClusterLimitedPool<W> {
  return new ClusterLimitedPool(pool, options);
}

/**
 * A pool whose workers are handed out only while the holder also owns one of the cluster limit's slots. Its
 * semaphore emits the cluster's events (`slot:lost`, `redis:failed`, `redis:recovered`, …).
 */
export class ClusterLimitedPool<W = unknown> {
  /** The pool under the limit; checking out of it directly bypasses the limit. */
  readonly pool: Pool<W>;
  /** The cluster slots (events, `status()`, `refresh()`). */
  readonly semaphore: ClusterSemaphore;
  readonly #defaultTimeoutMs: number;
  /** How to end the cluster lease of each checked-out worker, by worker id. */
  readonly #endings = new Map<string, () => void>();

  constructor(pool: Pool<W>, options: ClusterLimitOptions) {
    if (typeof pool?.checkout !== 'function' || typeof pool?.snapshot !== 'function') {
      throw new InvalidArgumentError('pool', 'a pool made by createPool()', pool);
    }
    this.pool = pool;
    this.semaphore = new ClusterSemaphore(options);
    const configured = pool.snapshot().options.checkoutTimeoutMs;
    this.#defaultTimeoutMs = typeof configured === 'number' ? configured : 5000;
    // A checkin straight through the pool (`pool.checkin(lease.lease)`) must free the slot too.
    pool.on('checkin:done', this.#onCheckin);
    // The pool's own snapshot (what a PoolToy tree and its observer read) shows the limit too.
    this.#removeStatusSource = pool.addStatusSource(() => ({ cluster: this.semaphore.status() }));
  }

  readonly #removeStatusSource: () => void;

  readonly #onCheckin = ({ workerId }: { workerId: string }) => this.#endings.get(workerId)?.();

  /** The pool's name. */
  get name(): string {
    return this.pool.name;
  }

  /**
   * Take a cluster slot (waiting in the cluster-wide line), then check a worker out within the time left.
   * `checkoutTimeoutMs` (or the deprecated `timeoutMs`) bounds both, counted from the call; `block: false` waits for
   * neither; `signal` and `owner` end both waits.
   */
  async checkout(options: ClusterCheckoutOptions = {}): Promise<ClusterLease<W>> {
    const startedAt = this.semaphore.config.clock.now();
    const timeoutMs = checkoutTimeout('checkout', options, this.#defaultTimeoutMs);
    const { block = true, signal, owner } = options;
    if (owner !== undefined) assertOwner(owner);
    const slot = await this.#takeSlot(block ? timeoutMs : 0, signal, owner);
    const spentMs = this.semaphore.config.clock.now() - startedAt;
    try {
      const left = Math.max(0, timeoutMs - spentMs);
      const lease = await this.pool.checkout({ ...options, timeoutMs: undefined, checkoutTimeoutMs: left });
      const { workerId } = lease;
      let ending: (() => void) | undefined;
      const forget = () => {
        // A lease reclaimed late (garbage-collected) must not forget the entry of the worker's next lease.
        if (this.#endings.get(workerId) === ending) this.#endings.delete(workerId);
      };
      const limited = new ClusterLease(lease, slot, this.semaphore.config.onRedisDown === 'fail', forget);
      ending = limited.ending;
      this.#endings.set(workerId, ending);
      return limited;
    } catch (error) {
      void slot?.free();
      throw error;
    }
  }

  /** Check out, run `fn(worker, lease)`, check in (even when `fn` throws). The timeout bounds the checkout only. */
  async transaction<T>(
    fn: (worker: W, lease: ClusterLease<W>) => T | Promise<T>,
    options?: ClusterCheckoutOptions,
  ): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('transaction function', 'a function', fn);
    const lease = await this.checkout(options);
    try {
      return await fn(lease.worker, lease);
    } finally {
      lease.release();
    }
  }

  /**
   * `pool.run` under the limit: take a slot, then run within the time left. Losing the slot mid-call aborts the
   * call (`ClusterSlotLostError`); the worker gets the abort and is replaced.
   */
  async run(payload: RunPayload<W>, options: ClusterRunOptions = {}): Promise<RunResult<W>> {
    const startedAt = this.semaphore.config.clock.now();
    const timeoutMs = checkoutTimeout('run', options, this.#defaultTimeoutMs);
    const { signal } = options;
    const slot = await this.#takeSlot(timeoutMs, signal, undefined);
    const spentMs = this.semaphore.config.clock.now() - startedAt;
    const shouldAbortOnLoss = slot !== undefined && this.semaphore.config.onRedisDown === 'fail';
    const signals = [signal, shouldAbortOnLoss ? slot.signal : undefined].filter((each) => each !== undefined);
    try {
      return await this.pool.run(payload, {
        ...options,
        timeoutMs: undefined,
        checkoutTimeoutMs: Math.max(0, timeoutMs - spentMs),
        signal: signals.length > 0 ? AbortSignal.any(signals) : undefined,
      });
    } finally {
      void slot?.free();
    }
  }

  /** The pool's status, with the cluster limit: slots held here, across the cluster, and the limit. */
  status(): ClusterPoolStatus {
    return { ...this.pool.status(), cluster: this.semaphore.status() };
  }

  /** The pool as plain data, its status carrying the cluster limit, for the observer. */
  snapshot(): PoolSnapshot {
    return this.pool.snapshot();
  }

  /** Receive every pool event as a `ToyEvent` (so `collectMetrics` and the observer accept this wrapper too). */
  onAnyEvent(listener: (event: ToyEvent) => void): () => void {
    return this.pool.onAnyEvent(listener);
  }

  /** Give up the cluster limit: waiting checkouts reject, held slots are freed. The pool itself keeps running. */
  close(): Promise<void> {
    this.pool.off('checkin:done', this.#onCheckin);
    this.#removeStatusSource();
    return this.semaphore.close();
  }

  // Resolves with a slot, or with `undefined` when Redis is down and `onRedisDown: 'local'` lets the checkout go on.
  async #takeSlot(
    timeoutMs: number,
    signal: AbortSignal | undefined,
    owner: CheckoutOptions['owner'],
  ): Promise<ClusterSlot | undefined> {
    // The owner ending while we wait for a slot gives the checkout up, as it would in the pool's own queue.
    const ownerGone = new AbortController();
    const stopWatching = owner === undefined ? () => {} : watchOwner(owner, (reason) => ownerGone.abort(reason));
    const ended = owner === undefined ? undefined : endedOwnerReason(owner);
    if (ended !== undefined) ownerGone.abort(ended);
    try {
      const either = signal ? AbortSignal.any([signal, ownerGone.signal]) : ownerGone.signal;
      return await this.semaphore.take({ timeoutMs, signal: either });
    } catch (error) {
      if (error instanceof ClusterLimitUnavailableError && this.semaphore.config.onRedisDown === 'local') {
        return undefined;
      }
      throw error;
    } finally {
      stopWatching();
    }
  }
}
