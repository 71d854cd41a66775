// F. Memory: the parent's RSS with 4 idle thread workers and with 4 idle process workers, after a full GC. Each
// measurement runs in a fresh Node process (this file, `--probe`), so no other pool's heap is counted; the probes
// of all contenders are interleaved, round after round.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { payload } from './calls-in-flight.mjs';
import { loadPoolToy } from './pooltoy-under-test.mjs';
import { interleave, ratioTable } from './rounds.mjs';

const workers = 4;
const mib = 2 ** 20;

/** The contenders of one kind (`threads` or `processes`), each `{ name, start() → { call, close } }`. */
async function contendersOf(kind) {
  const pooltoy = await loadPoolToy('threadWorker', 'processWorker');
  const echo = fileURLToPath(new URL('./workers/echo-pooltoy.mjs', import.meta.url));
  const ours = pooltoy
    ? [
        {
          name: 'PoolToy',
          start: async () => {
            const worker = kind === 'threads' ? pooltoy.threadWorker(echo) : pooltoy.processWorker(echo);
            const pool = await pooltoy.createPool({ worker, size: workers, maxOverflow: 0 });
            return { call: (value) => pool.run(value), close: () => pool.stop() };
          },
        },
      ]
    : [];
  const anchors =
    kind === 'threads'
      ? (await import('./thread-tasks.mjs')).threadAnchors(workers)
      : (await import('./process-tasks.mjs')).processAnchors(workers);
  return [...ours, ...anchors.filter((anchor) => !anchor.name.endsWith('pipelined'))];
}

/** In a fresh process: RSS after GC before and with the pool's workers idle, and the RSS of its children. */
async function probe(kind, name) {
  const contender = (await contendersOf(kind)).find((entry) => entry.name === name);
  const baseline = settledRss();
  const pool = await contender.start();
  // Every pool here starts its workers eagerly; calls wait for them to load their module, then they go idle.
  await Promise.all(Array.from({ length: workers * 25 }, () => pool.call(payload)));
  await delay(250);
  const rss = settledRss();
  const childrenRss = childrenRssBytes();
  await pool.close();
  return { rssMb: rss / mib, rssDeltaMb: (rss - baseline) / mib, childrenRssMb: childrenRss / mib };
}

function settledRss() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage.rss();
}

/** RSS of this process's direct children (Linux /proc; 0 elsewhere). */
function childrenRssBytes() {
  try {
    const children = readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/);
    return children
      .filter(Boolean)
      .map((pid) => /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '0')
      .reduce((total, kB) => total + Number(kB) * 1_024, 0);
  } catch {
    return 0;
  }
}

const run = promisify(execFile);

/** Run F and return its tables (no target: the issue asks for the numbers). */
export async function runSuite({ quick, log }) {
  const sections = [];
  for (const kind of ['threads', 'processes']) {
    log(`F ${workers} idle ${kind}`);
    const contenders = (await contendersOf(kind)).map(({ name }) => ({
      name,
      round: async () => {
        const { stdout } = await run(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), kind, name]);
        return JSON.parse(stdout);
      },
    }));
    const results = await interleave(contenders, { rounds: quick ? 1 : 5, ops: 1, isWarmed: false, log });
    sections.push({
      heading: `F. Parent RSS with ${workers} idle ${kind === 'threads' ? 'thread' : 'process'} workers (MiB; lower is better)`,
      table: ratioTable(results, {
        subject: 'PoolToy',
        columns: [
          { key: 'rssMb', label: 'parent RSS', digits: 1 },
          { key: 'rssDeltaMb', label: 'parent RSS − before the pool', digits: 1 },
          { key: 'childrenRssMb', label: 'children RSS', digits: 1 },
        ],
        ratioOf: 'rssDeltaMb',
      }),
      note:
        kind === 'threads'
          ? 'Thread workers live in the parent: their heaps are in its RSS.'
          : 'Process workers have their own RSS, shown apart; the parent keeps only their handles and channels.',
    });
  }
  return { title: `F. Memory (${workers} idle workers)`, sections, targets: [] };
}

export { runSuite as run };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, name] = process.argv.slice(2);
  process.stdout.write(JSON.stringify(await probe(kind, name)));
  // Some anchors leave a handle behind after closing; the probe has said all it had to say.
  process.exit(0);
}
