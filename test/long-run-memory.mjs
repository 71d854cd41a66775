// Long-run memory: a million checkout/checkin cycles (8 clients on 4 resources, so half of them queue) and a
// hundred thousand `run` calls on a thread pool, with the heap measured after forced GC before and after. A leak of
// even a few dozen bytes per cycle shows as tens of MB here; the bound leaves room only for the allocator's noise.
// Run: node --expose-gc test/long-run-memory.mjs [--cycles N] [--runs N]   (needs `npm run build` first)
import { parseArgs } from 'node:util';
import { createPool, resourceWorker, threadWorker } from 'pooltoy';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '100000' },
    'max-growth-mb': { type: 'string', default: '4' },
  },
});
const cycles = Number(values.cycles);
const runs = Number(values.runs);
const maxGrowthBytes = Number(values['max-growth-mb']) * 1024 * 1024;

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

/** Heap in use once everything collectable is collected (finalizers and weak refs get their turns too). */
async function settledHeap() {
  for (let round = 0; round < 6; round++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

/** `total` cycles of `cycle()`, spread over `clients` concurrent loops. */
async function drive(total, clients, cycle) {
  let left = total;
  const client = async () => {
    while (left-- > 0) await cycle();
  };
  await Promise.all(Array.from({ length: clients }, client));
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const results = [];

async function measure(name, count, pool, cycle) {
  await drive(Math.min(10_000, count / 10), 8, cycle); // warm up: JIT, pool structures at their working size
  const before = await settledHeap();
  const started = performance.now();
  await drive(count, 8, cycle);
  const seconds = (performance.now() - started) / 1000;
  const after = await settledHeap();
  const status = pool.status();
  results.push({ name, count, seconds, before, after, growth: after - before, status });
}

const resources = await createPool({
  name: 'resources',
  worker: resourceWorker({ create: (context) => ({ id: context.workerId }) }),
  size: 4,
  maxOverflow: 0,
});
await measure('checkout/checkin', cycles, resources, async () => {
  const lease = await resources.checkout();
  lease.release();
});
await resources.stop();

const threads = await createPool({
  name: 'threads',
  worker: threadWorker(new URL('./fixtures/echo.mjs', import.meta.url)),
  size: 2,
  maxOverflow: 0,
});
let payload = 0;
await measure('pool.run (threads)', runs, threads, async () => {
  const sent = ++payload;
  const answer = await threads.run(sent);
  if (answer !== sent) throw new Error(`run(${sent}) answered ${answer}`);
});
await threads.stop();

let failed = false;
for (const { name, count, seconds, before, after, growth, status } of results) {
  const isLeaking = growth > maxGrowthBytes;
  const isBalanced = status.checkedOut === 0 && status.waiting === 0;
  failed ||= isLeaking || !isBalanced;
  console.log(
    `${name}: ${count.toLocaleString('en')} in ${seconds.toFixed(1)}s; heap after GC ${mb(before)} → ${mb(after)} ` +
      `(growth ${mb(growth)}, bound ${mb(maxGrowthBytes)}) ${isLeaking ? 'LEAK' : 'ok'}; ` +
      `leases left ${status.checkedOut}, waiting ${status.waiting}`,
  );
}
process.exit(failed ? 1 : 0);
