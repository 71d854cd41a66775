import { describe, expect, it } from 'vitest';
import { TestChildSpec } from '../../test/fixtures/test-child.js';
import { ManualClock } from '../clock.js';
import {
  ChildStartError,
  DuplicateChildError,
  InvalidArgumentError,
  MaxChildrenError,
  SupervisorStoppedError,
} from '../errors.js';
import type { ChildSpec } from './child.js';
import { DynamicSupervisor } from './dynamic-supervisor.js';
import { Supervisor } from './supervisor.js';

describe('startChild', () => {
  it('starts the child, resolves with its handle and lists it', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor({ id: 'sessions' });
    const spec = new TestChildSpec('alice', log);
    expect(await supervisor.startChild(spec)).toBe(spec.current);
    expect(supervisor.whichChildren()).toEqual([
      { id: 'alice', type: 'worker', restart: 'permanent', handle: spec.current },
    ]);
    await supervisor.shutdown();
  });

  it('rejects with a ChildStartError and keeps no trace when the start fails', async () => {
    const spec = new TestChildSpec('bob', []);
    const boom = new Error('port in use');
    spec.failNextStarts(boom);
    const supervisor = new DynamicSupervisor({ id: 'sessions' });
    const error = await supervisor.startChild(spec).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChildStartError);
    expect(error).toMatchObject({ code: 'ERR_CHILD_START', supervisorId: 'sessions', childId: 'bob', cause: boom });
    expect(supervisor.countChildren().specs).toBe(0);
    await supervisor.shutdown();
  });

  it('rejects an id in use with a DuplicateChildError, and takes it again once that child is gone', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor();
    const first = new TestChildSpec('same', log, { restart: 'temporary' });
    await supervisor.startChild(first);
    await expect(supervisor.startChild(new TestChildSpec('same', log))).rejects.toBeInstanceOf(DuplicateChildError);
    first.current.finish();
    await supervisor.startChild(new TestChildSpec('same', log));
    expect(supervisor.countChildren().active).toBe(1);
    await supervisor.shutdown();
  });

  it('rejects with a MaxChildrenError at maxChildren, counting children still starting', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor({ id: 'capped', maxChildren: 2 });
    await supervisor.startChild(new TestChildSpec('one', log));
    const slow = new TestChildSpec('two', log);
    const open = slow.holdNextStart();
    const starting = supervisor.startChild(slow);
    const refused = supervisor.startChild(new TestChildSpec('three', log));
    await expect(refused).rejects.toMatchObject({ code: 'ERR_MAX_CHILDREN', supervisorId: 'capped', maxChildren: 2 });
    await expect(refused).rejects.toBeInstanceOf(MaxChildrenError);
    open();
    await starting;
    expect(supervisor.countChildren()).toEqual({ specs: 2, active: 2, supervisors: 0, workers: 2 });
    await supervisor.shutdown();
  });

  it('rejects a spec that is not one with an InvalidArgumentError', async () => {
    const supervisor = new DynamicSupervisor();
    const noId = { start: async () => new TestChildSpec('x', []).start() } as unknown as ChildSpec;
    await expect(supervisor.startChild(noId)).rejects.toBeInstanceOf(InvalidArgumentError);
    await supervisor.shutdown();
  });

  it('rejects with a SupervisorStoppedError once stopped', async () => {
    const supervisor = new DynamicSupervisor();
    await supervisor.shutdown();
    await expect(supervisor.startChild(new TestChildSpec('late', []))).rejects.toBeInstanceOf(SupervisorStoppedError);
  });
});

describe('terminateChild', () => {
  it('stops the child per its shutdown, forgets it and resolves with its exit', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor();
    await supervisor.startChild(new TestChildSpec('a', log, { shutdown: 'brutal' }));
    await supervisor.startChild(new TestChildSpec('b', log));
    expect(await supervisor.terminateChild('a')).toEqual({ kind: 'killed', signal: 'SIGKILL' });
    expect(await supervisor.terminateChild('b')).toEqual({ kind: 'shutdown' });
    expect(log).toEqual(['start a', 'start b', 'kill a', 'stop b']);
    expect(supervisor.whichChildren()).toEqual([]);
    expect(await supervisor.terminateChild('nobody')).toBeUndefined();
    await supervisor.shutdown();
  });
});

describe('restart', () => {
  it('restarts a crashed permanent child alone', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor();
    const a = new TestChildSpec('a', log);
    await supervisor.startChild(a);
    await supervisor.startChild(new TestChildSpec('b', log));
    a.current.crash();
    await supervisor.settled();
    expect(log).toEqual(['start a', 'start b', 'start a']);
    expect(supervisor.whichChildren().map((child) => child.handle)).toContain(a.current);
    await supervisor.shutdown();
  });

  it('never restarts a temporary child, so its exits do not count towards the restart intensity', async () => {
    const supervisor = new DynamicSupervisor({ maxRestarts: 1, clock: new ManualClock() });
    for (let round = 0; round < 5; round++) {
      const spec = new TestChildSpec(`job-${round}`, [], { restart: 'temporary' });
      await supervisor.startChild(spec);
      spec.current.crash();
    }
    await supervisor.settled();
    expect(supervisor.exit).toBeUndefined();
    expect(supervisor.countChildren().specs).toBe(0);
    await supervisor.shutdown();
  });

  it('gives up past the restart intensity: stops every child and reports a RestartIntensityError', async () => {
    const log: string[] = [];
    const options = { id: 'sessions', maxRestarts: 1, clock: new ManualClock() };
    const supervisor = new DynamicSupervisor(options);
    const flaky = new TestChildSpec('flaky', log);
    await supervisor.startChild(flaky);
    const steady = await supervisor.startChild(new TestChildSpec('steady', log));
    flaky.current.crash();
    await supervisor.settled();
    flaky.current.crash();
    const exit = await supervisor.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: { code: 'ERR_RESTART_INTENSITY', childId: 'flaky' } });
    expect(steady.exit).toEqual({ kind: 'shutdown' });
  });
});

describe('stop', () => {
  it('stops all children concurrently', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor();
    const specs = ['a', 'b'].map((id) => new TestChildSpec(id, log, { onStop: 'ignore', shutdown: 'infinity' }));
    const children = await Promise.all(specs.map((spec) => supervisor.startChild(spec)));
    supervisor.stop();
    // Both are asked before either has exited: a one-by-one stop would still be waiting on the first.
    await Promise.all(children.map((child) => child.stopRequested));
    expect(children.map((child) => child.exit)).toEqual([undefined, undefined]);
    for (const child of children) child.finish();
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
  });

  it('stops a child whose start was in flight, and that startChild rejects', async () => {
    const log: string[] = [];
    const supervisor = new DynamicSupervisor();
    const slow = new TestChildSpec('slow', log);
    const open = slow.holdNextStart();
    const starting = supervisor.startChild(slow);
    supervisor.stop();
    open();
    await expect(starting).rejects.toBeInstanceOf(SupervisorStoppedError);
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
    expect(log).toEqual(['start slow', 'stop slow']);
  });
});

describe('countChildren', () => {
  it('counts and draws supervisor children as such', async () => {
    const supervisor = new DynamicSupervisor({ id: 'pools' });
    await supervisor.startChild(Supervisor.childSpec({ id: 'db', strategy: 'one-for-all', children: [] }));
    expect(supervisor.countChildren()).toEqual({ specs: 1, active: 1, supervisors: 1, workers: 0 });
    expect(supervisor.snapshot()).toEqual({
      id: 'pools',
      strategy: 'one-for-one',
      children: [{ id: 'db', strategy: 'one-for-all', children: [] }],
    });
    await supervisor.shutdown();
  });
});
