// A child whose every restart fails at once, under a restart intensity far too large to end the loop soon: as in
// OTP, each retry is a turn of its own, so the supervisor still serves stop(), terminateChild(), timers and crashes.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { TestChild, TestChildSpec } from '../../test/fixtures/test-child.js';
import { ManualClock } from '../clock.js';
import type { ChildSpec } from './child.js';
import { DynamicSupervisor } from './dynamic-supervisor.js';
import { Supervisor } from './supervisor.js';

const maxRestarts = 20000;

/** How each restart of a `CrashLoopSpec` fails: its start throws, or the child it starts crashes at once. */
type Failure = 'throws' | 'exits at once';

/** Starts once, then every start fails per `failure` without waiting on I/O; `onAttempt` sees each attempt's number. */
class CrashLoopSpec implements ChildSpec<TestChild> {
  readonly id = 'looping';
  readonly log: string[] = [];
  failedAttempts = 0;
  #current: TestChild | undefined;

  constructor(
    readonly onAttempt: (attempt: number) => void = () => {},
    readonly failure: Failure = 'throws',
  ) {}

  get current(): TestChild {
    if (!this.#current) throw new Error('never started');
    return this.#current;
  }

  start(): Promise<TestChild> {
    if (this.#current !== undefined) {
      this.failedAttempts++;
      this.onAttempt(this.failedAttempts);
      if (this.failure === 'throws') throw new Error('no database');
    }
    const child = new TestChild(this.id, this.log, 'exit');
    if (this.#current !== undefined) queueMicrotask(() => child.crash());
    this.#current = child;
    return Promise.resolve(child);
  }
}

type Schedule = (callback: () => void) => void;
const schedules: [string, Schedule][] = [
  ['setImmediate', (callback) => setImmediate(callback)],
  ['a timer', (callback) => setTimeout(callback, 0)],
];

/** Calls `action` from `schedule` once the loop has failed `attempts` times. */
function atAttempt(attempts: number, schedule: Schedule, action: () => void): (attempt: number) => void {
  return (attempt) => {
    if (attempt === attempts) schedule(action);
  };
}

describe('Supervisor with a child whose every restart throws at once', () => {
  for (const [name, schedule] of schedules) {
    it(`stops when asked from ${name} between two attempts, exiting shutdown, not crashed`, async () => {
      let supervisor!: Supervisor;
      const looping = new CrashLoopSpec(atAttempt(50, schedule, () => supervisor.stop()));
      const sibling = new TestChildSpec('sibling', looping.log);
      supervisor = new Supervisor({ strategy: 'one-for-one', maxRestarts, children: [sibling, looping] });
      await supervisor.start();
      let isLimitReached = false;
      supervisor.on('supervisor:restartLimitReached', () => (isLimitReached = true));
      looping.current.crash();
      expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
      expect(isLimitReached).toBe(false);
      expect(looping.failedAttempts).toBeGreaterThanOrEqual(50);
      expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
      expect(sibling.current.exit).toEqual({ kind: 'shutdown' });
    });
  }

  it('stops when asked between two attempts while the child it restarts exits at once, exiting shutdown', async () => {
    let supervisor!: Supervisor;
    const looping = new CrashLoopSpec(
      atAttempt(50, setImmediate, () => supervisor.stop()),
      'exits at once',
    );
    supervisor = new Supervisor({ strategy: 'one-for-one', maxRestarts, children: [looping] });
    await supervisor.start();
    looping.current.crash();
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
    expect(looping.failedAttempts).toBeGreaterThanOrEqual(50);
    expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
  });

  it('still gives up after maxRestarts failed attempts when nobody asks it to stop', async () => {
    const looping = new CrashLoopSpec();
    const options = { strategy: 'one-for-one', maxRestarts: 500, clock: new ManualClock() } as const; // one window
    const supervisor = await new Supervisor({ ...options, children: [looping] }).start();
    looping.current.crash();
    const exit = await supervisor.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: { code: 'ERR_RESTART_INTENSITY', childId: 'looping' } });
    expect(looping.failedAttempts).toBe(500);
  });

  it('restarts a sibling that crashes meanwhile, between two attempts', async () => {
    const sibling = new TestChildSpec('sibling', []);
    const looping = new CrashLoopSpec(atAttempt(50, setImmediate, () => sibling.current.crash()));
    const supervisor = new Supervisor({ strategy: 'one-for-one', maxRestarts, children: [sibling, looping] });
    await supervisor.start();
    const restarted = once(supervisor, 'child:restarted');
    looping.current.crash();
    expect(await restarted).toEqual([{ supervisorId: 'supervisor', id: 'sibling' }]);
    expect(sibling.instances).toHaveLength(2);
    expect(supervisor.exit).toBeUndefined();
    expect(await supervisor.shutdown()).toEqual({ kind: 'shutdown' });
    expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
  });
});

describe('DynamicSupervisor with a child whose every restart throws at once', () => {
  for (const [name, schedule] of schedules) {
    it(`stops when asked from ${name} between two attempts, exiting shutdown, not crashed`, async () => {
      const supervisor = new DynamicSupervisor({ maxRestarts });
      const looping = new CrashLoopSpec(atAttempt(50, schedule, () => supervisor.stop()));
      const sibling = new TestChildSpec('sibling', looping.log);
      await supervisor.startChild(sibling);
      await supervisor.startChild(looping);
      let isLimitReached = false;
      supervisor.on('supervisor:restartLimitReached', () => (isLimitReached = true));
      looping.current.crash();
      expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
      expect(isLimitReached).toBe(false);
      expect(looping.failedAttempts).toBeGreaterThanOrEqual(50);
      expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
      expect(sibling.current.exit).toEqual({ kind: 'shutdown' });
    });
  }

  it('stops when asked between two attempts while the child it restarts exits at once, exiting shutdown', async () => {
    const supervisor = new DynamicSupervisor({ maxRestarts });
    const looping = new CrashLoopSpec(
      atAttempt(50, setImmediate, () => supervisor.stop()),
      'exits at once',
    );
    await supervisor.startChild(looping);
    looping.current.crash();
    expect(await supervisor.exited).toEqual({ kind: 'shutdown' });
    expect(looping.failedAttempts).toBeGreaterThanOrEqual(50);
    expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
  });

  it('still gives up after maxRestarts failed attempts when nobody asks it to stop', async () => {
    const looping = new CrashLoopSpec();
    const supervisor = new DynamicSupervisor({ maxRestarts: 500, clock: new ManualClock() }); // one window
    await supervisor.startChild(looping);
    looping.current.crash();
    const exit = await supervisor.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: { code: 'ERR_RESTART_INTENSITY', childId: 'looping' } });
    expect(looping.failedAttempts).toBe(500);
  });

  it('serves terminateChild between two attempts: the loop ends, the supervisor and its other children run on', async () => {
    const supervisor = new DynamicSupervisor({ maxRestarts });
    let terminated: Promise<unknown> | undefined;
    const looping = new CrashLoopSpec(
      atAttempt(50, setImmediate, () => {
        terminated = supervisor.terminateChild('looping');
      }),
    );
    const sibling = new TestChildSpec('sibling', looping.log);
    await supervisor.startChild(sibling);
    await supervisor.startChild(looping);
    looping.current.crash();
    await supervisor.settled();
    expect(terminated).toBeDefined();
    expect(await terminated).toBeUndefined(); // it was between restarts: nothing running to stop
    expect(looping.failedAttempts).toBeGreaterThanOrEqual(50);
    expect(looping.failedAttempts).toBeLessThan(maxRestarts / 2);
    expect(supervisor.whichChildren().map((child) => child.id)).toEqual(['sibling']);
    expect(supervisor.exit).toBeUndefined();
    expect(sibling.current.exit).toBeUndefined();
    expect(await supervisor.shutdown()).toEqual({ kind: 'shutdown' });
  });
});
