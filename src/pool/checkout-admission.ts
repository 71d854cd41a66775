// Checkout admission and the life of a waiter: SEMANTICS.md's five steps in order, checkin, and a waiter giving up
// (timeout, abort, owner gone) in O(1).
import { CheckoutTimeoutError, describeValue, PoolFullError, PoolStoppedError, QueueFullError } from '../errors.js';
import { Lease, type LeaseState, type ReleaseOptions } from './lease.js';
import { describeOwner, endedOwnerReason, type Owner, watchOwner } from './owner-monitor.js';
import type { PoolManager } from './pool-manager.js';
import { grant, leaseWorker, pump, takeIdle } from './pump.js';
import { Waiter } from './waiter.js';
import { retire, returnWorker } from './worker-return.js';

/** Check a worker out: an idle one at once, else wait per SEMANTICS.md's five steps. */
export function checkout<W>(
  m: PoolManager<W>,
  timeoutMs: number,
  block: boolean,
  signal: AbortSignal | undefined,
  owner: Owner | undefined,
): Promise<Lease<W>> {
  if (m.phase !== 'running') return refuse(m, m.crashError ?? new PoolStoppedError(m.config.name));
  if (owner !== undefined) {
    const reason = endedOwnerReason(owner);
    if (reason !== undefined) return refuse(m, reason);
  }
  if (signal?.aborted) return refuse(m, signal.reason);
  const worker = takeIdle(m);
  if (worker !== undefined && worker.handle!.validate === undefined) {
    const stack = m.config.leakDetection ? new Error('checked out here').stack : undefined;
    return Promise.resolve(leaseWorker(m, worker, owner, 0, stack));
  }
  if (worker === undefined) {
    if (m.failingWith !== undefined) return refuse(m, m.failingWith);
    const willHaveWorker = m.starting > m.waiting.size || m.live < m.maxLive;
    if (!willHaveWorker && !block) return refuse(m, new PoolFullError(m.config.name, m.status()));
    if (!willHaveWorker && m.waiting.size >= m.config.maxWaiting) {
      return refuse(m, new QueueFullError(m.config.name, m.config.maxWaiting));
    }
  }
  return new Promise<Lease<W>>((resolve, reject) => {
    const stack = m.config.leakDetection ? new Error('checked out here').stack : undefined;
    const waiter = new Waiter<W>(m.clock.now(), owner, stack, resolve, reject);
    if (timeoutMs !== Number.POSITIVE_INFINITY) {
      waiter.timer = m.clock.setTimer(timeoutMs, () => m.guard(() => timedOut(m, waiter, timeoutMs)));
    }
    watchWaiter(m, waiter, signal, owner);
    if (worker !== undefined) return grant(m, waiter, worker);
    m.waiting.push(waiter);
    if (m.events.isListening) m.events.emit('checkout:queued', { waiting: m.waiting.size });
    pump(m);
  });
}

/** Take a lease back. Ignores double, revoked and foreign leases; a non-lease is a TypeError. */
export function checkin<W>(m: PoolManager<W>, lease: Lease<W>, options?: ReleaseOptions): void {
  const state = Lease.stateOf<W>(lease);
  if (state === undefined) {
    throw new TypeError(`checkin expects a lease from pool.checkout(), got ${describeValue(lease)}`);
  }
  if (state.keeper !== m) {
    ignoreCheckin(m, state, 'foreign');
    return;
  }
  if (!state.finish('checkedIn')) {
    ignoreCheckin(m, state, state.end === 'revoked' ? 'revoked' : 'alreadyCheckedIn');
    return;
  }
  m.leaks?.unregister(state);
  const worker = state.worker;
  worker.lease = undefined;
  m.checkedOut--;
  if (m.events.isListening) {
    m.events.emit('checkin:done', { workerId: worker.id, heldMs: m.clock.now() - state.sinceMs });
  }
  if (options?.discard) retire(m, worker, 'discarded', options.graceMs ?? 0);
  else returnWorker(m, worker);
  m.maybeLeasesBack();
}

function ignoreCheckin<W>(
  m: PoolManager<W>,
  state: LeaseState<W>,
  reason: 'alreadyCheckedIn' | 'revoked' | 'foreign',
): void {
  if (m.events.isListening) m.events.emit('checkin:ignored', { workerId: state.worker.id, reason });
}

function watchWaiter<W>(
  m: PoolManager<W>,
  waiter: Waiter<W>,
  signal: AbortSignal | undefined,
  owner: Owner | undefined,
): void {
  if (signal === undefined && owner === undefined) return;
  const onGiveUp = (reason: unknown) => m.guard(() => giveUp(m, waiter, reason));
  const unwatchSignal = signal && watchOwner(signal, onGiveUp);
  const unwatchOwner = owner && watchOwner(owner, onGiveUp);
  waiter.unwatch = () => {
    unwatchSignal?.();
    unwatchOwner?.();
  };
}

function timedOut<W>(m: PoolManager<W>, waiter: Waiter<W>, timeoutMs: number): void {
  waiter.timer = undefined;
  if (waiter.isSettled) return;
  m.waiting.remove(waiter);
  waiter.fail(new CheckoutTimeoutError(m.config.name, timeoutMs, m.status(), oldestLeaseDetail(m)));
  if (m.events.isListening) {
    m.events.emit('checkout:timedOut', { timeoutMs, waiting: m.waiting.size });
  }
  pump(m);
}

function giveUp<W>(m: PoolManager<W>, waiter: Waiter<W>, reason: unknown): void {
  if (waiter.isSettled) return;
  m.waiting.remove(waiter);
  rejectWaiter(m, waiter, reason);
  pump(m);
}

/** Reject a queued checkout (once), and say so. */
export function rejectWaiter<W>(m: PoolManager<W>, waiter: Waiter<W>, error: unknown): void {
  if (waiter.fail(error) && m.events.isListening) m.events.emit('checkout:rejected', { error });
}

function refuse<W>(m: PoolManager<W>, error: unknown): Promise<never> {
  if (m.events.isListening) m.events.emit('checkout:rejected', { error });
  return Promise.reject(error);
}

/** For the timeout message: who has held a worker longest. Only on the error path, so a scan is fine. */
function oldestLeaseDetail<W>(m: PoolManager<W>): string | undefined {
  let oldest: LeaseState<W> | undefined;
  for (const worker of m.byId.values()) {
    if (worker.lease && (oldest === undefined || worker.lease.sinceMs < oldest.sinceMs)) oldest = worker.lease;
  }
  if (oldest === undefined) return undefined;
  const heldS = ((m.clock.now() - oldest.sinceMs) / 1000).toFixed(1);
  return `oldest lease held ${heldS}s by ${describeOwner(oldest.owner)}`;
}
