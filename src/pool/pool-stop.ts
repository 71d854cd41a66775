// Ending the manager: a crash (the pool supervisor restarts it with fresh workers) and a stop (intake ends, idle
// workers stop, leases not back in time are revoked and reported).
import { PoolCrashedError, PoolStoppedError } from '../errors.js';
import { rejectWaiter } from './checkout-admission.js';
import { describeOwner } from './owner-monitor.js';
import type { HeldLease, PoolManager } from './pool-manager.js';
import { endLease } from './worker-exits.js';
import { retire, stopHandle } from './worker-return.js';

/**
 * Crash: waiters and leases fail with `PoolCrashedError`, and `onCrash` tells the manager's child handle, so
 * that the pool supervisor restarts the manager with fresh workers (half-updated counts must not live on).
 */
export function crash<W>(m: PoolManager<W>, error: unknown): void {
  if (m.phase === 'crashed') return;
  m.phase = 'crashed';
  m.crashError = new PoolCrashedError(m.config.name, error);
  m.backoffTimer?.cancel();
  m.probation?.timer.cancel();
  for (const waiter of m.waiting.drain()) waiter.fail(m.crashError);
  for (const worker of m.byId.values()) {
    worker.timer?.cancel();
    if (worker.lease !== undefined) endLease(m, worker.lease, m.crashError);
  }
  m.host.abortStarts();
  m.onCrash?.(error);
}

/** Stop intake: waiters reject with `PoolStoppedError`, idle workers stop, starts are given up. */
export function beginStop<W>(m: PoolManager<W>): void {
  if (m.phase !== 'running') return;
  m.phase = 'stopping';
  m.backoffTimer?.cancel();
  m.backoffTimer = undefined;
  m.probation?.timer.cancel();
  m.probation = undefined;
  const error = new PoolStoppedError(m.config.name);
  for (const waiter of m.waiting.drain()) rejectWaiter(m, waiter, error);
  for (let worker = m.idle.take('fifo'); worker; worker = m.idle.take('fifo')) {
    retire(m, worker, 'poolStopping');
  }
  m.host.abortStarts();
}

/** Revoke the leases still held (their signals abort with `PoolStoppedError`) and stop every worker. */
export function stopAll<W>(m: PoolManager<W>): HeldLease[] {
  m.beginStop();
  const now = m.clock.now();
  const held: HeldLease[] = [];
  const error = new PoolStoppedError(m.config.name);
  for (const worker of [...m.byId.values()]) {
    const lease = worker.lease;
    if (lease !== undefined) {
      held.push({ workerId: worker.id, owner: describeOwner(lease.owner), heldMs: now - lease.sinceMs });
      m.checkedOut--;
      endLease(m, lease, error);
    }
    worker.retiree = undefined;
    if (worker.state === 'stopping') {
      // A discarded worker in its grace period, or a recycled one waiting for its replacement: stop it now.
      if (worker.timer !== undefined || worker.handle !== undefined) {
        worker.timer?.cancel();
        worker.timer = undefined;
        stopHandle(m, worker);
      }
    } else if (worker.state !== 'starting') {
      retire(m, worker, 'poolStopping');
    }
  }
  m.maybeLeasesBack();
  return held;
}
