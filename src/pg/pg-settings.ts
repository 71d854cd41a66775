// The options of a pg pool, as pg.Pool users write them (plus PoolToy's and HikariCP's guards): validated once and
// split into the PoolToy pool's options and the connections' settings. Keys pg.Pool does not know and PoolToy does
// not either go to each `pg.Client`, as pg.Pool passes them.
import type pg from 'pg';
import { type Clock, systemClock } from '../clock.js';
import { InvalidArgumentError, PeerDependencyMissingError } from '../errors.js';
import { isDuration, type PoolOptions } from '../options.js';

// Loaded once, here, so that only `pooltoy/pg` needs the optional peer dependency.
const loaded: typeof pg | Error = await import('pg').then(
  (module) => module.default,
  (error: Error) => error,
);

/** `pg`, or a `PeerDependencyMissingError` when it is not installed. */
export function loadPg(): typeof pg {
  if (loaded instanceof Error) throw new PeerDependencyMissingError('pg', 'pooltoy/pg', loaded);
  return loaded;
}

/** Options of `new PgPool(config)` and `pgPoolOptions(config)`: pg.Pool's, pg.Client's, and the guards'. */
export interface PgPoolConfig extends pg.ClientConfig {
  /** Connections at most (pg.Pool's `max`). @default 10 */
  readonly max?: number;
  /** Connections kept open even when idle, validated and kept alive (pg.Pool's `min`; HikariCP's minimumIdle). @default 0 */
  readonly min?: number;
  /** An idle connection above `min` is closed after this long (pg.Pool's); 0 never closes it. @default 10000 */
  readonly idleTimeoutMillis?: number;
  /** How long a query or `connect()` waits for a connection (also bounds connecting); 0 waits forever. @default 5000 */
  readonly connectionTimeoutMillis?: number;
  /** A connection is closed after serving this many checkouts (pg.Pool's). @default Infinity */
  readonly maxUses?: number;
  /** pg.Pool's lifetime in seconds; same as `maxLifetimeMs` (give one). */
  readonly maxLifetimeSeconds?: number;
  /** A connection older than this (minus up to 2.5%, at random) is retired: at once if idle, else at its checkin. @default 1800000 */
  readonly maxLifetimeMs?: number;
  /** The client class (e.g. `pg.native.Client`). @default pg.Client */
  readonly Client?: typeof pg.Client;
  /** The pool's name in its events and the observer (in a PoolToy tree, the tree's name for it). @default 'pg' */
  readonly name?: string;
  /** Each connection's `application_name`; a given `application_name` is used as is. @default `pooltoy:${workerId}` */
  readonly applicationName?: (workerId: string) => string;
  /** Checks a connection idle longer than `validateAfterIdleMs` before handing it out; `false` never. @default 'SELECT 1' */
  readonly validateQuery?: string | false;
  /** A validation (and a keepalive) taking longer fails, and the connection is replaced. @default 5000 */
  readonly validateTimeoutMs?: number;
  /** A connection used this recently is handed out without a check (HikariCP's bypass window). @default 500 */
  readonly validateAfterIdleMs?: number;
  /** Run on every checkin to reset session state, e.g. `'DISCARD ALL'`; a failure closes the connection. @default false */
  readonly resetQuery?: string | false;
  /** An idle connection unused this long runs `keepaliveQuery`; `Infinity` never. @default 120000 */
  readonly keepaliveMs?: number;
  /** What a keepalive runs. @default 'SELECT 1' */
  readonly keepaliveQuery?: string;
  /** PoolToy pool options, as in `createPool`. */
  readonly strategy?: PoolOptions['strategy'];
  readonly maxWaiting?: number;
  readonly onOwnerExit?: PoolOptions['onOwnerExit'];
  readonly leaseTimeoutMs?: number;
  readonly leakDetection?: boolean;
  readonly startTimeoutMs?: number;
  readonly stopTimeoutMs?: number;
  readonly restartBackoffMs?: number;
  readonly restartBackoffMaxMs?: number;
  readonly maxRestarts?: number;
  readonly restartPeriodMs?: number;
  /** As in `createPool`, but 0 by default: a connection's death is replaced at once (failed connects still back off). @default 0 */
  readonly minHealthyMs?: number;
  readonly maxPoolRestarts?: number;
  /** Time source of the pool and of the connections' lifetime, keepalive and validation timers. @default systemClock */
  readonly clock?: Clock;
}

/** What each connection of a pool is made from and checked with. */
export interface PgConnectionSettings {
  readonly Client: typeof pg.Client;
  readonly client: pg.ClientConfig;
  /** Each connection's `application_name`, from its worker id. */
  readonly applicationName: (workerId: string) => string;
  readonly validateQuery: string | false;
  readonly validateTimeoutMs: number;
  readonly validateAfterIdleMs: number;
  readonly resetQuery: string | false;
  readonly keepaliveMs: number;
  readonly keepaliveQuery: string;
  readonly maxLifetimeMs: number;
  readonly clock: Clock;
}

const POOL_KEYS = [
  'strategy',
  'maxWaiting',
  'onOwnerExit',
  'leaseTimeoutMs',
  'leakDetection',
  'startTimeoutMs',
  'stopTimeoutMs',
  'restartBackoffMs',
  'restartBackoffMaxMs',
  'maxRestarts',
  'restartPeriodMs',
  'minHealthyMs',
  'maxPoolRestarts',
] as const;
const GUARD_KEYS = [
  'max',
  'min',
  'idleTimeoutMillis',
  'maxUses',
  'maxLifetimeSeconds',
  'maxLifetimeMs',
  'Client',
  'name',
  'applicationName',
  'validateQuery',
  'validateTimeoutMs',
  'validateAfterIdleMs',
  'resetQuery',
  'keepaliveMs',
  'keepaliveQuery',
  'clock',
];
// pg.Pool options PoolToy does not offer: refused, so that code relying on them hears so.
const UNSUPPORTED: Record<string, string> = {
  allowExitOnIdle: 'not supported (stop the pool with end())',
  verify: 'not supported (use validateQuery)',
  log: 'not supported (listen to the pool events)',
  Promise: 'not supported (native promises)',
};

/** Validate a pg pool's `config` once and split it; throws `InvalidArgumentError` naming the option. */
export function parsePgPoolConfig(config: PgPoolConfig = {}): {
  pool: Omit<PoolOptions<pg.Client>, 'worker'>;
  settings: PgConnectionSettings;
} {
  if (typeof config !== 'object' || config === null) {
    throw new InvalidArgumentError('PgPool config', 'an object of pg.Pool options', config);
  }
  for (const key of Object.keys(config)) {
    if (key in UNSUPPORTED) throw new InvalidArgumentError(`PgPool option "${key}"`, UNSUPPORTED[key]!, key);
  }
  const given = config as Record<string, unknown>;
  const client: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (!GUARD_KEYS.includes(key) && !(POOL_KEYS as readonly string[]).includes(key)) client[key] = value;
  }
  const count = (key: string, fallback: number, least: number) => {
    const value = given[key] ?? fallback;
    if (!(Number.isInteger(value) && (value as number) >= least) && value !== Number.POSITIVE_INFINITY) {
      throw new InvalidArgumentError(`PgPool option "${key}"`, `an integer >= ${least}`, value);
    }
    return value as number;
  };
  const ms = (key: string, fallback: number, zeroMeans = 0) => {
    const value = given[key] ?? fallback;
    if (!isDuration(value)) throw new InvalidArgumentError(`PgPool option "${key}"`, 'a duration in ms', value);
    return value === 0 ? zeroMeans : value;
  };
  const text = (key: string, fallback: string | false) => {
    const value = given[key] ?? fallback;
    if (value !== false && (typeof value !== 'string' || value === '')) {
      throw new InvalidArgumentError(`PgPool option "${key}"`, 'an SQL string, or false', value);
    }
    return value as string | false;
  };
  const max = count('max', 10, 1);
  const min = count('min', 0, 0);
  if (min > max) throw new InvalidArgumentError('PgPool option "min"', `at most max (${max})`, min);
  const idleTimeoutMs = ms('idleTimeoutMillis', 10_000, Number.POSITIVE_INFINITY);
  const checkoutTimeoutMs = ms('connectionTimeoutMillis', 5000, Number.POSITIVE_INFINITY);
  if (given.maxLifetimeSeconds !== undefined && given.maxLifetimeMs !== undefined) {
    throw new InvalidArgumentError('PgPool option "maxLifetimeSeconds"', 'absent when maxLifetimeMs is given', 'both');
  }
  const seconds = given.maxLifetimeSeconds;
  if (seconds !== undefined && !(typeof seconds === 'number' && isDuration(seconds * 1000))) {
    throw new InvalidArgumentError('PgPool option "maxLifetimeSeconds"', 'a number of seconds', seconds);
  }
  const maxLifetimeMs =
    seconds !== undefined
      ? seconds === 0
        ? Number.POSITIVE_INFINITY
        : seconds * 1000
      : ms('maxLifetimeMs', 1_800_000, Number.POSITIVE_INFINITY);
  const { name, Client = loadPg().Client, clock = systemClock, applicationName } = config;
  if (typeof Client !== 'function') throw new InvalidArgumentError('PgPool option "Client"', 'a class', Client);
  if (applicationName !== undefined && typeof applicationName !== 'function') {
    throw new InvalidArgumentError('PgPool option "applicationName"', 'a function of the worker id', applicationName);
  }
  const fixedName = config.application_name;
  const keepaliveMs = ms('keepaliveMs', 120_000, Number.POSITIVE_INFINITY);
  const pool: Record<string, unknown> = { size: min, maxOverflow: max - min, checkoutTimeoutMs, clock };
  if (name !== undefined) pool.name = name;
  pool.overflowTtlMs = idleTimeoutMs;
  pool.maxUses = count('maxUses', Number.POSITIVE_INFINITY, 1);
  for (const key of POOL_KEYS) if (given[key] !== undefined) pool[key] = given[key];
  // A connect is bounded like pg.Pool's: by connectionTimeoutMillis, when given.
  if (checkoutTimeoutMs !== Number.POSITIVE_INFINITY && given.connectionTimeoutMillis !== undefined) {
    client.connectionTimeoutMillis = checkoutTimeoutMs;
  }
  return {
    pool,
    settings: {
      Client,
      client,
      applicationName: applicationName ?? ((workerId) => fixedName ?? `pooltoy:${workerId}`),
      validateQuery: text('validateQuery', 'SELECT 1'),
      validateTimeoutMs: ms('validateTimeoutMs', 5000),
      validateAfterIdleMs: ms('validateAfterIdleMs', 500),
      resetQuery: text('resetQuery', false),
      keepaliveMs,
      keepaliveQuery: text('keepaliveQuery', 'SELECT 1') || 'SELECT 1',
      maxLifetimeMs,
      clock,
    },
  };
}
