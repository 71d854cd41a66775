// The public facade: re-exports only.

export * from './clock.js';
export * from './errors.js';
export type * from './observer/snapshot.js';
export * from './supervisor/child.js';
export * from './supervisor/exit.js';
export * from './workers/worker-kind.js';
