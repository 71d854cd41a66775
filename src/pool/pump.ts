// The pump: the one place a worker changes hands (its short cut, maybeHandToOldestWaiter, included). Checkin, a finished start, a death, a waiter giving up, a
// cooldown's end and a backoff's end all end by calling it; it serves the oldest waiters from the idle workers,
// then starts what is missing (`size` workers, and one per waiter no start in progress will serve).
import { WorkerStartError } from '../errors.js';
import { rejectWaiter } from './checkout-admission.js';
import { DetachedLeaseState, Lease, type LeaseState, PooledLease } from './lease.js';
import { type Owner, watchOwner } from './owner-monitor.js';
import type { PoolState } from './pool-state.js';
import type { PooledWorker } from './pooled-worker.js';
import type { Waiter } from './waiter.js';
import { revokeLease } from './worker-exits.js';
import { retire, returnWorker } from './worker-return.js';
import { countFailedStart, startWorker } from './worker-starts.js';

/** Give idle workers to the oldest live waiters, then start what is missing. The only place a waiter is served. */
export function pump<W>(s: PoolState<W>): void {
  const waiting = s.waiting;
  while (waiting.size > 0) {
    const worker = takeIdle(s);
    if (worker === undefined) break;
    grant(s, waiting.oldest!, worker);
  }
  if (s.failingWith !== undefined) {
    failOrProbe(s);
    return;
  }
  if (s.phase !== 'running' || s.backoffTimer !== undefined) return;
  // Keep `size` workers, and start one for each waiter that no start in progress will serve.
  while (s.live < s.maxLive && (s.live < s.config.size || waiting.size > s.starting)) {
    startWorker(s);
  }
}

/**
 * While failing fast: a waiter with no live worker to wait for (only starts, which keep failing) is rejected; one
 * with a busy worker to wait for stays. Starts are probes, one per backoff round: with `size: 0` (or `size` workers
 * up and overflow starts failing) nothing else would try again, and a dead backend is not hammered.
 */
function failOrProbe<W>(s: PoolState<W>): void {
  if (s.phase !== 'running') return;
  if (s.waiting.size > 0 && s.live === s.starting) {
    for (const waiter of s.waiting.drain()) rejectWaiter(s, waiter, s.failingWith);
  }
  if (s.backoffTimer === undefined && s.starting === 0 && s.live < s.maxLive) startWorker(s);
}

/**
 * The pump's short cut for a worker coming back while clients wait: straight to the oldest waiter — unlink, lease,
 * resolve. What the full pump would do (no worker is idle while clients wait), minus the trip through the idle list
 * and the start rules, as a worker coming back changes none of the counts they read. False if nobody waits or the
 * worker must be validated first (then the caller idles it and pumps).
 */
export function maybeHandToOldestWaiter<W>(s: PoolState<W>, worker: PooledWorker<W>): boolean {
  const waiter = s.waiting.oldest;
  if (waiter === undefined || worker.handle!.validate !== undefined) return false;
  s.waiting.remove(waiter);
  waiter.grant(leaseWorker(s, worker, waiter.owner, waiter.queuedAt, waiter.stack));
  return true;
}

/** Take the idle worker the strategy picks; a checkout during the cooldown reuses the surplus worker. */
export function takeIdle<W>(s: PoolState<W>): PooledWorker<W> | undefined {
  const worker = s.idle.take(s.config.strategy);
  if (worker?.timer !== undefined) {
    // A checkout during the cooldown reuses the surplus worker.
    worker.timer.cancel();
    worker.timer = undefined;
  }
  return worker;
}

/** Hand a worker to a waiter: validated first when the kind validates, else leased at once. */
export function grant<W>(s: PoolState<W>, waiter: Waiter<W>, worker: PooledWorker<W>): void {
  s.waiting.remove(waiter);
  if (worker.handle!.validate !== undefined) {
    validateFor(s, waiter, worker);
    return;
  }
  waiter.grant(leaseWorker(s, worker, waiter.owner, waiter.queuedAt, waiter.stack));
}

/** Make the lease: the worker turns busy, and its owner, expiry and leak tracking begin; `queuedAt` if it waited. */
export function leaseWorker<W>(
  s: PoolState<W>,
  worker: PooledWorker<W>,
  owner: Owner | undefined,
  queuedAt: number | undefined,
  stack: string | undefined,
): Lease<W> {
  const now = s.time.now();
  worker.state = 'busy';
  worker.uses++;
  s.checkedOut++;
  let lease: Lease<W>;
  let state: LeaseState<W>;
  if (s.leaks === undefined) {
    state = lease = new PooledLease<W>(s.keeper, worker, now, owner);
  } else {
    state = new DetachedLeaseState<W>(s.keeper, worker, now, owner);
    lease = new Lease<W>(state, worker.handle!.worker, worker.id);
    state.stack = stack;
    s.leaks.register(lease, state, state);
  }
  worker.lease = state;
  if (owner !== undefined)
    state.unwatchOwner = watchOwner(owner, (reason) => s.guard(() => revokeLease(s, state, 'ownerExited', reason)));
  if (s.config.leaseTimeoutMs !== Number.POSITIVE_INFINITY) {
    state.expiryTimer = s.clock.setTimer(s.config.leaseTimeoutMs, () =>
      s.guard(() => revokeLease(s, state, 'expired')),
    );
  }
  if (s.events.wantsCheckouts)
    s.events.emit('checkout:granted', {
      workerId: worker.id,
      waitMs: queuedAt === undefined ? 0 : Math.max(0, now - queuedAt),
    });
  return lease;
}

function validateFor<W>(s: PoolState<W>, waiter: Waiter<W>, worker: PooledWorker<W>): void {
  worker.state = 'busy';
  worker.validatingFor = waiter;
  let verdict: unknown;
  try {
    verdict = worker.handle!.validate!();
  } catch (error) {
    verdict = Promise.reject(error);
  }
  const timeoutMs = s.config.validateTimeoutMs;
  // A check that never settles must not hold the worker (and its waiter) for ever.
  worker.timer = s.clock.setTimer(timeoutMs, () =>
    s.guard(() => validated(s, waiter, worker, { reason: `did not settle within validateTimeoutMs (${timeoutMs}ms)` })),
  );
  Promise.resolve(verdict).then(
    // Only `false` fails: `true`, `undefined` (a check that throws when unhealthy) and any other value pass.
    (result) =>
      s.guard(() => validated(s, waiter, worker, result === false ? { reason: 'returned false' } : undefined)),
    (error: unknown) => s.guard(() => validated(s, waiter, worker, { reason: 'threw', cause: error })),
  );
}

/** How a validation failed: `reason` for the message, `cause` what it threw. */
interface ValidateFailure {
  readonly reason: string;
  readonly cause?: unknown;
}

function validated<W>(
  s: PoolState<W>,
  waiter: Waiter<W>,
  worker: PooledWorker<W>,
  failure: ValidateFailure | undefined,
): void {
  // The worker died while validating (its exit already put the waiter back in the queue), or the check timed out.
  if (worker.validatingFor !== waiter || worker.hasExited) return;
  worker.validatingFor = undefined;
  worker.timer?.cancel();
  worker.timer = undefined;
  if (failure !== undefined) {
    if (!waiter.isSettled && s.phase === 'running') s.waiting.unshift(waiter);
    if (s.events.wants('worker:recycled')) s.events.emit('worker:recycled', { workerId: worker.id, reason: 'invalid' });
    // Counted like a failed start (backoff, then fail-fast) before the worker goes, so that its replacement waits
    // out the backoff: a dead database is not asked for a connection in a loop.
    const cause = 'cause' in failure ? failure.cause : new Error(`validate ${failure.reason}`);
    const message =
      `worker "${worker.id}" of pool "${s.config.name}" failed its validate check: ${failure.reason}` +
      (failure.cause instanceof Error ? ` (${failure.cause.message})` : '');
    countFailedStart(s, new WorkerStartError(s.config.name, worker.id, cause, message));
    retire(s, worker, 'invalid');
    return;
  }
  if (waiter.isSettled || s.phase !== 'running') {
    returnWorker(s, worker);
    return;
  }
  waiter.grant(leaseWorker(s, worker, waiter.owner, waiter.queuedAt, waiter.stack));
}
