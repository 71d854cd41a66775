// Checkout admission and the life of a waiter: the five steps of docs/semantics.md in order, checkin, and a waiter
// giving up (timeout, abort, owner gone) in O(1).
import { CheckoutTimeoutError, describeValue, PoolFullError, PoolStoppedError, QueueFullError } from '../errors.js';
import { finishLease, Lease, type LeaseState, type ReleaseOptions } from './lease.js';
import { describeOwner, endedOwnerReason, type Owner, watchOwner } from './owner-monitor.js';
import type { PoolState } from './pool-state.js';
import { grant, leaseWorker, pump, takeIdle } from './pump.js';
import { Waiter } from './waiter.js';
import { retire, returnWorker } from './worker-return.js';
import { provedHealthy } from './worker-starts.js';

/** Check a worker out: an idle one at once, else by the five steps of docs/semantics.md. */
export function checkout<W>(
  s: PoolState<W>,
  timeoutMs: number,
  block: boolean,
  signal: AbortSignal | undefined,
  owner: Owner | undefined,
): Promise<Lease<W>> {
  if (s.phase !== 'running') return refuse(s, s.crashError ?? new PoolStoppedError(s.config.name));
  if (owner !== undefined) {
    const reason = endedOwnerReason(owner);
    if (reason !== undefined) return refuse(s, reason);
  }
  if (signal?.aborted) return refuse(s, signal.reason);
  const worker = takeIdle(s);
  if (worker !== undefined && worker.handle!.validate === undefined) {
    const stack = s.config.leakDetection ? new Error('checked out here').stack : undefined;
    return Promise.resolve(leaseWorker(s, worker, owner, undefined, stack));
  }
  if (worker === undefined) {
    // Failing fast: refused only when no live worker can serve it when checked in (only starts, which keep failing).
    if (s.failingWith !== undefined && s.live === s.starting) return refuse(s, s.failingWith);
    const willHaveWorker = s.starting > s.waiting.size || s.live < s.maxLive;
    if (!willHaveWorker && !block) return refuse(s, new PoolFullError(s.config.name, s.status()));
    if (!willHaveWorker && s.waiting.size >= s.config.maxWaiting) {
      return refuse(s, new QueueFullError(s.config.name, s.config.maxWaiting));
    }
  }
  const stack = s.config.leakDetection ? new Error('checked out here').stack : undefined;
  // A waiter's deadline must never come early, so a checkout that will queue reads the clock afresh: the shared
  // loop time can be as old as a long run of microtasks (it expires on the next tick).
  const queuedAt = worker === undefined ? s.clock.now() : s.time.now();
  const waiter = new Waiter<W>(queuedAt, owner, stack);
  if (timeoutMs !== Number.POSITIVE_INFINITY) s.deadlines.add(waiter, queuedAt, timeoutMs);
  if (signal !== undefined || owner !== undefined) watchWaiter(s, waiter, signal, owner);
  if (worker !== undefined) {
    grant(s, waiter, worker);
    return waiter.settled;
  }
  s.waiting.push(waiter);
  if (s.events.wantsCheckouts) s.events.emit('checkout:queued', { waiting: s.waiting.size });
  // No worker is idle (every path that idles one pumps), so the pump could only start one: with every slot
  // live (the contended case) it would do nothing, and a queued checkout skips it.
  if (s.live < s.maxLive) pump(s);
  return waiter.settled;
}

/** Take a lease back. Ignores double, revoked and foreign leases; a non-lease is a TypeError. */
export function checkin<W>(s: PoolState<W>, lease: Lease<W>, options?: ReleaseOptions): void {
  const state = Lease.stateOf<W>(lease);
  if (state === undefined) {
    throw new TypeError(`checkin expects a lease from pool.checkout(), got ${describeValue(lease)}`);
  }
  if (state.keeper !== s.keeper) {
    ignoreCheckin(s, state, 'foreign');
    return;
  }
  checkinState(s, state, options);
}

/** Take back a lease whose side is known to be this pool's: ignored if it already ended. */
export function checkinState<W>(s: PoolState<W>, state: LeaseState<W>, options: ReleaseOptions | undefined): void {
  if (!finishLease(state, 'checkedIn')) {
    ignoreCheckin(s, state, state.end === 'revoked' ? 'revoked' : 'alreadyCheckedIn');
    return;
  }
  s.leaks?.unregister(state);
  const worker = state.pooledWorker;
  worker.lease = undefined;
  s.checkedOut--;
  // The first checkin proves the worker healthy: its death from now on is not part of a crash loop.
  const isFirstProof = !worker.provedHealthy;
  if (isFirstProof) provedHealthy(s, worker);
  if (s.events.wantsCheckins) {
    s.events.emit('checkin:done', { workerId: worker.id, heldMs: s.time.now() - state.sinceMs });
  }
  if (options?.discard) retire(s, worker, 'discarded', options.graceMs ?? 0);
  else returnWorker(s, worker);
  if (isFirstProof) pump(s); // a backoff the proof ended may leave starts to make
  s.maybeLeasesBack();
}

function ignoreCheckin<W>(
  s: PoolState<W>,
  state: LeaseState<W>,
  reason: 'alreadyCheckedIn' | 'revoked' | 'foreign',
): void {
  if (s.events.wants('checkin:ignored')) s.events.emit('checkin:ignored', { workerId: state.pooledWorker.id, reason });
}

function watchWaiter<W>(
  s: PoolState<W>,
  waiter: Waiter<W>,
  signal: AbortSignal | undefined,
  owner: Owner | undefined,
): void {
  const onGiveUp = (reason: unknown) => s.guard(() => giveUp(s, waiter, reason));
  const unwatchSignal = signal && watchOwner(signal, onGiveUp);
  const unwatchOwner = owner && watchOwner(owner, onGiveUp);
  waiter.unwatch = () => {
    unwatchSignal?.();
    unwatchOwner?.();
  };
}

/** A queued checkout's deadline passed. */
export function timedOut<W>(s: PoolState<W>, waiter: Waiter<W>, timeoutMs: number): void {
  if (waiter.isSettled) return;
  s.waiting.remove(waiter);
  waiter.fail(new CheckoutTimeoutError(s.config.name, timeoutMs, s.status(), oldestLeaseDetail(s)));
  if (s.events.wants('checkout:timedOut')) {
    s.events.emit('checkout:timedOut', { timeoutMs, waiting: s.waiting.size });
  }
  pump(s);
}

function giveUp<W>(s: PoolState<W>, waiter: Waiter<W>, reason: unknown): void {
  if (waiter.isSettled) return;
  s.waiting.remove(waiter);
  rejectWaiter(s, waiter, reason);
  pump(s);
}

/** Reject a queued checkout (once), and say so. */
export function rejectWaiter<W>(s: PoolState<W>, waiter: Waiter<W>, error: unknown): void {
  if (waiter.fail(error) && s.events.wants('checkout:rejected')) s.events.emit('checkout:rejected', { error });
}

/**
 * Refuse a checkout on a later macrotask, never as an already-rejected promise: a client retrying in a loop
 * (`while (…) await pool.run(…).catch(…)`) would otherwise run in microtasks forever, and the backoff timers by
 * which a failing pool recovers would never fire. Only refusals pay for it; a granted checkout does not.
 */
function refuse<W>(s: PoolState<W>, error: unknown): Promise<never> {
  if (s.events.wants('checkout:rejected')) s.events.emit('checkout:rejected', { error });
  return new Promise<never>((_, reject) => setImmediate(reject, error));
}

/** For the timeout message: who has held a worker longest. Only on the error path, so a scan is fine. */
function oldestLeaseDetail<W>(s: PoolState<W>): string | undefined {
  let oldest: LeaseState<W> | undefined;
  for (const worker of s.byId.values()) {
    if (worker.lease && (oldest === undefined || worker.lease.sinceMs < oldest.sinceMs)) oldest = worker.lease;
  }
  if (oldest === undefined) return undefined;
  const heldS = ((s.clock.now() - oldest.sinceMs) / 1000).toFixed(1);
  return `oldest lease held ${heldS}s by ${describeOwner(oldest.owner)}`;
}
