// The demo's `db` pool on a real PostgreSQL when one answers — `pooltoy/pg` connections running real queries — and on
// the simulated connections of fake-database.mjs otherwise, saying so and how to point it at a real one.
import { resourceWorker } from 'pooltoy';
import { FakeConnection } from './fake-database.mjs';

/** The demo's connections carry this `application_name` (PGAPPNAME overrides it), so chaos can find its own. */
export const demoApplicationName = process.env.PGAPPNAME || 'pooltoy-demo';

/** The one line that points the demo at a PostgreSQL of one's own. */
export const databaseHint = 'set DATABASE_URL=postgres://user:password@host:5432/database (or the PG* variables)';

/** What the demo's load runs on each connection: a little real work and a little waiting, as a report would. */
export const demoQuery =
  'SELECT pg_sleep(random() * 0.08), count(*) FROM generate_series(1, 20000) AS n WHERE n % 7 = 0';

/** pg's settings: DATABASE_URL, else the PG* variables, else the local server (127.0.0.1:5432, test, postgres). */
function connectionSettings() {
  const applicationName = demoApplicationName;
  if (process.env.DATABASE_URL)
    return { connectionString: process.env.DATABASE_URL, application_name: applicationName };
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    database: process.env.PGDATABASE || 'test',
    user: process.env.PGUSER || 'postgres',
    application_name: applicationName,
  };
}

/** `user@host:port/database`, never the password. */
function describeSettings(settings) {
  if (settings.connectionString) {
    const url = new URL(settings.connectionString);
    return `${decodeURIComponent(url.username) || 'default user'}@${url.host}${url.pathname}`;
  }
  return `${settings.user}@${settings.host}:${settings.port}/${settings.database}`;
}

/**
 * The connections of `pooltoy/pg`: a terminated backend or a dropped socket is the worker's death, and each
 * connection is validated, kept alive and retired by age as that kind does (the observer shows its backend pid).
 */
async function pgClientWorker(settings) {
  const { pgPoolOptions } = await import('pooltoy/pg');
  return pgPoolOptions({ ...settings, connectionTimeoutMillis: 3000 }).worker;
}

const simulatedWorker = () =>
  resourceWorker({
    create: ({ signal }) => FakeConnection.open(signal),
    destroy: (connection) => connection.close(),
  });

/**
 * The `db` pool's worker kind and a sentence saying what it runs on. `database.isReal` says which: with PostgreSQL
 * reachable (and pg installed) real connections, otherwise the simulated ones and `why`.
 */
export async function demoDatabase() {
  const settings = connectionSettings();
  const where = describeSettings(settings);
  let pg;
  try {
    pg = (await import('pg')).default;
  } catch {
    return simulated(`pg is not installed (npm install pg), so no PostgreSQL at ${where}`);
  }
  const probe = new pg.Client({ ...settings, connectionTimeoutMillis: 2000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    await probe.query('SELECT 1');
  } catch (error) {
    return simulated(`no PostgreSQL at ${where} (${error.code ?? error.message})`);
  } finally {
    await probe.end().catch(() => {});
  }
  return {
    isReal: true,
    worker: await pgClientWorker(settings),
    description: `PostgreSQL ${where}, application_name ${demoApplicationName}`,
    /** A chaos admin: ends one of the demo's own backends (only its application_name), as a failover would. */
    openAdmin: async () => {
      const admin = new pg.Client({ ...settings, application_name: `${demoApplicationName}-chaos` });
      admin.on('error', () => {});
      await admin.connect();
      return {
        terminateOne: async () => {
          const { rows } = await admin.query(
            'SELECT pid, pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1 ORDER BY random() LIMIT 1',
            [demoApplicationName],
          );
          return rows[0]?.ended ? rows[0].pid : undefined;
        },
        end: () => admin.end().catch(() => {}),
      };
    },
  };
}

function simulated(why) {
  return {
    isReal: false,
    worker: simulatedWorker(),
    description: `simulated connections: ${why}; to use a real database, ${databaseHint}`,
    openAdmin: undefined,
  };
}
