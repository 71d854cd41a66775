// The options of `serveObserver`, documented and validated once into an ObserverConfig.
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';

/** A metrics registry the observer can serve at `/metrics`: prom-client's `Registry` satisfies it. */
export interface MetricsRegistry {
  /** The exposition text, e.g. Prometheus' text format. */
  metrics(): Promise<string> | string;
  /** The `Content-Type` of that text. */
  readonly contentType: string;
}

/** How to serve the web observer. */
export interface ObserverOptions {
  /** TCP port; 0 lets the system pick a free one (read it from `observer.url`). @default 0 */
  readonly port?: number;
  /** The address to bind. Anything but a loopback address exposes the tree to the network. @default '127.0.0.1' */
  readonly host?: string;
  /**
   * Offer actions (kill a worker, stop or start a pool). Each needs the random `observer.token` in the
   * `x-pooltoy-token` header of a same-origin POST; the page reads it from `observer.pageUrl`'s fragment.
   * @default false
   */
  readonly actions?: boolean;
  /**
   * The registry `/metrics` serves, e.g. the one given to `collectMetrics`. Without it, when prom-client is
   * installed, the observer collects the tree's metrics into a registry of its own (stopped by `close()`);
   * without prom-client, `/metrics` answers 404 saying so.
   */
  readonly metricsRegistry?: MetricsRegistry;
  /**
   * More host names the `Host` header may carry (besides 127.0.0.1, localhost, [::1] and `host`), for a server
   * bound to a wildcard address. Every other Host is refused, which defeats DNS rebinding.
   * @default []
   */
  readonly allowedHosts?: readonly string[];
  /** How often live pages get a new snapshot, when it changed. @default 500 */
  readonly snapshotIntervalMs?: number;
  /** Time source for the live stream's timers. @default systemClock */
  readonly clock?: Clock;
  /** One line the page shows under its title, e.g. which database a pool uses. @default none */
  readonly about?: string;
}

/** ObserverOptions, checked and with every default filled in. */
export interface ObserverConfig {
  readonly port: number;
  readonly host: string;
  readonly actions: boolean;
  readonly metricsRegistry: MetricsRegistry | undefined;
  readonly allowedHosts: readonly string[];
  readonly snapshotIntervalMs: number;
  readonly clock: Clock;
  readonly about: string | undefined;
}

const knownOptions = new Set([
  'port',
  'host',
  'actions',
  'metricsRegistry',
  'allowedHosts',
  'snapshotIntervalMs',
  'clock',
  'about',
]);

function invalid(option: string, expected: string, got: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`observer option "${option}"`, expected, got);
}

/** Check `options` and fill in the defaults; throws InvalidArgumentError naming the first bad option. */
export function parseObserverOptions(options: ObserverOptions | undefined): ObserverConfig {
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('observer options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!knownOptions.has(key)) throw invalid(key, `one of ${[...knownOptions].join(', ')}`, key);
  }
  const { port = 0, host = '127.0.0.1', actions = false, metricsRegistry, allowedHosts = [] } = options;
  const { snapshotIntervalMs = 500, clock = systemClock, about } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid('port', 'an integer from 0 to 65535', port);
  if (typeof host !== 'string' || host === '') throw invalid('host', 'a non-empty string', host);
  if (typeof actions !== 'boolean') throw invalid('actions', 'a boolean', actions);
  if (
    metricsRegistry !== undefined &&
    (typeof metricsRegistry?.metrics !== 'function' || typeof metricsRegistry.contentType !== 'string')
  ) {
    throw invalid(
      'metricsRegistry',
      'a registry with metrics() and contentType (prom-client Registry)',
      metricsRegistry,
    );
  }
  if (!Array.isArray(allowedHosts) || !allowedHosts.every((name) => typeof name === 'string' && name !== '')) {
    throw invalid('allowedHosts', 'an array of host names', allowedHosts);
  }
  if (!Number.isFinite(snapshotIntervalMs) || snapshotIntervalMs <= 0) {
    throw invalid('snapshotIntervalMs', 'a positive number', snapshotIntervalMs);
  }
  if (typeof clock?.setTimer !== 'function' || typeof clock.now !== 'function') {
    throw invalid('clock', 'a Clock', clock);
  }
  if (about !== undefined && typeof about !== 'string') throw invalid('about', 'a string', about);
  return { port, host, actions, metricsRegistry, allowedHosts, snapshotIntervalMs, clock, about };
}
