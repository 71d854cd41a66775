// Worker starts and the start-failure policy: ids, the outcome of a start, backoff with jitter, fail-fast past the
// restart intensity, and the crash-loop rule (a worker that dies younger than minHealthyMs is a failed start).
import { WorkerStartError } from '../errors.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import { rejectWaiter } from './checkout-admission.js';
import type { PoolManager } from './pool-manager.js';
import { PooledWorker } from './pooled-worker.js';
import { pump } from './pump.js';
import { workerExited } from './worker-exits.js';
import { returnWorker, stopHandle } from './worker-return.js';

// Worker ids are unique in the process (a restarted pool of the same name must not reuse its old ids).
const lastWorkerNumber = new Map<string, number>();

/** Begin a start: capacity is reserved from now, and the host reports the outcome. */
export function startWorker<W>(m: PoolManager<W>): void {
  const name = m.config.name;
  const number = (lastWorkerNumber.get(name) ?? 0) + 1;
  lastWorkerNumber.set(name, number);
  const worker = new PooledWorker<W>(`${name}#${number}`, m.live >= m.config.size);
  worker.readyAt = m.clock.now();
  m.byId.set(worker.id, worker);
  m.live++;
  m.starting++;
  m.lastStarted = worker;
  if (m.events.isListening) {
    m.events.emit('worker:starting', { workerId: worker.id, isOverflow: worker.isOverflow });
  }
  m.host.startWorker(worker.id);
}

/** The host started worker `workerId`. */
export function workerStarted<W>(m: PoolManager<W>, workerId: string, handle: WorkerHandle<W>): void {
  const worker = m.byId.get(workerId);
  if (worker === undefined || worker.state !== 'starting') {
    m.host.stopWorker(handle);
    return;
  }
  m.starting--;
  worker.handle = handle;
  const startMs = m.clock.now() - worker.readyAt;
  worker.readyAt += startMs;
  m.startsSucceeded++;
  putOnProbation(m, worker);
  releaseRetiree(m, worker);
  if (m.events.isListening) m.events.emit('worker:started', { workerId, startMs });
  if (m.failingWith !== undefined) {
    m.failingWith = undefined;
    if (m.events.isListening) m.events.emit('pool:recovered', {});
  }
  worker.state = 'idle';
  returnWorker(m, worker);
  // Subscribed last: a worker that died while starting reports at once, into a consistent state.
  handle.onExit((exit) => m.guard(() => workerExited(m, worker, exit)));
  m.maybeSettled();
}

/** The host could not start worker `workerId`. */
export function workerStartFailed<W>(m: PoolManager<W>, workerId: string, error: unknown): void {
  const worker = m.byId.get(workerId);
  if (worker === undefined || worker.state !== 'starting') return;
  m.byId.delete(workerId);
  worker.hasExited = true;
  m.starting--;
  m.live--;
  releaseRetiree(m, worker);
  const startError = error instanceof WorkerStartError ? error : new WorkerStartError(m.config.name, workerId, error);
  countFailedStart(m, startError);
  pump(m);
  m.maybeSettled();
}

/**
 * A start failed, or a worker died younger than `minHealthyMs` (a crash loop looks like a start that succeeds
 * and then fails): back off before the next start, and fail fast past the restart intensity.
 */
export function countFailedStart<W>(m: PoolManager<W>, startError: WorkerStartError): void {
  m.lastStartError = startError;
  m.probation?.timer.cancel();
  m.probation = undefined;
  const isPastIntensity = m.backoff.recordFailure(m.clock.now());
  let retryInMs = 0;
  if (m.phase === 'running' && m.backoffTimer === undefined) {
    retryInMs = m.backoff.nextDelayMs();
    m.backoffTimer = m.clock.setTimer(retryInMs, () =>
      m.guard(() => {
        m.backoffTimer = undefined;
        pump(m);
      }),
    );
  }
  if (m.events.isListening) {
    m.events.emit('worker:startFailed', { workerId: startError.workerId, error: startError, retryInMs });
  }
  if (m.phase === 'running' && (isPastIntensity || m.failingWith !== undefined)) {
    failFast(m, startError);
  }
}

/**
 * The backoff is reset only once a started worker has stayed up `minHealthyMs`: reset at the start itself, a
 * worker that crashes on its first call would clear the count of the loop it is part of.
 */
function putOnProbation<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  const minHealthyMs = m.config.minHealthyMs;
  if (minHealthyMs === 0) {
    m.backoff.recordSuccess();
    return;
  }
  if (!m.backoff.hasFailures) return;
  m.probation?.timer.cancel();
  const timer = m.clock.setTimer(
    minHealthyMs,
    () =>
      m.guard(() => {
        m.probation = undefined;
        if (!worker.hasExited) m.backoff.recordSuccess();
      }),
    { unref: true },
  );
  m.probation = { worker, timer };
}

/** Starts keep failing: waiters and new checkouts that cannot be served at once reject instead of timing out. */
function failFast<W>(m: PoolManager<W>, error: WorkerStartError): void {
  const wasFailing = m.failingWith !== undefined;
  m.failingWith = error;
  if (!wasFailing && m.events.isListening) m.events.emit('pool:failing', { error });
  for (const waiter of m.waiting.drain()) rejectWaiter(m, waiter, error);
}

function releaseRetiree<W>(m: PoolManager<W>, worker: PooledWorker<W>): void {
  const retiree = worker.retiree;
  if (retiree === undefined) return;
  worker.retiree = undefined;
  stopHandle(m, retiree);
}
