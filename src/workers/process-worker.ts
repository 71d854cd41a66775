// Workers that are Node.js child processes, forked with an IPC channel and running `serve()` from `pooltoy/worker`.
import { fork, type Serializable } from 'node:child_process';
import { type Clock, systemClock } from '../clock.js';
import { workerIdVariable } from '../worker/protocol.js';
import {
  checkKindOptions,
  checkModule,
  checkOneOf,
  checkStderrTarget,
  checkStopTimeoutMs,
  checkStringArray,
  type StderrTarget,
  type WorkerModule,
} from './kind-options.js';
import { readOsUsage } from './os-usage.js';
import { hasProcessGroups, signalGroup } from './process-groups.js';
import { keepStderrTail, watchOsProcess } from './watch-os-process.js';
import { WorkerConnection } from './worker-connection.js';
import type { CallableWorker, HandlerWorker, WorkerKind } from './worker-kind.js';

/** Options of `processWorker`. */
export interface ProcessWorkerOptions {
  /** Arguments after the module path. @default [] */
  readonly args?: readonly string[];
  /** The environment; the worker's id is added as `POOLTOY_WORKER_ID`. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Node.js flags, e.g. `['--max-old-space-size=256']`. @default process.execArgv */
  readonly execArgv?: readonly string[];
  /** The working directory. @default process.cwd() */
  readonly cwd?: string;
  /** How messages are encoded: `'advanced'` (structured clone: Maps, Dates, typed arrays) or `'json'`. @default 'json' */
  readonly serialization?: 'json' | 'advanced';
  /** After `stop()` (SIGTERM), SIGKILL a worker still running after this many ms. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** Where timers come from (tests inject a `ManualClock`). @default systemClock */
  readonly clock?: Clock;
  /**
   * Where the worker's stderr goes: `'inherit'` (this process' stderr, as it comes), `'ignore'`, or a function given
   * each chunk (a logger). Its last 2 KB are kept either way for the `WorkerExitError` that reports a death.
   * @default 'inherit'
   */
  readonly stderr?: StderrTarget;
}

/**
 * Run each worker as a forked Node.js process; `module` calls `serve(handler)` from `pooltoy/worker`. `T` types
 * the calls as for `threadWorker`: the module's type (`typeof import('./fib.js')`, whose default export is
 * `serve(handler)`) or the handler's; without it payloads and results are `unknown`.
 */
export function processWorker<T = unknown>(
  module: WorkerModule,
  options: ProcessWorkerOptions = {},
): WorkerKind<HandlerWorker<T>> {
  const modulePath = checkModule('processWorker', module);
  checkKindOptions('processWorker', options, [
    'args',
    'env',
    'execArgv',
    'cwd',
    'serialization',
    'stopTimeoutMs',
    'clock',
    'stderr',
  ]);
  const args = checkStringArray('processWorker', 'args', options.args) ?? [];
  const execArgv = checkStringArray('processWorker', 'execArgv', options.execArgv);
  const serialization = checkOneOf('processWorker', 'serialization', options.serialization ?? 'json', [
    'json',
    'advanced',
  ]);
  const stopTimeoutMs = checkStopTimeoutMs('processWorker', options.stopTimeoutMs);
  const clock = options.clock ?? systemClock;
  const stderrTarget = checkStderrTarget('processWorker', options.stderr);

  const kind: WorkerKind<CallableWorker> = {
    kind: 'process',
    start(context) {
      const child = fork(modulePath, args, {
        env: { ...(options.env ?? process.env), [workerIdVariable]: context.workerId },
        execArgv,
        cwd: options.cwd,
        serialization,
        // Its own process group, so that a stop or a kill reaches whatever it started too (docs/workers.md).
        detached: hasProcessGroups,
        // stderr passes through us, so that the error reporting its death can quote the end of it.
        stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
      });
      const stderr = keepStderrTail(child.stderr, stderrTarget);
      const connection = new WorkerConnection({
        context,
        clock,
        stopTimeoutMs,
        pid: child.pid,
        stderr,
        transport: {
          // Sent without a callback: a failure to send means the channel is gone, which 'error' reports.
          send: (message) => child.send(message as Serializable),
          stop: () => signalGroup(child, 'SIGTERM'),
          kill: () => signalGroup(child, 'SIGKILL'),
          usage: () => readOsUsage(child.pid),
        },
      });
      child.on('message', (message) => connection.receive(message));
      child.on('error', (error) => {
        // A fork that never spawned has no process to wait for: its death is now.
        connection.fail(error);
        if (child.pid === undefined) connection.died(null, null);
      });
      child.on('disconnect', () => connection.channelLost(new Error('the IPC channel closed')));
      watchOsProcess(child, connection, clock);
      return connection.started;
    },
  };
  return kind as WorkerKind<HandlerWorker<T>>;
}
