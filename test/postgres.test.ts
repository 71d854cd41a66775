// A resource pool of real pg clients against the local PostgreSQL, with backends ended by pg_terminate_backend
// while idle and while leased mid-query; then the same faults through pg.Pool, to document where the two differ.
import type { EventEmitter } from 'node:events';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WorkerExitError } from '../src/errors.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import {
  applicationPrefix,
  describeWithPostgres,
  PostgresAdmin,
  pgClients,
  postgresConfig,
} from './fixtures/local-postgres.js';
import { nextPoolEvent } from './fixtures/next-pool-event.js';

/** The next `name` event; unlike `events.once`, an 'error' event on the same emitter does not reject it. */
function eventOf(emitter: EventEmitter, name: string): Promise<unknown> {
  return new Promise((resolve) => emitter.once(name, resolve));
}

describeWithPostgres('a resource pool of pg clients', () => {
  let admin: PostgresAdmin;
  const pools: Pool<pg.Client>[] = [];

  async function pgPool(test: string, options: { validates?: boolean; reportsDeath?: boolean } = {}) {
    const prefix = applicationPrefix(test);
    const pool = await createPool({
      name: test,
      worker: pgClients({ prefix, ...options }),
      size: 2,
      maxOverflow: 1,
      overflowTtlMs: 0,
    });
    pools.push(pool);
    return { pool, prefix, nameOf: (workerId: string) => `${prefix}:${workerId}` };
  }

  beforeAll(async () => {
    admin = await new PostgresAdmin().connect();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
  });
  afterAll(async () => {
    await admin.end();
  });

  describe('an idle connection whose backend is terminated', () => {
    it('is noticed through ctx.exit, replaced, and the pool keeps serving', async () => {
      const { pool, prefix, nameOf } = await pgPool('idle');
      const [victim] = pool.workers();
      const exited = nextPoolEvent(pool, 'worker:exited');
      // The replacement may wait out a backoff first (a connection that dies young counts as a failed start).
      const replaced = nextPoolEvent(pool, 'worker:started');
      expect(await admin.terminate(nameOf(victim!.id))).toBe(1);
      const { workerId, exit, wasExpected } = await exited;
      expect(workerId).toBe(victim!.id);
      expect(wasExpected).toBe(false);
      expect(exit).toMatchObject({ kind: 'crashed', error: { code: '57P01' } });
      await replaced;
      expect(pool.status()).toMatchObject({ idle: 2, checkedOut: 0, overflow: 0 });
      expect(pool.workers().map((worker) => worker.id)).not.toContain(victim!.id);
      const rows = await pool.transaction(async (client) => (await client.query('SELECT 41 + 1 AS n')).rows);
      expect(rows).toEqual([{ n: 42 }]);
      await admin.untilBackends(prefix, 2);
    });
  });

  describe('a leased connection whose backend is terminated mid-query', () => {
    it('fails the query, revokes the lease with WorkerExitError, replaces the connection and keeps serving', async () => {
      const { pool, nameOf } = await pgPool('busy');
      const lease = await pool.checkout();
      const query = lease.worker.query('SELECT pg_sleep(60)');
      const revoked = nextPoolEvent(pool, 'lease:revoked');
      const replaced = nextPoolEvent(pool, 'worker:started');
      await admin.untilActive(nameOf(lease.workerId));
      expect(await admin.terminate(nameOf(lease.workerId))).toBe(1);

      await expect(query).rejects.toMatchObject({ code: '57P01' });
      const { workerId, reason } = await revoked;
      expect(workerId).toBe(lease.workerId);
      expect(reason).toBeInstanceOf(WorkerExitError);
      expect(lease.isActive).toBe(false);
      expect(lease.signal.reason).toBe(reason);
      // The client reports the lost socket as its 'error'; the server's 57P01 goes to the query in flight.
      expect((reason as WorkerExitError).cause).toMatchObject({ message: 'Connection terminated unexpectedly' });

      const ignored = nextPoolEvent(pool, 'checkin:ignored');
      lease.release();
      expect(await ignored).toMatchObject({ workerId: lease.workerId, reason: 'revoked' });
      await replaced;
      expect(pool.status()).toMatchObject({ idle: 2, checkedOut: 0 });
      const answers = await Promise.all(
        [1, 2, 3].map((n) =>
          pool.transaction(async (client) => (await client.query('SELECT $1::int AS n', [n])).rows[0]),
        ),
      );
      expect(answers).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    });
  });

  describe('validate', () => {
    it('catches a dead idle connection the pool was not told about, and hands out a live one', async () => {
      // Without ctx.exit wiring, the pool learns of the death only from validate: as with a half-open socket.
      const { pool, nameOf } = await pgPool('validate', { validates: true, reportsDeath: false });
      const first = await pool.checkout();
      const deadId = first.workerId;
      const ended = eventOf(first.worker, 'end');
      first.release();
      await admin.terminate(nameOf(deadId));
      await ended;

      const recycled = nextPoolEvent(pool, 'worker:recycled');
      const lease = await pool.checkout(); // lifo: the dead one is offered first
      expect(await recycled).toEqual({ workerId: deadId, reason: 'invalid' });
      expect(lease.workerId).not.toBe(deadId);
      expect((await lease.worker.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      lease.release();
    });
  });

  describe('stop', () => {
    it('closes every connection', async () => {
      const { pool, prefix } = await pgPool('stop');
      await admin.untilBackends(prefix, 2);
      await pool.stop();
      await admin.untilBackends(prefix, 0);
    });
  });
});

// The same faults through pg.Pool: the differences are documented in docs/reliability.md.
describeWithPostgres('pg.Pool under the same faults', () => {
  let admin: PostgresAdmin;
  let pgPool: pg.Pool;
  const prefix = applicationPrefix('pg.Pool');

  beforeAll(async () => {
    admin = await new PostgresAdmin().connect();
  });
  afterEach(async () => {
    await pgPool.end();
  });
  afterAll(async () => {
    await admin.end();
  });

  it('drops an idle client whose backend ended, reports it on its own error event, and starts none until asked', async () => {
    pgPool = new pg.Pool({ ...postgresConfig, application_name: prefix, max: 2 });
    const poolErrors: Error[] = [];
    pgPool.on('error', (error) => poolErrors.push(error));
    const clients = await Promise.all([pgPool.connect(), pgPool.connect()]);
    for (const client of clients) client.release();
    expect(pgPool.idleCount).toBe(2);

    const removed = eventOf(pgPool, 'remove');
    await admin.terminate(prefix);
    await removed;
    if (pgPool.totalCount > 0) await eventOf(pgPool, 'remove');
    expect(pgPool.totalCount).toBe(0); // no replacement: pg.Pool has no minimum size
    expect(poolErrors.map((error) => (error as Error & { code?: string }).code)).toContain('57P01');
    expect((await pgPool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('leaves a client killed mid-query with its holder, who hears of it only from the query and an error event with no listener', async () => {
    pgPool = new pg.Pool({ ...postgresConfig, application_name: prefix, max: 1 });
    const client = await pgPool.connect();
    // While checked out, pg.Pool listens to nothing on the client: an 'error' there is uncaught unless the holder listens.
    expect(client.listenerCount('error')).toBe(0);
    const uncaught = eventOf(client, 'error');
    const query = client.query('SELECT pg_sleep(60)');
    await admin.untilActive(prefix);
    await admin.terminate(prefix);

    await expect(query).rejects.toMatchObject({ code: '57P01' });
    expect(await uncaught).toMatchObject({ message: 'Connection terminated unexpectedly' });
    expect(pgPool.totalCount).toBe(1); // still counted: the dead client holds the only slot until released
    const next = pgPool.connect();
    expect(pgPool.waitingCount).toBe(1); // the next client waits for the holder to give the dead one back
    client.release();
    const fresh = await next;
    expect((await fresh.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    fresh.release();
  });
});
