// `pooltoy/pg`: PostgreSQL connections in a PoolToy pool, with pg.Pool's API and HikariCP's guards. Needs `pg`.
export { type PgConnectionState, pgConnection, pgConnectionState } from './pg-connection.js';
export { PgPool, type PgQuery, pgPoolOptions } from './pg-pool.js';
export type { PgLease, PgLeaseSource, PgPoolClient } from './pg-pool-client.js';
export type { PgConnectionSettings, PgPoolConfig } from './pg-settings.js';
