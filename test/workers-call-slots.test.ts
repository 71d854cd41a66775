// Pipelining (`callsPerWorker > 1`) over real threads and processes: slots share workers, die with them, leave
// them, and a pool of slots leaves no process behind.
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { InvalidPoolOptionError, RunTimeoutError, WorkerExitError } from '../src/errors.js';
import { type PoolOptions, parsePoolOptions } from '../src/options.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import type { PoolEventMap } from '../src/pool/pool-events.js';
import { callSlots } from '../src/workers/call-slots.js';
import { processWorker } from '../src/workers/process-worker.js';
import { resourceWorker } from '../src/workers/resource-worker.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { CallableWorker, WorkerHandle } from '../src/workers/worker-kind.js';
import { childPids } from './fixtures/child-pids.js';

const gather = new URL('./fixtures/gather.mjs', import.meta.url);
const pools: Pool<CallableWorker>[] = [];
const handles: WorkerHandle<CallableWorker>[] = [];

async function pool(options: PoolOptions<CallableWorker>): Promise<Pool<CallableWorker>> {
  const created = await createPool({ maxOverflow: 0, stopTimeoutMs: 1000, ...options });
  pools.push(created);
  return created;
}

/** The next `count` events `name` of `of`: listen before the action that causes them. */
function nextEvents<K extends keyof PoolEventMap>(of: Pool<CallableWorker>, name: K, count: number) {
  return new Promise<PoolEventMap[K][]>((resolve) => {
    const seen: PoolEventMap[K][] = [];
    const listener = (payload: PoolEventMap[K]) => {
      seen.push(payload);
      if (seen.length < count) return;
      of.off(name, listener);
      resolve(seen);
    };
    of.on(name, listener);
  });
}

const distinct = (values: unknown[]) => new Set(values).size;
const gathering = (count: number) => ({ op: 'gather', count });
const startContext = (workerId: string, signal = new AbortController().signal) => ({
  workerId,
  poolName: 'slots',
  signal,
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop({ timeoutMs: 0 })));
  for (const handle of handles.splice(0)) handle.kill();
});

describe('pool.run with callsPerWorker', () => {
  it('runs 8 calls at once on 2 threads of 4 slots each', async () => {
    const threads = await pool({ worker: threadWorker(gather), size: 8, callsPerWorker: 4 });
    const rows = threads.workers();
    expect(rows).toHaveLength(8);
    expect(distinct(rows.map((row) => row.threadId))).toBe(2);
    // Each answer waits until 4 calls are in its thread at once: they all settle only if every thread pipelines.
    const answers = await Promise.all(Array.from({ length: 8 }, () => threads.run(gathering(4))));
    expect(distinct(answers.map((answer) => (answer as { threadId: number }).threadId))).toBe(2);
    expect(threads.status()).toMatchObject({ state: 'ready', idle: 8, checkedOut: 0 });
  });

  it('shares one process among the slots of a process pool', async () => {
    const processes = await pool({ worker: processWorker(gather), size: 4, callsPerWorker: 2 });
    expect(distinct(processes.workers().map((row) => row.pid))).toBe(2);
    const answers = await Promise.all(Array.from({ length: 4 }, () => processes.run(gathering(2))));
    expect(distinct(answers.map((answer) => (answer as { pid: number }).pid))).toBe(2);
  });
});

describe('worker deaths', () => {
  it('replaces every slot of a killed process, rejects its calls with one WorkerExitError, and serves again', async () => {
    const processes = await pool({ worker: processWorker(gather), size: 4, callsPerWorker: 4 });
    const [pid] = processes.workers().map((row) => row.pid);
    const leases = await Promise.all([1, 2, 3, 4].map(() => processes.checkout()));
    const calls = leases.map((lease) => lease.worker.call(gathering(5)).catch((error: unknown) => error));
    const exits = nextEvents(processes, 'worker:exited', 4);
    process.kill(pid!, 'SIGKILL');
    const errors = await Promise.all(calls);
    expect(errors[0]).toBeInstanceOf(WorkerExitError);
    expect(new Set(errors).size).toBe(1);
    const exitErrors = (await exits).map(({ exit }) => (exit.kind === 'crashed' ? exit.error : exit));
    expect(new Set(exitErrors)).toEqual(new Set([errors[0]]));
    await processes.settled();
    const pids = processes.workers().map((row) => row.pid);
    expect(pids).toHaveLength(4);
    expect(distinct(pids)).toBe(1);
    expect(pids[0]).not.toBe(pid);
    await Promise.all([1, 2, 3, 4].map(() => processes.run(gathering(4))));
  });

  it('takes the shared worker down with a slot whose call timed out, and its neighbour call with it', async () => {
    const clock = new ManualClock();
    const threads = await pool({
      worker: threadWorker(gather, { clock }),
      size: 2,
      callsPerWorker: 2,
      clock,
    });
    const [neighbour, timed] = await Promise.all([threads.checkout(), threads.checkout()]);
    const [threadId] = threads.workers().map((row) => row.threadId);
    const neighbourCall = neighbour.worker.call(gathering(99));
    const timedCall = timed.worker.call(gathering(99), { runTimeoutMs: 100 });
    clock.advance(100);
    await expect(timedCall).rejects.toBeInstanceOf(RunTimeoutError);
    const exits = nextEvents(threads, 'worker:exited', 2);
    timed.release({ discard: true });
    await expect(neighbourCall).rejects.toBeInstanceOf(WorkerExitError);
    await exits;
    await threads.settled();
    const threadIds = threads.workers().map((row) => row.threadId);
    expect(threadIds).toHaveLength(2);
    expect(distinct(threadIds)).toBe(1);
    expect(threadIds[0]).not.toBe(threadId);
  });
});

describe('slot starts and stops', () => {
  it('joins concurrent starts to one pending worker, and fills a worker before starting the next', async () => {
    const kind = callSlots(threadWorker(gather), 2);
    const slots = await Promise.all(['a', 'b', 'c'].map((id) => kind.start(startContext(id))));
    handles.push(...slots);
    expect(slots[0]!.threadId).toBe(slots[1]!.threadId);
    expect(slots[2]!.threadId).not.toBe(slots[0]!.threadId);
  });

  it('keeps the shared start going when one joined slot gives its start up', async () => {
    const kind = callSlots(threadWorker(gather), 2);
    const givenUp = new AbortController();
    const first = kind.start(startContext('a', givenUp.signal));
    const second = kind.start(startContext('b'));
    givenUp.abort(new Error('start timed out'));
    await expect(first).rejects.toThrow('start timed out');
    const slot = await second;
    handles.push(slot);
    await expect(slot.worker.call('still here')).resolves.toBe('still here');
  });

  it('lets a stopped slot leave at once, starts no slot on a worker being drained, and stops it with its last slot', async () => {
    const kind = callSlots(threadWorker(gather), 2);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => kind.start(startContext(id))));
    handles.push(a!, b!, c!);
    a!.stop();
    expect(a!.exit).toEqual({ kind: 'shutdown' });
    await expect(b!.worker.call('served on')).resolves.toBe('served on');
    const d = await kind.start(startContext('d'));
    handles.push(d);
    expect(d.threadId).toBe(c!.threadId); // not the drained worker of a and b
    b!.stop();
    expect(b!.exit).toBeUndefined(); // the last slot waits for its thread to exit
    await expect(b!.exited).resolves.toEqual({ kind: 'shutdown' });
    await expect(b!.worker.call('gone')).rejects.toBeInstanceOf(WorkerExitError);
  });
});

describe('pool.stop', () => {
  it('leaves no process behind', async () => {
    const processes = await pool({ worker: processWorker(gather), size: 4, callsPerWorker: 2 });
    const pids = processes.workers().map((row) => row.pid);
    await processes.stop();
    expect(childPids().filter((pid) => pids.includes(pid))).toEqual([]);
  });
});

describe('options', () => {
  it('refuses a callsPerWorker that is not an integer >= 1', () => {
    for (const callsPerWorker of [0, -1, 1.5, '2', null, Number.POSITIVE_INFINITY]) {
      const options = { worker: threadWorker(gather), callsPerWorker } as unknown as PoolOptions;
      expect(() => parsePoolOptions(options)).toThrow(InvalidPoolOptionError);
    }
  });

  it('refuses callsPerWorker > 1 for a resource pool, and accepts 1', async () => {
    const worker = resourceWorker({ create: () => ({}) });
    await expect(createPool({ worker, callsPerWorker: 2 })).rejects.toMatchObject({
      code: 'ERR_INVALID_POOL_OPTION',
      option: 'callsPerWorker',
      got: 2,
    });
    expect(parsePoolOptions({ worker, callsPerWorker: 1 }).callsPerWorker).toBe(1);
  });
});
