// The soak's PostgreSQL unit: a pool of pg.Clients whose backends the chaos loop terminates (only this run's, by
// their unique application_name). Absent PostgreSQL, the unit is left out with a message (CI: the soak fails).
import { backendKiller, hasPostgres, pgClients } from './fault-kit.mjs';

/** The unit, or undefined (with a message) when PostgreSQL is not up. */
export async function postgresUnit() {
  if (!(await hasPostgres())) {
    console.log('soak: no PostgreSQL at 127.0.0.1:5432, the terminated-backend fault is left out');
    if (process.env.CI === 'true') throw new Error('CI must run the soak against PostgreSQL');
    return undefined;
  }
  const prefix = `pooltoy-soak-${process.pid}`;
  const killer = await backendKiller(prefix);
  return {
    pools: {
      pg: {
        options: { worker: pgClients(prefix), size: 3, maxOverflow: 2, overflowTtlMs: 1000 },
        // pg rejects a query on a connection cut under it with a bare Error ("Connection terminated unexpectedly"):
        // tagged here, since the soak fails on any error without a code.
        call: (pool) =>
          pool
            .transaction((client) => client.query('SELECT 1'), { timeoutMs: 2000 })
            .catch((error) => {
              throw typeof error?.code === 'string' ? error : Object.assign(error, { code: 'PG_NO_CODE' });
            }),
      },
    },
    faults: [{ name: 'terminateBackend', pool: 'pg', weight: 1, inject: () => killer.terminateOne() }],
    end: () => killer.end(),
  };
}
