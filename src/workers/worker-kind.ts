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
  /**
   * Is the worker fit to be handed out? Runs on checkout when defined, under `validateTimeoutMs`; `false`, a throw
   * or a rejection means replace it, any other result (`true`, `undefined`, a query's result) means fit.
   */
  validate?(): unknown;
  /** Memory in bytes (RSS for a process, heap for a thread), read between calls for `maxMemoryMb`. */
  memoryBytes?(): number | undefined | Promise<number | undefined>;
  /** Memory and CPU time now, for the observer and metrics (sampled at most every 2 s, only while watched). */
  usage?(): Promise<WorkerUsage | undefined>;
}

/** A worker's resource use at one moment. */
export interface WorkerUsage {
  /** Bytes: resident memory of a process or command worker, heap used by a thread worker. */
  readonly memoryBytes?: number;
  /** CPU time (user + system) since the worker started, in ms. */
  readonly cpuMs?: number;
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
  /** Reject with `RunTimeoutError` after this many ms, and abort the handler's `signal`. @defaultValue Infinity */
  readonly runTimeoutMs?: number;
  /** @deprecated Use `runTimeoutMs` (same meaning). Kept for one minor release; giving both is an `InvalidArgumentError`. */
  readonly timeoutMs?: number;
  /** Transferables (thread workers only; ignored elsewhere). */
  readonly transfer?: readonly TransferListItem[];
}

/**
 * The worker handed out by process, thread and command pools. `P` and `R` are its handler's payload and result
 * (`unknown` unless the kind was given them, e.g. `threadWorker<typeof import('./fib.js')>(url)`).
 */
export interface CallableWorker<P = unknown, R = unknown> {
  /** The pool's id of this worker, e.g. `"db#3"`. */
  readonly id: string;
  /** The OS process id, for process and command workers. */
  readonly pid?: number;
  /** The thread id, for thread workers. */
  readonly threadId?: number;
  /** Send `payload` to the worker's handler; resolves with its result, rejects with its error. */
  call(payload: P, options?: CallOptions): Promise<R>;
}

/**
 * The worker a handler type or a worker module's type gives: `Handler` or any `(payload) => result` function, or a
 * module whose default export is one (`export default serve(handler)`; `typeof import('./fib.js')`). Anything else
 * gives `CallableWorker<unknown, unknown>`.
 */
export type HandlerWorker<T> = T extends { readonly default: infer H } ? HandlerWorker<H> : WorkerOfHandler<T>;

/** The worker a handler's type gives: its first parameter is the payload, its (awaited) return the result. */
// biome-ignore lint/suspicious/noExplicitAny: matches any handler's extra parameters
export type WorkerOfHandler<H> = H extends (payload: infer P, ...rest: any[]) => infer R
  ? CallableWorker<P, Awaited<R>>
  : CallableWorker;

/** Anything `pool.run()` can call: a `CallableWorker`, or a resource with a `call` method of its own. */
export interface Answering<P, R> {
  /** Answer one payload. */
  call(payload: P, options?: CallOptions): PromiseLike<R>;
}

/** What `pool.run()` accepts as payload for a pool of `W`: its `call`'s payload (`unknown` for an untyped pool). */
export type RunPayload<W> = unknown extends W ? unknown : W extends Answering<infer P, unknown> ? P : never;

/** What `pool.run()` resolves with for a pool of `W`: its `call`'s result (`unknown` for an untyped pool). */
// biome-ignore lint/suspicious/noExplicitAny: the payload is matched by RunPayload
export type RunResult<W> = unknown extends W ? unknown : W extends Answering<any, infer R> ? R : never;
