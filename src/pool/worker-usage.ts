// Each worker's memory and CPU time for the observer and metrics, sampled at a bounded cost: at most one round per
// pool every `usageIntervalMs`, only when someone reads the workers (a snapshot, a scrape), one reading in flight
// per worker. Kept beside the manager's records, not in them: the pump and the hot path never see it.
import type { WorkerUsage } from '../workers/worker-kind.js';
import type { PoolState } from './pool-state.js';
import type { PooledWorker } from './pooled-worker.js';

/** The shortest time between two sampling rounds of one pool. */
export const usageIntervalMs = 2000;

const lastReading = new WeakMap<PooledWorker<unknown>, WorkerUsage>();
const isReading = new WeakSet<PooledWorker<unknown>>();
const lastRoundAt = new WeakMap<PoolState<unknown>, number>();

/** The worker's last reading, if any. */
export function usageOf<W>(worker: PooledWorker<W>): WorkerUsage | undefined {
  return lastReading.get(worker as PooledWorker<unknown>);
}

/** Start a sampling round unless one began less than `usageIntervalMs` ago; readings land for the next look. */
export function maybeSampleUsage<W>(s: PoolState<W>): void {
  const state = s as PoolState<unknown>;
  const now = s.clock.now();
  const last = lastRoundAt.get(state);
  if (last !== undefined && now - last < usageIntervalMs) return;
  lastRoundAt.set(state, now);
  for (const worker of state.byId.values()) {
    const handle = worker.handle;
    if (handle?.usage === undefined || worker.hasExited || worker.state === 'stopping' || isReading.has(worker))
      continue;
    isReading.add(worker);
    handle
      .usage()
      .then(
        (usage) => {
          if (usage !== undefined) lastReading.set(worker, usage);
        },
        () => {}, // a worker that died meanwhile has no reading; its exit is reported elsewhere
      )
      .finally(() => isReading.delete(worker));
  }
}
