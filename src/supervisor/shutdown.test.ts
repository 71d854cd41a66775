import { describe, expect, it } from 'vitest';
import { ProcessChild } from '../../test/fixtures/process-child.js';
import { TestChildSpec } from '../../test/fixtures/test-child.js';
import { ManualClock } from '../clock.js';
import { SupervisorStoppedError } from '../errors.js';
import { Supervisor } from './supervisor.js';

describe('stop', () => {
  it('stops the children in reverse start order, then reports shutdown', async () => {
    const log: string[] = [];
    const children = ['a', 'b', 'c'].map((id) => new TestChildSpec(id, log));
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children }).start();
    expect(await supervisor.shutdown()).toEqual({ kind: 'shutdown' });
    expect(log.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('kills a child that ignores stop once its shutdown ms have passed, then moves on', async () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const stubborn = new TestChildSpec('stubborn', log, { onStop: 'ignore', shutdown: 100 });
    const children = [new TestChildSpec('first', log), stubborn];
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children, clock }).start();
    supervisor.stop();
    await stubborn.current.stopRequested;
    clock.advance(99);
    expect(stubborn.current.exit).toBeUndefined();
    expect(log).not.toContain('stop first');
    clock.advance(1);
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
    expect(log.slice(2)).toEqual(['stop stubborn', 'kill stubborn', 'stop first']);
    expect(stubborn.current.exit).toEqual({ kind: 'killed', signal: 'SIGKILL' });
  });

  it("kills a 'brutal' child at once, without asking it to stop", async () => {
    const log: string[] = [];
    const children = [new TestChildSpec('brute', log, { shutdown: 'brutal', onStop: 'ignore' })];
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children }).start();
    await supervisor.shutdown();
    expect(log).toEqual(['start brute', 'kill brute']);
  });

  it("waits as long as an 'infinity' child takes, until kill() cuts it short", async () => {
    const log: string[] = [];
    const clock = new ManualClock();
    const slow = new TestChildSpec('slow', log, { shutdown: 'infinity', onStop: 'ignore' });
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children: [slow], clock }).start();
    supervisor.stop();
    await slow.current.stopRequested;
    clock.advance(1_000_000);
    expect(slow.current.exit).toBeUndefined();
    supervisor.kill();
    expect(await supervisor.exited).toEqual({ kind: 'killed' });
    expect(slow.current.exit).toEqual({ kind: 'killed', signal: 'SIGKILL' });
  });

  it('stops a child whose start was in flight when stop() came, starts no more, and start() rejects', async () => {
    const log: string[] = [];
    const held = new TestChildSpec('a', log);
    const open = held.holdNextStart();
    const supervisor = new Supervisor({ strategy: 'one-for-one', children: [held, new TestChildSpec('b', log)] });
    const started = supervisor.start();
    supervisor.stop();
    open();
    await expect(started).rejects.toBeInstanceOf(SupervisorStoppedError);
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
    expect(log).toEqual(['start a', 'stop a']);
  });

  it('kills a real process that ignores SIGTERM after its shutdown ms', async () => {
    const script = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1 << 30); console.log('ready');";
    const spec = { id: 'deaf', shutdown: 50, start: () => ProcessChild.start(script) };
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children: [spec] }).start();
    const child = supervisor.whichChildren()[0]?.handle as ProcessChild;
    expect(child.pid).toBeGreaterThan(0);
    expect(await supervisor.shutdown()).toEqual({ kind: 'shutdown' });
    expect(child.exit).toEqual({ kind: 'killed', signal: 'SIGKILL' });
  });

  it('lets a real process that honours SIGTERM exit as shutdown', async () => {
    const script = "setInterval(() => {}, 1 << 30); console.log('ready');";
    const spec = { id: 'polite', shutdown: 'infinity' as const, start: () => ProcessChild.start(script) };
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children: [spec] }).start();
    const child = supervisor.whichChildren()[0]?.handle as ProcessChild;
    await supervisor.shutdown();
    expect(child.exit).toEqual({ kind: 'shutdown' });
  });
});

describe('kill', () => {
  it('kills every child at once and reports killed', async () => {
    const log: string[] = [];
    const children = ['a', 'b'].map((id) => new TestChildSpec(id, log, { onStop: 'ignore' }));
    const supervisor = await new Supervisor({ strategy: 'one-for-all', children }).start();
    supervisor.kill();
    expect(await supervisor.exited).toEqual({ kind: 'killed' });
    expect(log.slice(2).sort()).toEqual(['kill a', 'kill b']);
  });
});
