// What the web observer needs from a PoolToy tree, and nothing more: structural, so `PoolToy` satisfies it
// without importing the observer, and a test can hand over any tree of its own.
import type { ToyEvent, ToySnapshot } from './snapshot.js';

/** A running tree the observer can draw, follow and (with `actions: true`) act on. */
export interface ObservedTree {
  /** The whole tree as plain JSON-safe data, read at this moment. */
  snapshot(): ToySnapshot;
  /** Call `listener` for every pool event as it happens; returns a function that stops listening. */
  onEvent(listener: (event: ToyEvent) => void): () => void;
  /** Kill one worker at once, as a crash would; false when no such pool or worker exists. */
  killWorker(poolName: string, workerId: string): boolean;
  /** Stop a pool and remove it from the tree; rejects with `PoolNotFoundError` for an unknown name. */
  stopPool(name: string): Promise<unknown>;
  /**
   * Start again a pool that was stopped, with the options it last had; rejects with `PoolNotFoundError` when no
   * pool of that name was ever started, `PoolExistsError` when it is running.
   */
  restartPool(name: string): Promise<unknown>;
}
