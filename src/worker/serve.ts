// What runs inside a process or thread worker: answer the pool's calls with a handler. The same module works in a
// forked process (IPC) and in a worker thread (parentPort).
import { getHeapStatistics } from 'node:v8';
import { isMainThread, parentPort } from 'node:worker_threads';
import { InvalidArgumentError, NotInWorkerError, UnsendableResultError, WorkerProtocolError } from '../errors.js';
import { type ParentMessage, serializeError, Tag, type WorkerMessage, workerIdVariable } from './protocol.js';

/** What a handler gets besides the payload. */
export interface HandlerContext {
  /** Aborted when the caller gave up on this call (its signal aborted, or its timeout passed). */
  readonly signal: AbortSignal;
  /** The pool's id of this worker, e.g. `"db#3"`. */
  readonly workerId: string;
}

/** Answers one call: returns the result, or a promise of it; a throw or rejection reaches the caller as an error. */
export type Handler<P = unknown, R = unknown> = (payload: P, context: HandlerContext) => R | PromiseLike<R>;

/** Options of `serve`. */
export interface ServeOptions {
  /** Runs once before the worker reports ready (open connections, load models); a throw fails the start. */
  readonly init?: (context: { readonly workerId: string }) => unknown;
}

// The abort controller is made only when a handler reads its signal: most handlers never do, and calls are hot.
class CallContext implements HandlerContext {
  readonly workerId: string;
  #controller: AbortController | undefined;
  #isAborted = false;

  constructor(workerId: string) {
    this.workerId = workerId;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#isAborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  abort(): void {
    this.#isAborted = true;
    this.#controller?.abort();
  }
}

interface Channel {
  readonly isThread: boolean;
  send(message: WorkerMessage): void;
  listen(listener: (message: unknown) => void): void;
}

let isServing = false;

/**
 * Serve calls from the pool with `handler` until the worker is stopped (or its parent is gone). Returns `handler`,
 * so the module can export it — `export default serve(handler)` — and the pool that runs the module take its
 * payload and result types: `threadWorker<typeof import('./fib.js')>(url)`.
 */
export function serve<P = unknown, R = unknown>(handler: Handler<P, R>, options: ServeOptions = {}): Handler<P, R> {
  if (typeof handler !== 'function') throw new InvalidArgumentError('serve() handler', 'a function', handler);
  if (options.init !== undefined && typeof options.init !== 'function') {
    throw new InvalidArgumentError('serve() option "init"', 'a function', options.init);
  }
  if (isServing) throw new InvalidArgumentError('serve() call', 'one serve() per worker', 'a second call');
  const channel = openChannel();
  isServing = true;
  let workerId = process.env[workerIdVariable] ?? `pid ${process.pid}`;
  const running = new Map<number, CallContext>();

  const init = (): void => {
    Promise.resolve()
      .then(() => options.init?.({ workerId }))
      .then(
        () => channel.send([Tag.ready]),
        (error: unknown) => channel.send([Tag.startFailed, serializeError(error)]),
      );
  };

  const answer = (id: number, isError: boolean, value: unknown): void => {
    try {
      channel.send(isError ? [Tag.error, id, serializeError(value)] : [Tag.result, id, value]);
    } catch (error) {
      // The result could not be cloned or encoded (a function, a BigInt in JSON): the call fails, not the worker.
      channel.send([Tag.error, id, serializeError(new UnsendableResultError(workerId, error))]);
    }
  };

  const call = (id: number, payload: unknown): void => {
    const context = new CallContext(workerId);
    let result: R | PromiseLike<R>;
    try {
      result = handler(payload as P, context);
    } catch (error) {
      answer(id, true, error);
      return;
    }
    if (!isPromiseLike(result)) {
      answer(id, false, result);
      return;
    }
    running.set(id, context);
    result.then(
      (value) => {
        running.delete(id);
        answer(id, false, value);
      },
      (error: unknown) => {
        running.delete(id);
        answer(id, true, error);
      },
    );
  };

  channel.listen((message) => {
    const envelope = message as ParentMessage;
    switch (Array.isArray(envelope) ? envelope[0] : undefined) {
      case Tag.call:
        call(envelope[1] as number, envelope[2]);
        return;
      case Tag.abort:
        running.get(envelope[1] as number)?.abort();
        return;
      case Tag.memory:
        answer(
          envelope[1] as number,
          false,
          channel.isThread ? getHeapStatistics().used_heap_size : process.memoryUsage.rss(),
        );
        return;
      case Tag.usage:
        answer(envelope[1] as number, false, usageHere(channel.isThread));
        return;
      case Tag.stop:
        process.exit(0);
        return;
      case Tag.hello:
        workerId = String(envelope[1]);
        init();
        return;
      default:
        // Not ours to die for: the parent's bug is reported where its operators look, and the worker serves on.
        process.emitWarning(new WorkerProtocolError(workerId, 'a PoolToy parent message', message));
    }
  });
  // A thread learns its id from its first message; a process has it in its environment and starts at once.
  if (!channel.isThread) init();
  return handler;
}

function openChannel(): Channel {
  if (!isMainThread && parentPort !== null) {
    const port = parentPort;
    return {
      isThread: true,
      send: (message) => port.postMessage(message),
      listen: (listener) => port.on('message', listener),
    };
  }
  if (typeof process.send === 'function') {
    return {
      isThread: false,
      send: (message) => {
        // After a disconnect there is nobody to answer, and sending would throw: the exit below is on its way.
        if (process.connected) process.send!(message);
      },
      listen: (listener) => {
        process.on('message', listener);
        // The parent is gone (even by SIGKILL): exit rather than live on as an orphan.
        process.on('disconnect', () => process.exit(0));
        // Ctrl-C in a terminal signals the whole process group: the pool, not the terminal, stops its workers
        // (SIGTERM, then SIGKILL), so an in-flight call is not cut short before the pool's own shutdown.
        process.on('SIGINT', ignoreInterrupt);
      },
    };
  }
  throw new NotInWorkerError();
}

function ignoreInterrupt(): void {}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Memory and CPU time as this worker sees them. A thread: its own heap, and its own CPU time where Node can tell
 * (`process.threadCpuUsage`, Node 23.9+), else the time its event loop was busy. A process: its RSS and CPU time.
 */
function usageHere(isThread: boolean): { memoryBytes: number; cpuMs: number } {
  if (!isThread) {
    const { user, system } = process.cpuUsage();
    return { memoryBytes: process.memoryUsage.rss(), cpuMs: (user + system) / 1000 };
  }
  const threadCpuUsage = (process as { threadCpuUsage?: () => { user: number; system: number } }).threadCpuUsage;
  const cpu = threadCpuUsage?.call(process);
  const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 : performance.eventLoopUtilization().active;
  return { memoryBytes: getHeapStatistics().used_heap_size, cpuMs };
}
