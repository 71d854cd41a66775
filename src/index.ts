// The public facade: re-exports only.

/**
 * Pools (`createPool`, `Pool`, `Lease`), worker kinds, supervisors, the `PoolToy` tree, the registry and every error.
 *
 * @module pooltoy
 */

export * from './clock.js';
export * from './errors.js';
export type * from './observer/snapshot.js';
export type { OnOwnerExit, PoolOptions, PoolStrategy } from './options.js';
export { createPool } from './pool/create-pool.js';
export {
  type PoolDiagnosticsMessage,
  type PoolEventSubject,
  poolDiagnosticsChannels,
} from './pool/diagnostics.js';
export { Lease, type ReleaseOptions } from './pool/lease.js';
export type { Owner, OwnerEmitter } from './pool/owner-monitor.js';
export { type CheckoutOptions, Pool, type RunOptions, type StopReport } from './pool/pool.js';
export type { PoolEventListener, PoolEventMap, PoolEventName, StopCause } from './pool/pool-events.js';
export type { HeldLease } from './pool/pool-manager.js';
export type { PoolStatus } from './pool/pool-status.js';
export { type PoolStopSummary, PoolToy, type PoolToyStopReport } from './pooltoy.js';
export * from './registry.js';
export * from './supervisor/child.js';
export { type ChildInfo, shouldRestart } from './supervisor/child-entry.js';
export * from './supervisor/dynamic-supervisor.js';
export * from './supervisor/exit.js';
export * from './supervisor/restart-intensity.js';
export * from './supervisor/shutdown.js';
export * from './supervisor/supervisor.js';
export { SupervisorEventEmitter, type SupervisorEventMap } from './supervisor/supervisor-events.js';
export type { PoolToyEventMap, PoolToyEventName } from './tree/pooltoy-events.js';
export type { PoolOptionsByName, PoolToyOptions, PoolWorkers } from './tree/pooltoy-options.js';
export { type CommandWorkerOptions, commandWorker } from './workers/command-worker.js';
export type { StderrTarget, WorkerModule } from './workers/kind-options.js';
export { type ProcessWorkerOptions, processWorker } from './workers/process-worker.js';
export {
  type ResourceContext,
  type ResourceWorkerOptions,
  resourceWorker,
} from './workers/resource-worker.js';
export { type ThreadWorkerOptions, threadWorker } from './workers/thread-worker.js';
export * from './workers/worker-kind.js';
