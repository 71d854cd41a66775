// `node --expose-gc bench/pg-faults.mjs [--seconds 8] [--fault 1 …]` (after `npm run build`): the same query workload through
// pg.Pool and PoolToy's pg pool at once, under one fault at a time, against the local PostgreSQL (PG* variables
// override 127.0.0.1:5432, database test, user postgres). Prints a markdown table of queries ok / failed / still
// hanging at the end of each window, and connections opened, per fault per pool. Figures, not a test.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgPool } from 'pooltoy/pg';
import { server } from './pg-queries.mjs';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '8' }, fault: { type: 'string', multiple: true } },
});
const windowMs = Number(values.seconds) * 1000;
const CLIENTS = 20;
const MAX = 5;
const tag = `pooltoy-faults-${process.pid}`;
const admin = new pg.Client({ ...server, application_name: `${tag}-admin` });
await admin.connect();

/** Both pools, made the way their users make them: only the construction line differs. */
const pools = {
  'pg.Pool': (name, extra) => new pg.Pool({ ...server, max: MAX, application_name: name, ...extra }),
  'PoolToy pg': (name, extra) => new PgPool({ ...server, max: MAX, application_name: name, ...extra }),
  'PoolToy pg, leakDetection': (name, extra) =>
    new PgPool({ ...server, max: MAX, application_name: name, leakDetection: true, ...extra }),
};

const terminate = (name) =>
  admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [name]);

/** `CLIENTS` clients each running `operation(pool, n)` in a loop for the window; what settled, and how. */
async function workload(pool, operation) {
  const tally = { ok: 0, failed: 0, hung: 0, codes: new Map() };
  let isOpen = true;
  let pending = 0;
  let n = 0;
  const client = async () => {
    while (isOpen) {
      pending++;
      try {
        await operation(pool, n++);
        tally.ok++;
      } catch (error) {
        tally.failed++;
        const code = error.code ?? error.message.slice(0, 40);
        tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
      } finally {
        pending--;
      }
    }
  };
  const running = Array.from({ length: CLIENTS }, client);
  await delay(windowMs);
  isOpen = false;
  // In-flight operations get 2 s to settle; those still pending then are hung (pg.Pool waits without a deadline).
  await Promise.race([Promise.all(running), delay(2000)]);
  // What settled by now is the result: a pool ended afterwards rejects its waiters, and that must not count.
  return { ok: tally.ok, failed: tally.failed, hung: pending, codes: new Map(tally.codes) };
}

const faults = [
  {
    name: 'backends terminated every 500 ms',
    operation: (pool) => pool.query('SELECT pg_sleep(0.005)'),
    during: (name) => setInterval(() => terminate(name).catch(() => {}), 500),
  },
  {
    name: 'idle connections killed before checkout (every 500 ms; each client waits 20 ms between queries)',
    operation: async (pool) => {
      await delay(20);
      await pool.query('SELECT 1');
    },
    during: (name) => setInterval(() => terminate(name).catch(() => {}), 500),
  },
  {
    name: 'a query in ten cancelled by statement_timeout (50 ms)',
    extra: { statement_timeout: 50 },
    operation: (pool, n) => pool.query(n % 10 === 0 ? 'SELECT pg_sleep(0.2)' : 'SELECT 1'),
  },
  {
    name: 'a transaction in ten throws (the code forgets ROLLBACK, releases in finally)',
    operation: async (pool, n) => {
      if (n % 10 !== 0) return pool.query('SELECT 1');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT 1/0');
        await client.query('COMMIT');
      } catch {
        // The bug: no ROLLBACK here.
      } finally {
        client.release();
      }
    },
  },
  {
    name: 'a client in twenty is never released',
    operation: async (pool, n) => {
      if (n % 20 === 0) {
        const client = await pool.connect();
        await client.query('SELECT 1'); // and forgotten
        return;
      }
      await pool.query('SELECT 1');
    },
    gc: true,
  },
];

const rows = [];
const chosen = values.fault ? values.fault.map((index) => faults[Number(index) - 1]) : faults;
for (const fault of chosen) {
  process.stderr.write(`${fault.name}\n`);
  const runs = Object.entries(pools).map(async ([poolName, make], index) => {
    const name = `${tag}-${faults.indexOf(fault)}-${index}`;
    const pool = make(name, fault.extra ?? {});
    pool.on('error', () => {}); // pg.Pool crashes the process without it
    let opened = 0;
    pool.on('connect', () => opened++);
    await Promise.all(Array.from({ length: MAX }, () => pool.query('SELECT 1')));
    opened = 0;
    const timer = fault.during?.(name);
    const collector = fault.gc ? setInterval(() => globalThis.gc?.(), 200) : undefined;
    const tally = await workload(pool, fault.operation);
    clearInterval(timer);
    clearInterval(collector);
    // A pool whose clients were never released would wait for them: end it without waiting. (Its backends are not
    // terminated: a pg.Pool client held by nobody has no 'error' listener, and that would crash this process.)
    void pool.end().catch(() => {});
    return { poolName, tally, opened };
  });
  for (const { poolName, tally, opened } of await Promise.all(runs)) {
    const codes = [...tally.codes].map(([code, count]) => `${code} ×${count}`).join(', ');
    rows.push([fault.name, poolName, tally.ok, tally.failed, tally.hung, opened, codes || '—']);
  }
}
await admin.end();

const line = (cells) => `| ${cells.join(' | ')} |`;
const header = [
  'fault',
  'pool',
  'queries ok',
  'failed',
  'still waiting 2 s after the window',
  'connections opened',
  'errors',
];
process.stdout.write(
  `${[
    `Run ${new Date().toISOString()}, Node ${process.version}, ${CLIENTS} clients, max ${MAX} connections per pool, ${windowMs / 1000} s per fault, all pools at once`,
    '',
    line(header),
    line(header.map(() => '---')),
    ...rows.map(line),
  ].join('\n')}\n`,
);
process.exit(0);

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
