// The pump: the one place a worker changes hands. Checkin, a finished start, a death, a waiter giving up, a
// cooldown's end and a backoff's end all end by calling it; it serves the oldest waiters from the idle workers,
// then starts what is missing (`size` workers, and one per waiter no start in progress will serve).
import { Lease, LeaseState } from './lease.js';
import { type Owner, watchOwner } from './owner-monitor.js';
import type { PoolManager } from './pool-manager.js';
import type { PooledWorker } from './pooled-worker.js';
import type { Waiter } from './waiter.js';
import { revokeLease } from './worker-exits.js';
import { retire, returnWorker } from './worker-return.js';
import { startWorker } from './worker-starts.js';

/** Give idle workers to the oldest live waiters, then start what is missing. The only place a waiter is served. */
export function pump<W>(m: PoolManager<W>): void {
  const waiting = m.waiting;
  while (waiting.size > 0) {
    const worker = takeIdle(m);
    if (worker === undefined) break;
    grant(m, waiting.oldest!, worker);
  }
  if (m.phase !== 'running' || m.backoffTimer !== undefined) return;
  // Keep `size` workers, and start one for each waiter that no start in progress will serve.
  while (m.live < m.maxLive && (m.live < m.config.size || waiting.size > m.starting)) {
    startWorker(m);
  }
}

/** Take the idle worker the strategy picks; a checkout during the cooldown reuses the surplus worker. */
export function takeIdle<W>(m: PoolManager<W>): PooledWorker<W> | undefined {
  const worker = m.idle.take(m.config.strategy);
  if (worker?.timer !== undefined) {
    // A checkout during the cooldown reuses the surplus worker.
    worker.timer.cancel();
    worker.timer = undefined;
  }
  return worker;
}

/** Hand a worker to a waiter: validated first when the kind validates, else leased at once. */
export function grant<W>(m: PoolManager<W>, waiter: Waiter<W>, worker: PooledWorker<W>): void {
  m.waiting.remove(waiter);
  if (worker.handle!.validate !== undefined) {
    validateFor(m, waiter, worker);
    return;
  }
  waiter.grant(leaseWorker(m, worker, waiter.owner, m.clock.now() - waiter.queuedAt, waiter.stack));
}

/** Make the lease: the worker turns busy, and its owner, expiry and leak tracking begin. */
export function leaseWorker<W>(
  m: PoolManager<W>,
  worker: PooledWorker<W>,
  owner: Owner | undefined,
  waitMs: number,
  stack: string | undefined,
): Lease<W> {
  worker.state = 'busy';
  worker.uses++;
  m.checkedOut++;
  const state = new LeaseState<W>(m, worker, m.clock.now(), owner);
  worker.lease = state;
  const lease = new Lease<W>(state, worker.handle!.worker);
  if (owner !== undefined)
    state.unwatchOwner = watchOwner(owner, (reason) => m.guard(() => revokeLease(m, state, 'ownerExited', reason)));
  if (m.config.leaseTimeoutMs !== Number.POSITIVE_INFINITY) {
    state.expiryTimer = m.clock.setTimer(m.config.leaseTimeoutMs, () =>
      m.guard(() => revokeLease(m, state, 'expired')),
    );
  }
  state.stack = stack;
  m.leaks?.register(lease, state, state);
  if (m.events.isListening) m.events.emit('checkout:granted', { workerId: worker.id, waitMs });
  return lease;
}

function validateFor<W>(m: PoolManager<W>, waiter: Waiter<W>, worker: PooledWorker<W>): void {
  worker.state = 'busy';
  worker.validatingFor = waiter;
  let verdict: boolean | Promise<boolean>;
  try {
    verdict = worker.handle!.validate!();
  } catch {
    verdict = false;
  }
  Promise.resolve(verdict).then(
    (isValid) => m.guard(() => validated(m, waiter, worker, isValid === true)),
    () => m.guard(() => validated(m, waiter, worker, false)),
  );
}

function validated<W>(m: PoolManager<W>, waiter: Waiter<W>, worker: PooledWorker<W>, isValid: boolean): void {
  // The worker died while validating: its exit already put the waiter back in the queue.
  if (worker.validatingFor !== waiter || worker.hasExited) return;
  worker.validatingFor = undefined;
  if (!isValid) {
    if (!waiter.isSettled && m.phase === 'running') m.waiting.unshift(waiter);
    if (m.events.isListening) m.events.emit('worker:recycled', { workerId: worker.id, reason: 'invalid' });
    retire(m, worker, 'invalid');
    return;
  }
  if (waiter.isSettled || m.phase !== 'running') {
    returnWorker(m, worker);
    return;
  }
  waiter.grant(leaseWorker(m, worker, waiter.owner, m.clock.now() - waiter.queuedAt, waiter.stack));
}
