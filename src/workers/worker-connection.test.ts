// The connection's bound on a kill: a worker that never reports its exit (a process in uninterruptible I/O, a thread
// stuck in native code) is reported killed regardless, so that no stop waits on it forever.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { WorkerExitError } from '../errors.js';
import { Tag } from '../worker/protocol.js';
import { WorkerConnection } from './worker-connection.js';

/** A connection to a worker that is ready and then ignores every stop and kill: its exit never comes. */
async function deafWorker(clock: ManualClock, stopTimeoutMs = 100): Promise<WorkerConnection> {
  const connection = new WorkerConnection({
    context: { workerId: 'deaf#1', poolName: 'test', signal: new AbortController().signal },
    clock,
    stopTimeoutMs,
    transport: { send: () => {}, stop: () => {}, kill: () => {} },
  });
  connection.receive([Tag.ready]);
  return connection.started;
}

describe('a worker whose exit never comes', () => {
  it('is reported killed 2 s after kill(), rejecting its calls', async () => {
    const clock = new ManualClock();
    const connection = await deafWorker(clock);
    const call = connection.worker.call('work');
    connection.kill();
    clock.advance(1999);
    expect(connection.exit).toBeUndefined();
    clock.advance(1);
    expect(connection.exit).toMatchObject({ kind: 'killed' });
    await expect(call).rejects.toBeInstanceOf(WorkerExitError);
    expect(clock.pendingTimers).toBe(0);
  });

  it('is reported killed stopTimeoutMs + 2 s after stop()', async () => {
    const clock = new ManualClock();
    const connection = await deafWorker(clock, 100);
    connection.stop();
    clock.advance(2099);
    expect(connection.exit).toBeUndefined();
    clock.advance(1);
    expect(connection.exit).toMatchObject({ kind: 'killed' });
  });
});
