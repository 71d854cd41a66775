// A worker is its whole process tree, and nothing of it outlives its pool or its parent: real processes, counted by
// a marker unique to each test in their command lines (Linux /proc), never by name.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RunTimeoutError, WorkerExitError, WorkerStartError } from '../src/errors.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import { commandWorker } from '../src/workers/command-worker.js';
import { processWorker } from '../src/workers/process-worker.js';
import type { CallableWorker } from '../src/workers/worker-kind.js';
import { descendantPids, isLive, markedPids, uniqueMarker } from './fixtures/marked-processes.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const treeWorker = fixture('tree-worker.py');
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython && process.env.CI === 'true')
  throw new Error('python3 is missing, and CI must run the process-tree tests');
if (!hasPython) console.warn('python3 not found: skipping the process-tree tests');

const pools: Pool<CallableWorker>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop({ timeoutMs: 0 })));
});

/** `promise`, or a rejection once `ms` have passed: a bound on how long it may take, not a wait for a state. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe.skipIf(process.platform !== 'linux' || !hasPython)('a worker is its process tree', () => {
  it('leaves no process 3 s after its parent is SIGKILLed while process workers spin and python workers wait on grandchildren', async () => {
    const marker = uniqueMarker('busy-parent');
    const parent = spawn(process.execPath, [fixture('busy-parent.mjs'), marker], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const busy = { spinning: 0, grandchildren: 0 };
    await new Promise<void>((resolve, reject) => {
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before its workers were busy`)));
      createInterface({ input: parent.stderr }).on('line', (line) => {
        if (line === `spinning ${marker}`) busy.spinning++;
        if (line === `grandchild up ${marker}`) busy.grandchildren++;
        if (busy.spinning === 2 && busy.grandchildren === 2) resolve();
      });
    });
    parent.removeAllListeners('exit');
    // The parent, two process workers, two python workers and their two grandchildren.
    expect(markedPids(marker)).toHaveLength(7);

    parent.kill('SIGKILL');
    await expect.poll(() => markedPids(marker), { timeout: 3000, interval: 50 }).toEqual([]);
  });

  it('leaves no process of a SIGKILLed parent whose reaper had been killed from outside and replaced', async () => {
    const marker = uniqueMarker('reaper-killed');
    const parent = spawn(process.execPath, [fixture('reaper-killed-parent.mjs'), marker], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const replaced = new Promise<string>((resolve) => createInterface({ input: parent.stdout }).once('line', resolve));
    const busy = new Promise<void>((resolve) =>
      createInterface({ input: parent.stderr }).on('line', (line) => {
        if (line === `grandchild up ${marker}`) resolve();
      }),
    );
    const exitedEarly = new Promise<never>((_, reject) =>
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before its reaper was replaced`))),
    );
    const [[oldReaper, newReaper]] = await Promise.race([
      Promise.all([replaced.then((line) => line.split(' ').map(Number)), busy]),
      exitedEarly,
    ]);
    parent.removeAllListeners('exit');
    expect(isLive(oldReaper!)).toBe(false);
    expect(isLive(newReaper!)).toBe(true);
    // The parent, its python worker and the grandchild it waits on.
    expect(markedPids(marker)).toHaveLength(3);

    parent.kill('SIGKILL');
    await expect.poll(() => markedPids(marker), { timeout: 3000, interval: 50 }).toEqual([]);
    await expect.poll(() => isLive(newReaper!), { timeout: 3000, interval: 50 }).toBe(false);
  });

  it('rejects the call of a python worker that exits 3 while its grandchild holds its stdout, replaces it, and stops in time', async () => {
    const marker = uniqueMarker('exit-3');
    const pool = await createPool({ worker: commandWorker('python3', [treeWorker, marker], quiet), size: 1 });
    pools.push(pool);
    const [first] = pool.workers();

    const error = await within(3000, pool.run({ do: 'exit-with-grandchild', code: 3 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ exitCode: 3, stderr: expect.stringContaining('giving up: exit 3') });
    // Replaced: by a fresh process (after the pool's backoff, since it died young), which answers.
    expect(await pool.run({ do: 'echo' })).toEqual({ do: 'echo' });
    expect(pool.workers()).toEqual([expect.objectContaining({ state: 'idle' })]);
    expect(pool.workers()[0]!.pid).not.toBe(first!.pid);

    await within(4000, pool.stop({ timeoutMs: 1000 }));
    await expect.poll(() => markedPids(marker), { timeout: 1000, interval: 20 }).toEqual([]);
  });

  it('takes down the whole tree of an sh -c wrapper whose call passed its runTimeoutMs, and settles', async () => {
    const marker = uniqueMarker('wrapper');
    // Not `exec python3`: sh stays the worker's process, python its child, and python's grandchild below.
    const script = 'python3 "$0" "$1" grandchild-at-start; exit $?';
    const pool = await createPool({ worker: commandWorker('sh', ['-c', script, treeWorker, marker], quiet), size: 1 });
    pools.push(pool);
    const shell = pool.workers()[0]!.pid!;
    const tree = [shell, ...descendantPids(shell)];
    expect(tree).toHaveLength(3);

    await expect(pool.run({ do: 'hang' }, { runTimeoutMs: 200 })).rejects.toBeInstanceOf(RunTimeoutError);
    await expect.poll(() => tree.filter(isLive), { timeout: 4000, interval: 50 }).toEqual([]);
    await within(4000, pool.settled());
    expect(pool.status()).toMatchObject({ idle: 1, checkedOut: 0 });
  });

  it('rejects a process worker whose module throws at import with a WorkerStartError that says why', async () => {
    const error = await createPool({ worker: processWorker(fixture('throws-boom.mjs'), quiet), size: 1 }).catch(
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toMatch(/Error: boom/);
    expect((error as Error).cause).toBeInstanceOf(WorkerExitError);
    expect((error as Error).cause).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/Error: boom/) });
  });
});

// These workers write to stderr on purpose (a traceback, a grandchild's greeting): kept for the error, not printed.
const quiet = { stderr: 'ignore' } as const;

/** The process group and session of `pid`, from /proc/<pid>/stat. */
function groupAndSession(pid: number): { group: number; session: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [, , group, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { group: Number(group), session: Number(session) };
}

describe.skipIf(process.platform !== 'linux')('the OS side of a worker', () => {
  it('starts each process and command worker as the leader of a process group and session of its own', async () => {
    const process_ = await createPool({ worker: processWorker(fixture('echo.mjs')), size: 1 });
    const command = await createPool({
      worker: commandWorker(process.execPath, [fixture('garbage-command.mjs')]),
      size: 1,
    });
    pools.push(process_, command);
    const ours = groupAndSession(process.pid);
    for (const pool of [process_, command]) {
      const pid = pool.workers()[0]!.pid!;
      expect(groupAndSession(pid)).toEqual({ group: pid, session: pid });
      expect(pid).not.toBe(ours.session);
    }
  });

  it('quotes the last 2 KB of the stderr of a worker that died, from a line start', async () => {
    // Exits by itself (exitCode), not by process.exit(): Node drops the stderr still queued when exit() is called.
    const script = "for (let i = 0; i < 1000; i++) console.error('line ' + i); process.exitCode = 2";
    const passedOn: Buffer[] = [];
    const stderr = (chunk: Buffer) => passedOn.push(chunk);
    const error = await createPool({
      worker: commandWorker(process.execPath, ['-e', script], { stderr }),
      size: 1,
    }).catch((rejection: unknown) => rejection);
    const exit = (error as Error).cause as WorkerExitError;
    expect(exit).toBeInstanceOf(WorkerExitError);
    expect(exit.exitCode).toBe(2);
    expect(exit.stderr).toMatch(/^…line \d+\n/);
    expect(exit.stderr).toMatch(/\nline 999$/);
    expect(Buffer.byteLength(exit.stderr!.slice(1))).toBeLessThanOrEqual(2048);
    expect(exit.message).toContain(exit.stderr);
    // The stderr option's function got every chunk, in order, besides the tail kept for the error.
    expect(Buffer.concat(passedOn).toString().trimEnd().split('\n')).toHaveLength(1000);
  });
});
