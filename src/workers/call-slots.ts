// Pipelining without a new pool: a worker kind whose "workers" are call slots, each group of `callsPerWorker`
// slots sharing one real worker. The pool manager keeps its one-call-per-worker state machine and counts slots;
// only this decorator knows that slots share a process or a thread.
import { RunTimeoutError, WorkerExitError } from '../errors.js';
import type { PoolConfig } from '../options.js';
import { Child, type ExitListener } from '../supervisor/child.js';
import { describeExit, type Exit, shutdownExit } from '../supervisor/exit.js';
import type {
  CallableWorker,
  CallOptions,
  WorkerHandle,
  WorkerKind,
  WorkerStartContext,
  WorkerUsage,
} from './worker-kind.js';

// Kinds made here: a config parsed again (a pool tree rebuilt) must not put slots of slots on one worker.
const slotKinds = new WeakSet<WorkerKind<CallableWorker>>();

/** `config` with its worker kind made into call slots when `callsPerWorker > 1`; as is otherwise. */
export function withCallSlots<W>(config: PoolConfig<W>): PoolConfig<W> {
  if (config.callsPerWorker <= 1) return config;
  // parsePoolOptions admits `callsPerWorker > 1` only for kinds whose workers are CallableWorkers.
  const worker = callSlots(config.worker as WorkerKind<CallableWorker>, config.callsPerWorker);
  return Object.freeze({ ...config, worker: worker as WorkerKind<W> });
}

/**
 * Make `kind`'s workers serve up to `callsPerWorker` calls at once: each start returns a slot of a shared worker,
 * attaching to one with a free slot or starting a new one (concurrent starts join the pending one).
 */
export function callSlots(kind: WorkerKind<CallableWorker>, callsPerWorker: number): WorkerKind<CallableWorker> {
  if (callsPerWorker <= 1 || slotKinds.has(kind)) return kind;
  // Only shared workers that still take slots: not draining, not ending, not given up.
  const joinable = new Set<SharedWorker>();
  const slotted: WorkerKind<CallableWorker> = {
    kind: kind.kind,
    start(context) {
      let shared: SharedWorker | undefined;
      for (const candidate of joinable) {
        if (candidate.hasRoom) {
          shared = candidate;
          break;
        }
      }
      if (shared === undefined) {
        shared = new SharedWorker(kind, context, callsPerWorker, (done) => joinable.delete(done));
        joinable.add(shared);
      }
      return shared.join(context);
    },
  };
  slotKinds.add(slotted);
  return slotted;
}

type SharedState = 'starting' | 'running' | 'ended';

/** One real worker and the slots attached to it. */
class SharedWorker {
  handle: WorkerHandle<CallableWorker> | undefined;
  /** Slots attached, and a slot whose stop took the worker down, all told of the worker's exit. */
  readonly members = new Set<CallSlot>();
  readonly #capacity: number;
  readonly #startAbort = new AbortController();
  readonly #started: Promise<WorkerHandle<CallableWorker>>;
  readonly #leaveJoinable: (shared: SharedWorker) => void;
  #state: SharedState = 'starting';
  #joining = 0;
  // Once one of its slots leaves (recycled, dismissed, discarded) no slot joins: otherwise `maxUses`, `maxAgeMs` and
  // `maxMemoryMb` would recycle slots forever onto the same old worker.
  #isDraining = false;

  constructor(
    kind: WorkerKind<CallableWorker>,
    context: WorkerStartContext,
    capacity: number,
    leaveJoinable: (shared: SharedWorker) => void,
  ) {
    this.#capacity = capacity;
    this.#leaveJoinable = leaveJoinable;
    // The real worker takes the id of the slot whose start made it; its own signal aborts only once no slot
    // waits for it, so one slot's start timeout does not fail the slots that joined it.
    const start = { workerId: context.workerId, poolName: context.poolName, signal: this.#startAbort.signal };
    try {
      this.#started = kind.start(start);
    } catch (error) {
      this.#started = Promise.reject(error);
    }
    this.#started.then(
      (handle) => this.#onStarted(handle),
      () => this.#end(),
    );
  }

  get hasRoom(): boolean {
    return this.#state !== 'ended' && !this.#isDraining && this.#joining + this.members.size < this.#capacity;
  }

  /** A slot for `context`, once the real worker is ready; rejects if it fails or the slot's start is given up. */
  join(context: WorkerStartContext): Promise<CallSlot> {
    const { signal } = context;
    if (signal.aborted) return Promise.reject(signal.reason);
    this.#joining++;
    return new Promise((resolve, reject) => {
      let isWaiting = true;
      const stopWaiting = () => {
        isWaiting = false;
        this.#joining--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        stopWaiting();
        reject(signal.reason);
        if (this.#state === 'starting' && this.#joining === 0) {
          this.#end();
          this.#startAbort.abort(signal.reason);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#started.then(
        (handle) => {
          if (!isWaiting) return;
          stopWaiting();
          if (this.#state === 'running') resolve(this.#attach(context.workerId, handle));
          else reject(new WorkerExitError(handle.workerId, { cause: new Error(this.#whyGone(handle)) }));
        },
        (error: unknown) => {
          if (!isWaiting) return;
          stopWaiting();
          reject(error);
        },
      );
    });
  }

  /** `slot` stops: it leaves at once, unless it is the last or its calls may still run (then the worker stops). */
  leave(slot: CallSlot, takesWorker: boolean): void {
    this.#drain();
    if (!takesWorker && this.members.size > 1) {
      this.members.delete(slot);
      slot.report(shutdownExit);
      return;
    }
    this.handle!.stop(); // the slot reports the worker's exit, which comes through #onExit
  }

  #onStarted(handle: WorkerHandle<CallableWorker>): void {
    this.handle = handle;
    if (this.#state === 'ended') {
      handle.kill(); // every slot gave up waiting and the kind ignored the abort: nobody will use this worker
      return;
    }
    this.#state = 'running';
    handle.onExit(this.#onExit);
  }

  #attach(workerId: string, handle: WorkerHandle<CallableWorker>): CallSlot {
    const slot = new CallSlot(workerId, this, handle);
    this.members.add(slot);
    return slot;
  }

  // Every slot of the worker reports the same exit, so the pool replaces each by its own rules.
  readonly #onExit: ExitListener = (exit) => {
    this.#end();
    const members = [...this.members];
    this.members.clear();
    for (const slot of members) slot.report(exit);
  };

  #drain(): void {
    if (this.#isDraining) return;
    this.#isDraining = true;
    this.#leaveJoinable(this);
  }

  #end(): void {
    this.#state = 'ended';
    this.#drain();
  }

  #whyGone(handle: WorkerHandle<CallableWorker>): string {
    const exit = handle.exit;
    return exit === undefined ? 'it was given up before the slot attached' : `it ${describeExit(exit)}`;
  }
}

/** One slot of a shared worker: what the pool sees as a worker. */
class CallSlot extends Child implements WorkerHandle<CallableWorker> {
  readonly workerId: string;
  readonly worker: CallableWorker;
  readonly pid?: number;
  readonly threadId?: number;
  readonly validate?: () => unknown;
  readonly memoryBytes?: () => number | undefined | Promise<number | undefined>;
  readonly usage?: () => Promise<WorkerUsage | undefined>;
  readonly #shared: SharedWorker;
  readonly #handle: WorkerHandle<CallableWorker>;
  #callsInFlight = 0;
  #wasCutShort = false;
  #isLeaving = false;

  constructor(workerId: string, shared: SharedWorker, handle: WorkerHandle<CallableWorker>) {
    super();
    this.workerId = workerId;
    this.#shared = shared;
    this.#handle = handle;
    this.pid = handle.pid;
    this.threadId = handle.threadId;
    // Defined only when the real worker has them: the pool skips validation when `validate` is absent.
    if (handle.validate) this.validate = () => handle.validate!();
    if (handle.memoryBytes) this.memoryBytes = () => handle.memoryBytes!();
    if (handle.usage) this.usage = () => handle.usage!();
    const real = handle.worker;
    this.worker = {
      id: workerId,
      pid: handle.pid,
      threadId: handle.threadId,
      call: <R>(payload: unknown, options?: CallOptions) => this.#call<R>(real, payload, options),
    };
  }

  // A slot stopped mid-call, or after a call of its was cut short (run timeout, abort), leaves a handler of unknown
  // state in the shared worker: as docs/semantics.md says of any such worker, it is replaced — and its neighbours
  // with it.
  stop(): void {
    if (this.hasExited || this.#isLeaving) return;
    this.#isLeaving = true;
    this.#shared.leave(this, this.#callsInFlight > 0 || this.#wasCutShort);
  }

  kill(): void {
    if (this.hasExited) return;
    this.#handle.kill();
  }

  /** Report this slot's exit (its own stop, or the shared worker's end). */
  report(exit: Exit): void {
    this.reportExit(exit);
  }

  #call<R>(worker: CallableWorker, payload: unknown, options: CallOptions | undefined): Promise<R> {
    const answer = worker.call(payload, options) as Promise<R>;
    this.#callsInFlight++;
    const canBeCutShort =
      options?.signal !== undefined || options?.runTimeoutMs !== undefined || options?.timeoutMs !== undefined;
    answer.then(this.#onAnswered, canBeCutShort ? (error) => this.#onFailed(error, options!.signal) : this.#onAnswered);
    return answer;
  }

  readonly #onAnswered = (): void => {
    this.#callsInFlight--;
  };

  #onFailed(error: unknown, signal: AbortSignal | undefined): void {
    this.#callsInFlight--;
    if (signal?.aborted || error instanceof RunTimeoutError) this.#wasCutShort = true;
  }
}
