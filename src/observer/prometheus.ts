// prom-client, an optional peer, as every metrics collector of PoolToy reaches it: loaded on demand, with the
// registry and the name prefix checked once, in one place.
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import { InvalidArgumentError, PeerDependencyMissingError } from '../errors.js';
import type { MetricsRegistry } from './observer-options.js';

/** A prom-client `Registry` (structurally, so this package's types never need prom-client's). */
export interface PrometheusRegistry extends MetricsRegistry {
  /** Add a metric (prom-client's `Registry.registerMetric`). */
  registerMetric(metric: never): void;
  /** Remove a metric by name (prom-client's `Registry.removeSingleMetric`). */
  removeSingleMetric(name: string): void;
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

// createRequire rather than a static import: prom-client is an optional peer, and `pooltoy/observer` must load
// without it (serveObserver needs no metrics). prom-client is CommonJS, so a synchronous require works.
const requireFromHere = createRequire(import.meta.url);

/** prom-client itself; `PeerDependencyMissingError` naming `caller` when it is not installed. */
export function loadPromClient(caller: string): typeof PromClient {
  try {
    return requireFromHere('prom-client') as typeof PromClient;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'MODULE_NOT_FOUND') {
      throw new PeerDependencyMissingError('prom-client', caller, error);
    }
    throw error;
  }
}

/** Check the registry and the prefix a collector was given; returns the registers list and the prefix to use. */
export function checkMetricsTarget(
  registry: PrometheusRegistry,
  prefix: unknown = 'pooltoy_',
): { readonly registers: PromClient.Registry[]; readonly prefix: string } {
  if (typeof registry?.registerMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
    throw new InvalidArgumentError(
      'metrics registry',
      "a prom-client Registry (new Registry(), or 'register')",
      registry,
    );
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !metricName.test(prefix))) {
    throw new InvalidArgumentError('metrics option "prefix"', 'a Prometheus name prefix such as "pooltoy_"', prefix);
  }
  return { registers: [registry as unknown as PromClient.Registry], prefix };
}
