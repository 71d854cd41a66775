// What the PoolToy tree tells observers about its pools, typed, and flattened into the observer's ToyEvent. As for
// supervisors, a listener's fault never reaches the tree: it becomes a warning, and 'error' is never emitted.
import { EventEmitter } from 'node:events';
import type { PoolFailedError } from '../errors.js';
import type { ToyEvent } from '../observer/snapshot.js';
import { describeExit, type Exit } from '../supervisor/exit.js';

/** The tree's own events, each with its one payload. */
export interface PoolToyEventMap {
  /** A pool started and was registered under its name. */
  'pool:started': [{ readonly name: string }];
  /** The pool supervisor restarted the pool's manager and workers after a crash (`cause`); the Pool stays valid. */
  'pool:restarted': [{ readonly name: string; readonly restarts: number; readonly cause: unknown }];
  /** A pool stopped on request (`stopPool`, `pool.stop()`, or the tree's stop) and left the registry. */
  'pool:stopped': [{ readonly name: string; readonly exit: Exit }];
  /** A pool crashed past its restart intensity (or was killed) and was removed: `error.cause` says why. */
  'pool:failed': [{ readonly name: string; readonly error: PoolFailedError }];
}

/** The name of a tree event. */
export type PoolToyEventName = keyof PoolToyEventMap;

/** A typed EventEmitter that delivers safely and also hands each event to `onEvent` listeners as a `ToyEvent`. */
export class PoolToyEvents extends EventEmitter<PoolToyEventMap> {
  readonly #toyListeners = new Set<(event: ToyEvent) => void>();

  /** Are there `onEvent` listeners (then the tree forwards every pool's events too)? */
  protected get hasToyListeners(): boolean {
    return this.#toyListeners.size > 0;
  }

  /** Add an `onEvent` listener; returns the function that removes it. */
  protected addToyListener(listener: (event: ToyEvent) => void): () => void {
    this.#toyListeners.add(listener);
    return () => this.#toyListeners.delete(listener);
  }

  /** Hand a pool's (or the tree's) event to every `onEvent` listener. */
  protected forward(event: ToyEvent): void {
    for (const listener of [...this.#toyListeners]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(`a PoolToy onEvent listener threw: ${String(error)}`, 'PoolToyWarning');
      }
    }
  }

  /** Emit a tree event to its listeners, then to `onEvent` listeners as a `ToyEvent`. */
  protected announce<E extends PoolToyEventName>(event: E, ...args: PoolToyEventMap[E]): void {
    // rawListeners, not listeners: the `once` wrappers must run so they remove themselves.
    const listeners = this.rawListeners(event as never) as unknown as ((...payload: unknown[]) => void)[];
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (error) {
        process.emitWarning(`a PoolToy "${event}" listener threw: ${String(error)}`, 'PoolToyWarning');
      }
    }
    if (this.#toyListeners.size > 0) this.forward(toToyTreeEvent(event, args[0]));
  }
}

function toToyTreeEvent(type: PoolToyEventName, payload: PoolToyEventMap[PoolToyEventName][0]): ToyEvent {
  const detail =
    'error' in payload
      ? payload.error.message
      : 'exit' in payload
        ? describeExit(payload.exit)
        : 'cause' in payload
          ? `restart ${payload.restarts}: ${payload.cause instanceof Error ? payload.cause.message : String(payload.cause)}`
          : undefined;
  return { time: Date.now(), pool: payload.name, type, ...(detail !== undefined && { detail }) };
}
