// Ending the manager: a crash (the pool supervisor restarts it with fresh workers) and a stop (intake ends, idle
// workers stop, leases not back in time are revoked and reported).
import { PoolCrashedError, type PoolFailedError, PoolStoppedError } from '../errors.js';
import { rejectWaiter } from './checkout-admission.js';
import { describeOwner } from './owner-monitor.js';
import type { HeldLease } from './pool-manager.js';
import type { PoolState } from './pool-state.js';
import { endLease } from './worker-exits.js';
import { retire, stopHandle } from './worker-return.js';

/**
 * Crash: waiters and leases fail with `PoolCrashedError`, and `onCrash` tells the manager's child handle, so
 * that the pool supervisor restarts the manager with fresh workers (half-updated counts must not live on).
 */
export function crash<W>(s: PoolState<W>, error: unknown): void {
  if (s.phase === 'crashed') return;
  s.phase = 'crashed';
  s.crashError = new PoolCrashedError(s.config.name, error);
  s.backoffTimer?.cancel();
  s.probation?.timer.cancel();
  for (const waiter of s.waiting.drain()) waiter.fail(s.crashError);
  for (const worker of s.byId.values()) {
    worker.timer?.cancel();
    if (worker.lease !== undefined) endLease(s, worker.lease, s.crashError);
  }
  s.host.abortStarts();
  // Nothing it waited for will come now: whoever awaits settled() or leasesBack() is let go.
  for (const resolve of s.whenSettled.splice(0)) resolve();
  for (const resolve of s.whenLeasesBack.splice(0)) resolve();
  s.onCrash?.(error);
}

/**
 * The pool supervisor gave up (past its restart intensity): the pool is gone for good. Checkouts reject with
 * `PoolFailedError` instead of the `PoolCrashedError` that means "restarting"; anything still waiting is told too.
 */
export function fail<W>(s: PoolState<W>, error: PoolFailedError): void {
  s.crashError = error;
  for (const waiter of s.waiting.drain()) rejectWaiter(s, waiter, error);
  if (s.phase === 'running') beginStop(s);
}

/** Stop intake: waiters reject with `PoolStoppedError`, idle workers stop, starts are given up. */
export function beginStop<W>(s: PoolState<W>): void {
  if (s.phase !== 'running') return;
  s.phase = 'stopping';
  s.backoffTimer?.cancel();
  s.backoffTimer = undefined;
  s.probation?.timer.cancel();
  s.probation = undefined;
  const error = new PoolStoppedError(s.config.name);
  for (const waiter of s.waiting.drain()) rejectWaiter(s, waiter, error);
  for (let worker = s.idle.take('fifo'); worker; worker = s.idle.take('fifo')) {
    retire(s, worker, 'poolStopping');
  }
  s.host.abortStarts();
}

/** Revoke the leases still held (their signals abort with `PoolStoppedError`) and stop every worker. */
export function stopAll<W>(s: PoolState<W>): HeldLease[] {
  // A crashed manager already revoked its leases; its workers are its supervisor's to stop.
  if (s.phase === 'crashed') return [];
  beginStop(s);
  const now = s.clock.now();
  const held: HeldLease[] = [];
  const error = new PoolStoppedError(s.config.name);
  for (const worker of [...s.byId.values()]) {
    const lease = worker.lease;
    if (lease !== undefined) {
      held.push({ workerId: worker.id, owner: describeOwner(lease.owner), heldMs: now - lease.sinceMs });
      s.checkedOut--;
      endLease(s, lease, error);
    }
    worker.retiree = undefined;
    if (worker.state === 'stopping') {
      // A discarded worker in its grace period, or a recycled one waiting for its replacement: stop it now.
      if (worker.timer !== undefined || worker.handle !== undefined) {
        worker.timer?.cancel();
        worker.timer = undefined;
        stopHandle(s, worker);
      }
    } else if (worker.state !== 'starting') {
      retire(s, worker, 'poolStopping');
    }
  }
  s.maybeLeasesBack();
  return held;
}
