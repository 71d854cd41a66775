// One interface behind every worker kind (resource, process, thread, command): the pool starts, watches and
// stops workers only through it.
import type { TransferListItem } from 'node:worker_threads';
import type { ChildHandle } from '../supervisor/child.js';

/** What a worker kind is given to start one worker. */
export interface WorkerStartContext {
  /** Unique within the process, e.g. `"db#3"`. */
  readonly workerId: string;
  /** The pool's name. */
  readonly poolName: string;
  /** Aborted when the start must be given up (it took longer than `startTimeoutMs`, or the pool is stopping). */
  readonly signal: AbortSignal;
}

/**
 * A started worker. It is a supervisor child: it reports its exit exactly once (death of any kind, or the end of
 * a stop), and stops on request. `worker` is what a lease hands out.
 */
export interface WorkerHandle<W = unknown> extends ChildHandle {
  readonly workerId: string;
  /** What `lease.worker` is: the resource itself, or a handle with `call` for the other kinds. */
  readonly worker: W;
  /** The OS process id, for process and command workers. */
  readonly pid?: number;
  /** The thread id, for thread workers. */
  readonly threadId?: number;
  /** The server process serving this connection, for database connections (`pooltoy/pg`: PostgreSQL's backend pid). */
  readonly backendPid?: number;
  /** Is the worker fit to be handed out? Runs on checkout when defined; false or a throw means replace it. */
  validate?(): boolean | Promise<boolean>;
  /** Memory in bytes (RSS for a process, heap for a thread), read between calls for `maxMemoryMb`. */
  memoryBytes?(): number | undefined | Promise<number | undefined>;
}

/** A kind of worker: how to start one. The `worker` option of a pool. */
export interface WorkerKind<W = unknown> {
  /** `'resource' | 'process' | 'thread' | 'command'`, or a custom kind's name. */
  readonly kind: string;
  /** Start one worker; resolves when it is ready to be handed out, rejects if it could not start. */
  start(context: WorkerStartContext): Promise<WorkerHandle<W>>;
}

/** Options of a call to a worker that answers calls. */
export interface CallOptions {
  /** Aborting it rejects the call with the signal's reason and passes the abort to the handler's `signal`. */
  readonly signal?: AbortSignal;
  /** Reject with `RunTimeoutError` after this many ms, and abort the handler's `signal`. */
  readonly timeoutMs?: number;
  /** Transferables (thread workers only; ignored elsewhere). */
  readonly transfer?: readonly TransferListItem[];
}

/** The worker handed out by process, thread and command pools. */
export interface CallableWorker {
  readonly id: string;
  readonly pid?: number;
  readonly threadId?: number;
  /** Send `payload` to the worker's handler; resolves with its result, rejects with its error. */
  call<R = unknown>(payload: unknown, options?: CallOptions): Promise<R>;
}
