// Stopping the PoolToy tree: every pool at once with one deadline, then the tree in reverse order; one report per
// pool (workers killed, leases still held and by whom); no process left; signals handled only when asked.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { PoolToyStoppedError } from '../src/errors.js';
import type { Lease } from '../src/pool/lease.js';
import { PoolToy } from '../src/pooltoy.js';
import { processWorker } from '../src/workers/process-worker.js';
import { resourceWorker } from '../src/workers/resource-worker.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
let toy: PoolToy | undefined;

afterEach(async () => {
  await toy?.stop({ timeoutMs: 0 });
  toy = undefined;
});

/** Is a process of this pid still there (not yet reaped)? */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

describe('stop', () => {
  it('reports per pool the stubborn workers killed and the leases still held, by whom, and leaves no process', async () => {
    toy = await PoolToy.start({
      pools: {
        db: { worker: resourceWorker({ create: ({ workerId }) => ({ workerId }) }), size: 2 },
        stubborn: { worker: processWorker(fixture('ignore-sigterm')), size: 2, maxOverflow: 0, stopTimeoutMs: 100 },
      },
    });
    const tree = toy;
    const stubborn = tree.pool('stubborn');
    const pids = stubborn.workers().map((worker) => worker.pid!);
    const stubbornIds = stubborn.workers().map((worker) => worker.id);
    // A lease held by a real HTTP request that never gets its answer before the stop.
    let dbLease: Lease<{ workerId: string }> | undefined;
    const server = createServer(async (request) => {
      dbLease = await tree.pool<{ workerId: string }>('db').checkout({ owner: request });
      server.emit('leased');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const leased = once(server, 'leased');
    const client = new AbortController();
    const response = fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/report`, {
      signal: client.signal,
    }).catch(() => 'aborted');
    await leased;
    const owner = new AbortController();
    const stubbornLease = await stubborn.checkout({ owner: owner.signal });

    const report = await tree.stop({ timeoutMs: 0 });

    expect(report).toEqual({
      pools: [
        {
          pool: 'db',
          killed: [],
          leasesHeld: [{ workerId: dbLease!.workerId, owner: 'GET /report', heldMs: expect.any(Number) }],
        },
        {
          pool: 'stubborn',
          killed: expect.arrayContaining(stubbornIds),
          leasesHeld: [{ workerId: stubbornLease.workerId, owner: 'AbortSignal', heldMs: expect.any(Number) }],
        },
      ],
    });
    expect(report.pools[1]!.killed).toHaveLength(2);
    expect(dbLease!.signal.reason).toMatchObject({ code: 'ERR_POOL_STOPPED' });
    expect(pids.filter(isAlive)).toEqual([]);
    expect(tree.pools()).toEqual([]);
    expect(tree.snapshot()).toMatchObject({ registry: [], pools: [], tree: { id: 'pooltoy', children: [] } });
    client.abort();
    await response;
    server.closeAllConnections();
    server.close();
  });

  it('gives every pool the same deadline for its leases, and a lease back in time is not reported', async () => {
    const clock = new ManualClock();
    const worker = resourceWorker({ create: ({ workerId }) => ({ workerId }) });
    toy = await PoolToy.start({ clock, pools: { a: { worker, size: 1 }, b: { worker, size: 1 } } });
    const [a, b] = await Promise.all([toy.pool('a').checkout(), toy.pool('b').checkout()]);
    const stopped = toy.stop({ timeoutMs: 1000 });
    expect(toy.pools()).toEqual([]);
    a.release();
    clock.advance(1000); // one deadline: both pools' waits end here
    const report = await stopped;
    expect(report.pools).toEqual([
      { pool: 'a', killed: [], leasesHeld: [] },
      { pool: 'b', killed: [], leasesHeld: [{ workerId: b.workerId, owner: 'unowned', heldMs: 1000 }] },
    ]);
    expect(b.signal.aborted).toBe(true);
  });

  it('is idempotent, and includes a pool already stopping', async () => {
    const worker = resourceWorker({ create: () => ({}) });
    toy = await PoolToy.start({ pools: { a: { worker, size: 1 }, b: { worker, size: 1 } } });
    const stoppingA = toy.stopPool('a');
    const first = toy.stop();
    expect(toy.stop()).toBe(first);
    const report = await first;
    expect(report.pools.map((pool) => pool.pool).sort()).toEqual(['a', 'b']);
    expect(await stoppingA).toEqual({ killed: [], leasesHeld: [] });
  });
});

describe('stop, while a pool is still starting', () => {
  it('stops that pool too once its start completes, and its startPool rejects PoolToyStoppedError', async () => {
    toy = await PoolToy.start();
    let finishCreate!: () => void;
    const created = new Promise<void>((resolve) => {
      finishCreate = resolve;
    });
    const destroyed: string[] = [];
    const slow = resourceWorker({
      create: async ({ workerId }) => {
        await created;
        return workerId;
      },
      destroy: (workerId) => void destroyed.push(workerId),
    });
    const starting = toy.startPool('slow', { worker: slow, size: 1 });
    const stopped = toy.stop();
    finishCreate();
    await expect(starting).rejects.toBeInstanceOf(PoolToyStoppedError);
    expect(await stopped).toEqual({ pools: [] });
    expect(destroyed).toHaveLength(1);
    expect(toy.pools()).toEqual([]);
  });
});

describe('handleSignals', () => {
  it('installs no process-wide handler unless asked, and removes its own on stop', async () => {
    const count = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];
    const before = count();
    toy = await PoolToy.start();
    expect(count()).toEqual(before);
    await toy.stop();
    toy = await PoolToy.start({ handleSignals: true });
    expect(count()).toEqual(before.map((n) => n + 1));
    await toy.stop();
    expect(count()).toEqual(before);
  });

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('on %s stops the tree, then exits with %i, leaving no worker', async (signal, code) => {
    const service = spawn(process.execPath, [fileURLToPath(fixture('pooltoy-signals'))], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: service.stdout! })[Symbol.asyncIterator]();
    const { pids } = JSON.parse((await lines.next()).value as string) as { pids: number[] };
    expect(pids).toHaveLength(2);
    const exited = once(service, 'exit');
    service.kill(signal);
    expect(JSON.parse((await lines.next()).value as string)).toEqual({ stopped: 'hash' });
    expect(await exited).toEqual([code, null]);
    expect(pids.filter(isAlive)).toEqual([]);
  });
});
