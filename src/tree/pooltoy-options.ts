// The options of `PoolToy.start`: documented, validated once (every declared pool's options too, before anything
// starts), an unknown key an error.
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError, InvalidPoolOptionError } from '../errors.js';
import { isDuration, type PoolConfig, type PoolOptions, parsePoolOptions } from '../options.js';
import type { WorkerKind } from '../workers/worker-kind.js';

/** Pool name → pool options, as `PoolToyOptions['pools']` takes them. */
// biome-ignore lint/suspicious/noExplicitAny: each pool has its own worker type
export type PoolOptionsByName = Readonly<Record<string, PoolOptions<any>>>;

/** Pool name → the worker type of that pool, from the options a tree was started with. */
export type PoolWorkers<P> = {
  readonly [K in keyof P]: P[K] extends { readonly worker: WorkerKind<infer W> } ? W : unknown;
};

/** Options of `PoolToy.start()`. All are optional. */
export interface PoolToyOptions<P extends PoolOptionsByName = PoolOptionsByName> {
  /**
   * Pools started with the tree, in this order: name → options (`name` may be left out). `toy.pool(name)` keeps
   * each one's worker type. @default {}
   */
  readonly pools?: P;
  /**
   * Install SIGTERM and SIGINT handlers that stop the tree (within `shutdownTimeoutMs`) and exit with 128 + the
   * signal's number; they are removed when the tree stops. Without it, PoolToy installs no process-wide handler.
   * @default false
   */
  readonly handleSignals?: boolean;
  /** How long `stop()` (and a handled signal) gives leases to come back before they are revoked. @default 5000 */
  readonly shutdownTimeoutMs?: number;
  /** The tree's time source, and its pools' unless they name their own. @default systemClock */
  readonly clock?: Clock;
}

/** The options after validation. */
export interface PoolToyConfig {
  // biome-ignore lint/suspicious/noExplicitAny: each pool has its own worker type
  readonly pools: ReadonlyMap<string, PoolConfig<any>>;
  readonly handleSignals: boolean;
  readonly shutdownTimeoutMs: number;
  readonly clock: Clock;
}

const KNOWN = ['pools', 'handleSignals', 'shutdownTimeoutMs', 'clock'];

/** Validate `options` once; throws `InvalidArgumentError`, or `InvalidPoolOptionError` naming the pool's key. */
export function parsePoolToyOptions(options: PoolToyOptions): PoolToyConfig {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('PoolToy.start() options', 'an object', options);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key))
      throw new InvalidArgumentError(`PoolToy option "${key}"`, `one of ${KNOWN.join(', ')}`, key);
  }
  const { pools = {}, handleSignals = false, shutdownTimeoutMs = 5000, clock = systemClock } = options;
  if (typeof handleSignals !== 'boolean') {
    throw new InvalidArgumentError('PoolToy option "handleSignals"', 'a boolean', handleSignals);
  }
  if (!isDuration(shutdownTimeoutMs)) {
    throw new InvalidArgumentError(
      'PoolToy option "shutdownTimeoutMs"',
      'a duration in ms, or Infinity',
      shutdownTimeoutMs,
    );
  }
  if (typeof clock?.now !== 'function' || typeof clock.setTimer !== 'function') {
    throw new InvalidArgumentError('PoolToy option "clock"', 'a Clock ({ now, setTimer })', clock);
  }
  if (typeof pools !== 'object' || pools === null || Array.isArray(pools)) {
    throw new InvalidArgumentError('PoolToy option "pools"', 'an object of pool name → pool options', pools);
  }
  const parsed = new Map<string, PoolConfig<unknown>>();
  for (const [name, poolOptions] of Object.entries(pools)) parsed.set(name, parsePoolInTree(name, poolOptions, clock));
  return { pools: parsed, handleSignals, shutdownTimeoutMs, clock };
}

/**
 * Validate the options of the pool `name` of a tree: the pool takes the name, and the tree's clock unless it names
 * its own. Throws `InvalidArgumentError` for a bad name, `InvalidPoolOptionError` for a bad option.
 */
export function parsePoolInTree<W>(name: string, options: PoolOptions<W>, clock: Clock): PoolConfig<W> {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('pool name', 'a non-empty string', name);
  if (typeof options !== 'object' || options === null) {
    throw new InvalidPoolOptionError(`${name}.options`, 'an object with at least { worker }', options);
  }
  if (options.name !== undefined && options.name !== name) {
    throw new InvalidPoolOptionError(
      `${name}.name`,
      `${JSON.stringify(name)} (the pool's name in the tree), or none`,
      options.name,
    );
  }
  try {
    return parsePoolOptions({ ...options, clock: options.clock ?? clock, name });
  } catch (error) {
    // Say which pool: a tree declares many, and "invalid pool option size" alone does not.
    if (error instanceof InvalidPoolOptionError) {
      throw new InvalidPoolOptionError(`${name}.${error.option}`, error.expected, error.got);
    }
    throw error;
  }
}

/** The `timeoutMs` of `stop()` or `stopPool()` options (`fallback` when absent); throws `InvalidArgumentError`. */
export function parseStopTimeout(
  operation: string,
  options: { timeoutMs?: number } | undefined,
  fallback: number,
): number {
  if (options === undefined) return fallback;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${operation} options`, 'an object such as { timeoutMs }', options);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'timeoutMs') throw new InvalidArgumentError(`${operation} option "${key}"`, 'timeoutMs', key);
  }
  const { timeoutMs = fallback } = options;
  if (!isDuration(timeoutMs)) {
    throw new InvalidArgumentError(`${operation} option "timeoutMs"`, 'a duration in ms, or Infinity', timeoutMs);
  }
  return timeoutMs;
}
