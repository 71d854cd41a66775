// Over 250 lines: pg.Pool's API is wide (query, connect, transaction, end, counts, events, callback forms) and is one class.
// `PgPool`: the API pg.Pool users already write (`query`, `connect` → `release`, `end`, the counts, the events),
// over a PoolToy pool of pg.Client connections, plus `transaction(fn)`. Every connection comes back clean: one in a
// transaction is rolled back (closed if that fails), one that failed is closed, and `resetQuery` runs on checkin.
import { EventEmitter } from 'node:events';
import type pg from 'pg';
import type { ClusterLimitedPool } from '../cluster/with-cluster-limit.js';
import { InvalidArgumentError, PoolStoppedError } from '../errors.js';
import type { PoolOptions } from '../options.js';
import { createPool } from '../pool/create-pool.js';
import type { CheckoutOptions, Pool } from '../pool/pool.js';
import { pgConnection, pgConnectionState } from './pg-connection.js';
import {
  abortable,
  isServerError,
  once,
  type PgLease,
  type PgLeaseSource,
  type PgPoolClient,
  pgPoolClient,
} from './pg-pool-client.js';
import { type PgPoolConfig, parsePgPoolConfig } from './pg-settings.js';

/** The PoolToy pool options of a pg pool: `PoolToy.start({ pools: { db: pgPoolOptions(config) } })`. */
export function pgPoolOptions(config?: PgPoolConfig): PoolOptions<pg.Client> {
  const { pool, settings } = parsePgPoolConfig(config);
  return { ...pool, worker: pgConnection(settings) };
}

/** A query as `pg` takes it, optionally with what bounds its wait for a connection (`signal`, `owner`). */
export type PgQuery = string | (pg.QueryConfig & { signal?: AbortSignal; owner?: CheckoutOptions['owner'] });
/** A node-style callback, as `pg.Pool#query(text, values, callback)` takes. */
export type PgQueryCallback<T> = (error: Error | undefined, result?: T) => void;
// biome-ignore lint/suspicious/noExplicitAny: pg's own default row type, so ported code keeps its typing
type AnyRow = any;

/** A pool of PostgreSQL connections with pg.Pool's API: `new PgPool(config)` where code had `new pg.Pool(config)`. */
export class PgPool extends EventEmitter {
  /** The config it was made with (pg.Pool's `options`). */
  readonly options: Readonly<PgPoolConfig>;
  readonly #poolOptions: PoolOptions<pg.Client> | undefined;
  #pool: Pool<pg.Client> | undefined;
  #source: PgLeaseSource | undefined;
  #starting: Promise<void> | undefined;
  #ending: Promise<void> | undefined;
  #isEnded = false;
  readonly #checkin = (lease: PgLease, error: unknown) => this.#giveBack(lease, error);
  static #wrapping: { pool: Pool<pg.Client>; source: PgLeaseSource } | undefined;

  constructor(config: PgPoolConfig = {}) {
    super();
    this.options = Object.freeze({ ...config });
    const wrapping = PgPool.#wrapping;
    PgPool.#wrapping = undefined;
    if (wrapping !== undefined) {
      this.#attach(wrapping.pool, wrapping.source);
      return;
    }
    this.#poolOptions = { name: 'pg', ...pgPoolOptions(config) };
    // Like HikariCP, open `min` connections at once; with min 0 (pg.Pool's default) nothing connects until asked.
    if ((this.#poolOptions.size ?? 0) > 0) this.#start().catch(() => {});
  }

  /** The pg API over a pool made with `pgPoolOptions` (a PoolToy tree's, or under a cluster limit); `end()` leaves it running. */
  static of(
    pool: Pool<pg.Client> | Pool<unknown> | ClusterLimitedPool<pg.Client> | ClusterLimitedPool<unknown>,
  ): PgPool {
    const inner = ('semaphore' in pool ? pool.pool : pool) as Pool<pg.Client>;
    if (typeof inner?.checkout !== 'function' || inner.snapshot().kind !== 'pg') {
      throw new InvalidArgumentError('PgPool.of() pool', 'a pool made with pgPoolOptions()', pool);
    }
    PgPool.#wrapping = { pool: inner, source: pool as unknown as PgLeaseSource };
    return new PgPool();
  }

  /** The PoolToy pool underneath (status, workers, events, snapshot); `undefined` until it has started. */
  get pool(): Pool<pg.Client> | undefined {
    return this.#pool;
  }

  /** Connections open: idle plus checked out (pg.Pool's). */
  get totalCount(): number {
    const status = this.#pool?.status();
    return status ? status.idle + status.checkedOut : 0;
  }

  /** Connections idle in the pool (pg.Pool's). */
  get idleCount(): number {
    return this.#pool?.status().idle ?? 0;
  }

  /** Clients queued for a connection (pg.Pool's). */
  get waitingCount(): number {
    return this.#pool?.status().waiting ?? 0;
  }

  /** `end()` has been called (pg.Pool's). */
  get ending(): boolean {
    return this.#ending !== undefined;
  }

  /** `end()` has finished: every connection is closed (pg.Pool's). */
  get ended(): boolean {
    return this.#isEnded;
  }

  /** Run one query on a connection of the pool, as pg.Pool's `query` (promise, or callback as the last argument). */
  query<R extends pg.QueryResultRow = AnyRow>(query: PgQuery, values?: unknown[]): Promise<pg.QueryResult<R>>;
  query<R extends pg.QueryResultRow = AnyRow>(query: PgQuery, callback: PgQueryCallback<pg.QueryResult<R>>): void;
  query<R extends pg.QueryResultRow = AnyRow>(
    query: PgQuery,
    values: unknown[] | undefined,
    callback: PgQueryCallback<pg.QueryResult<R>>,
  ): void;
  query(
    query: PgQuery,
    values?: unknown,
    callback?: PgQueryCallback<pg.QueryResult>,
  ): Promise<pg.QueryResult> | undefined {
    if (typeof values === 'function') {
      this.query(query, undefined, values as PgQueryCallback<pg.QueryResult>);
      return undefined;
    }
    const result = this.#query(query, values as unknown[] | undefined);
    if (callback === undefined) return result;
    result.then((rows) => callback(undefined, rows), callback);
    return undefined;
  }

  #query(query: PgQuery, values: unknown[] | undefined): Promise<pg.QueryResult> {
    let options: CheckoutOptions | undefined;
    if (typeof query === 'object' && query !== null && ('signal' in query || 'owner' in query)) {
      const { signal, owner, ...rest } = query;
      options = { signal, owner };
      query = rest;
    }
    if (typeof (query as { submit?: unknown }).submit === 'function') {
      // A Cursor or QueryStream outlives the call: the connection cannot be checked in when the promise settles.
      return Promise.reject(
        new InvalidArgumentError('pool.query() query', 'text or a query config (a submittable needs connect())', query),
      );
    }
    const text = query as pg.QueryConfig;
    const signal = options?.signal;
    if (signal !== undefined)
      return this.#checkout(options).then((lease) => this.#abortableQuery(lease, text, values, signal));
    // The hot path, as pg.Pool runs it: pg's callback form (its promise form adds a `.catch` hop per query), the
    // connection checked in from inside pg's callback, the caller's promise settled after.
    return new Promise<pg.QueryResult>((resolve, reject) => {
      this.#checkout(options).then((lease) => {
        this.#acquired(lease);
        const done = (error: Error | undefined, result: pg.QueryResult) => {
          if (error) {
            // A server's error (SQL, constraint, statement_timeout) leaves the connection fit; any other is closed.
            this.#giveBack(lease, isServerError(error) ? undefined : error);
            reject(error);
            return;
          }
          this.#giveBack(lease, undefined);
          resolve(result);
        };
        try {
          (lease.worker.query as (text: unknown, values: unknown, callback: typeof done) => void)(text, values, done);
        } catch (error) {
          // pg throws at once on a query it cannot take (no text): the connection is closed, as with any other.
          done(error as Error, undefined as unknown as pg.QueryResult);
        }
      }, reject);
    });
  }

  async #abortableQuery(
    lease: PgLease,
    query: pg.QueryConfig,
    values: unknown[] | undefined,
    signal: AbortSignal,
  ): Promise<pg.QueryResult> {
    this.#acquired(lease);
    let result: pg.QueryResult;
    try {
      result = await abortable(lease.worker.query(query, values), signal, lease);
    } catch (error) {
      this.#giveBack(lease, isServerError(error) ? undefined : error);
      throw error;
    }
    this.#giveBack(lease, undefined);
    return result;
  }

  /** A client of its own, until `client.release(err?)` (pg.Pool's); options bound the wait, as `checkout`'s. */
  connect(options?: CheckoutOptions): Promise<PgPoolClient>;
  connect(callback: (error: Error | undefined, client?: PgPoolClient, done?: (error?: Error) => void) => void): void;
  connect(
    options?: CheckoutOptions | ((error: Error | undefined, client?: PgPoolClient, done?: () => void) => void),
  ): Promise<PgPoolClient> | undefined {
    if (typeof options === 'function') {
      this.connect().then((client) => options(undefined, client, client.release), options);
      return undefined;
    }
    return this.#checkout(options).then((lease) => pgPoolClient(this.#acquired(lease), this.#checkin));
  }

  /** BEGIN, `fn(client)`, COMMIT; on a throw ROLLBACK (or close the connection if that fails) and rethrow. */
  async transaction<T>(fn: (client: PgPoolClient) => T | Promise<T>, options?: CheckoutOptions): Promise<T> {
    if (typeof fn !== 'function') throw new InvalidArgumentError('transaction function', 'a function', fn);
    const client = await this.connect(options);
    const release = once(client);
    let result: T;
    try {
      await client.query('BEGIN');
      result = await fn(client);
    } catch (error) {
      // The checkin rolls back whatever transaction is open, and closes the connection if it cannot.
      release(undefined);
      throw error;
    }
    try {
      await client.query('COMMIT');
    } finally {
      release(undefined);
    }
    return result;
  }

  /** Close every connection (checked-out ones get the stop's 5 s to come back); idempotent. */
  end(callback?: (error?: Error) => void): Promise<void> {
    this.#ending ??= this.#end();
    if (callback) this.#ending.then(() => callback(), callback);
    return this.#ending;
  }

  async #end(): Promise<void> {
    // A wrapped pool belongs to its tree, which stops it.
    if (this.#poolOptions !== undefined) {
      await this.#starting?.catch(() => {});
      await this.#pool?.stop();
    }
    this.#isEnded = true;
  }

  #checkout(options: CheckoutOptions | undefined): Promise<PgLease> {
    if (this.#ending !== undefined) return Promise.reject(new PoolStoppedError(this.#pool?.name ?? 'pg'));
    const source = this.#source;
    const leased =
      source !== undefined ? source.checkout(options) : this.#start().then(() => this.#source!.checkout(options));
    return leased;
  }

  /** A checkout came through: the connection is leased (its validation may have been skipped), and pg's 'acquire'. */
  #acquired(lease: PgLease): PgLease {
    const state = pgConnectionState(lease.worker);
    if (state !== undefined) state.isLeased = true;
    if (this.listenerCount('acquire') > 0) this.emit('acquire', lease.worker);
    return lease;
  }

  #start(): Promise<void> {
    this.#starting ??= createPool(this.#poolOptions!).then(
      (pool) => this.#attach(pool, pool as unknown as PgLeaseSource),
      (error: unknown) => {
        this.#starting = undefined;
        throw error;
      },
    );
    return this.#starting;
  }

  #attach(pool: Pool<pg.Client>, source: PgLeaseSource): void {
    this.#pool = pool;
    this.#source = source;
    const clientOf = (workerId: string) => pgConnectionState(workerId)?.handle.worker;
    pool.on('worker:started', ({ workerId }) => this.emit('connect', clientOf(workerId)));
    pool.on('worker:exited', ({ workerId, exit }) => {
      const state = pgConnectionState(workerId);
      // pg.Pool's 'error': an idle connection failed. Without a listener pg.Pool crashes the process; this does not.
      if (exit.kind === 'crashed' && state && !state.isLeased && this.listenerCount('error') > 0) {
        this.emit('error', exit.error, state.handle.worker);
      }
      this.emit('remove', state?.handle.worker);
    });
    for (const { id } of pool.workers()) this.emit('connect', clientOf(id));
  }

  /** Check a connection in clean: roll back an open transaction and reset the session first, or close it. */
  #giveBack(lease: PgLease, error: unknown): void {
    const client = lease.worker;
    this.emit('release', error, client);
    const state = pgConnectionState(client);
    if (error || !lease.isActive || state === undefined) {
      lease.release({ discard: Boolean(error) });
      return;
    }
    const inTransaction = (client as unknown as { _txStatus?: string | null })._txStatus;
    const { resetQuery } = state.handle.settings;
    if ((inTransaction === 'I' || inTransaction == null) && resetQuery === false) {
      lease.release({ discard: state.checkedIn() });
      return;
    }
    const rollback = inTransaction === 'I' || inTransaction == null ? undefined : client.query('ROLLBACK');
    Promise.resolve(rollback)
      .then(() => (resetQuery === false ? undefined : client.query(resetQuery)))
      .then(
        () => lease.release({ discard: state.checkedIn() }),
        () => lease.release({ discard: true }),
      );
  }
}
