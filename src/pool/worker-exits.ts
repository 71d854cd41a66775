// Workers and leases ending outside the client's hands: a worker's death (counted the moment it is learned, its
// lease revoked) and a lease revoked because its owner ended, it expired or it leaked.
import { LeaseRevokedError, type LeaseRevokedReason, WorkerExitError, WorkerStartError } from '../errors.js';
import type { Exit } from '../supervisor/exit.js';
import type { LeaseState } from './lease.js';
import type { PoolManager } from './pool-manager.js';
import type { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';
import { retire, returnWorker } from './worker-return.js';
import { countFailedStart } from './worker-starts.js';

/** A worker exited. Counts change now, not behind queued checkouts. */
export function workerExited<W>(m: PoolManager<W>, worker: PooledWorker<W>, exit: Exit): void {
  if (worker.hasExited) return;
  worker.hasExited = true;
  m.byId.delete(worker.id);
  const wasExpected = worker.state === 'stopping';
  if (wasExpected) {
    m.stopping--;
    worker.timer?.cancel();
    if (m.phase === 'stopping' && exit.kind === 'killed') m.stoppedByKill.push(worker.id);
  } else {
    m.idle.remove(worker);
    worker.timer?.cancel();
    m.live--;
    const lease = worker.lease;
    if (lease !== undefined) {
      m.checkedOut--;
      const error =
        exit.kind === 'crashed' && exit.error instanceof WorkerExitError
          ? exit.error
          : new WorkerExitError(worker.id, {
              ...(exit.kind === 'killed' && { signal: exit.signal ?? 'SIGKILL' }),
              ...(exit.kind === 'crashed' && { cause: exit.error }),
            });
      endLease(m, lease, error);
    }
    const waiter = worker.validatingFor;
    worker.validatingFor = undefined;
    if (waiter !== undefined && !waiter.isSettled && m.phase === 'running') m.waiting.unshift(waiter);
    maybeCountYoungDeath(m, worker, exit);
  }
  worker.timer = undefined;
  if (m.events.isListening) m.events.emit('worker:exited', { workerId: worker.id, exit, wasExpected });
  pump(m);
  m.maybeSettled();
  m.maybeLeasesBack();
}

/** A worker that exited unasked before `minHealthyMs`: the start it came from did not really succeed. */
function maybeCountYoungDeath<W>(m: PoolManager<W>, worker: PooledWorker<W>, exit: Exit): void {
  const livedMs = m.clock.now() - worker.readyAt;
  if (livedMs >= m.config.minHealthyMs || m.phase !== 'running') return;
  const why =
    exit.kind === 'crashed'
      ? exit.error.message
      : exit.kind === 'killed'
        ? `killed (${exit.signal ?? 'SIGKILL'})`
        : `exited (${exit.kind})`;
  countFailedStart(
    m,
    new WorkerStartError(
      m.config.name,
      worker.id,
      exit.kind === 'crashed' ? exit.error : exit,
      `worker "${worker.id}" of pool "${m.config.name}" exited ${Math.round(livedMs)}ms after it started, before minHealthyMs (${m.config.minHealthyMs}ms): ${why}`,
    ),
  );
}

/** Revoke a lease whose owner ended, that expired, or that leaked; its worker is replaced or returned per `onOwnerExit`. */
export function revokeLease<W>(
  m: PoolManager<W>,
  state: LeaseState<W>,
  reason: LeaseRevokedReason,
  cause?: unknown,
): void {
  if (state.end !== 'active') return;
  const worker = state.worker;
  m.checkedOut--;
  endLease(m, state, new LeaseRevokedError(m.config.name, worker.id, reason, cause));
  if (m.events.isListening) {
    if (reason === 'expired') {
      m.events.emit('lease:expired', { workerId: worker.id, heldMs: m.clock.now() - state.sinceMs });
    } else if (reason === 'leaked') {
      m.events.emit('lease:leaked', { workerId: worker.id, stack: state.stack });
    }
  }
  if (m.config.onOwnerExit === 'checkin') returnWorker(m, worker);
  else retire(m, worker, reason === 'ownerExited' ? 'ownerExited' : reason === 'expired' ? 'leaseExpired' : 'leaked');
  m.maybeLeasesBack();
}

/** End a lease the pool takes back: its signal aborts with `reason`, and its worker is free of it. */
export function endLease<W>(m: PoolManager<W>, state: LeaseState<W>, reason: unknown): void {
  if (!state.finish('revoked', reason)) return;
  m.leaks?.unregister(state);
  state.worker.lease = undefined;
  if (m.events.isListening) m.events.emit('lease:revoked', { workerId: state.worker.id, reason });
}
