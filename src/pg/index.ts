// `pooltoy/pg`: PostgreSQL connections in a PoolToy pool, with pg.Pool's API and HikariCP's guards. Needs `pg`.

/**
 * PostgreSQL connections in a PoolToy pool: `PgPool`, with pg.Pool's API and HikariCP's guards; needs pg.
 *
 * @module pooltoy/pg
 */

export { type PgConnection, type PgConnectionState, pgConnection, pgConnectionState } from './pg-connection.js';
export { PgPool, type PgQuery, type PgQueryCallback, pgPoolOptions } from './pg-pool.js';
export type { PgLease, PgLeaseSource, PgPoolClient } from './pg-pool-client.js';
export type { PgConnectionSettings, PgPoolConfig } from './pg-settings.js';
