// The raw floor for thread and process tasks: bare `worker_threads` or `child_process.fork` workers and the least
// code that spreads calls over them. No supervision, no timeouts, no recovery: what a pool can at best approach.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

const workersDirectory = new URL('./workers/', import.meta.url);

/**
 * Calls spread over `channels`: `'exclusive'` gives each worker one call at a time (idle stack + FIFO of calls,
 * the checkout model); `'pipelined'` sends every call at once, round robin (the model of poolifier).
 */
export class RawPool {
  #channels;
  #mode;
  #idle;
  #queue = [];
  #head = 0;
  #pending = new Map();
  #nextId = 0;
  #nextChannel = 0;

  constructor(channels, mode) {
    this.#channels = channels;
    this.#mode = mode;
    this.#idle = [...channels];
    for (const channel of channels) channel.onMessage((message) => this.#answer(channel, message));
  }

  /** Start `count` thread workers. */
  static async threads(count, mode) {
    const workers = Array.from({ length: count }, () => new Worker(new URL('echo-raw-thread.mjs', workersDirectory)));
    await Promise.all(workers.map((worker) => once(worker, 'online')));
    return new RawPool(
      workers.map((worker) => ({
        handle: worker,
        send: (message) => worker.postMessage(message),
        onMessage: (listener) => worker.on('message', listener),
        close: () => worker.terminate(),
      })),
      mode,
    );
  }

  /** Start `count` forked processes; resolves once each has answered a first call. */
  static async processes(count, mode) {
    const children = Array.from({ length: count }, () => forkEcho());
    const pool = new RawPool(
      children.map((child) => ({
        handle: child,
        send: (message) => child.send(message),
        onMessage: (listener) => child.on('message', listener),
        close: async () => {
          child.kill();
          if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
        },
      })),
      mode,
    );
    await Promise.all(children.map(() => pool.call(0)));
    return pool;
  }

  call(payload) {
    return new Promise((resolve, reject) => {
      const task = { id: this.#nextId++, payload, resolve, reject };
      if (this.#mode === 'pipelined') {
        this.#send(this.#channels[this.#nextChannel++ % this.#channels.length], task);
      } else if (this.#idle.length > 0) {
        this.#send(this.#idle.pop(), task);
      } else {
        this.#queue.push(task);
      }
    });
  }

  async close() {
    await Promise.all(this.#channels.map((channel) => channel.close()));
  }

  #send(channel, task) {
    this.#pending.set(task.id, task);
    channel.send({ id: task.id, payload: task.payload });
  }

  #answer(channel, { id, result }) {
    const task = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#mode === 'exclusive') {
      if (this.#head < this.#queue.length) {
        this.#send(channel, this.#queue[this.#head]);
        this.#queue[this.#head++] = undefined;
        // Drop the served prefix once it is half the array: O(1) amortised, like a ring buffer.
        if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
      } else {
        this.#idle.push(channel);
      }
    }
    task?.resolve(result);
  }
}

/** A forked raw echo worker. */
export function forkEcho() {
  return fork(new URL('echo-raw-process.mjs', workersDirectory), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
