// The public facade: re-exports only.

export * from './clock.js';
export * from './errors.js';
export type * from './observer/snapshot.js';
export * from './supervisor/child.js';
export * from './supervisor/exit.js';
export { type CommandWorkerOptions, commandWorker } from './workers/command-worker.js';
export type { WorkerModule } from './workers/kind-options.js';
export { type ProcessWorkerOptions, processWorker } from './workers/process-worker.js';
export { type ThreadWorkerOptions, threadWorker } from './workers/thread-worker.js';
export * from './workers/worker-kind.js';
