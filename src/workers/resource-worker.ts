// The in-process worker kind: any async resource (a database client, a socket, a browser page). The lease hands out
// the resource itself. A resource that dies on its own says so with `ctx.exit(reason)`, and the pool treats that
// like any worker's death. `destroy` runs at most once per resource, whatever mix of stop, kill and exit happens.
import { InvalidArgumentError } from '../errors.js';
import { Child } from '../supervisor/child.js';
import { crashedExit, type Exit, killedExit, normalExit, shutdownExit } from '../supervisor/exit.js';
import type { WorkerHandle, WorkerKind, WorkerStartContext } from './worker-kind.js';

/** What `create` is given. */
export interface ResourceContext {
  readonly workerId: string;
  readonly poolName: string;
  /** Aborted when the start is given up, and when the worker stops or dies: end background work on it. */
  readonly signal: AbortSignal;
  /** Report the resource's death (e.g. from a client's `'error'` event); with no reason it exited normally. */
  exit(reason?: unknown): void;
}

/** How to make, check and dispose of one resource. */
export interface ResourceWorkerOptions<R> {
  /** Make a resource; resolve when it is ready to be handed out. */
  create(context: ResourceContext): R | Promise<R>;
  /** Dispose of a resource; called once, when the pool stops the worker or the resource died. */
  destroy?(resource: R): void | Promise<void>;
  /**
   * Is the resource fit to be handed out? Runs on every checkout, under the pool's `validateTimeoutMs`; `false`, a
   * throw, a rejection or a timeout replaces it; any other result (`true`, `undefined`, a query's result) passes.
   */
  validate?(resource: R): unknown;
}

const KNOWN_OPTIONS = ['create', 'destroy', 'validate'];

/** A worker kind whose workers are in-process resources made by `create`. */
export function resourceWorker<R>(options: ResourceWorkerOptions<R>): WorkerKind<R> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('resourceWorker() options', 'an object with create()', options);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.includes(key)) {
      throw new InvalidArgumentError(`resourceWorker() option "${key}"`, `one of ${KNOWN_OPTIONS.join(', ')}`, key);
    }
  }
  for (const key of KNOWN_OPTIONS) {
    const value = (options as unknown as Record<string, unknown>)[key];
    if (typeof value !== 'function' && (key === 'create' || value !== undefined)) {
      throw new InvalidArgumentError(`resourceWorker() option "${key}"`, 'a function', value);
    }
  }
  return { kind: 'resource', start: (context) => ResourceHandle.start(options, context) };
}

/** One resource as a supervisor child. */
class ResourceHandle<R> extends Child implements WorkerHandle<R> {
  readonly workerId: string;
  readonly worker: R;
  readonly validate: (() => unknown) | undefined;
  readonly #options: ResourceWorkerOptions<R>;
  readonly #life: AbortController;
  #destroyed: Promise<void> | undefined;

  private constructor(workerId: string, resource: R, options: ResourceWorkerOptions<R>, life: AbortController) {
    super();
    this.workerId = workerId;
    this.worker = resource;
    this.#options = options;
    this.#life = life;
    const { validate } = options;
    // Defined only when the user gave one: the pool's checkout fast path skips validation when it is absent.
    this.validate = validate && (() => validate(resource));
  }

  static async start<R>(options: ResourceWorkerOptions<R>, context: WorkerStartContext): Promise<ResourceHandle<R>> {
    const life = new AbortController();
    const onStartAborted = () => life.abort(context.signal.reason);
    context.signal.addEventListener('abort', onStartAborted, { once: true });
    let handle: ResourceHandle<R> | undefined;
    let earlyExit: { reason: unknown } | undefined;
    const resourceContext: ResourceContext = {
      workerId: context.workerId,
      poolName: context.poolName,
      signal: life.signal,
      exit: (reason) => {
        if (handle) handle.#died(reason);
        else earlyExit ??= { reason };
      },
    };
    try {
      if (context.signal.aborted) throw context.signal.reason;
      const resource = await options.create(resourceContext);
      handle = new ResourceHandle(context.workerId, resource, options, life);
      // Gave up while `create` ran, or the resource died before it was ready: dispose of it, fail the start.
      if (context.signal.aborted || earlyExit) {
        const reason = context.signal.aborted ? context.signal.reason : earlyExit!.reason;
        await handle.#destroy().catch(() => {});
        handle.reportExit(killedExit());
        throw reason ?? new Error(`resource "${context.workerId}" exited before it was ready`);
      }
      return handle;
    } finally {
      context.signal.removeEventListener('abort', onStartAborted);
    }
  }

  stop(): void {
    if (this.hasExited || this.#destroyed) return;
    this.#destroy().then(
      () => this.#finish(shutdownExit),
      (error: unknown) => this.#finish(crashedExit(error)),
    );
  }

  kill(): void {
    if (this.hasExited) return;
    // Clean-up still runs (once), but the pool does not wait for it.
    this.#destroy().catch(() => {});
    this.#finish(killedExit());
  }

  #died(reason: unknown): void {
    if (this.hasExited) return;
    this.#finish(reason === undefined ? normalExit : crashedExit(reason));
    // The resource is already dead; destroy is for clean-up (close sockets, clear timers) and may fail harmlessly.
    this.#destroy().catch(() => {});
  }

  #finish(exit: Exit): void {
    this.#life.abort(exit);
    this.reportExit(exit);
  }

  #destroy(): Promise<void> {
    this.#destroyed ??= Promise.resolve().then(() => this.#options.destroy?.(this.worker));
    return this.#destroyed;
  }
}
