// The manager's hands: it starts workers as temporary children of the pool's worker supervisor (so the tree shows
// them and a stop of the tree stops them), bounds each start by `startTimeoutMs`, and stops workers through it.
import { ChildStartError, PoolStoppedError, WorkerStartError } from '../errors.js';
import type { PoolConfig } from '../options.js';
import type { DynamicSupervisor } from '../supervisor/dynamic-supervisor.js';
import type { WorkerHandle } from '../workers/worker-kind.js';
import type { PoolManager, WorkerHost } from './pool-manager.js';

/** Starts and stops a pool's workers under its worker supervisor. */
export class WorkerSupervisorHost<W> implements WorkerHost<W> {
  readonly #config: PoolConfig<W>;
  readonly #supervisor: DynamicSupervisor;
  readonly #starts = new Map<string, AbortController>();
  #manager: PoolManager<W> | undefined;

  constructor(config: PoolConfig<W>, supervisor: DynamicSupervisor) {
    this.#config = config;
    this.#supervisor = supervisor;
  }

  /** The manager told of each start's outcome. */
  attach(manager: PoolManager<W>): void {
    this.#manager = manager;
  }

  startWorker(workerId: string): void {
    const { name, startTimeoutMs, stopTimeoutMs, clock, worker: kind } = this.#config;
    const manager = this.#manager!;
    const start = new AbortController();
    this.#starts.set(workerId, start);
    let isSettled = false;
    const settle = (report: () => void) => {
      if (isSettled) return;
      isSettled = true;
      timer?.cancel();
      this.#starts.delete(workerId);
      // A throw in the manager is its crash, not this promise chain's unhandled rejection.
      try {
        report();
      } catch (error) {
        manager.crash(error);
      }
    };
    // Given up (timeout, pool stopping): the manager learns now, not when a stuck start finally returns.
    start.signal.addEventListener('abort', () =>
      settle(() => manager.workerStartFailed(workerId, start.signal.reason)),
    );
    const timer =
      startTimeoutMs === Number.POSITIVE_INFINITY
        ? undefined
        : clock.setTimer(startTimeoutMs, () =>
            start.abort(
              new WorkerStartError(
                name,
                workerId,
                undefined,
                `worker "${workerId}" of pool "${name}" was not ready within startTimeoutMs (${startTimeoutMs}ms)`,
              ),
            ),
          );
    this.#supervisor
      .startChild<WorkerHandle<W>>({
        id: workerId,
        restart: 'temporary',
        shutdown: stopTimeoutMs === Number.POSITIVE_INFINITY ? 'infinity' : stopTimeoutMs,
        start: () => startWithin(() => kind.start({ workerId, poolName: name, signal: start.signal }), start.signal),
      })
      .then(
        (handle) => {
          // A start that outlived its deadline must not outlive the pool.
          if (isSettled) void this.#supervisor.terminateChild(workerId);
          else settle(() => manager.workerStarted(workerId, handle));
        },
        (error: unknown) => {
          const cause = error instanceof ChildStartError ? error.cause : error;
          settle(() => manager.workerStartFailed(workerId, cause));
        },
      );
  }

  stopWorker(handle: WorkerHandle<W>): void {
    // The supervisor stops it gracefully and kills it after `stopTimeoutMs`; one it no longer knows is stopped here.
    void this.#supervisor.terminateChild(handle.workerId).then((exit) => {
      if (exit === undefined) handle.stop();
    });
  }

  abortStarts(): void {
    const reason = new PoolStoppedError(this.#config.name);
    for (const start of [...this.#starts.values()]) start.abort(reason);
  }
}

/**
 * The kind's start, given up the moment `signal` aborts even when the kind ignores the signal: otherwise the worker
 * supervisor would wait for it forever, and `pool.stop()` with it. A worker the ignored start makes later is killed.
 */
function startWithin<W>(start: () => Promise<WorkerHandle<W>>, signal: AbortSignal): Promise<WorkerHandle<W>> {
  let starting: Promise<WorkerHandle<W>>;
  try {
    starting = start();
  } catch (error) {
    return Promise.reject(error);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    starting.then(
      (handle) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) handle.kill();
        else resolve(handle);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
