// `pool.run`'s call on a checked-out worker. Most calls can be ended by nothing but a revocation (the worker died,
// the pool stopped), so they pay for no AbortController and no listener; only a caller's signal, a run timeout or
// a lease expiry — the ways a call can end while its worker lives on — build the signal the worker must hear.
import { RunTimeoutError } from '../errors.js';
import type { PoolConfig } from '../options.js';
import type { CallableWorker, CallOptions } from '../workers/worker-kind.js';
import { Lease } from './lease.js';

/** What bounds one call. */
export interface CallLimits {
  readonly runTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly transfer: CallOptions['transfer'];
}

/** Call `worker` with `payload`, then check the lease in (discarding the worker if the call was cut short). */
export function callWorker<R>(
  lease: Lease<unknown>,
  worker: CallableWorker,
  payload: unknown,
  limits: CallLimits,
  config: PoolConfig<unknown>,
): Promise<R> {
  // Aborted while the checkout resolved: an abort event already fired is never heard again, so look now.
  if (limits.signal?.aborted) {
    lease.release();
    return Promise.reject(limits.signal.reason);
  }
  if (
    limits.signal === undefined &&
    limits.runTimeoutMs === Number.POSITIVE_INFINITY &&
    config.leaseTimeoutMs === Number.POSITIVE_INFINITY
  ) {
    return callToEnd<R>(lease, worker, payload, limits.transfer);
  }
  return callAbortable<R>(lease, worker, payload, limits, config);
}

/**
 * A call nothing but a revocation can end: the worker died (its call rejects too), the pool stopped or crashed
 * (the worker is being stopped). The revocation rejects the run at once, through a hook on the lease, not a signal.
 */
function callToEnd<R>(
  lease: Lease<unknown>,
  worker: CallableWorker,
  payload: unknown,
  transfer: CallOptions['transfer'],
): Promise<R> {
  const state = Lease.stateOf(lease)!;
  return new Promise<R>((resolve, reject) => {
    state.onRevoked = reject;
    const end = () => {
      state.onRevoked = undefined;
      lease.release();
    };
    let answer: Promise<R>;
    try {
      answer = worker.call(payload, transfer === undefined ? undefined : { transfer }) as Promise<R>;
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (value) => {
        end();
        resolve(value);
      },
      (error: unknown) => {
        end();
        reject(error);
      },
    );
  });
}

/** A call a signal can end: the caller's abort, the run timeout, or the lease's revocation (the worker died). */
async function callAbortable<R>(
  lease: Lease<unknown>,
  worker: CallableWorker,
  payload: unknown,
  { runTimeoutMs, signal, transfer }: CallLimits,
  config: PoolConfig<unknown>,
): Promise<R> {
  const call = new AbortController();
  const abort = (reason: unknown) => call.abort(reason);
  const onCallerAbort = () => abort(signal!.reason);
  const onRevoked = () => abort(lease.signal.reason);
  signal?.addEventListener('abort', onCallerAbort, { once: true });
  lease.signal.addEventListener('abort', onRevoked, { once: true });
  const timer =
    runTimeoutMs === Number.POSITIVE_INFINITY
      ? undefined
      : config.clock.setTimer(runTimeoutMs, () => abort(new RunTimeoutError(lease.workerId, runTimeoutMs)));
  const aborted = new Promise<never>((_, reject) => {
    call.signal.addEventListener('abort', () => reject(call.signal.reason), { once: true });
  });
  aborted.catch(() => {}); // the race below may already be settled when an abort comes
  try {
    return await Promise.race([worker.call(payload, { signal: call.signal, transfer }) as Promise<R>, aborted]);
  } finally {
    timer?.cancel();
    signal?.removeEventListener('abort', onCallerAbort);
    lease.signal.removeEventListener('abort', onRevoked);
    // Aborted mid-call: the worker's state is unknown, so it gets a grace period, then is replaced.
    if (call.signal.aborted) lease.release({ discard: true, graceMs: config.runAbortGraceMs });
    else lease.release();
  }
}
