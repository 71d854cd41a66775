// The chaos soak: a PoolToy tree of pools under sustained load from many concurrent clients, while a chaos loop
// injects faults (pluggable units, soak-faults.mjs: SIGKILLs, kills, deaths, aborts, owners ending, a worker that
// crashes on every call, a validate that hangs, terminated PostgreSQL backends) and stops and restarts a pool. It then asserts that every call settled with a result or a typed error, no lease
// leaked, status matched the workers alive, no OS process outlived stop(), and the heap came back after forced GC.
// Run: npm run soak -- --seconds N [--clients N] [--seed N]   (exits 1 on any failed assertion)
import { parseArgs } from 'node:util';
import { PoolToy } from 'pooltoy';
import { childPids, isAlive } from './os-processes.mjs';
import { injectProcessTreeFaults } from './process-tree-faults.mjs';
import { coreUnit, crashLoopUnit, hangingValidateUnit } from './soak-faults.mjs';
import { postgresUnit } from './soak-pg-unit.mjs';
import { SoakTally } from './soak-tally.mjs';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '32' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    'max-heap-growth-mb': { type: 'string', default: '8' },
  },
});
const seconds = Number(values.seconds);
const clientCount = Number(values.clients);
const maxHeapGrowthBytes = Number(values['max-heap-growth-mb']) * 1024 * 1024;

// A small seeded generator, so that a failing run can be replayed with --seed.
let seed = Number(values.seed) >>> 0 || 1;
const random = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const pick = (items) => items[Math.floor(random() * items.length)];
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function settledHeap() {
  for (let round = 0; round < 6; round++) {
    globalThis.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

// The units: each brings its pools and its faults (soak-faults.mjs says what a unit is).
const units = [coreUnit(), crashLoopUnit(), hangingValidateUnit(), await postgresUnit()].filter(Boolean);
const poolUnits = Object.assign({}, ...units.map((unit) => unit.pools));
const poolNames = Object.keys(poolUnits);
const faults = units.flatMap((unit) => unit.faults);
const chaosFaults = faults.flatMap((fault) => Array.from({ length: fault.weight }, () => fault));
// Pools where a start failure is injected: the only ones where ERR_WORKER_START is expected.
const startFailurePools = new Set(faults.filter((fault) => fault.startFailures).map((fault) => fault.pool));
// The pools the chaos loop stops and restarts under load (a crash loop's or a database's pool is left alone).
const restartablePools = ['processes', 'threads', 'resources'].filter((name) => name in poolUnits);

const tally = new SoakTally();
const heapBaseline = await settledHeap();
const toy = await PoolToy.start();
for (const name of poolNames) await toy.startPool(name, poolUnits[name].options);

const deadline = performance.now() + seconds * 1000;
const inFlight = new Set(); // abort controllers of calls and checkouts in progress: the chaos loop aborts some
const heldOwners = new Set(); // owners of leases held now: the chaos loop ends some

const ctx = { toy, random, pick, pause, inFlight, heldOwners, tally };

/** One client's operation on a pool chosen at random; every outcome is tallied. Resolves true when it was refused. */
async function clientStep() {
  const name = pick(poolNames);
  try {
    const pool = toy.pool(name); // PoolNotFoundError while the chaos loop has it stopped
    const answer = await tally.track(poolUnits[name].call(pool, ctx), name);
    return !answer.ok;
  } catch (error) {
    tally.settledError(error, name); // toy.pool() threw
    return true;
  }
}

async function client() {
  while (performance.now() < deadline) {
    const isRefused = await clientStep();
    // A refused client waits a few ms before it tries again, as a real one would.
    if (isRefused) await pause(2 + Math.floor(random() * 8));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One fault, chosen at random by weight. */
async function chaosStep() {
  const fault = pick(chaosFaults);
  if (fault && (await fault.inject(ctx))) tally.fault(fault.name);
}

async function chaos() {
  while (performance.now() < deadline) {
    await pause(60 + Math.floor(random() * 100));
    await chaosStep();
  }
}

/** Every 3s, stop a pool under load and start it again: its clients see PoolStoppedError, PoolNotFoundError, then service. */
async function restarts() {
  for (let next = performance.now() + 3000; next < deadline - 1000; next = performance.now() + 3000) {
    await pause(next - performance.now());
    const name = pick(restartablePools);
    await toy.stopPool(name, { timeoutMs: 100 });
    tally.fault('poolRestart');
    await toy.startPool(name, poolUnits[name].options);
  }
}

const progress = setInterval(() => console.log(tally.progressLine()), 5000);
const load = Promise.all([chaos(), restarts(), ...Array.from({ length: clientCount }, client)]);
// A call that never settles would keep its client from finishing: give them all 30s past the deadline, then call it
// a hang rather than wait forever.
let graceTimer;
const grace = new Promise((resolve) => {
  graceTimer = setTimeout(resolve, seconds * 1000 + 30_000, 'hung');
});
const outcome = await Promise.race([load.then(() => 'done'), grace]);
clearTimeout(graceTimer);
clearInterval(progress);
if (outcome === 'hung') {
  tally.fail(`${tally.started - tally.settled} calls never settled`);
  console.log(
    tally.summary({ seconds, clients: clientCount, seed: values.seed, heapBaseline, heapAfter: 0, orphans: [] }),
  );
  await toy.stop({ timeoutMs: 0 });
  process.exit(1);
}

// Every call settled by now (the clients awaited theirs). The pools must be whole again once their starts settle.
for (const name of poolNames) {
  const pool = toy.pool(name);
  await pool.settled();
  const status = pool.status();
  const workers = pool.workers();
  tally.leasesLeft += status.checkedOut;
  if (status.checkedOut !== 0 || status.waiting !== 0) tally.fail(`${name}: leases left ${JSON.stringify(status)}`);
  // A worker cooling down (surplus, idle for its overflowTtlMs) is idle too: a checkout takes it. A busy worker
  // without a lease is being validated (at most validateTimeoutMs): neither idle nor checked out.
  const serving = workers.filter(
    (worker) => ['idle', 'cooling'].includes(worker.state) || (worker.state === 'busy' && worker.lease),
  ).length;
  if (serving !== status.idle + status.checkedOut) {
    const states = workers.map((worker) => `${worker.id} ${worker.state}`).join(', ');
    tally.fail(`${name}: status ${JSON.stringify(status)} but the workers are [${states}]`);
  }
  for (const worker of workers) {
    if (worker.pid !== undefined && !isAlive(worker.pid))
      tally.fail(`${name}: ${worker.id} listed, pid ${worker.pid} dead`);
  }
}
const workerPids = poolNames.flatMap((name) =>
  toy
    .pool(name)
    .workers()
    .map((worker) => worker.pid)
    .filter((pid) => pid !== undefined),
);
const osChildren = childPids();
if (osChildren.length !== workerPids.length) {
  tally.fail(`the pools list pids ${workerPids}, but the OS has children ${osChildren}`);
}

// ERR_WORKER_START only where a start failure was injected: a death never takes a healthy pool offline.
for (const [name, counts] of tally.byPool) {
  const startErrors = counts.errors.get('ERR_WORKER_START') ?? 0;
  if (startErrors > 0 && !startFailurePools.has(name)) {
    tally.fail(`${name}: ${startErrors} calls rejected with ERR_WORKER_START, where no start failure was injected`);
  }
}
for (const fault of faults) if (fault.count) for (let n = fault.count(); n > 0; n--) tally.fault(fault.name);

await toy.stop();
for (const unit of units) await unit.end?.();
await injectProcessTreeFaults(tally);
const orphans = childPids();
if (orphans.length > 0) tally.fail(`OS processes left after stop(): ${orphans.join(', ')}`);
const heapAfter = await settledHeap();
const heapGrowth = heapAfter - heapBaseline;
if (globalThis.gc && heapGrowth > maxHeapGrowthBytes) {
  tally.fail(`heap grew ${(heapGrowth / 2 ** 20).toFixed(1)} MB past its baseline after forced GC`);
}

console.log(tally.summary({ seconds, clients: clientCount, seed: values.seed, heapBaseline, heapAfter, orphans }));
process.exit(tally.hasFailed ? 1 : 0);
