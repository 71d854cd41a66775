// Command workers, for real: the Python example from examples/, and a Node.js program that breaks the protocol.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnsendablePayloadError, WorkerExitError, WorkerProtocolError } from '../src/errors.js';
import { commandWorker } from '../src/workers/command-worker.js';
import type { WorkerConnection } from '../src/workers/worker-connection.js';
import type { WorkerKind } from '../src/workers/worker-kind.js';

const pythonWorker = fileURLToPath(new URL('../examples/python-worker.py', import.meta.url));
const garbageWorker = fileURLToPath(new URL('./fixtures/garbage-command.mjs', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
if (!hasPython) console.warn('python3 not found: skipping the Python command-worker tests');

const started: WorkerConnection[] = [];
let nextId = 0;

async function start(kind: WorkerKind, signal = new AbortController().signal): Promise<WorkerConnection> {
  const handle = (await kind.start({ workerId: `command#${++nextId}`, poolName: 'test', signal })) as WorkerConnection;
  started.push(handle);
  return handle;
}

const node = (mode?: string) => commandWorker(process.execPath, mode ? [garbageWorker, mode] : [garbageWorker]);

afterEach(async () => {
  const handles = started.splice(0);
  for (const handle of handles) handle.kill();
  await Promise.all(handles.map((handle) => handle.exited));
});

describe.skipIf(!hasPython)('the Python example worker', () => {
  it('answers calls, several in flight, with its pid and the pool id of the worker', async () => {
    const handle = await start(commandWorker('python3', [pythonWorker]));
    expect(handle.pid).toBeGreaterThan(0);
    const answers = await Promise.all([
      handle.worker.call({ primesBelow: 100_000 }),
      handle.worker.call({ workerId: true }),
      handle.worker.call(['any', { json: 1 }]),
    ]);
    expect(answers).toEqual([9592, handle.workerId, ['any', { json: 1 }]]);
  });

  it('turns a Python exception into an error with its name, message and traceback', async () => {
    const { worker } = await start(commandWorker('python3', [pythonWorker]));
    const error = (await worker.call({ fail: 'not a number' }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ name: 'ValueError', message: 'not a number' });
    expect(error.stack).toMatch(/Traceback/);
  });

  it('reports shutdown when stopped (stdin closed, then SIGTERM)', async () => {
    const handle = await start(commandWorker('python3', [pythonWorker]));
    handle.stop();
    expect(await handle.exited).toEqual({ kind: 'shutdown' });
  });

  it('reads the resident memory of the process', async () => {
    const handle = await start(commandWorker('python3', [pythonWorker]));
    expect(await handle.memoryBytes()).toBeGreaterThan(1024 * 1024);
  });
});

describe('start', () => {
  it('rejects with the error of the start line when the program reports one', async () => {
    const error = await start(node('init-error')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ cause: { name: 'ConfigError', message: 'no model file' } });
  });

  it('rejects when the program writes garbage before its ready line', async () => {
    const error = await start(node('garbage-first')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect((error as Error).cause).toBeInstanceOf(WorkerProtocolError);
    expect((error as Error).cause).toMatchObject({ got: 'Starting up...' });
  });

  it('rejects with the spawn error when the executable does not exist', async () => {
    const error = await start(commandWorker('/nonexistent/pooltoy-worker')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ cause: { code: 'ENOENT' } });
  });
});

describe('call', () => {
  it('joins an answer written in pieces', async () => {
    const { worker } = await start(node());
    expect(await worker.call('split')).toBe('whole');
    expect(await worker.call({ still: 'fine' })).toEqual({ still: 'fine' });
  });

  it('rejects only the call whose payload cannot be encoded as JSON', async () => {
    const { worker } = await start(node());
    const error = await worker.call({ big: 1n }).catch((rejection: unknown) => rejection);
    expect(error).toBeInstanceOf(UnsendablePayloadError);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(await worker.call('next')).toBe('next');
  });
});

describe('death', () => {
  it('kills a worker that prints garbage, rejecting the in-flight call with a protocol error as cause', async () => {
    const handle = await start(node());
    const error = await handle.worker.call('garbage').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toMatchObject({ signal: 'SIGKILL', cause: { code: 'ERR_WORKER_PROTOCOL', got: 'this is not JSON' } });
    expect((await handle.exited).kind).toBe('crashed');
  });

  it('kills a worker that answers a call it was never sent', async () => {
    const handle = await start(node());
    const error = await handle.worker.call('unknown-id').catch((e: unknown) => e);
    expect(error).toMatchObject({ cause: { code: 'ERR_WORKER_PROTOCOL' } });
  });

  it('rejects the in-flight call with the exit code when the program exits', async () => {
    const handle = await start(node());
    const error = await handle.worker.call('exit').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_WORKER_EXIT', exitCode: 5, signal: null });
  });
});

describe('commandWorker()', () => {
  it('rejects a missing command and bad options with a typed error', () => {
    expect(() => commandWorker('')).toThrow(InvalidArgumentError);
    expect(() => commandWorker('python3', 'x.py' as never)).toThrow(/expected an array of strings/);
    expect(() => commandWorker('python3', [], { timeout: 1 } as never)).toThrow(/option "timeout"/);
  });
});
