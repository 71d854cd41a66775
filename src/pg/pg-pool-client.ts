// What `pgPool.connect()` hands out: the pg.Client itself, seen through a proxy that adds `release(err?)` as pg.Pool
// does. The proxy, not the client, holds the lease: a client dropped without `release()` lets the lease be collected
// (so `leakDetection` can reclaim it), and a released proxy refuses queries, so stale code never reaches a connection
// that serves someone else now.
import type pg from 'pg';
import { ClientReleasedError } from '../errors.js';
import type { CheckoutOptions } from '../pool/pool.js';
import { destroySocket } from './pg-connection.js';

/** A checked-out connection as the pg pool holds it: a PoolToy `Lease`, or a cluster-limited one. */
export interface PgLease {
  readonly worker: pg.Client;
  readonly workerId: string;
  readonly isActive: boolean;
  readonly signal: AbortSignal;
  /** Check the connection in; `discard: true` closes it instead of returning it to the pool. */
  release(options?: { discard?: boolean }): void;
}

/** Where a pg pool checks connections out from: a PoolToy `Pool`, or a `ClusterLimitedPool` (`pooltoy/cluster`). */
export interface PgLeaseSource {
  /** Check a connection out, as `Pool#checkout` does. */
  checkout(options?: CheckoutOptions): Promise<PgLease>;
}

/** A client from `connect()`: a `pg.Client` with `release`. */
export type PgPoolClient = pg.Client & {
  /** Give the connection back; an error (or `true`) closes it instead, as with pg.Pool. Throws if called twice. */
  release(error?: Error | boolean): void;
  /** The PostgreSQL backend's pid (set by pg once connected; not in pg's type declarations). */
  readonly processID: number;
  /** Aborts when the pool takes the connection back (it died, its owner ended, its lease expired, the pool stopped). */
  readonly signal: AbortSignal;
};

/** Wrap `lease`'s client; `checkin(lease, error)` runs once, on the first `release()`. */
export function pgPoolClient(lease: PgLease, checkin: (lease: PgLease, error: unknown) => void): PgPoolClient {
  const client = lease.worker;
  const { workerId } = lease;
  let held: PgLease | undefined = lease;
  const bound = new Map<PropertyKey, unknown>();
  const release = (error?: Error | boolean) => {
    if (held === undefined) throw new ClientReleasedError(workerId, 'release()');
    const leased = held;
    held = undefined;
    checkin(leased, error);
  };
  const refused = () => Promise.reject(new ClientReleasedError(workerId, 'query()'));
  return new Proxy(client, {
    get(target, property) {
      if (property === 'release') return release;
      if (property === 'signal') return lease.signal;
      if (held === undefined && property === 'query') return refused;
      const value = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      // Methods run on the client itself (pg reads and writes its own fields), bound once per client handed out.
      let method = bound.get(property);
      if (method === undefined) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  }) as PgPoolClient;
}

/** Did PostgreSQL answer with an error (the connection is fine), rather than the connection failing? */
export function isServerError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'severity' in error &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

/** Release `client` once, however many paths try (`fn` may have released it itself). */
export function once(client: PgPoolClient): (error: unknown) => void {
  let done = false;
  return (error) => {
    if (done) return;
    done = true;
    try {
      client.release(error as Error | undefined);
    } catch {
      // `fn` released it already: nothing to give back.
    }
  };
}

/** Reject with `signal`'s reason when it aborts; the connection, mid-query, is closed rather than reused. */
export function abortable<T>(running: Promise<T>, signal: AbortSignal, lease: PgLease): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      reject(signal.reason);
      destroySocket(lease.worker);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    running.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
