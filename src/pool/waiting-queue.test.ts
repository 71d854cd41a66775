import { describe, expect, it } from 'vitest';
import { type QueueNode, WaitingQueue } from './waiting-queue.js';

class Node implements QueueNode<Node> {
  previous: Node | undefined;
  next: Node | undefined;
  isQueued = false;
  constructor(readonly name: string) {}
}

function queueOf(...names: string[]): { queue: WaitingQueue<Node>; nodes: Node[] } {
  const queue = new WaitingQueue<Node>();
  const nodes = names.map((name) => new Node(name));
  for (const node of nodes) queue.push(node);
  return { queue, nodes };
}

const namesOf = (queue: WaitingQueue<Node>) => queue.drain().map((node) => node.name);

describe('push and oldest', () => {
  it('serves waiters in arrival order', () => {
    const { queue } = queueOf('a', 'b', 'c');
    expect(queue.size).toBe(3);
    expect(queue.oldest?.name).toBe('a');
    expect(namesOf(queue)).toEqual(['a', 'b', 'c']);
    expect(queue.size).toBe(0);
    expect(queue.oldest).toBeUndefined();
  });
});

describe('remove', () => {
  it('unlinks a waiter anywhere in the queue, leaving its neighbours linked to each other', () => {
    const { queue, nodes } = queueOf('a', 'b', 'c', 'd');
    const [a, b, c, d] = nodes as [Node, Node, Node, Node];
    queue.remove(b);
    // Only the neighbours' links changed: nothing was scanned or spliced.
    expect(a.next).toBe(c);
    expect(c.previous).toBe(a);
    expect(b).toMatchObject({ previous: undefined, next: undefined, isQueued: false });
    queue.remove(a);
    queue.remove(d);
    expect(queue.oldest).toBe(c);
    expect(queue.size).toBe(1);
    expect(namesOf(queue)).toEqual(['c']);
  });

  it('ignores a waiter that is not queued (already served or removed)', () => {
    const { queue, nodes } = queueOf('a', 'b');
    queue.remove(nodes[0]!);
    queue.remove(nodes[0]!);
    queue.remove(new Node('stranger'));
    expect(queue.size).toBe(1);
    expect(namesOf(queue)).toEqual(['b']);
  });

  it('keeps only live waiters, in order, through any mix of arrivals and cancels', () => {
    const queue = new WaitingQueue<Node>();
    const live: Node[] = [];
    for (let index = 0; index < 1000; index++) {
      const node = new Node(String(index));
      queue.push(node);
      live.push(node);
      // Every third arrival, a waiter from the middle gives up.
      if (index % 3 === 2) queue.remove(live.splice(Math.floor(live.length / 2), 1)[0]!);
    }
    expect(queue.size).toBe(live.length);
    expect(namesOf(queue)).toEqual(live.map((node) => node.name));
  });
});

describe('unshift', () => {
  it('puts a waiter back at the front, so it keeps its turn', () => {
    const { queue } = queueOf('b', 'c');
    queue.unshift(new Node('a'));
    expect(queue.oldest?.name).toBe('a');
    expect(namesOf(queue)).toEqual(['a', 'b', 'c']);
  });

  it('works on an empty queue', () => {
    const queue = new WaitingQueue<Node>();
    queue.unshift(new Node('a'));
    queue.push(new Node('b'));
    expect(namesOf(queue)).toEqual(['a', 'b']);
  });
});
