// PgPool's pg.Pool API against the local PostgreSQL: a pg.Pool program ported by its construction line, release
// with and without an error, transactions that commit, throw or are left open, resetQuery, the counts and events.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { CheckoutTimeoutError, ClientReleasedError, InvalidArgumentError, PoolStoppedError } from '../src/errors.js';
import { PgPool, type PgPoolConfig } from '../src/pg/index.js';
import { applicationPrefix, describeWithPostgres, PostgresAdmin, postgresConfig } from './fixtures/local-postgres.js';
import { nextPoolEvent } from './fixtures/next-pool-event.js';

/** Written for pg.Pool; runs unchanged on whatever pool it is given. */
async function pgPoolProgram(pool: pg.Pool): Promise<unknown[]> {
  const out: unknown[] = [];
  pool.on('error', (error) => out.push(`pool error ${error.message}`));
  const { rows } = await pool.query('SELECT $1::int + 1 AS n', [41]);
  out.push(rows[0].n);
  out.push((await pool.query({ text: 'SELECT $1::text AS t', values: ['hi'] })).rows[0].t);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE ported (n int) ON COMMIT DROP');
    await client.query('INSERT INTO ported VALUES (1), (2)');
    out.push((await client.query('SELECT sum(n)::int AS s FROM ported')).rows[0].s);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  await new Promise<void>((resolve, reject) =>
    pool.query('SELECT 7 AS seven', (error: Error | undefined, result?: pg.QueryResult) => {
      if (error) return reject(error);
      out.push(result!.rows[0].seven);
      resolve();
    }),
  );
  out.push(await pool.query('SELECT 1/0').catch((error) => error.code));
  out.push(pool.waitingCount, pool.totalCount <= 2);
  await pool.end();
  out.push(pool.ended);
  return out;
}

describeWithPostgres('PgPool, the pg.Pool API', () => {
  let admin: PostgresAdmin;
  const pools: PgPool[] = [];
  const prefix = applicationPrefix('pg-pool');

  function pgPool(config: PgPoolConfig = {}): PgPool {
    const pool = new PgPool({
      ...postgresConfig,
      max: 2,
      applicationName: (workerId) => `${prefix}:${workerId}`,
      ...config,
    });
    pools.push(pool);
    return pool;
  }

  beforeAll(async () => {
    admin = await new PostgresAdmin().connect();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });
  afterAll(async () => {
    await admin.end();
  });

  it('runs a pg.Pool program unchanged but for its construction line, with the same results', async () => {
    const config = { ...postgresConfig, max: 2, application_name: `${prefix}-ported` };
    const withPg = await pgPoolProgram(new pg.Pool(config));
    const withPoolToy = await pgPoolProgram(new PgPool(config) as unknown as pg.Pool);
    expect(withPg).toEqual([42, 'hi', 3, 7, '22012', 0, true, true]);
    expect(withPoolToy).toEqual(withPg);
  });

  it('hands out the pg.Client itself, with release(); a second release throws and a released client refuses queries', async () => {
    const pool = pgPool();
    const client = await pool.connect();
    expect(client).toBeInstanceOf(pg.Client);
    expect((await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid).toBe(client.processID);
    client.release();
    expect(() => client.release()).toThrow(ClientReleasedError);
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: 'ERR_PG_CLIENT_RELEASED' });
  });

  it('closes a connection released with an error, or with true, and keeps one released without', async () => {
    const pool = pgPool({ max: 1 });
    const pidOf = async () => {
      const client = await pool.connect();
      return { pid: client.processID, client };
    };
    const first = await pidOf();
    first.client.release();
    const second = await pidOf();
    expect(second.pid).toBe(first.pid);
    const exited = nextPoolEvent(pool.pool!, 'worker:exited');
    second.client.release(new Error('broken'));
    await exited;
    const third = await pidOf();
    expect(third.pid).not.toBe(first.pid);
    const exitedAgain = nextPoolEvent(pool.pool!, 'worker:exited');
    third.client.release(true);
    await exitedAgain;
    const fourth = await pidOf();
    expect(fourth.pid).not.toBe(third.pid);
    fourth.client.release();
  });

  it('keeps the connection after a query fails with a server error (pg.Pool closes it)', async () => {
    const pool = pgPool({ max: 1 });
    const before = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    await expect(pool.query('SELECT 1/0')).rejects.toMatchObject({ code: '22012' });
    expect((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid).toBe(before);
  });

  describe('transaction(fn)', () => {
    it('commits what fn did and resolves with its result', async () => {
      const pool = pgPool({ max: 1 });
      await pool.query('CREATE TEMP TABLE IF NOT EXISTS tx (n int)');
      const result = await pool.transaction(async (client) => {
        await client.query('INSERT INTO tx VALUES (1)');
        return 'done';
      });
      expect(result).toBe('done');
      expect((await pool.query('SELECT count(*)::int AS n FROM tx')).rows[0].n).toBe(1);
    });

    it('rolls back when fn throws, rethrows, and hands the connection out again outside any transaction', async () => {
      const pool = pgPool({ max: 1 });
      await pool.query('CREATE TEMP TABLE IF NOT EXISTS tx (n int)');
      const failure = pool.transaction(async (client) => {
        await client.query('INSERT INTO tx VALUES (1)');
        await client.query('SELECT 1/0'); // the transaction is now failed ('E')
      });
      await expect(failure).rejects.toMatchObject({ code: '22012' });
      const client = await pool.connect();
      expect((await client.query('SELECT count(*)::int AS n FROM tx')).rows[0].n).toBe(0);
      expect((client as unknown as { _txStatus: string })._txStatus).toBe('I');
      client.release();
    });

    it('closes the connection when the rollback itself fails (its backend is gone)', async () => {
      const pool = pgPool({ max: 1, min: 1, applicationName: () => `${prefix}-rollback` });
      const before = (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      // Closed either way: the client hears of the termination first (a crash) or the ROLLBACK fails first (a stop).
      const exited = nextPoolEvent(pool.pool!, 'worker:exited');
      const failure = pool.transaction(async () => {
        await admin.terminate(`${prefix}-rollback`);
        throw new Error('the work failed');
      });
      await expect(failure).rejects.toThrow('the work failed');
      expect(['crashed', 'shutdown']).toContain((await exited).exit.kind);
      expect((await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid).not.toBe(before);
    });
  });

  it('rolls back a transaction left open by a client released in the middle of it', async () => {
    const pool = pgPool({ max: 1 });
    await pool.query('CREATE TEMP TABLE IF NOT EXISTS open_tx (n int)');
    const client = await pool.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO open_tx VALUES (1)');
    client.release();
    const next = await pool.connect();
    expect((next as unknown as { _txStatus: string })._txStatus).toBe('I');
    expect((await next.query('SELECT count(*)::int AS n FROM open_tx')).rows[0].n).toBe(0);
    next.release();
  });

  it('resets session state on checkin with resetQuery', async () => {
    const pool = pgPool({ max: 1, resetQuery: 'DISCARD ALL' });
    const client = await pool.connect();
    await client.query("SET search_path TO 'somewhere'");
    client.release();
    expect((await pool.query('SHOW search_path')).rows[0].search_path).toBe('"$user", public');
  });

  it('ends once, and rejects queries after end with PoolStoppedError', async () => {
    const pool = pgPool();
    await pool.query('SELECT 1');
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(1);
    const ended = pool.end();
    expect(pool.ending).toBe(true);
    expect(pool.end()).toBe(ended);
    await ended;
    expect(pool.ended).toBe(true);
    await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(PoolStoppedError);
  });

  it("emits 'connect', 'acquire', 'release' and 'remove' as pg.Pool does", async () => {
    const pool = pgPool({ max: 1 });
    const seen: string[] = [];
    for (const name of ['connect', 'acquire', 'release', 'remove']) {
      pool.on(name, (...args: unknown[]) => seen.push(`${name}:${args.some((arg) => arg instanceof pg.Client)}`));
    }
    const client = await pool.connect();
    const removed = new Promise((resolve) => pool.once('remove', resolve));
    client.release(true);
    await removed;
    expect(seen).toEqual(['connect:true', 'acquire:true', 'release:true', 'remove:true']);
  });

  it("emits 'error' with the client when an idle connection's backend ends, and does not crash without a listener", async () => {
    const pool = pgPool({ max: 1, min: 1, applicationName: () => `${prefix}-idle-error` });
    await pool.query('SELECT 1');
    const error = new Promise<unknown[]>((resolve) => pool.once('error', (...args) => resolve(args)));
    await admin.terminate(`${prefix}-idle-error`);
    const [reason, client] = await error;
    expect(client).toBeInstanceOf(pg.Client);
    expect(reason).toBeInstanceOf(Error);
    expect((await pool.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
  });

  it('names a connection pooltoy:<workerId> when no application_name is given', async () => {
    const pool = new PgPool({ ...postgresConfig, max: 1 });
    pools.push(pool);
    const { rows } = await pool.query("SELECT current_setting('application_name') AS name");
    expect(rows[0].name).toMatch(/^pooltoy:pg#\d+$/);
  });

  it('opens min connections at construction, before any query', async () => {
    pgPool({ min: 2, max: 3, applicationName: () => `${prefix}-min` });
    await admin.untilBackends(`${prefix}-min`, 2);
  });

  it('fails a query that waited connectionTimeoutMillis (5000 by default) with CheckoutTimeoutError', async () => {
    const clock = new ManualClock();
    const pool = pgPool({ max: 1, clock });
    const held = await pool.connect();
    const queued = nextPoolEvent(pool.pool!, 'checkout:queued');
    const waiting = pool.query('SELECT 1');
    await queued;
    clock.advance(5000);
    await expect(waiting).rejects.toBeInstanceOf(CheckoutTimeoutError);
    held.release();
  });

  it('refuses a submittable (Cursor, QueryStream) in pool.query', async () => {
    const pool = pgPool();
    const submittable = { submit: () => {} } as unknown as string;
    await expect(pool.query(submittable)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses pg.Pool options it does not offer, with a typed error', () => {
    expect(() => new PgPool({ allowExitOnIdle: true } as PgPoolConfig)).toThrow(InvalidArgumentError);
    expect(() => new PgPool({ max: 0 })).toThrow(/PgPool option "max"/);
    expect(() => new PgPool({ min: 3, max: 2 })).toThrow(/at most max/);
  });
});
