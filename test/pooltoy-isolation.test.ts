// Isolation in the PoolToy tree: a pool whose manager crashes is restarted with fresh workers within its restart
// intensity, removed past it (pool:failed says why), and its neighbours serve throughout; the host never crashes.
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { PoolFailedError, PoolNotFoundError, RestartIntensityError } from '../src/errors.js';
import type { ToyEvent } from '../src/observer/snapshot.js';
import type { Pool } from '../src/pool/pool.js';
import { PoolToy } from '../src/pooltoy.js';
import { processWorker } from '../src/workers/process-worker.js';
import { resourceWorker } from '../src/workers/resource-worker.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';
import { type ManagerCrasher, managerCrasher } from './fixtures/manager-crasher.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
let toy: PoolToy | undefined;
let crasher: ManagerCrasher<{ workerId: string }>;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(() => {
  crasher = managerCrasher(resourceWorker({ create: ({ workerId }) => ({ workerId }) }));
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await toy?.stop({ timeoutMs: 0 });
  toy = undefined;
  process.off('unhandledRejection', onUnhandled);
});

/** `clients` clients each running `calls` calls in a row on `pool`; resolves with every answer. */
async function load(pool: Pool<CallableWorker>, clients: number, calls: number): Promise<unknown[]> {
  const answers = await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const mine: unknown[] = [];
      for (let call = 0; call < calls; call++) mine.push(await pool.run({ client, call }));
      return mine;
    }),
  );
  return answers.flat();
}

/** Make the pool `name` crash: its next worker start hands the manager a worker that makes it throw. */
function crashOnNextStart(tree: PoolToy, name: string, crashes: number): void {
  crasher.crashesToCause = crashes;
  const [victim] = tree.pool(name).workers();
  expect(tree.killWorker(name, victim!.id)).toBe(true); // the manager starts a replacement: the crash
}

describe('a pool whose manager crashes', () => {
  it('is restarted with fresh workers, as the same Pool, while its neighbours keep serving under load', async () => {
    toy = await PoolToy.start({
      pools: {
        db: { worker: crasher.kind, size: 2 },
        hash: { worker: processWorker(fixture('echo')), size: 2, maxOverflow: 0 },
        cpu: { worker: threadWorker(fixture('echo')), size: 1, maxOverflow: 0 },
      },
    });
    const db = toy.pool<{ workerId: string }>('db');
    const before = db.workers().map((worker) => worker.id);
    const restarted = once(toy, 'pool:restarted');
    const hashLoad = load(toy.pool('hash'), 4, 25);
    const cpuLoad = load(toy.pool('cpu'), 2, 25);
    crashOnNextStart(toy, 'db', 1);
    const [{ name, restarts, cause }] = await restarted;
    expect({ name, restarts }).toEqual({ name: 'db', restarts: 1 });
    expect((cause as Error).message).toMatch(/bug in the manager/);
    expect(toy.pool('db')).toBe(db);
    await db.settled();
    const after = db.workers().map((worker) => worker.id);
    expect(after).toHaveLength(2);
    expect(after.filter((id) => before.includes(id))).toEqual([]);
    const lease = await db.checkout();
    expect(after).toContain(lease.worker.workerId);
    lease.release();
    expect(await hashLoad).toHaveLength(100);
    expect(await cpuLoad).toHaveLength(50);
    expect(toy.snapshot().pools.map((pool) => [pool.name, pool.restarts])).toEqual([
      ['db', 1],
      ['hash', 0],
      ['cpu', 0],
    ]);
    expect(unhandled).toEqual([]);
  });

  it('is removed past its restart intensity, with pool:failed saying why, and neighbours keep serving', async () => {
    // Time stands still: every restart falls within the window.
    const clock = new ManualClock();
    toy = await PoolToy.start({
      clock,
      pools: {
        db: { worker: crasher.kind, size: 2, maxPoolRestarts: 1 },
        hash: { worker: processWorker(fixture('echo')), size: 1, maxOverflow: 0 },
      },
    });
    const db = toy.pool('db');
    const events: ToyEvent[] = [];
    toy.onEvent((event) => events.push(event));
    const failed = once(toy, 'pool:failed');
    const hashLoad = load(toy.pool('hash'), 3, 20);
    crashOnNextStart(toy, 'db', Number.POSITIVE_INFINITY);
    const [{ name, error }] = await failed;
    expect(name).toBe('db');
    expect(error).toBeInstanceOf(PoolFailedError);
    expect(error.cause).toBeInstanceOf(RestartIntensityError);
    expect((error.cause as Error).cause).toBeInstanceOf(Error);
    expect(((error.cause as Error).cause as Error).message).toMatch(/bug in the manager/);
    expect(crasher.crashes).toBe(2); // the first crash was restarted, the second was one too many
    expect(toy.pools()).toEqual(['hash']);
    expect(() => toy!.pool('db')).toThrow(PoolNotFoundError);
    await expect(db.checkout()).rejects.toBeInstanceOf(PoolFailedError);
    expect(toy.snapshot().tree).toMatchObject({ children: [{ id: 'registry' }, { id: 'pools' }] });
    expect(JSON.stringify(toy.snapshot().tree)).not.toContain('"db"');
    expect(events.filter((event) => event.pool === 'db' && event.type.startsWith('pool:'))).toMatchObject([
      { type: 'pool:restarted' },
      { type: 'pool:failed', detail: expect.stringMatching(/gave up after more than 1 restarts/) },
    ]);
    expect(await hashLoad).toHaveLength(60);
    expect(unhandled).toEqual([]);
  });

  it('is restarted again once its earlier restarts have left the window', async () => {
    const clock = new ManualClock();
    toy = await PoolToy.start({
      clock,
      pools: { db: { worker: crasher.kind, size: 1, maxPoolRestarts: 1, restartPeriodMs: 5000 } },
    });
    const tree = toy;
    const restarts: number[] = [];
    tree.on('pool:restarted', (event) => restarts.push(event.restarts));
    for (let round = 1; round <= 3; round++) {
      const restarted = once(tree, 'pool:restarted');
      crashOnNextStart(tree, 'db', 1);
      await restarted;
      await tree.pool('db').settled();
      clock.advance(5001); // the restart leaves the window (5000 ms old, it would still count): the next crash is alone
    }
    expect(restarts).toEqual([1, 2, 3]);
    expect(tree.pools()).toEqual(['db']);
    (await tree.pool('db').checkout()).release();
  });
});

describe('a failed pool', () => {
  it('can be started again by name with restartPool', async () => {
    toy = await PoolToy.start({
      clock: new ManualClock(),
      pools: { db: { worker: crasher.kind, maxPoolRestarts: 0 } },
    });
    const failed = once(toy, 'pool:failed');
    crashOnNextStart(toy, 'db', 1);
    await failed;
    const db = await toy.restartPool('db');
    expect(toy.pool('db')).toBe(db);
    expect(db.status()).toMatchObject({ state: 'ready', idle: 5 });
  });
});
