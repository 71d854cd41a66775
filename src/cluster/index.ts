// pooltoy/cluster: a concurrency limit shared by every process that uses the same Redis key. Needs the optional
// peer dependency ioredis; nothing in the core package imports this.

/**
 * A concurrency limit shared by every process using the same Redis key (`withClusterLimit`, `ClusterSemaphore`); needs ioredis.
 *
 * @module pooltoy/cluster
 */

export * from './cluster-lease.js';
export * from './cluster-limit-options.js';
export * from './cluster-semaphore.js';
export * from './collect-cluster-metrics.js';
export * from './with-cluster-limit.js';
