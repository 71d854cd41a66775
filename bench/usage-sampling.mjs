// What per-worker memory and CPU sampling costs (`node bench/usage-sampling.mjs`, after `npm run build`):
// `pool.run` throughput on 2 threads and 2 processes with and without a watcher reading snapshots every 100 ms (5×
// the observer page's default rate, so a sampling round every 2 s), interleaved rounds, medians; and the time of
// one OS reading (what a process or command worker's sample costs).
import { createPool, processWorker, threadWorker } from 'pooltoy';

const echo = new URL('./workers/echo-pooltoy.mjs', import.meta.url);
const phaseMs = Number(process.env.PHASE_MS ?? 3000);
const rounds = 3;

/** Calls per second of `pool.run` with 64 in flight for `phaseMs`; `watch` reads snapshots meanwhile. */
async function throughput(pool, watch) {
  const watcher = watch ? setInterval(() => pool.snapshot(), 100) : undefined;
  let calls = 0;
  const until = performance.now() + phaseMs;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        await pool.run({ n: calls });
        calls++;
      }
    }),
  );
  clearInterval(watcher);
  return (calls * 1000) / phaseMs;
}

const rows = [];
for (const [name, worker] of [
  ['2 threads', threadWorker(echo)],
  ['2 processes', processWorker(echo)],
]) {
  const pool = await createPool({ name, worker, size: 2 });
  const off = [];
  const on = [];
  for (let round = 0; round < rounds; round++) {
    off.push(await throughput(pool, false));
    on.push(await throughput(pool, true));
  }
  await pool.stop();
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const [a, b] = [median(off), median(on)];
  rows.push(`| ${name} | ${Math.round(a)} | ${Math.round(b)} | ${(((b - a) / a) * 100).toFixed(1)}% |`);
}
console.log('| pool | calls/s, nobody watching | calls/s, snapshots every 100 ms | difference |');
console.log('| --- | --- | --- | --- |');
for (const row of rows) console.log(row);

// The OS reading behind a process or command worker's figure, on this process itself.
const { readOsUsage } = await import('../dist/workers/os-usage.js');
const reads = 500;
const start = performance.now();
for (let i = 0; i < reads; i++) await readOsUsage(process.pid);
console.log(`\none OS usage reading (${process.platform}): ${((performance.now() - start) / reads).toFixed(3)} ms`);
