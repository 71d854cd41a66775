import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { CheckoutDeadlines, type DeadlineGroup, type DeadlineNode } from './checkout-deadlines.js';

class Waiter implements DeadlineNode<Waiter> {
  deadlinePrevious: Waiter | undefined;
  deadlineNext: Waiter | undefined;
  deadlineGroup: DeadlineGroup<Waiter> | undefined;
  deadline = 0;
  constructor(readonly name: string) {}
}

function setUp() {
  const clock = new ManualClock();
  const expired: string[] = [];
  const deadlines = new CheckoutDeadlines<Waiter>(clock, (waiter, timeoutMs) => {
    expired.push(`${waiter.name}@${clock.now()}/${timeoutMs}`);
    deadlines.remove(waiter);
  });
  const add = (name: string, timeoutMs: number) => {
    const waiter = new Waiter(name);
    deadlines.add(waiter, clock.now(), timeoutMs);
    return waiter;
  };
  return { clock, expired, deadlines, add };
}

describe('add', () => {
  it('expires each waiter at its own deadline, in deadline order across timeouts', () => {
    const { clock, expired, add } = setUp();
    add('a', 100);
    clock.advance(10);
    add('b', 100);
    add('c', 50);
    clock.advance(200);
    expect(expired).toEqual(['c@60/50', 'a@100/100', 'b@110/100']);
  });

  it('sets one timer per distinct timeout, however many waiters share it', () => {
    const { clock, add } = setUp();
    for (let index = 0; index < 100; index++) add(`w${index}`, 5000);
    add('short', 10);
    expect(clock.pendingTimers).toBe(2);
  });

  it('expires waiters that share a deadline together, and none early', () => {
    const { clock, expired, add } = setUp();
    add('a', 100);
    add('b', 100);
    clock.advance(99);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual(['a@100/100', 'b@100/100']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('remove', () => {
  it('lets a served waiter go without expiring, and the timer moves on to the next one', () => {
    const { clock, expired, deadlines, add } = setUp();
    const a = add('a', 100);
    clock.advance(30);
    add('b', 100);
    deadlines.remove(a);
    clock.advance(100);
    expect(expired).toEqual(['b@130/100']);
  });

  it('cancels the timer with the last waiter of its timeout, so nothing keeps the process alive', () => {
    const { clock, deadlines, add } = setUp();
    const a = add('a', 100);
    const b = add('b', 100);
    deadlines.remove(b);
    expect(clock.pendingTimers).toBe(1);
    deadlines.remove(a);
    expect(clock.pendingTimers).toBe(0);
    expect(a.deadlineGroup).toBeUndefined();
  });

  it('ignores a waiter without a deadline, or removed twice', () => {
    const { clock, expired, deadlines, add } = setUp();
    const a = add('a', 100);
    deadlines.remove(a);
    deadlines.remove(a);
    deadlines.remove(new Waiter('never added'));
    add('b', 100);
    clock.advance(100);
    expect(expired).toEqual(['b@100/100']);
  });
});
