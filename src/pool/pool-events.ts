// The pool's typed events, and an emitter that costs one boolean test when nobody listens. A throwing listener
// is reported as a warning and never breaks the pool (nor keeps the other listeners from running).
import type { ToyEvent } from '../observer/snapshot.js';
import type { Exit } from '../supervisor/exit.js';
import {
  hasCheckinSubscribers,
  hasCheckoutSubscribers,
  hasDiagnosticsSubscriberFor,
  hasDiagnosticsSubscribers,
  maybePublishDiagnostics,
} from './diagnostics.js';

/** Why a worker is being stopped by the pool. */
export type StopCause =
  | 'dismissed'
  | 'recycled'
  | 'invalid'
  | 'ownerExited'
  | 'leaseExpired'
  | 'leaked'
  | 'discarded'
  | 'poolStopping';

/** Every event a pool emits, with its payload. */
export interface PoolEventMap {
  /** A checkout had to wait; `waiting` counts it. */
  'checkout:queued': { readonly waiting: number };
  /** A checkout got a worker; `waitMs` is 0 when an idle worker was there. */
  'checkout:granted': { readonly workerId: string; readonly waitMs: number };
  /** A waiter's deadline passed. */
  'checkout:timedOut': { readonly timeoutMs: number; readonly waiting: number };
  /** A checkout was refused or given up: pool full, queue full, stopped, starts failing, aborted, owner gone. */
  'checkout:rejected': { readonly error: unknown };
  /** A lease came back. */
  'checkin:done': { readonly workerId: string; readonly heldMs: number };
  /** A checkin that changed nothing: the lease was already checked in, revoked, or is another pool's. */
  'checkin:ignored': { readonly workerId: string; readonly reason: 'alreadyCheckedIn' | 'revoked' | 'foreign' };
  /** The pool began starting a worker (capacity is reserved from now). */
  'worker:starting': { readonly workerId: string; readonly isOverflow: boolean };
  /** A worker is ready. */
  'worker:started': { readonly workerId: string; readonly startMs: number };
  /** A start failed; the pool retries after `retryInMs`. */
  'worker:startFailed': { readonly workerId: string; readonly error: unknown; readonly retryInMs: number };
  /** The pool asked a worker to stop. */
  'worker:stopping': { readonly workerId: string; readonly cause: StopCause };
  /** A worker exited; `wasExpected` when the pool had asked it to stop. */
  'worker:exited': { readonly workerId: string; readonly exit: Exit; readonly wasExpected: boolean };
  /** A worker is replaced: past `maxUses`, `maxAgeMs`, `maxMemoryMb`, or it failed `validate`. */
  'worker:recycled': { readonly workerId: string; readonly reason: 'maxUses' | 'maxAge' | 'maxMemory' | 'invalid' };
  /** A surplus worker went idle for its cooldown. */
  'overflow:cooling': { readonly workerId: string; readonly ttlMs: number };
  /** A surplus worker was stopped (cooldown over, or `overflowTtlMs: 0`). */
  'overflow:dismissed': { readonly workerId: string };
  /** The pool took a lease back; `reason` is what `lease.signal` aborted with. */
  'lease:revoked': { readonly workerId: string; readonly reason: unknown };
  /** A lease was held longer than `leaseTimeoutMs`. */
  'lease:expired': { readonly workerId: string; readonly heldMs: number };
  /** A lease became unreachable without a checkin; `stack` is where it was checked out (`leakDetection`). */
  'lease:leaked': { readonly workerId: string; readonly stack: string | undefined };
  /** Starts keep failing: checkouts that cannot be served at once now reject with `WorkerStartError`. */
  'pool:failing': { readonly error: unknown };
  /** A start succeeded again after the pool was failing. */
  'pool:recovered': Record<string, never>;
  /** The pool stopped; the payload is `stop()`'s report. */
  'pool:stopped': { readonly killed: readonly string[]; readonly leasesHeld: number };
}

/** The name of a pool event. */
export type PoolEventName = keyof PoolEventMap;

/** A listener of one pool event. */
export type PoolEventListener<K extends PoolEventName> = (payload: PoolEventMap[K]) => void;

type AnyListener = (name: PoolEventName, payload: PoolEventMap[PoolEventName]) => void;

/** The pool's event emitter; every event is also published on its `pooltoy:*` diagnostics channel. */
export class PoolEvents {
  readonly #poolName: string;
  #hasListeners = false;
  readonly #listeners = new Map<PoolEventName, Function[]>();
  #anyListeners: AnyListener[] = [];

  /** `poolName` is the `pool` of every diagnostics message. */
  constructor(poolName = '') {
    this.#poolName = poolName;
  }

  /** Is anyone listening to anything, here or on a diagnostics channel? The hot path builds a payload only then. */
  get isListening(): boolean {
    return this.#hasListeners || hasDiagnosticsSubscribers();
  }

  /**
   * Does anyone want event `name`: a listener here, or a subscriber of its diagnostics channel? Read at each emit
   * point, never cached, so a subscriber added at any moment gets the next event; it costs one property read.
   */
  wants(name: PoolEventName): boolean {
    return this.#hasListeners || hasDiagnosticsSubscriberFor(name);
  }

  /** `wants` for the `checkout:*` events, which every checkout emits: the same answer without a lookup by name. */
  get wantsCheckouts(): boolean {
    return this.#hasListeners || hasCheckoutSubscribers();
  }

  /** `wants` for the `checkin:*` events, which every checkin emits. */
  get wantsCheckins(): boolean {
    return this.#hasListeners || hasCheckinSubscribers();
  }

  on<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): void {
    // Copy on write: an emit in progress keeps iterating the list it started with.
    this.#listeners.set(name, [...(this.#listeners.get(name) ?? []), listener]);
    this.#hasListeners = true;
  }

  off<K extends PoolEventName>(name: K, listener: PoolEventListener<K>): void {
    const listeners = this.#listeners.get(name);
    if (!listeners) return;
    const index = listeners.lastIndexOf(listener);
    if (index < 0) return;
    const rest = listeners.filter((_, at) => at !== index);
    if (rest.length > 0) this.#listeners.set(name, rest);
    else this.#listeners.delete(name);
    this.#updateListening();
  }

  /** Receive every event; returns the function that stops it. */
  onAny(listener: AnyListener): () => void {
    this.#anyListeners = [...this.#anyListeners, listener];
    this.#hasListeners = true;
    return () => {
      this.#anyListeners = this.#anyListeners.filter((other) => other !== listener);
      this.#updateListening();
    };
  }

  listenerCount(name: PoolEventName): number {
    return this.#listeners.get(name)?.length ?? 0;
  }

  emit<K extends PoolEventName>(name: K, payload: PoolEventMap[K]): void {
    const listeners = this.#listeners.get(name);
    if (listeners) for (const listener of listeners) this.#call(listener, payload);
    for (const listener of this.#anyListeners) this.#call(listener, name, payload);
    maybePublishDiagnostics(this.#poolName, name, payload);
  }

  #call(listener: Function, ...args: unknown[]): void {
    try {
      listener(...args);
    } catch (error) {
      process.emitWarning(`a pool event listener threw: ${String(error)}`, 'PoolToyWarning');
    }
  }

  #updateListening(): void {
    this.#hasListeners = this.#listeners.size > 0 || this.#anyListeners.length > 0;
  }
}

/** Flatten a pool event into the observer's log entry. */
export function toToyEvent<K extends PoolEventName>(pool: string, name: K, payload: PoolEventMap[K]): ToyEvent {
  const fields = payload as Partial<Record<string, unknown>>;
  const workerId = typeof fields.workerId === 'string' ? fields.workerId : undefined;
  const detail =
    'exit' in fields
      ? describeDetail((fields.exit as Exit).kind === 'crashed' ? (fields.exit as { error: Error }).error : fields.exit)
      : 'error' in fields
        ? describeDetail(fields.error)
        : 'reason' in fields
          ? describeDetail(fields.reason)
          : 'cause' in fields
            ? String(fields.cause)
            : undefined;
  return {
    time: Date.now(),
    pool,
    type: name,
    ...(workerId !== undefined && { workerId }),
    ...(detail !== undefined && { detail }),
    ...(name === 'checkout:granted' && { waitMs: fields.waitMs as number }),
    ...(name === 'checkin:done' && { heldMs: fields.heldMs as number }),
    ...(name === 'worker:exited' && { exitKind: (fields.exit as Exit).kind }),
  };
}

function describeDetail(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object' && value !== null && 'kind' in value) return String(value.kind);
  return String(value);
}
