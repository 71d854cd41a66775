// Workers and leases ending outside the client's hands: a worker's death (counted the moment it is learned, its
// lease revoked) and a lease revoked because its owner ended, it expired or it leaked.
import { LeaseRevokedError, type LeaseRevokedReason, WorkerExitError, WorkerStartError } from '../errors.js';
import type { Exit } from '../supervisor/exit.js';
import { finishLease, type LeaseState } from './lease.js';
import type { PoolState } from './pool-state.js';
import type { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';
import { retire, returnWorker } from './worker-return.js';
import { countFailedStart, provedHealthy } from './worker-starts.js';

/** A worker exited. Counts change now, not behind queued checkouts. */
export function workerExited<W>(s: PoolState<W>, worker: PooledWorker<W>, exit: Exit): void {
  if (worker.hasExited) return;
  worker.hasExited = true;
  s.byId.delete(worker.id);
  const wasExpected = worker.state === 'stopping';
  if (wasExpected) {
    s.stopping--;
    worker.timer?.cancel();
    if (s.phase === 'stopping' && exit.kind === 'killed') s.stoppedByKill.push(worker.id);
  } else {
    s.idle.remove(worker);
    worker.timer?.cancel();
    s.live--;
    const lease = worker.lease;
    if (lease !== undefined) {
      s.checkedOut--;
      const error =
        exit.kind === 'crashed' && exit.error instanceof WorkerExitError
          ? exit.error
          : new WorkerExitError(worker.id, {
              ...(exit.kind === 'killed' && { signal: exit.signal ?? 'SIGKILL' }),
              ...(exit.kind === 'crashed' && { cause: exit.error }),
            });
      endLease(s, lease, error);
    }
    const waiter = worker.validatingFor;
    worker.validatingFor = undefined;
    if (waiter !== undefined && !waiter.isSettled && s.phase === 'running') s.waiting.unshift(waiter);
    maybeCountEarlyDeath(s, worker, exit);
  }
  worker.timer = undefined;
  if (s.events.wants('worker:exited')) s.events.emit('worker:exited', { workerId: worker.id, exit, wasExpected });
  pump(s);
  s.maybeSettled();
  s.maybeLeasesBack();
}

/**
 * A worker exited unasked. Once it proved healthy (up `minHealthyMs`, or a lease of it checked in) its death is
 * replaced at once. Before that it is an early death: the first of a row is replaced at once too (a SIGKILL, a
 * terminated connection can hit a young worker); each further one of a worker started after the previous one, with
 * no worker proving healthy in between, is a crash loop, counted as a failed start (backoff, `maxRestarts`), so it
 * never respawns in a tight loop.
 */
function maybeCountEarlyDeath<W>(s: PoolState<W>, worker: PooledWorker<W>, exit: Exit): void {
  const minHealthyMs = s.config.minHealthyMs;
  if (worker.provedHealthy || minHealthyMs === 0 || s.phase !== 'running') return;
  const livedMs = s.clock.now() - worker.readyAt;
  if (livedMs >= minHealthyMs) {
    provedHealthy(s, worker);
    return;
  }
  // A row is a chain: each death a replacement started after the previous one. Workers already started when the
  // row's last early death came (killed together, or call slots sharing one process) die of the same event, not of
  // a crash loop: they are replaced at once and do not lengthen the row.
  if (s.earlyDeaths > 0 && worker.startOrdinal <= s.earlyDeathMark) return;
  s.earlyDeathMark = s.startsBegun;
  if (++s.earlyDeaths < 2) return;
  const why =
    exit.kind === 'crashed'
      ? exit.error.message
      : exit.kind === 'killed'
        ? `killed (${exit.signal ?? 'SIGKILL'})`
        : `exited (${exit.kind})`;
  countFailedStart(
    s,
    new WorkerStartError(
      s.config.name,
      worker.id,
      exit.kind === 'crashed' ? exit.error : exit,
      `worker "${worker.id}" of pool "${s.config.name}" exited ${Math.round(livedMs)}ms after it started, before it proved healthy (early death ${s.earlyDeaths} in a row, minHealthyMs ${minHealthyMs}ms): ${why}`,
    ),
  );
}

/** Revoke a lease whose owner ended, that expired, or that leaked; its worker is replaced or returned per `onOwnerExit`. */
export function revokeLease<W>(
  s: PoolState<W>,
  state: LeaseState<W>,
  reason: LeaseRevokedReason,
  cause?: unknown,
): void {
  if (state.end !== 'active') return;
  const worker = state.pooledWorker;
  s.checkedOut--;
  endLease(s, state, new LeaseRevokedError(s.config.name, worker.id, reason, cause));
  if (s.events.isListening) {
    if (reason === 'expired') {
      s.events.emit('lease:expired', { workerId: worker.id, heldMs: s.clock.now() - state.sinceMs });
    } else if (reason === 'leaked') {
      s.events.emit('lease:leaked', { workerId: worker.id, stack: state.stack });
    }
  }
  if (s.config.onOwnerExit === 'checkin') returnWorker(s, worker);
  else retire(s, worker, reason === 'ownerExited' ? 'ownerExited' : reason === 'expired' ? 'leaseExpired' : 'leaked');
  s.maybeLeasesBack();
}

/** End a lease the pool takes back: its signal aborts with `reason`, and its worker is free of it. */
export function endLease<W>(s: PoolState<W>, state: LeaseState<W>, reason: unknown): void {
  if (!finishLease(state, 'revoked', reason)) return;
  s.leaks?.unregister(state);
  state.pooledWorker.lease = undefined;
  if (s.events.wants('lease:revoked')) s.events.emit('lease:revoked', { workerId: state.pooledWorker.id, reason });
}
