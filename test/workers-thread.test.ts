// Thread workers, for real: every test starts worker threads running the fixtures in test/fixtures.
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, RunTimeoutError, WorkerExitError } from '../src/errors.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { WorkerConnection } from '../src/workers/worker-connection.js';
import type { WorkerKind } from '../src/workers/worker-kind.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);
const started: WorkerConnection[] = [];
let nextId = 0;

async function start(kind: WorkerKind, signal = new AbortController().signal): Promise<WorkerConnection> {
  const handle = (await kind.start({ workerId: `thread#${++nextId}`, poolName: 'test', signal })) as WorkerConnection;
  started.push(handle);
  return handle;
}

afterEach(async () => {
  const handles = started.splice(0);
  for (const handle of handles) handle.kill();
  await Promise.all(handles.map((handle) => handle.exited));
});

describe('start', () => {
  it('resolves once the worker is ready, with its thread id and the pool id of the worker', async () => {
    const handle = await start(threadWorker(fixture('echo')));
    expect(handle.threadId).toBeGreaterThan(0);
    expect(handle.worker).toMatchObject({ id: handle.workerId, threadId: handle.threadId });
    expect(await handle.worker.call({ op: 'workerId' })).toBe(handle.workerId);
  });

  it('rejects with the init error as the cause when init throws', async () => {
    const error = await start(threadWorker(fixture('crash-on-start'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect((error as Error).cause).toMatchObject({ message: 'cannot reach the database', code: 'ECONNREFUSED' });
  });

  it('rejects with the import error as the cause when the module throws on import', async () => {
    const error = await start(threadWorker(fixture('throws-on-import'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ exitCode: 1, cause: { message: 'broken worker module' } });
  });

  it('terminates a thread whose start is given up', async () => {
    const controller = new AbortController();
    const starting = threadWorker(fixture('slow-start')).start({
      workerId: 'slow#1',
      poolName: 'test',
      signal: controller.signal,
    });
    controller.abort(new Error('startTimeoutMs passed'));
    await expect(starting).rejects.toMatchObject({
      code: 'ERR_WORKER_EXIT',
      cause: { message: 'startTimeoutMs passed' },
    });
  });
});

describe('call', () => {
  it('answers with the handler result, several calls in flight at once', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    const results = await Promise.all([1, 2, 3].map((n) => worker.call({ op: 'delay', ms: 5 * (4 - n), value: n })));
    expect(results).toEqual([1, 2, 3]);
  });

  it('moves transferables instead of copying them', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    const buffer = new ArrayBuffer(1024);
    expect(await worker.call({ op: 'byteLength', buffer }, { transfer: [buffer] })).toBe(1024);
    expect(buffer.byteLength).toBe(0); // detached: it now belongs to the thread
  });

  it('rejects with the handler error, keeping its name, message, code and stack', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    const error = (await worker.call({ op: 'throw', message: 'bad payload' }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'CustomError', message: 'bad payload', code: 'E_CUSTOM' });
    expect(error.stack).toMatch(/echo\.mjs/);
  });

  it('rejects only the call whose payload cannot be cloned; the worker serves on', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    await expect(worker.call({ fn: () => 1 })).rejects.toMatchObject({
      code: 'ERR_WORKER_PAYLOAD_UNSENDABLE',
      cause: { name: 'DataCloneError' },
    });
    await expect(worker.call({ op: 'unsendable' })).rejects.toMatchObject({
      name: 'UnsendableResultError',
      code: 'ERR_WORKER_RESULT_UNSENDABLE',
      message: expect.stringMatching(/could not be sent/),
    });
    expect(await worker.call('still here')).toBe('still here');
  });

  it('rejects with the signal reason on abort, and aborts the handler signal', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    const controller = new AbortController();
    const call = worker.call({ op: 'waitForAbort' }, { signal: controller.signal });
    controller.abort(new Error('client left'));
    await expect(call).rejects.toThrow('client left');
    expect(await worker.call({ op: 'abortsSeen' })).toBe(1);
  });

  it('rejects with RunTimeoutError after runTimeoutMs, and aborts the handler signal', async () => {
    const { worker } = await start(threadWorker(fixture('echo')));
    await expect(worker.call({ op: 'waitForAbort' }, { runTimeoutMs: 1 })).rejects.toBeInstanceOf(RunTimeoutError);
    expect(await worker.call({ op: 'abortsSeen' })).toBe(1);
  });
});

describe('death', () => {
  it('rejects the in-flight call when the thread calls process.exit(), with its code', async () => {
    const handle = await start(threadWorker(fixture('exit-in-thread')));
    const error = await handle.worker.call(3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ workerId: handle.workerId, exitCode: 3, signal: null });
    expect(await handle.exited).toEqual({ kind: 'crashed', error });
  });

  it('reports an uncaught error in the thread as the cause', async () => {
    const handle = await start(threadWorker(fixture('crash-on-call')));
    const error = await handle.worker.call('uncaught').catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 1, cause: { message: 'uncaught in the worker' } });
  });

  it('dies of out-of-memory within its resourceLimits, reported as ERR_WORKER_OUT_OF_MEMORY', async () => {
    const kind = threadWorker(fixture('allocate-oom'), { resourceLimits: { maxOldGenerationSizeMb: 16 } });
    const handle = await start(kind);
    const error = await handle.worker.call('allocate').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ cause: { code: 'ERR_WORKER_OUT_OF_MEMORY' } });
    expect((await handle.exited).kind).toBe('crashed');
  });
});

describe('stop', () => {
  it('asks serve() to exit and reports shutdown', async () => {
    const handle = await start(threadWorker(fixture('echo')));
    handle.stop();
    expect(await handle.exited).toEqual({ kind: 'shutdown' });
  });

  it('terminates after stopTimeoutMs a thread too busy to read the stop, rejecting its call', async () => {
    const handle = await start(threadWorker(fixture('hang'), { stopTimeoutMs: 20 }));
    const call = handle.worker.call('spin');
    handle.stop();
    await expect(call).rejects.toBeInstanceOf(WorkerExitError);
    expect(await handle.exited).toEqual({ kind: 'killed' });
  });
});

describe('memoryBytes', () => {
  it('reads the heap used by the thread, which grows as it retains memory', async () => {
    const handle = await start(threadWorker(fixture('allocate-oom')));
    const before = await handle.memoryBytes();
    await handle.worker.call({ retainMb: 32 });
    const after = await handle.memoryBytes();
    expect(after! - before!).toBeGreaterThan(16 * 1024 * 1024);
  });

  it('reads nothing once the thread is gone', async () => {
    const handle = await start(threadWorker(fixture('echo')));
    handle.kill();
    await handle.exited;
    expect(await handle.memoryBytes()).toBeUndefined();
  });
});

describe('threadWorker()', () => {
  it('rejects unknown options and bad values with a typed error', () => {
    expect(() => threadWorker(fixture('echo'), { resourceLimit: {} } as never)).toThrow(InvalidArgumentError);
    expect(() => threadWorker(fixture('echo'), { stopTimeoutMs: -5 })).toThrow(/stopTimeoutMs/);
    expect(() => threadWorker(new URL('https://example.com/w.mjs'))).toThrow(/expected a file: URL/);
  });
});
