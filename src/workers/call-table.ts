// The calls in flight to one worker, keyed by a small integer id. It sits on the hot path of every call, so it
// allocates only the entry and the promise, and sets a timer or an abort listener only when the caller asked.
import type { TransferListItem } from 'node:worker_threads';
import type { Clock, Timer } from '../clock.js';
import { InvalidArgumentError, RunTimeoutError, UnsendablePayloadError } from '../errors.js';
import { timeoutWithAlias } from '../pool/timeout-options.js';
import { type ParentMessage, Tag } from '../worker/protocol.js';
import type { CallOptions } from './worker-kind.js';

/** Sends one envelope to the worker; throws if it cannot be encoded (the call alone then fails). */
export type SendMessage = (message: ParentMessage, transfer?: readonly TransferListItem[]) => void;

interface PendingCall {
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
  timer: Timer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** Calls in flight to one worker: send, settle by id, cancel by signal or timeout, reject all on death. */
export class CallTable {
  readonly #workerId: string;
  readonly #send: SendMessage;
  readonly #clock: Clock;
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;

  constructor(workerId: string, send: SendMessage, clock: Clock) {
    this.#workerId = workerId;
    this.#send = send;
    this.#clock = clock;
  }

  /** Calls sent and not yet answered, cancelled or rejected. */
  get size(): number {
    return this.#pending.size;
  }

  /** Send a call and wait for its answer. */
  call(payload: unknown, options: CallOptions | undefined): Promise<unknown> {
    const signal = options?.signal;
    let timeoutMs: number | undefined;
    if (options !== undefined) {
      const invalid = findInvalidCallOption(options);
      if (invalid !== undefined) return Promise.reject(invalid);
      timeoutMs = options.runTimeoutMs ?? options.timeoutMs;
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: PendingCall = { resolve, reject, timer: undefined, signal: undefined, onAbort: undefined };
      try {
        this.#send([Tag.call, id, payload], options?.transfer);
      } catch (error) {
        // Only this call is at fault (a payload that cannot be cloned or encoded): the worker never saw it.
        reject(new UnsendablePayloadError(this.#workerId, error));
        return;
      }
      this.#pending.set(id, pending);
      if (timeoutMs !== undefined && timeoutMs !== Number.POSITIVE_INFINITY) {
        pending.timer = this.#clock.setTimer(
          timeoutMs,
          () => this.#cancel(id, new RunTimeoutError(this.#workerId, timeoutMs)),
          { unref: true },
        );
      }
      if (signal !== undefined) {
        pending.signal = signal;
        pending.onAbort = () => this.#cancel(id, signal.reason);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
    });
  }

  /** Ask the worker for its memory use (`Tag.memory`) or usage (`Tag.usage`); resolves with what it answers. */
  requestMemory(tag: typeof Tag.memory | typeof Tag.usage = Tag.memory): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#send([tag, id]);
      this.#pending.set(id, { resolve, reject, timer: undefined, signal: undefined, onAbort: undefined });
    });
  }

  /**
   * Settle call `id` with the worker's answer. Returns false for an id never issued — a protocol error — and true
   * otherwise, including for a late answer to a call already cancelled, which is dropped.
   */
  settle(id: number, isError: boolean, value: unknown): boolean {
    const pending = this.#pending.get(id);
    if (pending === undefined) return id > 0 && id < this.#nextId;
    this.#pending.delete(id);
    this.#release(pending);
    if (isError) pending.reject(value);
    else pending.resolve(value);
    return true;
  }

  /** Reject every call in flight with `error` (the worker died); the table stays usable but is normally dropped. */
  rejectAll(error: Error): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of pending) {
      this.#release(call);
      call.reject(error);
    }
  }

  #cancel(id: number, reason: unknown): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    this.#release(pending);
    pending.reject(reason);
    try {
      this.#send([Tag.abort, id]);
    } catch {
      // The channel is closing: the worker is dying, and its death is reported on its own path.
    }
  }

  #release(pending: PendingCall): void {
    pending.timer?.cancel();
    if (pending.onAbort !== undefined) pending.signal!.removeEventListener('abort', pending.onAbort);
  }
}

function findInvalidCallOption(options: CallOptions): InvalidArgumentError | undefined {
  const { signal, transfer } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    return new InvalidArgumentError('call option "signal"', 'an AbortSignal', signal);
  }
  let timeoutMs: unknown;
  try {
    timeoutMs = timeoutWithAlias('call', options, 'runTimeoutMs');
  } catch (error) {
    return error as InvalidArgumentError;
  }
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
    const name = options.timeoutMs === undefined ? 'runTimeoutMs' : 'timeoutMs';
    return new InvalidArgumentError(`call option "${name}"`, 'a number of milliseconds >= 0, or Infinity', timeoutMs);
  }
  if (transfer !== undefined && !Array.isArray(transfer)) {
    return new InvalidArgumentError('call option "transfer"', 'an array of transferables', transfer);
  }
  return undefined;
}
