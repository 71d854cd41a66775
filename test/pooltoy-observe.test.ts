// What the observer reads from and does to a PoolToy tree: the snapshot, the event feed, killWorker.
import { afterEach, describe, expect, it } from 'vitest';
import type { SupervisorSnapshot, ToyEvent } from '../src/observer/snapshot.js';
import type { PoolEventMap } from '../src/pool/pool-events.js';
import { PoolToy } from '../src/pooltoy.js';
import { processWorker } from '../src/workers/process-worker.js';
import { resourceWorker } from '../src/workers/resource-worker.js';
import { captureWarnings } from './fixtures/captured-warnings.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
let toy: PoolToy | undefined;

afterEach(async () => {
  await toy?.stop({ timeoutMs: 0 });
  toy = undefined;
});

describe('snapshot', () => {
  it('draws the tree, the registry and every pool with options, status and workers with their lease holder', async () => {
    toy = await PoolToy.start({
      pools: {
        db: { worker: resourceWorker({ create: () => ({}) }), size: 2, maxOverflow: 1 },
        hash: { worker: processWorker(fixture('echo')), size: 1, maxOverflow: 0 },
      },
    });
    const owner = new AbortController();
    const lease = await toy.pool('db').checkout({ owner: owner.signal });
    const snapshot = toy.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toMatchObject({ registry: ['db', 'hash'] });
    const dbWorkers = toy
      .pool('db')
      .workers()
      .map((worker) => ({ id: worker.id, type: 'worker' }));
    const [hashWorker] = toy.pool('hash').workers();
    expect(snapshot.tree).toEqual({
      id: 'pooltoy',
      strategy: 'rest-for-one',
      children: [
        { id: 'registry', type: 'worker' },
        {
          id: 'pools',
          strategy: 'one-for-one',
          children: [
            {
              id: 'db',
              strategy: 'one-for-all',
              children: [
                { id: 'workers', strategy: 'one-for-one', children: expect.arrayContaining(dbWorkers) },
                { id: 'manager', type: 'worker' },
              ],
            },
            {
              id: 'hash',
              strategy: 'one-for-all',
              children: [
                { id: 'workers', strategy: 'one-for-one', children: [{ id: hashWorker!.id, type: 'worker' }] },
                { id: 'manager', type: 'worker' },
              ],
            },
          ],
        },
      ],
    });
    const [db, hash] = snapshot.pools;
    expect(db).toMatchObject({
      name: 'db',
      kind: 'resource',
      options: { size: 2, maxOverflow: 1, worker: 'resource' },
      status: { state: 'ready', idle: 1, checkedOut: 1 },
      restarts: 0,
    });
    expect(db!.workers.find((worker) => worker.id === lease.workerId)).toMatchObject({
      state: 'busy',
      lease: { owner: 'AbortSignal', sinceMs: expect.any(Number) },
    });
    expect(hash).toMatchObject({ name: 'hash', kind: 'process', workers: [{ state: 'idle', pid: hashWorker!.pid }] });
    lease.release();
  });
});

describe('onEvent', () => {
  it("gives every pool's events and the tree's own as ToyEvents, until it is removed", async () => {
    toy = await PoolToy.start({ pools: { db: { worker: resourceWorker({ create: () => ({}) }), size: 1 } } });
    const events: ToyEvent[] = [];
    const stop = toy.onEvent((event) => events.push(event));
    const lease = await toy.pool('db').checkout();
    lease.release();
    await toy.startPool('cache', { worker: resourceWorker({ create: () => ({}) }), size: 1 });
    (await toy.pool('cache').checkout()).release();
    await toy.stopPool('db');
    stop();
    (await toy.pool('cache').checkout()).release();
    const seen = events.map(({ pool, type }) => `${pool} ${type}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'db checkout:granted',
        'db checkin:done',
        'cache pool:started',
        'cache checkout:granted',
        'db worker:stopping',
        'db pool:stopped',
      ]),
    );
    expect(seen.filter((line) => line === 'cache checkout:granted')).toHaveLength(1);
    expect(events.find((event) => event.type === 'pool:stopped')).toMatchObject({ detail: 'shutdown' });
  });

  it('keeps delivering when a listener throws, with a warning instead of a crash', async () => {
    toy = await PoolToy.start();
    const warnings = captureWarnings();
    const warned = warnings.next();
    const removeBroken = toy.onEvent(() => {
      throw new Error('a broken logger');
    });
    const events: ToyEvent[] = [];
    toy.onEvent((event) => events.push(event));
    await toy.startPool('db', { worker: resourceWorker({ create: () => ({}) }), size: 1 });
    const warning = await warned;
    removeBroken(); // it has proved its point
    warnings.restore();
    expect(warning).toMatch(/a broken logger/);
    expect(events.map((event) => event.type)).toContain('pool:started');
  });
});

describe('killWorker', () => {
  it('kills one worker as a crash would; its pool replaces it', async () => {
    toy = await PoolToy.start({ pools: { hash: { worker: processWorker(fixture('echo')), size: 2 } } });
    const hash = toy.pool('hash');
    const [victim, survivor] = hash.workers();
    const exited = new Promise<PoolEventMap['worker:exited']>((resolve) => hash.once('worker:exited', resolve));
    const started = new Promise((resolve) => hash.once('worker:started', resolve));
    expect(toy.killWorker('hash', victim!.id)).toBe(true);
    expect(await exited).toMatchObject({ workerId: victim!.id, exit: { kind: 'killed' }, wasExpected: false });
    await started;
    const ids = hash.workers().map((worker) => worker.id);
    expect(ids).toContain(survivor!.id);
    expect(ids).not.toContain(victim!.id);
    expect(ids).toHaveLength(2);
    expect(toy.killWorker('hash', victim!.id)).toBe(false);
    expect(toy.killWorker('nope', survivor!.id)).toBe(false);
    const poolsNode = toy.snapshot().tree.children[1] as SupervisorSnapshot;
    expect(poolsNode.children.map((child) => child.id)).toEqual(['hash']);
  });
});
