// PoolToy's tree: pools started, found, stopped and listed at run time; names unique; the registry always in step.
import { once } from 'node:events';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { PoolExistsError, PoolNotFoundError, PoolToyStoppedError, WorkerStartError } from '../src/errors.js';
import type { ObservedTree } from '../src/observer/observed-tree.js';
import type { SupervisorSnapshot } from '../src/observer/snapshot.js';
import { PoolToy } from '../src/pooltoy.js';
import { resourceWorker } from '../src/workers/resource-worker.js';

let toy: PoolToy | undefined;

afterEach(async () => {
  await toy?.stop({ timeoutMs: 0 });
  toy = undefined;
});

/** A resource kind whose resources are plain objects naming their pool and worker. */
function namedResources() {
  return resourceWorker({ create: ({ poolName, workerId }) => ({ poolName, workerId }) });
}

describe('PoolToy.start', () => {
  it('starts the pools declared up front, in order, each found by name', async () => {
    toy = await PoolToy.start({
      pools: { db: { worker: namedResources(), size: 2 }, hash: { worker: namedResources(), size: 1 } },
    });
    expect(toy.pools()).toEqual(['db', 'hash']);
    const lease = await toy.pool<{ poolName: string }>('db').checkout();
    expect(lease.worker.poolName).toBe('db');
    lease.release();
    expect(toy.pool('hash').status()).toMatchObject({ state: 'ready', idle: 1 });
  });

  it('rejects an unknown option, a bad option and a bad pool option before anything starts', async () => {
    await expect(PoolToy.start({ pool: {} } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      argument: 'PoolToy option "pool"',
    });
    await expect(PoolToy.start({ handleSignals: 'yes' } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      expected: 'a boolean',
    });
    let created = 0;
    const counted = resourceWorker({ create: () => ++created });
    await expect(
      PoolToy.start({ pools: { db: { worker: counted }, hash: { worker: counted, size: -1 } } }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_POOL_OPTION', option: 'hash.size', got: -1 });
    expect(created).toBe(0);
  });

  it('stops the pools it started and rejects when a declared pool cannot start', async () => {
    const destroyed: string[] = [];
    const good = resourceWorker({ create: ({ workerId }) => workerId, destroy: (id) => void destroyed.push(id) });
    const bad = resourceWorker({
      create: () => {
        throw new Error('database is down');
      },
    });
    const started = PoolToy.start({ pools: { good: { worker: good, size: 2 }, bad: { worker: bad, size: 1 } } });
    await expect(started).rejects.toBeInstanceOf(WorkerStartError);
    expect(destroyed).toHaveLength(2);
  });
});

describe('startPool', () => {
  it('starts pools at run time, each serving its own workers', async () => {
    toy = await PoolToy.start();
    const db = await toy.startPool('db', { worker: namedResources(), size: 1 });
    const cache = await toy.startPool('cache', { worker: namedResources(), size: 1 });
    expect(toy.pool('db')).toBe(db);
    expect(toy.pool('cache')).toBe(cache);
    const [a, b] = await Promise.all([db.checkout(), cache.checkout()]);
    expect([a.worker.poolName, b.worker.poolName]).toEqual(['db', 'cache']);
    a.release();
    b.release();
  });

  it('refuses a name that runs, or that is still starting', async () => {
    toy = await PoolToy.start();
    const first = toy.startPool('db', { worker: namedResources(), size: 1 });
    await expect(toy.startPool('db', { worker: namedResources() })).rejects.toMatchObject({
      code: 'ERR_POOL_EXISTS',
      state: 'starting',
    });
    await first;
    const error = await toy.startPool('db', { worker: namedResources() }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PoolExistsError);
    expect(error).toMatchObject({ pool: 'db', state: 'running' });
    expect(toy.pools()).toEqual(['db']);
  });

  it('refuses options that name the pool differently, and a name that is not a non-empty string', async () => {
    toy = await PoolToy.start();
    await expect(toy.startPool('db', { name: 'other', worker: namedResources() })).rejects.toMatchObject({
      code: 'ERR_INVALID_POOL_OPTION',
      option: 'db.name',
    });
    await expect(toy.startPool('', { worker: namedResources() })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('rejects with PoolToyStoppedError once the tree has stopped', async () => {
    toy = await PoolToy.start();
    await toy.stop();
    await expect(toy.startPool('db', { worker: namedResources() })).rejects.toBeInstanceOf(PoolToyStoppedError);
  });
});

describe('pool', () => {
  it('throws PoolNotFoundError naming the pools that do run', async () => {
    toy = await PoolToy.start({ pools: { db: { worker: namedResources(), size: 0 } } });
    const error = (() => {
      try {
        toy.pool('dv');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PoolNotFoundError);
    expect(error).toMatchObject({ code: 'ERR_POOL_NOT_FOUND', pool: 'dv', known: ['db'] });
  });
});

describe('stopPool', () => {
  it('removes the pool from the registry at once and frees its name once stopped', async () => {
    toy = await PoolToy.start({ pools: { db: { worker: namedResources(), size: 2 } } });
    const db = toy.pool('db');
    const stopped = once(toy, 'pool:stopped');
    const stopping = toy.stopPool('db');
    expect(() => toy!.pool('db')).toThrow(PoolNotFoundError);
    expect(toy.pools()).toEqual([]);
    await expect(toy.startPool('db', { worker: namedResources() })).rejects.toMatchObject({ state: 'stopping' });
    expect(await stopping).toEqual({ killed: [], leasesHeld: [] });
    expect(await stopped).toEqual([{ name: 'db', exit: { kind: 'shutdown' } }]);
    await expect(db.checkout()).rejects.toMatchObject({ code: 'ERR_POOL_STOPPED' });
    const again = await toy.startPool('db', { worker: namedResources(), size: 1 });
    expect(again).not.toBe(db);
    expect(toy.pool('db')).toBe(again);
  });

  it('rejects PoolNotFoundError for a name that does not run', async () => {
    toy = await PoolToy.start();
    await expect(toy.stopPool('ghost')).rejects.toBeInstanceOf(PoolNotFoundError);
  });

  it('rejects bad stop options and leaves the pool running', async () => {
    toy = await PoolToy.start({ pools: { db: { worker: namedResources(), size: 1 } } });
    await expect(toy.stopPool('db', { timeout: 10 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      argument: 'stopPool option "timeout"',
    });
    await expect(toy.stopPool('db', { timeoutMs: -1 })).rejects.toMatchObject({
      expected: expect.any(String),
      got: -1,
    });
    await expect(toy.stop({ timeoutMs: Number.NaN })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    expect(toy.pools()).toEqual(['db']);
    (await toy.pool('db').checkout()).release();
  });

  it('lets restartPool start a stopped pool again with the options it had', async () => {
    toy = await PoolToy.start({ pools: { db: { worker: namedResources(), size: 3 } } });
    await expect(toy.restartPool('db')).rejects.toBeInstanceOf(PoolExistsError);
    await expect(toy.restartPool('never')).rejects.toBeInstanceOf(PoolNotFoundError);
    await toy.stopPool('db');
    const db = await toy.restartPool('db');
    expect(db.status()).toMatchObject({ idle: 3 });
  });
});

describe('registry', () => {
  it('stays in step with the running pools under rapid concurrent starts and stops', async () => {
    toy = await PoolToy.start();
    const tree = toy;
    const names = Array.from({ length: 12 }, (_, index) => `p${index}`);
    const options = { worker: namedResources(), size: 1, maxOverflow: 0 };
    // Each name: start, stop, start again, with no await between the names; odd ones are stopped at the end.
    const cycles = names.map(async (name, index) => {
      await tree.startPool(name, options);
      await tree.stopPool(name);
      const pool = await tree.startPool(name, options);
      if (index % 2 === 1) await tree.stopPool(name);
      return pool;
    });
    const duplicates = names.map((name) => tree.startPool(name, options).catch((error: unknown) => error));
    await Promise.all(cycles);
    for (const result of await Promise.all(duplicates)) expect(result).toBeInstanceOf(PoolExistsError);
    const running = names.filter((_, index) => index % 2 === 0);
    expect(tree.pools()).toEqual(expect.arrayContaining(running));
    expect(tree.pools()).toHaveLength(running.length);
    const snapshot = tree.snapshot();
    expect(snapshot.registry).toEqual(tree.pools());
    expect(snapshot.pools.map((pool) => pool.name)).toEqual(tree.pools());
    const poolsNode = snapshot.tree.children.find((child) => child.id === 'pools') as SupervisorSnapshot;
    expect(poolsNode.children.map((child) => child.id).sort()).toEqual([...running].sort());
    // A lookup never hands out a dead pool: every one found serves.
    for (const name of tree.pools()) (await tree.pool(name).checkout()).release();
  });
});

describe('types', () => {
  it('is an ObservedTree the web observer can draw and drive', () => {
    expectTypeOf<PoolToy>().toExtend<ObservedTree>();
  });
});
