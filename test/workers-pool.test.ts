// Pools of real workers: pool.run over threads, processes and commands, with deaths, timeouts and recycling.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunTimeoutError, WorkerExitError } from '../src/errors.js';
import type { PoolOptions } from '../src/options.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import type { PoolEventMap } from '../src/pool/pool-events.js';
import { commandWorker } from '../src/workers/command-worker.js';
import { processWorker } from '../src/workers/process-worker.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';
import { quietCrashes } from './fixtures/quiet-crashes.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
const pools: Pool<CallableWorker>[] = [];
const idle = (n: number) => ({ state: 'ready', idle: n, overflow: 0, checkedOut: 0, waiting: 0 });

/** The next `name` event of `of`: listen before the action that causes it. */
function next<K extends keyof PoolEventMap>(of: Pool<CallableWorker>, name: K): Promise<PoolEventMap[K]> {
  return new Promise((resolve) => of.once(name, resolve));
}

async function pool(options: PoolOptions<CallableWorker>): Promise<Pool<CallableWorker>> {
  const created = await createPool({ maxOverflow: 0, stopTimeoutMs: 1000, ...options });
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop({ timeoutMs: 0 })));
});

describe('pool.run', () => {
  it('spreads CPU-bound calls over a pool of threads', async () => {
    const threads = await pool({ worker: threadWorker(fixture('echo')), size: 2 });
    const answers = await Promise.all([1, 2, 3, 4].map((n) => threads.run({ op: 'delay', ms: 1, value: n })));
    expect(answers).toEqual([1, 2, 3, 4]);
    expect(threads.status()).toEqual(idle(2));
  });

  it('answers through a pool of processes, and of Python programs', async () => {
    const processes = await pool({ worker: processWorker(fixture('echo')), size: 2 });
    expect(await processes.run({ op: 'workerId' })).toMatch(/#/);
    const hasPython = spawnSync('python3', ['--version']).status === 0;
    if (!hasPython) return;
    const script = fileURLToPath(new URL('../examples/python-worker.py', import.meta.url));
    const python = await pool({ worker: commandWorker('python3', [script]), size: 1 });
    expect(await python.run({ primesBelow: 1000 })).toBe(168);
  });

  it('removes a queued run that is aborted, leaving the busy worker alone', async () => {
    const threads = await pool({ worker: threadWorker(fixture('echo')), size: 1 });
    const busy = new AbortController();
    const running = threads.run({ op: 'waitForAbort' }, { signal: busy.signal });
    const queued = new AbortController();
    const isQueued = next(threads, 'checkout:queued');
    const waiting = threads.run('never sent', { signal: queued.signal });
    await isQueued;
    queued.abort(new Error('gave up waiting'));
    await expect(waiting).rejects.toThrow('gave up waiting');
    expect(threads.status()).toMatchObject({ checkedOut: 1, waiting: 0 });
    busy.abort(new Error('done'));
    await expect(running).rejects.toThrow('done');
  });

  it('rejects a run past runTimeoutMs, then stops and replaces its worker (a spinning thread is terminated)', async () => {
    const threads = await pool({
      worker: threadWorker(fixture('hang'), { stopTimeoutMs: 50 }),
      size: 1,
      runAbortGraceMs: 10,
    });
    const exited = next(threads, 'worker:exited');
    await expect(threads.run('spin', { runTimeoutMs: 20 })).rejects.toBeInstanceOf(RunTimeoutError);
    const { exit } = await exited;
    expect(exit.kind).toBe('killed');
    await threads.settled();
    expect(threads.status()).toEqual(idle(1));
    expect(await threads.run('alive')).toBe('alive');
  });
});

describe('worker death', () => {
  const garbage = fileURLToPath(new URL('./fixtures/garbage-command.mjs', import.meta.url));
  const deaths = [
    {
      path: 'process.exit() in a process',
      kind: () => processWorker(fixture('crash-on-call')),
      payload: 'exit',
      error: { exitCode: 7 },
    },
    {
      path: 'a signal',
      kind: () => processWorker(fixture('crash-on-call'), quietCrashes()),
      payload: 'abort',
      error: { signal: 'SIGABRT' },
    },
    {
      path: 'process.exit() in a thread',
      kind: () => threadWorker(fixture('exit-in-thread')),
      payload: 3,
      error: { exitCode: 3 },
    },
    {
      path: 'an uncaught error in a thread',
      kind: () => threadWorker(fixture('crash-on-call')),
      payload: 'uncaught',
      error: { exitCode: 1, cause: { message: 'uncaught in the worker' } },
    },
    {
      path: 'out of memory in a thread',
      kind: () => threadWorker(fixture('allocate-oom'), { resourceLimits: { maxOldGenerationSizeMb: 16 } }),
      payload: 'allocate',
      error: { cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' } },
    },
    {
      path: 'garbage on a command worker stdout',
      kind: () => commandWorker(process.execPath, [garbage]),
      payload: 'garbage',
      error: { signal: 'SIGKILL', cause: { code: 'ERR_WORKER_PROTOCOL' } },
    },
  ];

  it.each(deaths)('rejects the run and replaces the worker after $path', async ({ kind, payload, error }) => {
    const workers = await pool({ worker: kind(), size: 2 });
    const exited = next(workers, 'worker:exited');
    const rejection = await workers.run(payload).catch((e: unknown) => e);
    expect(rejection).toBeInstanceOf(WorkerExitError);
    expect(rejection).toMatchObject(error);
    const { workerId, exit } = await exited;
    expect(exit).toEqual({ kind: 'crashed', error: rejection });
    await workers.settled();
    expect(workers.status()).toEqual(idle(2));
    const live = workers.workers();
    expect(live).toHaveLength(2);
    expect(live.map((worker) => worker.id)).not.toContain(workerId);
  });
});

describe('recycling', () => {
  it('replaces a thread whose heap passed maxMemoryMb', async () => {
    const threads = await pool({ worker: threadWorker(fixture('allocate-oom')), size: 1, maxMemoryMb: 32 });
    const recycled = next(threads, 'worker:recycled');
    await threads.run({ retainMb: 48 });
    const event = await recycled;
    expect(event.reason).toBe('maxMemory');
    await threads.settled();
    expect(threads.status()).toEqual(idle(1));
  });

  it('replaces a process after maxUses calls', async () => {
    const processes = await pool({ worker: processWorker(fixture('echo')), size: 1, maxUses: 1 });
    const first = await processes.run({ op: 'workerId' });
    const second = await processes.run({ op: 'workerId' });
    expect(second).not.toBe(first);
  });
});

describe('pool.stop', () => {
  it('kills a process that ignores SIGTERM after stopTimeoutMs, and reports it', async () => {
    const processes = await createPool({
      worker: processWorker(fixture('ignore-sigterm')),
      size: 1,
      stopTimeoutMs: 50,
    });
    const report = await processes.stop({ timeoutMs: 0 });
    expect(report.killed).toHaveLength(1);
  });
});

describe('start', () => {
  it('rejects createPool with the worker init error as the root cause when no worker can start', async () => {
    const error = await createPool({ worker: threadWorker(fixture('crash-on-start')), size: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_WORKER_START' });
    expect((error as Error).cause).toBeInstanceOf(WorkerExitError);
    expect((error as Error).cause).toMatchObject({ cause: { message: 'cannot reach the database' } });
  });

  it('gives up a start past startTimeoutMs: createPool says why, and the half-started process is killed', async () => {
    const token = `slow-start-${process.pid}-${Date.now()}`; // names this test's process for pgrep
    const error = await createPool({
      worker: processWorker(fixture('slow-start'), { args: [token] }),
      size: 1,
      startTimeoutMs: 50,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_WORKER_START' });
    expect((error as Error).message).toMatch(/startTimeoutMs/);
    // The kill is sent when the start is given up; the process's exit is not an event this test can await.
    await expect.poll(() => spawnSync('pgrep', ['-f', token]).stdout.toString(), { timeout: 5000 }).toBe('');
  });
});
