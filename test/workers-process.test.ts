// Process workers, for real: every test forks Node.js processes running the fixtures in test/fixtures.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RunTimeoutError, WorkerExitError, WorkerProtocolError } from '../src/errors.js';
import { processWorker } from '../src/workers/process-worker.js';
import type { WorkerConnection } from '../src/workers/worker-connection.js';
import type { WorkerKind } from '../src/workers/worker-kind.js';
import { quietCrashes } from './fixtures/quiet-crashes.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
const started: WorkerConnection[] = [];
let nextId = 0;

async function start(kind: WorkerKind, signal = new AbortController().signal): Promise<WorkerConnection> {
  const handle = (await kind.start({ workerId: `process#${++nextId}`, poolName: 'test', signal })) as WorkerConnection;
  started.push(handle);
  return handle;
}

/** The pids of processes running with `token` in their command line: none, once a worker is really gone. */
function processesWith(token: string): string {
  return spawnSync('pgrep', ['-f', token]).stdout.toString();
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

afterEach(async () => {
  const handles = started.splice(0);
  for (const handle of handles) handle.kill();
  await Promise.all(handles.map((handle) => handle.exited));
});

describe('start', () => {
  it('resolves once the worker is ready, with its pid and id', async () => {
    const handle = await start(processWorker(fixture('echo')));
    expect(handle.pid).toBeGreaterThan(0);
    expect(handle.worker).toMatchObject({ id: handle.workerId, pid: handle.pid });
    expect(await handle.worker.call({ op: 'workerId' })).toBe(handle.workerId);
  });

  it('rejects with the init error as the cause when init throws, and leaves no process behind', async () => {
    const token = `crash-on-start-${process.pid}`;
    const error = await start(processWorker(fixture('crash-on-start'), { args: [token] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ code: 'ERR_WORKER_EXIT', signal: 'SIGKILL' });
    expect((error as Error).message).toMatch(/failed to start: cannot reach the database/);
    expect((error as Error).cause).toMatchObject({ message: 'cannot reach the database', code: 'ECONNREFUSED' });
    expect(processesWith(token)).toBe(''); // the start rejects only once the process has exited
  });

  it('rejects with the exit code when the module throws on import', async () => {
    const error = await start(processWorker(fixture('throws-on-import'), quietCrashes())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ exitCode: 1, signal: null });
    expect((error as Error).message).toMatch(/exited with code 1 before it was ready/);
  });

  it('kills a worker whose start is given up, and rejects with the signal reason as the cause', async () => {
    const controller = new AbortController();
    const token = `slow-start-${process.pid}`;
    const kind = processWorker(fixture('slow-start'), { args: [token] });
    const starting = kind.start({ workerId: 'slow#1', poolName: 'test', signal: controller.signal });
    controller.abort(new Error('startTimeoutMs passed'));
    const error = await starting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ signal: 'SIGKILL', cause: { message: 'startTimeoutMs passed' } });
    expect(processesWith(token)).toBe('');
  });
});

describe('call', () => {
  it('answers with the handler result, several calls in flight at once', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    const results = await Promise.all([1, 2, 3].map((n) => worker.call({ op: 'delay', ms: 5 * (4 - n), value: n })));
    expect(results).toEqual([1, 2, 3]);
  });

  it('rejects with the handler error, keeping its name, message, code and stack', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    const error = (await worker.call({ op: 'throw', message: 'bad payload' }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'CustomError', message: 'bad payload', code: 'E_CUSTOM' });
    expect(error.stack).toMatch(/echo\.mjs/);
    await expect(worker.call({ op: 'reject', message: 'out of range' })).rejects.toMatchObject({
      name: 'RangeError',
      message: 'out of range',
    });
  });

  it('carries Maps and Dates with advanced serialization', async () => {
    const { worker } = await start(processWorker(fixture('echo'), { serialization: 'advanced' }));
    const payload = { at: new Date(0), map: new Map([[1, 'one']]) };
    expect(await worker.call(payload)).toEqual(payload);
  });

  it('rejects only the call whose result cannot be sent; the worker serves on', async () => {
    const { worker } = await start(processWorker(fixture('echo'), { serialization: 'advanced' }));
    await expect(worker.call({ op: 'unsendable' })).rejects.toMatchObject({
      name: 'UnsendableResultError',
      code: 'ERR_WORKER_RESULT_UNSENDABLE',
      message: expect.stringMatching(/could not be sent/),
    });
    expect(await worker.call('still here')).toBe('still here');
  });

  it('rejects with the signal reason on abort, and aborts the handler signal', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    const controller = new AbortController();
    const call = worker.call({ op: 'waitForAbort' }, { signal: controller.signal });
    controller.abort(new Error('client left'));
    await expect(call).rejects.toThrow('client left');
    // The abort travels before the next call on the same ordered channel, so the count is already there.
    expect(await worker.call({ op: 'abortsSeen' })).toBe(1);
  });

  it('rejects with RunTimeoutError after runTimeoutMs, and aborts the handler signal', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    const error = await worker.call({ op: 'waitForAbort' }, { runTimeoutMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_RUN_TIMEOUT', timeoutMs: 1 });
    expect(await worker.call({ op: 'abortsSeen' })).toBe(1);
  });

  it('rejects at once, without sending, when the signal is already aborted', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    await expect(worker.call('x', { signal: AbortSignal.abort(new Error('too late')) })).rejects.toThrow('too late');
  });

  it('rejects bad call options with a typed error', async () => {
    const { worker } = await start(processWorker(fixture('echo')));
    await expect(worker.call('x', { runTimeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(worker.call('x', { signal: 'soon' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });
});

describe('death', () => {
  it('rejects the in-flight call with the exit code and reports a crash', async () => {
    const handle = await start(processWorker(fixture('crash-on-call')));
    const error = await handle.worker.call('exit').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ workerId: handle.workerId, exitCode: 7, signal: null });
    expect(await handle.exited).toEqual({ kind: 'crashed', error });
  });

  it('rejects every call in flight, and later calls too, with the same error', async () => {
    const handle = await start(processWorker(fixture('crash-on-call'), quietCrashes()));
    const calls = [handle.worker.call('never'), handle.worker.call('never'), handle.worker.call('uncaught')];
    const errors = await Promise.all(calls.map((call) => call.catch((e: unknown) => e)));
    expect(errors[0]).toBeInstanceOf(WorkerExitError);
    expect(errors[0]).toMatchObject({ exitCode: 1 });
    expect(new Set(errors).size).toBe(1);
    await handle.exited;
    await expect(handle.worker.call('after')).rejects.toBe(errors[0]);
  });

  it('reports a worker killed by a signal it did not get from us as a crash with that signal', async () => {
    const handle = await start(processWorker(fixture('crash-on-call'), quietCrashes()));
    const error = await handle.worker.call('abort').catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: null, signal: 'SIGABRT' });
    expect((await handle.exited).kind).toBe('crashed');
  });

  it('dies by out-of-memory with the heap limit of its execArgv', async () => {
    const handle = await start(processWorker(fixture('allocate-oom'), quietCrashes(['--max-old-space-size=24'])));
    const error = await handle.worker.call('allocate').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    // V8 aborts the process when the heap is full.
    expect(error).toMatchObject({ exitCode: null, signal: 'SIGABRT' });
    expect((await handle.exited).kind).toBe('crashed');
  });

  it('exits when its IPC channel closes (serve() leaves no orphan)', async () => {
    const handle = await start(processWorker(fixture('crash-on-call')));
    const error = await handle.worker.call('disconnect').catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 0 });
  });

  it('kills a worker that lost its channel but runs on, blaming the channel', async () => {
    const handle = await start(processWorker(fixture('lost-channel')));
    const error = await handle.worker.call('go').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ signal: 'SIGKILL', cause: { message: 'the IPC channel closed' } });
    expect(isGone(handle.pid!)).toBe(true);
  });

  it('kills a worker that answers a call it was never sent', async () => {
    const handle = await start(processWorker(fixture('echo')));
    handle.receive([11, 999, 'forged']);
    const exit = await handle.exited;
    expect(exit.kind).toBe('crashed');
    expect((exit as { error: Error }).error.cause).toBeInstanceOf(WorkerProtocolError);
  });
});

describe('SIGINT', () => {
  it('is ignored by the worker (Ctrl-C reaches the whole process group; the pool stops its workers itself)', async () => {
    const handle = await start(processWorker(fixture('echo')));
    process.kill(handle.pid!, 'SIGINT');
    // A default SIGINT would end the process before it reads another message: the answer proves it was ignored.
    expect(await handle.worker.call({ op: 'workerId' })).toBe(handle.workerId);
    expect(handle.exit).toBeUndefined();
  });
});

describe('stop', () => {
  it('sends SIGTERM and reports shutdown', async () => {
    const handle = await start(processWorker(fixture('echo')));
    handle.stop();
    await expect(handle.worker.call('late')).rejects.toBeInstanceOf(WorkerExitError);
    expect(await handle.exited).toEqual({ kind: 'shutdown' });
  });

  it('sends SIGKILL after stopTimeoutMs to a worker that ignores SIGTERM, and reports killed', async () => {
    const handle = await start(processWorker(fixture('ignore-sigterm'), { stopTimeoutMs: 50 }));
    handle.stop();
    expect(await handle.exited).toEqual({ kind: 'killed', signal: 'SIGKILL' });
    expect(isGone(handle.pid!)).toBe(true);
  });

  it('kill() rejects the in-flight call and reports killed', async () => {
    const handle = await start(processWorker(fixture('hang')));
    const call = handle.worker.call('spin');
    handle.kill();
    await expect(call).rejects.toMatchObject({ code: 'ERR_WORKER_EXIT', signal: 'SIGKILL' });
    expect(await handle.exited).toEqual({ kind: 'killed', signal: 'SIGKILL' });
  });
});

describe('memoryBytes', () => {
  it('reads the RSS of the process, which grows as it retains memory', async () => {
    const handle = await start(processWorker(fixture('allocate-oom')));
    const before = await handle.memoryBytes();
    await handle.worker.call({ retainMb: 64 });
    const after = await handle.memoryBytes();
    expect(before).toBeGreaterThan(0);
    expect(after! - before!).toBeGreaterThan(32 * 1024 * 1024);
  });
});

describe('processWorker()', () => {
  it('rejects unknown options and bad values with a typed error', () => {
    expect(() => processWorker(fixture('echo'), { arg: [] } as never)).toThrow(InvalidArgumentError);
    expect(() => processWorker(fixture('echo'), { args: [1] } as never)).toThrow(/expected an array of strings/);
    expect(() => processWorker(42 as never)).toThrow(/expected a path or a file: URL, got 42/);
  });
});
