// One started process, thread or command worker, whatever carries its messages: the ready handshake, the calls,
// the graded stop, and the single path every death takes. Each kind only wires its events to it.
import type { Clock, Timer } from '../clock.js';
import { WorkerExitError, WorkerProtocolError } from '../errors.js';
import { Child } from '../supervisor/child.js';
import { crashedExit, type Exit, killedExit, normalExit, shutdownExit } from '../supervisor/exit.js';
import { deserializeError, isWorkerMessage, Tag } from '../worker/protocol.js';
import { CallTable, type SendMessage } from './call-table.js';
import type { CallableWorker, CallOptions, WorkerHandle, WorkerStartContext, WorkerUsage } from './worker-kind.js';

/** How a kind reaches its worker: deliver envelopes, ask it to exit, end it. */
export interface WorkerTransport {
  readonly send: SendMessage;
  /** Ask the worker to exit (SIGTERM, a stop message). */
  stop(): void;
  /** End the worker now (SIGKILL, terminate); safe on a worker already gone. */
  kill(): void;
  /** Memory in bytes measured from outside, for kinds whose worker cannot be asked (command workers). */
  memoryBytes?(): Promise<number | undefined>;
  /** Memory and CPU time measured from outside (the OS); undefined where it cannot tell. */
  usage?(): Promise<WorkerUsage | undefined>;
}

/** What a kind tells the connection about the worker it started. */
export interface WorkerConnectionOptions {
  readonly context: WorkerStartContext;
  readonly transport: WorkerTransport;
  readonly clock: Clock;
  /** After `stop()`, kill the worker if it has not exited within this many ms. */
  readonly stopTimeoutMs: number;
  readonly pid?: number;
  readonly threadId?: number;
  /** What the worker wrote last to stderr, quoted by the error that reports its death. */
  readonly stderr?: { toString(): string };
}

type ConnectionState = 'starting' | 'running' | 'stopping' | 'exited';
type Ending = 'none' | 'stop' | 'kill';

// A closed channel usually means the worker is exiting and its exit is a moment away; only a worker still running
// after this long is killed for it, so that a crash is reported with its real exit code, not as our SIGKILL.
const lostChannelGraceMs = 1000;
// A killed worker is reported dead by its exit, which SIGKILL makes certain — except for a process the kernel holds
// (uninterruptible I/O) or a thread stuck in native code: past this long it is reported killed regardless, so that
// no stop waits on it forever.
const killedExitGraceMs = 2000;

/** A started worker that answers calls: the `WorkerHandle` of the process, thread and command kinds. */
export class WorkerConnection extends Child implements WorkerHandle<CallableWorker> {
  readonly workerId: string;
  readonly worker: CallableWorker;
  readonly pid?: number;
  readonly threadId?: number;
  /** Resolves with this handle once the worker is ready; rejects with a `WorkerExitError` once it is gone. */
  readonly started: Promise<WorkerConnection>;

  readonly #transport: WorkerTransport;
  readonly #clock: Clock;
  readonly #stopTimeoutMs: number;
  readonly #startSignal: AbortSignal;
  readonly #calls: CallTable;
  #state: ConnectionState = 'starting';
  #ending: Ending = 'none';
  #cause: Error | undefined;
  #exitError: WorkerExitError | undefined;
  #stopTimer: Timer | undefined;
  #lostChannelTimer: Timer | undefined;
  #killTimer: Timer | undefined;
  readonly #stderr: { toString(): string } | undefined;
  #resolveStart!: (handle: WorkerConnection) => void;
  #rejectStart!: (error: Error) => void;

  constructor(options: WorkerConnectionOptions) {
    super();
    this.workerId = options.context.workerId;
    this.pid = options.pid;
    this.threadId = options.threadId;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#stopTimeoutMs = options.stopTimeoutMs;
    this.#stderr = options.stderr;
    this.#calls = new CallTable(this.workerId, options.transport.send, options.clock);
    this.worker = {
      id: this.workerId,
      pid: options.pid,
      threadId: options.threadId,
      call: <R>(payload: unknown, callOptions?: CallOptions) => this.#call(payload, callOptions) as Promise<R>,
    };
    this.started = new Promise((resolve, reject) => {
      this.#resolveStart = resolve;
      this.#rejectStart = reject;
    });
    this.#startSignal = options.context.signal;
    if (this.#startSignal.aborted) this.fail(this.#startSignal.reason);
    else this.#startSignal.addEventListener('abort', this.#onStartAborted, { once: true });
  }

  /** Calls sent and not yet settled. */
  get callsInFlight(): number {
    return this.#calls.size;
  }

  stop(): void {
    if (this.#state === 'exited' || this.#ending !== 'none') return;
    this.#ending = 'stop';
    if (this.#state === 'running') this.#state = 'stopping';
    this.#stopTimer = this.#clock.setTimer(this.#stopTimeoutMs, () => this.kill(), { unref: true });
    try {
      this.#transport.stop();
    } catch (error) {
      this.fail(error);
    }
  }

  kill(): void {
    if (this.#state === 'exited') return;
    this.#ending = 'kill';
    if (this.#state === 'running') this.#state = 'stopping';
    this.#killQuietly();
  }

  async memoryBytes(): Promise<number | undefined> {
    if (this.#state !== 'running') return undefined;
    try {
      const bytes = this.#transport.memoryBytes
        ? await this.#transport.memoryBytes()
        : await this.#calls.requestMemory();
      return typeof bytes === 'number' ? bytes : undefined;
    } catch {
      return undefined; // it died meanwhile: its exit says so, not this reading
    }
  }

  /**
   * Memory and CPU time: from the OS when the kind can read it (processes, commands), else asked of the worker
   * (threads), which answers between calls. A kind whose worker cannot be asked (commands) has none without the OS.
   */
  async usage(): Promise<WorkerUsage | undefined> {
    if (this.#state !== 'running') return undefined;
    try {
      const fromOutside = await this.#transport.usage?.();
      if (fromOutside !== undefined || this.#transport.memoryBytes) return fromOutside;
      const answer = (await this.#calls.requestMemory(Tag.usage)) as WorkerUsage | undefined;
      return typeof answer === 'object' && answer !== null ? answer : undefined;
    } catch {
      return undefined; // it died meanwhile: its exit says so, not this reading
    }
  }

  /** Handle one message from the worker; anything outside the protocol kills it as a `WorkerProtocolError`. */
  receive(message: unknown): void {
    // Once failing, the worker is being killed: what it still says cannot be trusted.
    if (this.#state === 'exited' || this.#cause !== undefined) return;
    if (!isWorkerMessage(message)) {
      this.fail(new WorkerProtocolError(this.workerId, 'a PoolToy worker message', message));
      return;
    }
    switch (message[0]) {
      case Tag.result:
        if (!this.#calls.settle(message[1], false, message[2])) this.#unknownCall(message[1]);
        return;
      case Tag.error:
        if (!this.#calls.settle(message[1], true, deserializeError(message[2]))) this.#unknownCall(message[1]);
        return;
      case Tag.ready:
        if (this.#state !== 'starting') {
          this.fail(new WorkerProtocolError(this.workerId, 'one ready message', 'a second one'));
        } else if (this.#ending === 'none') {
          this.#state = 'running';
          this.#startSignal.removeEventListener('abort', this.#onStartAborted);
          this.#resolveStart(this);
        }
        return;
      case Tag.startFailed:
        if (this.#state === 'starting') this.fail(deserializeError(message[1]));
        else this.fail(new WorkerProtocolError(this.workerId, 'no start failure after ready', 'one'));
        return;
    }
  }

  /** The worker cannot go on (an error, garbage, a failed init, a given-up start): kill it, blaming `cause`. */
  fail(cause: unknown): void {
    if (this.#state === 'exited') return;
    this.#cause ??= cause instanceof Error ? cause : new Error(String(cause));
    this.#killQuietly();
  }

  /** The channel to a worker closed (IPC disconnect, stdin or stdout closed): it dies unless it exits by itself. */
  channelLost(cause: Error): void {
    if (this.#state === 'exited' || this.#lostChannelTimer !== undefined) return;
    this.#lostChannelTimer = this.#clock.setTimer(lostChannelGraceMs, () => this.fail(cause), { unref: true });
  }

  /** The worker is gone: reject its calls (or its start) and report its exit. The only way out; idempotent. */
  died(exitCode: number | null, signal: string | null): void {
    if (this.#state === 'exited') return;
    const duringStart = this.#state === 'starting';
    this.#state = 'exited';
    this.#stopTimer?.cancel();
    this.#lostChannelTimer?.cancel();
    this.#killTimer?.cancel();
    this.#startSignal.removeEventListener('abort', this.#onStartAborted);
    const stderr = this.#stderr?.toString();
    const error = new WorkerExitError(this.workerId, { exitCode, signal, cause: this.#cause, duringStart, stderr });
    this.#exitError = error;
    this.#calls.rejectAll(error);
    if (duringStart) this.#rejectStart(error);
    this.reportExit(this.#classify(exitCode, signal, error));
  }

  #classify(exitCode: number | null, signal: string | null, error: WorkerExitError): Exit {
    if (this.#cause !== undefined) return crashedExit(error);
    if (this.#ending === 'kill') return killedExit(signal ?? undefined);
    if (this.#ending === 'stop') return exitCode === 0 || signal === 'SIGTERM' ? shutdownExit : crashedExit(error);
    return exitCode === 0 ? normalExit : crashedExit(error);
  }

  #call(payload: unknown, options: CallOptions | undefined): Promise<unknown> {
    if (this.#state === 'running') return this.#calls.call(payload, options);
    const error =
      this.#exitError ??
      new WorkerExitError(this.workerId, { cause: new Error('it is stopping and takes no more calls') });
    return Promise.reject(error);
  }

  #unknownCall(id: number): void {
    this.fail(new WorkerProtocolError(this.workerId, 'the id of a call in flight', id));
  }

  #killQuietly(): void {
    this.#killTimer ??= this.#clock.setTimer(killedExitGraceMs, () => this.died(null, 'SIGKILL'), { unref: true });
    try {
      this.#transport.kill();
    } catch {
      // Killing a worker that is already gone can throw on some platforms; its exit is reported regardless.
    }
  }

  readonly #onStartAborted = (): void => this.fail(this.#startSignal.reason);
}
