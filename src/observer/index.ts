// `pooltoy/observer`: the web observer and the shapes it draws.

/**
 * The web observer (`serveObserver`), Prometheus metrics (`collectMetrics`, needs prom-client) and the snapshot shapes.
 *
 * @module pooltoy/observer
 */

export {
  type CollectMetricsOptions,
  collectMetrics,
  type MetricsSource,
  type PrometheusRegistry,
} from './collect-metrics.js';
export type { ObservedTree } from './observed-tree.js';
export type { ObserverAction } from './observer-action.js';
export type { MetricsRegistry, ObserverOptions } from './observer-options.js';
export { type Observer, serveObserver } from './serve-observer.js';
export type * from './snapshot.js';
