// The public facade: re-exports only.
export * from './errors.js';
export * from './clock.js';
export * from './supervisor/exit.js';
export * from './supervisor/child.js';
export * from './workers/worker-kind.js';
