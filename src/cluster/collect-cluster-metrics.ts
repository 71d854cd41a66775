// Prometheus gauges of cluster limits, beside the pool metrics of `collectMetrics` (pooltoy/observer): read from
// each limit's status when the registry is scraped.
import type * as PromClient from 'prom-client';
import { InvalidArgumentError } from '../errors.js';
import { checkMetricsTarget, loadPromClient, type PrometheusRegistry } from '../observer/prometheus.js';
import type { ClusterLimitSnapshot } from '../observer/snapshot.js';

/** Anything with a cluster limit to report: a `ClusterLimitedPool` (or a `ClusterSemaphore` with a pool name). */
export interface ClusterMetricsSource {
  readonly name: string;
  /** The status with the cluster limit's figures (`limited.status()`). */
  status(): { readonly cluster: ClusterLimitSnapshot };
}

/**
 * Collect gauges of the cluster limits of `sources` into `registry` (a prom-client `Registry`): the limit, slots
 * held by this process and across the cluster, checkouts waiting for a slot here and across the cluster, and
 * whether Redis answered, labelled by pool and key. Returns the function that removes them again.
 */
export function collectClusterMetrics(
  sources: readonly ClusterMetricsSource[],
  registry: PrometheusRegistry,
  options: { readonly prefix?: string } = {},
): () => void {
  for (const source of sources) {
    if (typeof source?.status !== 'function') {
      throw new InvalidArgumentError('cluster metrics source', 'a pool made by withClusterLimit()', source);
    }
  }
  const { registers, prefix } = checkMetricsTarget(registry, options.prefix);
  const promClient = loadPromClient('collectClusterMetrics()');
  const gauge = (name: string, help: string, read: (cluster: ClusterLimitSnapshot) => number) => {
    const metric: PromClient.Gauge<'pool' | 'key'> = new promClient.Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['pool', 'key'],
      registers,
      collect() {
        metric.reset();
        for (const source of sources) {
          const { cluster } = source.status();
          metric.set({ pool: source.name, key: cluster.key }, read(cluster));
        }
      },
    });
    return metric;
  };
  const metrics = [
    gauge('cluster_limit', 'Slots shared by every process using the key.', (cluster) => cluster.limit),
    gauge('cluster_slots_held_here', 'Slots held by this process.', (cluster) => cluster.heldHere),
    gauge('cluster_slots_held', 'Slots held across the cluster (as of the last round trip).', (c) => c.heldInCluster),
    gauge('cluster_waiting_here', 'Checkouts of this process waiting for a slot.', (cluster) => cluster.waitingHere),
    gauge('cluster_waiting', 'Checkouts waiting for a slot across the cluster.', (c) => c.waitingInCluster),
    gauge('cluster_redis_up', '1 when the last command to Redis succeeded.', (c) => (c.isRedisReachable ? 1 : 0)),
  ];
  return () => {
    for (const metric of metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
  };
}
