// Over 250 lines: every option's doc, type, check and default stay in one file, one row each, so none is missed.
// A pool's options: documented with their defaults, validated once, frozen into a PoolConfig the pool reads
// without checking again. An unknown key is an error, never silently ignored (a typo must not mean a default).
import { type Clock, systemClock } from './clock.js';
import { InvalidPoolOptionError } from './errors.js';
import type { WorkerKind } from './workers/worker-kind.js';

/** Which idle worker a checkout takes. */
export type PoolStrategy = 'lifo' | 'fifo';

/** What happens to a worker whose lease's owner ended while holding it. */
export type OnOwnerExit = 'replace' | 'checkin';

/** Options of `createPool`. Only `worker` is required. */
export interface PoolOptions<W = unknown> {
  /** The pool's name, in events, errors and snapshots. @default 'pool' */
  readonly name?: string;
  /** The kind of worker: `resourceWorker(...)`, `processWorker(...)`, `threadWorker(...)`, `commandWorker(...)`. */
  readonly worker: WorkerKind<W>;
  /** Workers kept running at all times; 0 starts workers only on demand (all of them overflow). At most 10000. @default 5 */
  readonly size?: number;
  /** Extra workers allowed under load, stopped again when the load goes. At most 10000. @default 5 (as many again as `size`) */
  readonly maxOverflow?: number;
  /**
   * How long a surplus (overflow) worker stays idle before it is stopped. A short cooldown avoids Poolboy's churn of
   * starting and stopping an overflow worker on every burst; 0 stops it at checkin, as Poolboy does. @default 10000
   */
  readonly overflowTtlMs?: number;
  /** `'lifo'` takes the most recently checked-in worker (keeps a warm core); `'fifo'` spreads use. @default 'lifo' */
  readonly strategy?: PoolStrategy;
  /** How long a checkout may wait for a worker by default; `Infinity` waits forever. @default 5000 (as Poolboy) */
  readonly checkoutTimeoutMs?: number;
  /** Checkouts allowed to queue; more reject with `QueueFullError` at once (load shedding). @default Infinity */
  readonly maxWaiting?: number;
  /** A lease's owner ended: `'replace'` stops the worker (it may be mid-work) and starts a fresh one; `'checkin'` returns it as is. @default 'replace' */
  readonly onOwnerExit?: OnOwnerExit;
  /** A lease held longer is revoked (`lease:expired`); `Infinity` never. @default Infinity */
  readonly leaseTimeoutMs?: number;
  /**
   * Reclaim leases that become unreachable without a checkin (FinalizationRegistry; `lease:leaked` with the
   * checkout's stack). Off by default: tracking every lease costs several times a checkout's own work. Turn it
   * on in development, or where code paths may forget `release()`. @default false
   */
  readonly leakDetection?: boolean;
  /** A worker is replaced after serving this many checkouts. @default Infinity */
  readonly maxUses?: number;
  /** A worker older than this is replaced at its next checkin. @default Infinity */
  readonly maxAgeMs?: number;
  /** A worker whose memory (as its kind reports it, read at checkin) exceeds this many MB is replaced. @default Infinity */
  readonly maxMemoryMb?: number;
  /** A worker not ready after this long counts as a failed start. @default 30000 */
  readonly startTimeoutMs?: number;
  /** A worker asked to stop is killed if it has not exited after this long. @default 5000 */
  readonly stopTimeoutMs?: number;
  /** A call that timed out or was aborted gets this long to wind down before its worker is stopped. @default 1000 */
  readonly runAbortGraceMs?: number;
  /** The first retry after a failed start waits this long, doubling (with jitter) each failure. @default 100 */
  readonly restartBackoffMs?: number;
  /** The longest wait between retries of a failing start. @default 10000 */
  readonly restartBackoffMaxMs?: number;
  /**
   * More failed starts than this in a row, with no worker proving healthy between, put the pool in fail-fast:
   * checkouts with no live worker to wait for reject with `WorkerStartError` instead of waiting out their timeout.
   * @default 3
   */
  readonly maxRestarts?: number;
  /** The window of `maxPoolRestarts`. @default 5000 */
  readonly restartPeriodMs?: number;
  /**
   * A worker has proved healthy once it has stayed up this long or a lease of it was checked in. A worker that exits
   * unasked before it proved healthy is an *early death*: the first of a row is replaced at once, each further one
   * (no worker proved healthy in between: a crash loop) counts as a failed start (backoff, `maxRestarts`). A death
   * after a worker proved healthy is replaced at once. 0 turns the rule off: every death is replaced at once
   * (Poolboy). @default 1000
   */
  readonly minHealthyMs?: number;
  /**
   * A `validate` health check not settled after this long counts as failed (the worker is retired, as after a
   * throw or `false`). @default the smaller of 5000 and `checkoutTimeoutMs`
   */
  readonly validateTimeoutMs?: number;
  /** The pool supervisor restarts the manager and workers at most this often in `restartPeriodMs`. @default 3 */
  readonly maxPoolRestarts?: number;
  /**
   * Calls each worker serves at once (pipelining, for I/O-bound process, thread and command workers): the pool
   * then manages call slots — `size`, `maxOverflow`, `status()` and `workers()` count slots, and each group of
   * this many slots shares one real worker (see docs/pool.md for what a death or a timeout then costs). @default 1
   */
  readonly callsPerWorker?: number;
  /** Time source and timers; tests pass a `ManualClock`. @default systemClock */
  readonly clock?: Clock;
}

/** The options after validation: every value present and checked. */
export interface PoolConfig<W = unknown> {
  readonly name: string;
  readonly worker: WorkerKind<W>;
  readonly size: number;
  readonly maxOverflow: number;
  readonly overflowTtlMs: number;
  readonly strategy: PoolStrategy;
  readonly checkoutTimeoutMs: number;
  readonly maxWaiting: number;
  readonly onOwnerExit: OnOwnerExit;
  readonly leaseTimeoutMs: number;
  readonly leakDetection: boolean;
  readonly maxUses: number;
  readonly maxAgeMs: number;
  readonly maxMemoryMb: number;
  readonly startTimeoutMs: number;
  readonly stopTimeoutMs: number;
  readonly runAbortGraceMs: number;
  readonly restartBackoffMs: number;
  readonly restartBackoffMaxMs: number;
  readonly maxRestarts: number;
  readonly restartPeriodMs: number;
  readonly minHealthyMs: number;
  readonly validateTimeoutMs: number;
  readonly maxPoolRestarts: number;
  readonly callsPerWorker: number;
  readonly clock: Clock;
}

/** The most workers `size` (and, apart, `maxOverflow`) may ask for: a pool starts its `size` workers at once. */
export const MAX_WORKERS = 10_000;

/** The longest delay a timer can take (Node clamps longer ones to 1ms, so they are refused, not misread). */
export const MAX_TIMER_MS = 2_147_483_647;

const DEFAULT_VALIDATE_TIMEOUT_MS = 5000;

const DURATION = `a number of ms from 0 to ${MAX_TIMER_MS}, or Infinity`;

type Check = (value: unknown) => string | undefined;

// The kinds whose workers answer calls over a connection that carries several at once (`callsPerWorker`).
const CALLABLE_KINDS = ['process', 'thread', 'command'];

const count: Check = (value) =>
  Number.isInteger(value) && (value as number) >= 0 ? undefined : 'a non-negative integer';
const workerCount: Check = (value) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_WORKERS
    ? undefined
    : `an integer from 0 to ${MAX_WORKERS}`;
const positiveOrInfinity: Check = (value) =>
  value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && (value as number) > 0)
    ? undefined
    : 'a positive integer, or Infinity';
const countOrInfinity: Check = (value) =>
  value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && (value as number) >= 0)
    ? undefined
    : 'a non-negative integer, or Infinity';
const duration: Check = (value) => (isDuration(value) ? undefined : DURATION);
const finiteDuration: Check = (value) =>
  isDuration(value) && value !== Number.POSITIVE_INFINITY ? undefined : `a number of ms from 0 to ${MAX_TIMER_MS}`;
const oneOf =
  (...choices: string[]): Check =>
  (value) =>
    choices.includes(value as string) ? undefined : choices.map((choice) => `'${choice}'`).join(' or ');

/** Is `value` a usable timeout: a non-negative number of ms a timer can wait, or Infinity? */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && (value <= MAX_TIMER_MS || value === Number.POSITIVE_INFINITY);
}

// One row per option: its check and its default. Adding an option is adding a row.
const rules: { readonly [K in keyof PoolConfig]: { readonly check: Check; readonly fallback?: PoolConfig[K] } } = {
  name: {
    check: (value) => (typeof value === 'string' && value.length > 0 ? undefined : 'a non-empty string'),
    fallback: 'pool',
  },
  worker: {
    check: (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as WorkerKind).start === 'function' &&
      typeof (value as WorkerKind).kind === 'string'
        ? undefined
        : 'a worker kind ({ kind, start }), e.g. resourceWorker({ create })',
  },
  size: { check: workerCount, fallback: 5 },
  maxOverflow: { check: workerCount, fallback: 5 },
  overflowTtlMs: { check: duration, fallback: 10_000 },
  strategy: { check: oneOf('lifo', 'fifo'), fallback: 'lifo' },
  checkoutTimeoutMs: { check: duration, fallback: 5000 },
  maxWaiting: { check: countOrInfinity, fallback: Number.POSITIVE_INFINITY },
  onOwnerExit: { check: oneOf('replace', 'checkin'), fallback: 'replace' },
  leaseTimeoutMs: { check: duration, fallback: Number.POSITIVE_INFINITY },
  leakDetection: { check: (value) => (typeof value === 'boolean' ? undefined : 'a boolean'), fallback: false },
  maxUses: { check: positiveOrInfinity, fallback: Number.POSITIVE_INFINITY },
  maxAgeMs: { check: duration, fallback: Number.POSITIVE_INFINITY },
  maxMemoryMb: {
    check: (value) => (typeof value === 'number' && value > 0 ? undefined : 'a positive number of MB, or Infinity'),
    fallback: Number.POSITIVE_INFINITY,
  },
  startTimeoutMs: { check: duration, fallback: 30_000 },
  stopTimeoutMs: { check: duration, fallback: 5000 },
  runAbortGraceMs: { check: finiteDuration, fallback: 1000 },
  restartBackoffMs: { check: finiteDuration, fallback: 100 },
  restartBackoffMaxMs: { check: finiteDuration, fallback: 10_000 },
  maxRestarts: { check: count, fallback: 3 },
  restartPeriodMs: { check: finiteDuration, fallback: 5000 },
  minHealthyMs: { check: finiteDuration, fallback: 1000 },
  // No fallback here: its default depends on checkoutTimeoutMs (filled in below).
  validateTimeoutMs: { check: (value) => (value === undefined ? undefined : finiteDuration(value)) },
  maxPoolRestarts: { check: count, fallback: 3 },
  callsPerWorker: {
    check: (value) => (Number.isInteger(value) && (value as number) >= 1 ? undefined : 'an integer >= 1'),
    fallback: 1,
  },
  clock: {
    check: (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Clock).now === 'function' &&
      typeof (value as Clock).setTimer === 'function'
        ? undefined
        : 'a Clock ({ now, setTimer })',
    fallback: systemClock,
  },
};

/** Validate `options` once and fill in the defaults; throws `InvalidPoolOptionError` naming the first bad key. */
export function parsePoolOptions<W>(options: PoolOptions<W>): PoolConfig<W> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidPoolOptionError('options', 'an object with at least { worker }', options);
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(rules, key)) {
      throw new InvalidPoolOptionError(key, `no such option (known: ${Object.keys(rules).join(', ')})`, key);
    }
  }
  const config: Record<string, unknown> = {};
  for (const [key, rule] of Object.entries(rules) as [keyof PoolConfig, { check: Check; fallback?: unknown }][]) {
    const given = (options as unknown as Record<string, unknown>)[key];
    if (given === undefined && !('fallback' in rule) && key !== 'validateTimeoutMs')
      throw new InvalidPoolOptionError(key, 'a value (required)', given);
    const value = given === undefined ? rule.fallback : given;
    const expected = rule.check(value);
    if (expected !== undefined) throw new InvalidPoolOptionError(key, expected, value);
    config[key] = value;
  }
  if ((config.restartBackoffMaxMs as number) < (config.restartBackoffMs as number)) {
    throw new InvalidPoolOptionError(
      'restartBackoffMaxMs',
      `at least restartBackoffMs (${config.restartBackoffMs})`,
      config.restartBackoffMaxMs,
    );
  }
  // A health check must not outwait the checkout it is for.
  config.validateTimeoutMs ??= Math.min(DEFAULT_VALIDATE_TIMEOUT_MS, config.checkoutTimeoutMs as number);
  const kind = (config.worker as WorkerKind).kind;
  // Slots share a worker through its call channel; a resource is one object its client uses alone.
  if ((config.callsPerWorker as number) > 1 && !CALLABLE_KINDS.includes(kind)) {
    throw new InvalidPoolOptionError(
      'callsPerWorker',
      `1 for a "${kind}" worker (more only for process, thread and command workers; share a resource yourself)`,
      config.callsPerWorker,
    );
  }
  // Built key by key, the object is in V8's dictionary mode; a spread copy is a fast object, and the hot path reads
  // the config about eight times per checkout and checkin.
  return Object.freeze({ ...config }) as unknown as PoolConfig<W>;
}
