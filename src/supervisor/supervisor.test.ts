import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { captureWarnings } from '../../test/fixtures/captured-warnings.js';
import { TestChildSpec } from '../../test/fixtures/test-child.js';
import { ManualClock } from '../clock.js';
import { ChildStartError, DuplicateChildError, InvalidArgumentError, RestartIntensityError } from '../errors.js';
import type { RestartType } from './child.js';
import { type Strategy, Supervisor } from './supervisor.js';

function threeChildren(restartOfB: RestartType = 'permanent') {
  const log: string[] = [];
  const a = new TestChildSpec('a', log);
  const b = new TestChildSpec('b', log, { restart: restartOfB });
  const c = new TestChildSpec('c', log);
  return { log, a, b, c, children: [a, b, c] };
}

describe('start', () => {
  it('starts the children in order and lists them with their handles', async () => {
    const { log, a, children } = threeChildren();
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children }).start();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    expect(supervisor.whichChildren().map((child) => child.id)).toEqual(['a', 'b', 'c']);
    expect(supervisor.whichChildren()[0]).toMatchObject({ type: 'worker', restart: 'permanent', handle: a.current });
    await supervisor.shutdown();
  });

  it('stops the children already started, in reverse, and rejects with a ChildStartError when one fails', async () => {
    const log: string[] = [];
    const boom = new Error('no database');
    const failing = new TestChildSpec('b', log);
    failing.failNextStarts(boom);
    const children = [new TestChildSpec('a', log), new TestChildSpec('a2', log), failing, new TestChildSpec('c', log)];
    const supervisor = new Supervisor({ id: 'root', strategy: 'one-for-one', children });
    const error = await supervisor.start().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChildStartError);
    expect(error).toMatchObject({ code: 'ERR_CHILD_START', supervisorId: 'root', childId: 'b', cause: boom });
    expect(log).toEqual(['start a', 'start a2', 'start b', 'stop a2', 'stop a']);
    expect(await supervisor.exited).toEqual({ kind: 'crashed', error });
  });

  it('rejects an unknown strategy and repeated child ids with typed errors', () => {
    const log: string[] = [];
    const strategy = 'one-for-some' as Strategy;
    expect(() => new Supervisor({ strategy, children: [] })).toThrow(InvalidArgumentError);
    const twice = [new TestChildSpec('a', log), new TestChildSpec('a', log)];
    expect(() => new Supervisor({ strategy: 'one-for-one', children: twice })).toThrow(DuplicateChildError);
    expect(() => new Supervisor({ strategy: 'one-for-one', children: [], maxRestarts: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', argument: 'maxRestarts', got: -1 }),
    );
  });
});

describe('restart', () => {
  // b (the middle child) exits; what each strategy does then, for each restart type and exit.
  const restarted: Record<Strategy, string[]> = {
    'one-for-one': ['start b'],
    'one-for-all': ['stop c', 'stop a', 'start a', 'start b', 'start c'],
    'rest-for-one': ['stop c', 'start b', 'start c'],
  };
  const cases: [RestartType, 'crash' | 'finish', boolean][] = [
    ['permanent', 'crash', true],
    ['permanent', 'finish', true],
    ['transient', 'crash', true],
    ['transient', 'finish', false],
    ['temporary', 'crash', false],
    ['temporary', 'finish', false],
  ];
  for (const strategy of Object.keys(restarted) as Strategy[]) {
    for (const [restart, how, isRestarted] of cases) {
      const outcome = isRestarted ? `restarts per ${strategy}` : 'leaves every child alone';
      it(`${outcome} when a ${restart} child exits by ${how} under ${strategy}`, async () => {
        const { log, b, children } = threeChildren(restart);
        const supervisor = await new Supervisor({ strategy, children }).start();
        log.length = 0;
        b.current[how]();
        await supervisor.settled();
        expect(log).toEqual(isRestarted ? restarted[strategy] : []);
        const ids = supervisor.whichChildren().map((child) => child.id);
        expect(ids).toEqual(restart === 'temporary' ? ['a', 'c'] : ['a', 'b', 'c']);
        await supervisor.shutdown();
      });
    }
  }

  it('does not start again a temporary sibling that a one-for-all restart took down', async () => {
    const log: string[] = [];
    const a = new TestChildSpec('a', log);
    const helper = new TestChildSpec('helper', log, { restart: 'temporary' });
    const supervisor = await new Supervisor({ strategy: 'one-for-all', children: [a, helper] }).start();
    log.length = 0;
    const restarted = once(supervisor, 'child:restarted');
    a.current.crash();
    expect(await restarted).toEqual([{ supervisorId: 'supervisor', id: 'a' }]);
    await supervisor.settled();
    expect(log).toEqual(['stop helper', 'start a']);
    expect(supervisor.whichChildren().map((child) => child.id)).toEqual(['a']);
    await supervisor.shutdown();
  });

  it('keeps restarting when a listener throws, and says so with a warning', async () => {
    const { b, children } = threeChildren();
    const supervisor = await new Supervisor({ strategy: 'one-for-one', children }).start();
    supervisor.on('child:exited', () => {
      throw new Error('a faulty logger');
    });
    const warnings = captureWarnings();
    const warning = warnings.next();
    b.current.crash();
    await supervisor.settled();
    expect(await warning).toContain('a faulty logger');
    warnings.restore();
    expect(b.instances).toHaveLength(2);
    expect(supervisor.whichChildren()[1]?.handle).toBe(b.current);
    supervisor.removeAllListeners('child:exited');
    await supervisor.shutdown();
  });
});

describe('restart intensity', () => {
  it('gives up past maxRestarts within periodMs: stops all children and reports a RestartIntensityError', async () => {
    const { log, b, children } = threeChildren();
    const options = { id: 'root', strategy: 'one-for-one', maxRestarts: 2, periodMs: 1000 } as const;
    const supervisor = await new Supervisor({ ...options, children, clock: new ManualClock() }).start();
    const limitReached = once(supervisor, 'supervisor:restartLimitReached');
    for (let crash = 0; crash < 3; crash++) {
      b.current.crash();
      await supervisor.settled();
    }
    const exit = await supervisor.exited;
    expect(exit.kind).toBe('crashed');
    const error = exit.kind === 'crashed' ? exit.error : undefined;
    expect(error).toBeInstanceOf(RestartIntensityError);
    expect(error).toMatchObject({ code: 'ERR_RESTART_INTENSITY', supervisorId: 'root', childId: 'b' });
    expect((await limitReached)[0]).toEqual({ supervisorId: 'root', error });
    expect(log.slice(-2)).toEqual(['stop c', 'stop a']);
    expect(b.instances).toHaveLength(3);
  });

  it('forgets restarts older than periodMs', async () => {
    const clock = new ManualClock();
    const { b, children } = threeChildren();
    const options = { strategy: 'one-for-one', maxRestarts: 1, periodMs: 1000, clock } as const;
    const supervisor = await new Supervisor({ ...options, children }).start();
    for (let crash = 0; crash < 3; crash++) {
      b.current.crash();
      await supervisor.settled();
      clock.advance(1001); // a restart exactly periodMs old would still count
    }
    expect(supervisor.exit).toBeUndefined();
    expect(b.instances).toHaveLength(4);
    await supervisor.shutdown();
  });

  it('counts a restart that fails to start, and retries it', async () => {
    const { b, children } = threeChildren();
    const clock = new ManualClock();
    const supervisor = await new Supervisor({ strategy: 'one-for-one', maxRestarts: 3, clock, children }).start();
    b.failNextStarts(new Error('not yet'), new Error('still not'));
    b.current.crash();
    await supervisor.settled();
    expect(supervisor.exit).toBeUndefined();
    expect(b.instances).toHaveLength(2);
    clock.advance(5001); // those three restarts leave the window
    b.failNextStarts(new Error('never again'), new Error('never again'), new Error('never again'));
    b.current.crash();
    await supervisor.settled();
    const exit = await supervisor.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: { code: 'ERR_RESTART_INTENSITY', childId: 'b' } });
    expect(exit.kind === 'crashed' && exit.error.message).toContain('never again');
  });

  it('escalates through two levels of supervisors', async () => {
    const log: string[] = [];
    const worker = new TestChildSpec('worker', log);
    const clock = new ManualClock();
    const middle = Supervisor.childSpec({ id: 'middle', strategy: 'one-for-one', maxRestarts: 1, children: [worker] });
    const sibling = new TestChildSpec('sibling', log);
    const options = { id: 'root', strategy: 'one-for-one', maxRestarts: 1, clock } as const;
    const root = await new Supervisor({ ...options, children: [sibling, middle] }).start();
    const crashMiddleTwice = async () => {
      const current = root.whichChildren()[1]?.handle as Supervisor;
      for (let crash = 0; crash < 2; crash++) {
        worker.current.crash();
        await current.settled();
      }
      expect((await current.exited).kind).toBe('crashed');
      await root.settled();
    };
    await crashMiddleTwice(); // middle gives up once: root restarts it
    expect(root.exit).toBeUndefined();
    expect(root.whichChildren()[1]?.handle?.exit).toBeUndefined();
    await crashMiddleTwice(); // and again: one restart too many for root
    const exit = await root.exited;
    expect(exit).toMatchObject({ kind: 'crashed', error: { code: 'ERR_RESTART_INTENSITY', childId: 'middle' } });
    expect(exit.kind === 'crashed' && exit.error.message).toContain('"root"');
    expect(sibling.current.exit).toEqual({ kind: 'shutdown' });
  });
});

describe('snapshot', () => {
  it('draws the live tree, nested supervisors included', async () => {
    const log: string[] = [];
    const inner = Supervisor.childSpec({
      id: 'inner',
      strategy: 'one-for-all',
      children: [new TestChildSpec('w', log)],
    });
    const root = await new Supervisor({ id: 'root', strategy: 'rest-for-one', children: [inner] }).start();
    expect(root.snapshot()).toEqual({
      id: 'root',
      strategy: 'rest-for-one',
      children: [{ id: 'inner', strategy: 'one-for-all', children: [{ id: 'w', type: 'worker' }] }],
    });
    await root.shutdown();
    expect(root.snapshot().children).toEqual([]);
  });
});
