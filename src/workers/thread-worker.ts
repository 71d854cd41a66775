// Workers that are Node.js worker threads running `serve()` from `pooltoy/worker`; payloads may transfer buffers.
import { type ResourceLimits, type SHARE_ENV, Worker } from 'node:worker_threads';
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import { Tag } from '../worker/protocol.js';
import { checkKindOptions, checkModule, checkStopTimeoutMs, type WorkerModule } from './kind-options.js';
import { WorkerConnection } from './worker-connection.js';
import type { CallableWorker, HandlerWorker, WorkerKind } from './worker-kind.js';

/** Options of `threadWorker`. */
export interface ThreadWorkerOptions {
  /** Heap and stack limits; a thread that exceeds them dies with `ERR_WORKER_OUT_OF_MEMORY` and is replaced. */
  readonly resourceLimits?: ResourceLimits;
  /** Cloned into the thread as `workerData` from `node:worker_threads`. */
  readonly workerData?: unknown;
  /** The thread's `process.env`, or `SHARE_ENV` to share the parent's. @default a copy of process.env at start */
  readonly env?: NodeJS.Dict<string> | typeof SHARE_ENV;
  /** After `stop()`, terminate a thread still running after this many ms. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** Where timers come from (tests inject a `ManualClock`). @default systemClock */
  readonly clock?: Clock;
}

/**
 * Run each worker as a worker thread; `module` calls `serve(handler)` from `pooltoy/worker`. `T` types the calls:
 * the module's type when it does `export default serve(handler)` (`threadWorker<typeof import('./fib.js')>(url)`),
 * or the handler's type (`threadWorker<(n: number) => number>(url)`); without it payloads and results are `unknown`.
 */
export function threadWorker<T = unknown>(
  module: WorkerModule,
  options: ThreadWorkerOptions = {},
): WorkerKind<HandlerWorker<T>> {
  const modulePath = checkModule('threadWorker', module);
  checkKindOptions('threadWorker', options, ['resourceLimits', 'workerData', 'env', 'stopTimeoutMs', 'clock']);
  const { resourceLimits, workerData, env } = options;
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
    throw new InvalidArgumentError('threadWorker() option "resourceLimits"', 'an object', resourceLimits);
  }
  const stopTimeoutMs = checkStopTimeoutMs('threadWorker', options.stopTimeoutMs);
  const clock = options.clock ?? systemClock;

  const kind: WorkerKind<CallableWorker> = {
    kind: 'thread',
    start(context) {
      const thread = new Worker(modulePath, { resourceLimits, workerData, env });
      const connection = new WorkerConnection({
        context,
        clock,
        stopTimeoutMs,
        threadId: thread.threadId,
        transport: {
          send: (message, transfer) => thread.postMessage(message, transfer),
          // `serve()` exits with code 0 on this; a thread stuck in a loop never reads it and is terminated later.
          stop: () => thread.postMessage([Tag.stop]),
          kill: () => {
            // terminate() rejects nothing we need: the 'exit' event reports the end.
            thread.terminate().catch(() => {});
          },
        },
      });
      thread.postMessage([Tag.hello, context.workerId]);
      thread.on('message', (message) => connection.receive(message));
      // An uncaught error, an import that failed, ERR_WORKER_OUT_OF_MEMORY: 'exit' follows with the code.
      thread.on('error', (error) => connection.fail(error));
      thread.on('messageerror', (error) => connection.fail(error));
      thread.on('exit', (exitCode) => connection.died(exitCode, null));
      return connection.started;
    },
  };
  return kind as WorkerKind<HandlerWorker<T>>;
}
