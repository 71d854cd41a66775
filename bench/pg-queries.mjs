// G. Queries against the local PostgreSQL through a pool of 10 connections, 100 clients at once: PoolToy's pg pool
// (`pooltoy/pg`) against pg.Pool and porsager's `postgres`, all in one process, rounds interleaved.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import postgres from 'postgres';
import { interleave, LatencyRecorder, named, ratioTable, ratioTarget, target } from './rounds.mjs';

/** The local server the suite runs against; PG* variables override it, as they do for pg. */
export const server = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  database: process.env.PGDATABASE ?? 'test',
  user: process.env.PGUSER ?? 'postgres',
};

const CONNECTIONS = 10;
const CLIENTS = 100;
const tag = `pooltoy-bench-${process.pid}`;

/** Each pool behind one shape: `start()` → { query(text) → Promise, close() }. Defaults, as their READMEs show. */
export async function pgContenders() {
  const contenders = [];
  try {
    const { PgPool } = await import('pooltoy/pg');
    contenders.push({
      name: 'PoolToy',
      start: () => {
        const pool = new PgPool({ ...server, max: CONNECTIONS, application_name: `${tag}-pooltoy` });
        return { query: (text) => pool.query(text), close: () => pool.end() };
      },
    });
  } catch (error) {
    process.stderr.write(`  ! pooltoy/pg is not built (${error.code ?? error.message}): anchors only\n`);
  }
  contenders.push(
    {
      name: 'pg.Pool',
      start: () => {
        const pool = new pg.Pool({ ...server, max: CONNECTIONS, application_name: `${tag}-pg` });
        pool.on('error', () => {});
        return { query: (text) => pool.query(text), close: () => pool.end() };
      },
    },
    {
      name: 'postgres',
      start: () => {
        const { user, ...rest } = server;
        const sql = postgres({
          ...rest,
          username: user,
          max: CONNECTIONS,
          connection: { application_name: `${tag}-js` },
        });
        // Its users write tagged templates; `unsafe` takes the same text without parameters.
        return { query: (text) => sql.unsafe(text), close: () => sql.end() };
      },
    },
  );
  return contenders;
}

/** `CLIENTS` clients each looping `query(text)`, `ops` queries in all; every query's time is recorded. */
async function clients(pool, text, ops) {
  const latency = new LatencyRecorder(ops);
  let remaining = ops;
  const client = async () => {
    while (remaining-- > 0) {
      const started = performance.now();
      await pool.query(text);
      latency.record(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - started) / 1_000;
  return { qps: ops / seconds, p50Ms: latency.percentileUs(50) / 1_000, p99Ms: latency.percentileUs(99) / 1_000 };
}

async function isServerUp() {
  const client = new pg.Client({ ...server, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Run G1 (`select 1`) and G2 (`pg_sleep`) and return their tables and targets. */
export async function run({ quick, log }) {
  const title = `G. PostgreSQL queries (${CONNECTIONS} connections, ${CLIENTS} concurrent clients)`;
  if (!(await isServerUp())) {
    log('no PostgreSQL: G skipped');
    const note = `No PostgreSQL at ${server.host}:${server.port}: not measured.`;
    return { title, sections: [{ heading: 'G. skipped', table: note }], targets: [] };
  }
  const pools = await pgContenders();
  const rounds = quick ? 2 : 7;
  const workloads = [
    { id: 'G1', text: 'select 1', ops: quick ? 2_000 : 20_000 },
    { id: 'G2', text: 'select pg_sleep(0.002)', ops: quick ? 500 : 3_000 },
  ];
  const sections = [];
  const targets = [];
  for (const { id, text, ops } of workloads) {
    log(`${id} ${text}`);
    const results = await interleave(
      pools.map((contender) => ({
        name: contender.name,
        setup: async () => {
          const pool = contender.start();
          // Open every connection before measuring.
          await Promise.all(Array.from({ length: CONNECTIONS * 2 }, () => pool.query('select 1')));
          return pool;
        },
        round: (pool, size) => clients(pool, text, size),
        teardown: (pool) => pool.close(),
      })),
      { rounds, ops, warmOps: Math.min(ops, 2_000), log },
    );
    sections.push({
      heading: `${id}. \`${text}\`, ${ops.toLocaleString('en-US')} queries per round`,
      table: ratioTable(results, {
        subject: 'PoolToy',
        columns: [
          { key: 'qps', label: 'queries/s' },
          { key: 'p50Ms', label: 'p50 ms', digits: 2 },
          { key: 'p99Ms', label: 'p99 ms', digits: 2 },
        ],
        ratioOf: 'qps',
      }),
    });
    targets.push(ratioTarget(`${id} ≥ 1.0× pg.Pool`, results, { anchor: 'pg.Pool', key: 'qps', factor: 1 }));
    const p99 = (name) => named(results, name)?.metrics.p99Ms.median;
    targets.push(
      target(
        `${id} p99 no worse than pg.Pool`,
        p99('PoolToy'),
        named(results, 'PoolToy') ? p99('PoolToy') <= p99('pg.Pool') : undefined,
        `ms; pg.Pool ${p99('pg.Pool')?.toFixed(2)}, postgres ${p99('postgres')?.toFixed(2)}`,
      ),
    );
  }
  return { title, sections, targets };
}
