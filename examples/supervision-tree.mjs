// A small supervision tree, built from the published package: a one-for-all root over a dynamic supervisor of
// sessions and a worker that crashes once. Watch the root restart everything, then shut it all down cleanly.
import { crashedExit, DynamicSupervisor, ExitReporter, killedExit, Supervisor, shutdownExit } from 'pooltoy';

/** A stand-in for a real worker: it runs until stopped, or until told to crash. */
class ToyWorker {
  #reporter = new ExitReporter();
  #timer;

  constructor({ crashAfterMs } = {}) {
    if (crashAfterMs !== undefined) {
      this.#timer = setTimeout(
        () => this.#reporter.report(crashedExit(new Error('lost its connection'))),
        crashAfterMs,
      );
    }
    this.onExit(() => clearTimeout(this.#timer));
  }

  get exited() {
    return this.#reporter.exited;
  }

  get exit() {
    return this.#reporter.exit;
  }

  onExit(listener) {
    return this.#reporter.onExit(listener);
  }

  stop() {
    // A real worker finishes its current job first; this one just takes a turn of the event loop.
    setImmediate(() => this.#reporter.report(shutdownExit));
  }

  kill() {
    this.#reporter.report(killedExit('SIGKILL'));
  }
}

let flakyStarts = 0;
const flaky = {
  id: 'flaky',
  // Only its first life is short: the restart brings back a healthy worker.
  start: async () => new ToyWorker(++flakyStarts === 1 ? { crashAfterMs: 100 } : {}),
};

const sessions = {
  id: 'sessions',
  type: 'supervisor',
  async start() {
    const supervisor = new DynamicSupervisor({ id: 'sessions', maxChildren: 10 });
    for (const user of ['ada', 'grace', 'edsger']) {
      await supervisor.startChild({ id: `session:${user}`, restart: 'transient', start: async () => new ToyWorker() });
    }
    return supervisor;
  },
};

/** The tree as indented text, one node a line. */
function render(node, depth = 0) {
  const pad = '  '.repeat(depth);
  if (!('strategy' in node)) return [`${pad}- ${node.id}`];
  return [`${pad}+ ${node.id} (${node.strategy})`, ...node.children.flatMap((child) => render(child, depth + 1))];
}

function printTree(title) {
  console.log(`\n${title}\n${render(root.snapshot()).join('\n')}\n`);
}

const root = new Supervisor({ id: 'app', strategy: 'one-for-all', children: [sessions, flaky] });
root.on('child:exited', ({ id, exit }) => console.log(`  app: ${id} exited (${exit.kind})`));
root.on('child:restarted', ({ id }) => console.log(`  app: ${id} restarted`));

await root.start();
printTree('Started:');

// The flaky worker crashes; one-for-all stops the sessions supervisor too, then starts both again.
const restarted = new Promise((resolve) => root.on('child:restarted', ({ id }) => id === 'flaky' && resolve()));
await restarted;
await root.settled();
printTree('After the crash, restarted one-for-all:');

const exit = await root.shutdown();
console.log(`Shut down: ${exit.kind}`);
printTree('Left running:');
