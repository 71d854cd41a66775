// The guards of `pooltoy/pg` against the local PostgreSQL: deaths from 'error' and 'end', application_name, a
// validation bounded by its own timeout, lifetime with jitter, idle retirement down to `min`, keepalive. Time-bound
// guards run on a ManualClock; every wait is on an event or a server round trip, never a sleep.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { PgPool, type PgPoolConfig } from '../src/pg/index.js';
import { applicationPrefix, describeWithPostgres, PostgresAdmin, postgresConfig } from './fixtures/local-postgres.js';
import { nextPoolEvent } from './fixtures/next-pool-event.js';

describeWithPostgres('pooltoy/pg guards', () => {
  let admin: PostgresAdmin;
  const pools: PgPool[] = [];
  const prefix = applicationPrefix('pg-guards');
  let clock: ManualClock;

  /** A pool on a manual clock whose connections are named `${prefix}-${test}:${workerId}`; started with `min` up. */
  async function pgPool(test: string, config: PgPoolConfig = {}) {
    clock = new ManualClock();
    const name = `${prefix}-${test}`;
    const pool = new PgPool({
      ...postgresConfig,
      max: 2,
      min: 1,
      clock,
      applicationName: (workerId) => `${name}:${workerId}`,
      ...config,
    });
    pools.push(pool);
    await pool.query('SELECT 1');
    return { pool, toy: pool.pool!, nameOf: (workerId: string) => `${name}:${workerId}`, name };
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

  it('names each connection application_name = its function of the worker id, and knows its backend pid', async () => {
    const { toy, nameOf, name } = await pgPool('names', { min: 2 });
    await admin.untilBackends(name, 2);
    for (const worker of toy.workers()) {
      expect(await admin.terminate(nameOf(worker.id))).toBe(1);
    }
  });

  it("reports a connection's 'end' as its worker's death, and replaces it at once, however young", async () => {
    const { pool, toy } = await pgPool('end');
    const client = await pool.connect();
    const exited = nextPoolEvent(toy, 'worker:exited');
    const started = nextPoolEvent(toy, 'worker:started');
    await client.end();
    const { exit, wasExpected } = await exited;
    expect(wasExpected).toBe(false);
    expect(exit).toMatchObject({ kind: 'crashed', error: { message: 'the connection to PostgreSQL ended' } });
    client.release(); // ignored: the lease was revoked by the death
    await started;
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it("reports an idle connection's 'error' (backend terminated) as its death", async () => {
    const { toy, nameOf } = await pgPool('error');
    const [worker] = toy.workers();
    const exited = nextPoolEvent(toy, 'worker:exited');
    await admin.terminate(nameOf(worker!.id));
    expect((await exited).exit).toMatchObject({ kind: 'crashed' });
  });

  describe('validation on checkout', () => {
    it('is skipped for a connection used within validateAfterIdleMs, and run after', async () => {
      const { pool } = await pgPool('bypass', { validateQuery: "SELECT set_config('pooltoy.checked', 'yes', false)" });
      const seen = async () => (await pool.query("SELECT current_setting('pooltoy.checked', true) AS v")).rows[0].v;
      expect(await seen()).toBeNull();
      clock.advance(500);
      expect(await seen()).toBe('yes');
    });

    it('is bounded by validateTimeoutMs: a connection that does not answer is dropped and another handed out', async () => {
      const { pool, toy, nameOf } = await pgPool('validate-timeout', {
        validateQuery: 'SELECT pg_sleep(30)',
        validateTimeoutMs: 1000,
      });
      const [stuck] = toy.workers();
      clock.advance(600); // idle longer than validateAfterIdleMs: the next checkout validates
      const exited = nextPoolEvent(toy, 'worker:exited');
      const leased = pool.connect();
      await admin.untilActive(nameOf(stuck!.id));
      clock.advance(1000);
      const { workerId, exit } = await exited;
      expect(workerId).toBe(stuck!.id);
      expect(exit).toMatchObject({ kind: 'crashed', error: { message: /validateTimeoutMs \(1000 ms\)/ } });
      const client = await leased;
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      client.release();
      await admin.terminate(nameOf(stuck!.id)); // its backend still sleeps; end it
    });
  });

  describe('maxLifetimeMs', () => {
    it('retires idle connections between 97.5% and 100% of their lifetime, and replaces them', async () => {
      const { toy } = await pgPool('lifetime', { min: 2, maxLifetimeMs: 100_000 });
      await toy.settled();
      const exits: string[] = [];
      toy.on('worker:exited', ({ exit }) => exits.push(exit.kind));
      clock.advance(97_499);
      expect(exits).toEqual([]);
      const replaced = new Promise<void>((resolve) => {
        let started = 0;
        toy.on('worker:started', () => ++started === 2 && resolve());
      });
      clock.advance(2_501);
      expect(exits).toEqual(['normal', 'normal']);
      await replaced;
    });

    it('retires a connection that expires while checked out at its checkin', async () => {
      const { pool, toy } = await pgPool('lifetime-busy', { maxLifetimeMs: 100_000 });
      const client = await pool.connect();
      const exits: string[] = [];
      toy.on('worker:exited', ({ exit }) => exits.push(exit.kind));
      clock.advance(100_000);
      expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(exits).toEqual([]);
      const exited = nextPoolEvent(toy, 'worker:exited');
      client.release();
      expect((await exited).wasExpected).toBe(true);
    });
  });

  it('closes connections idle for idleTimeoutMillis down to min', async () => {
    const { pool, toy } = await pgPool('idle', { min: 1, max: 3, idleTimeoutMillis: 10_000 });
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    expect(pool.totalCount).toBe(3);
    for (const client of clients) client.release();
    await toy.settled();
    const dismissed = new Promise<void>((resolve) => {
      let count = 0;
      toy.on('overflow:dismissed', () => ++count === 2 && resolve());
    });
    clock.advance(10_000);
    await dismissed;
    await toy.settled();
    expect(pool.totalCount).toBe(1);
  });

  describe('keepalive', () => {
    it('runs keepaliveQuery on a connection idle for keepaliveMs', async () => {
      const { pool } = await pgPool('keepalive', {
        keepaliveMs: 60_000,
        keepaliveQuery: "SELECT set_config('pooltoy.kept', 'yes', false)",
        validateQuery: false,
      });
      clock.advance(60_000);
      expect((await pool.query("SELECT current_setting('pooltoy.kept', true) AS v")).rows[0].v).toBe('yes');
    });

    it('closes a connection whose keepalive fails', async () => {
      const { toy } = await pgPool('keepalive-fails', { keepaliveMs: 60_000, keepaliveQuery: 'SELECT 1/0' });
      const exited = nextPoolEvent(toy, 'worker:exited');
      clock.advance(60_000);
      expect((await exited).exit).toMatchObject({ kind: 'crashed', error: { code: '22012' } });
    });
  });
});
