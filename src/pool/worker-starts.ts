// Worker starts and the start-failure policy: ids, the outcome of a start, backoff with jitter, fail-fast past the
// restart intensity, and the proof of health that ends a crash loop (worker-exits.ts counts the early deaths).
import { WorkerStartError } from '../errors.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import { rejectWaiter } from './checkout-admission.js';
import type { PoolState } from './pool-state.js';
import { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';
import { workerExited } from './worker-exits.js';
import { returnWorker, stopHandle } from './worker-return.js';

// Worker ids are unique in the process (a restarted pool of the same name must not reuse its old ids).
const lastWorkerNumber = new Map<string, number>();

/** Begin a start: capacity is reserved from now, and the host reports the outcome. */
export function startWorker<W>(s: PoolState<W>): void {
  const name = s.config.name;
  const number = (lastWorkerNumber.get(name) ?? 0) + 1;
  lastWorkerNumber.set(name, number);
  const worker = new PooledWorker<W>(`${name}#${number}`, s.live >= s.config.size);
  worker.readyAt = s.clock.now();
  worker.startOrdinal = ++s.startsBegun;
  s.byId.set(worker.id, worker);
  s.live++;
  s.starting++;
  s.lastStarted = worker;
  if (s.events.wants('worker:starting')) {
    s.events.emit('worker:starting', { workerId: worker.id, isOverflow: worker.isOverflow });
  }
  s.host.startWorker(worker.id);
}

/** The host started worker `workerId`. */
export function workerStarted<W>(s: PoolState<W>, workerId: string, handle: WorkerHandle<W>): void {
  const worker = s.byId.get(workerId);
  if (worker === undefined || worker.state !== 'starting') {
    s.host.stopWorker(handle);
    return;
  }
  s.starting--;
  worker.handle = handle;
  const startMs = s.clock.now() - worker.readyAt;
  worker.readyAt += startMs;
  s.startsSucceeded++;
  putOnProbation(s, worker);
  releaseRetiree(s, worker);
  if (s.events.wants('worker:started')) s.events.emit('worker:started', { workerId, startMs });
  if (s.failingWith !== undefined) {
    s.failingWith = undefined;
    if (s.events.wants('pool:recovered')) s.events.emit('pool:recovered', {});
  }
  worker.state = 'idle';
  returnWorker(s, worker);
  // Subscribed last: a worker that died while starting reports at once, into a consistent state.
  handle.onExit((exit) => s.guard(() => workerExited(s, worker, exit)));
  s.maybeSettled();
}

/** The host could not start worker `workerId`. */
export function workerStartFailed<W>(s: PoolState<W>, workerId: string, error: unknown): void {
  const worker = s.byId.get(workerId);
  if (worker === undefined || worker.state !== 'starting') return;
  s.byId.delete(workerId);
  worker.hasExited = true;
  s.starting--;
  s.live--;
  releaseRetiree(s, worker);
  const startError = error instanceof WorkerStartError ? error : new WorkerStartError(s.config.name, workerId, error);
  countFailedStart(s, startError);
  pump(s);
  s.maybeSettled();
}

/**
 * A start failed (or a `validate` check failed, or a crash loop's worker died early again): back off before the next
 * start, and fail fast past the restart intensity.
 */
export function countFailedStart<W>(s: PoolState<W>, startError: WorkerStartError): void {
  s.lastStartError = startError;
  s.probation?.timer.cancel();
  s.probation = undefined;
  const isPastIntensity = s.backoff.recordFailure();
  let retryInMs = 0;
  if (s.phase === 'running' && s.backoffTimer === undefined) {
    retryInMs = s.backoff.nextDelayMs();
    s.backoffTimer = s.clock.setTimer(retryInMs, () =>
      s.guard(() => {
        s.backoffTimer = undefined;
        pump(s);
      }),
    );
  }
  if (s.events.wants('worker:startFailed')) {
    s.events.emit('worker:startFailed', { workerId: startError.workerId, error: startError, retryInMs });
  }
  if (s.phase === 'running' && (isPastIntensity || s.failingWith !== undefined)) {
    failFast(s, startError);
  }
}

/**
 * A worker proved healthy (stayed up `minHealthyMs`, or a lease of it was checked in): starts work, so a crash loop
 * or a run of failed starts is over, and the next failure starts from the first step of the backoff.
 */
export function provedHealthy<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  worker.provedHealthy = true;
  if (s.probation?.worker === worker) {
    s.probation.timer.cancel();
    s.probation = undefined;
  }
  s.earlyDeaths = 0;
  s.backoff.recordSuccess();
  // Starts work again: a retry still waiting out the old loop's (grown) backoff would leave clients waiting on it.
  // The caller pumps.
  s.backoffTimer?.cancel();
  s.backoffTimer = undefined;
  if (s.failingWith !== undefined) {
    s.failingWith = undefined;
    if (s.events.wants('pool:recovered')) s.events.emit('pool:recovered', {});
  }
}

/**
 * While a crash loop or failed starts are counted, a new worker that stays up `minHealthyMs` proves it healthy
 * (one timer, for the newest). Reset at the start itself, a worker that crashes on its first call would clear the
 * count of the loop it is part of.
 */
function putOnProbation<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  const minHealthyMs = s.config.minHealthyMs;
  if (minHealthyMs === 0) {
    worker.provedHealthy = true;
    s.backoff.recordSuccess();
    return;
  }
  if (!s.backoff.hasFailures && s.earlyDeaths === 0) return;
  s.probation?.timer.cancel();
  const timer = s.clock.setTimer(
    minHealthyMs,
    () =>
      s.guard(() => {
        s.probation = undefined;
        if (worker.hasExited) return;
        provedHealthy(s, worker);
        pump(s);
      }),
    { unref: true },
  );
  s.probation = { worker, timer };
}

/**
 * Starts keep failing: checkouts that no idle worker serves and that have no live worker to wait for (only starts,
 * which keep failing) reject instead of timing out. One that a busy worker will serve when it comes back waits.
 */
function failFast<W>(s: PoolState<W>, error: WorkerStartError): void {
  const wasFailing = s.failingWith !== undefined;
  s.failingWith = error;
  if (!wasFailing && s.events.wants('pool:failing')) s.events.emit('pool:failing', { error });
  if (s.live > s.starting) return;
  for (const waiter of s.waiting.drain()) rejectWaiter(s, waiter, error);
}

function releaseRetiree<W>(s: PoolState<W>, worker: PooledWorker<W>): void {
  const retiree = worker.retiree;
  if (retiree === undefined) return;
  worker.retiree = undefined;
  stopHandle(s, retiree);
}
