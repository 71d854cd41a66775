import { describe, expect, it } from 'vitest';
import { type IdleNode, IdleWorkers } from './idle-workers.js';

class Worker implements IdleNode<Worker> {
  idlePrevious: Worker | undefined;
  idleNext: Worker | undefined;
  isIdleListed = false;
  constructor(readonly id: string) {}
}

/** Idle workers that became idle in the order given. */
function idleOf(...ids: string[]): { idle: IdleWorkers<Worker>; workers: Worker[] } {
  const idle = new IdleWorkers<Worker>();
  const workers = ids.map((id) => new Worker(id));
  for (const worker of workers) idle.push(worker);
  return { idle, workers };
}

describe('take', () => {
  it("with 'lifo' takes the worker checked in last", () => {
    const { idle } = idleOf('a', 'b', 'c');
    expect([idle.take('lifo'), idle.take('lifo'), idle.take('lifo')].map((worker) => worker?.id)).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it("with 'fifo' takes the worker idle longest", () => {
    const { idle } = idleOf('a', 'b', 'c');
    expect([idle.take('fifo'), idle.take('fifo'), idle.take('fifo')].map((worker) => worker?.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('returns undefined when no worker is idle, and a taken worker is no longer listed', () => {
    const { idle, workers } = idleOf('a');
    expect(idle.take('lifo')).toBe(workers[0]);
    expect(workers[0]!.isIdleListed).toBe(false);
    expect(idle.size).toBe(0);
    expect(idle.take('lifo')).toBeUndefined();
    expect(idle.take('fifo')).toBeUndefined();
  });

  it('mixes strategies on one list: both ends stay right after pushes between takes', () => {
    const { idle } = idleOf('a', 'b');
    expect(idle.take('fifo')?.id).toBe('a');
    idle.push(new Worker('c'));
    expect(idle.take('lifo')?.id).toBe('c');
    expect(idle.take('fifo')?.id).toBe('b');
    expect(idle.size).toBe(0);
  });
});

describe('remove', () => {
  it('takes out a worker anywhere (it died, or its cooldown ended) and keeps the order of the rest', () => {
    const { idle, workers } = idleOf('a', 'b', 'c');
    idle.remove(workers[1]!);
    expect(idle.size).toBe(2);
    expect(idle.take('fifo')?.id).toBe('a');
    expect(idle.take('fifo')?.id).toBe('c');
  });

  it('ignores a worker that is not idle', () => {
    const { idle, workers } = idleOf('a');
    idle.remove(workers[0]!);
    idle.remove(workers[0]!);
    idle.remove(new Worker('busy'));
    expect(idle.size).toBe(0);
    expect(idle.take('lifo')).toBeUndefined();
  });
});
