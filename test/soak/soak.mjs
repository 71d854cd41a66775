// The chaos soak: a PoolToy tree of process, thread and resource pools under sustained load from many concurrent
// clients, while a chaos loop SIGKILLs workers, aborts calls, ends owners mid-lease, lets checkouts time out, and
// stops and restarts a pool. It then asserts that every call settled with a result or a typed error, no lease
// leaked, status matched the workers alive, no OS process outlived stop(), and the heap came back after forced GC.
// Run: npm run soak -- --seconds N [--clients N] [--seed N]   (exits 1 on any failed assertion)
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { PoolToy, processWorker, resourceWorker, threadWorker } from 'pooltoy';
import { childPids, isAlive } from './os-processes.mjs';
import { injectProcessTreeFaults } from './process-tree-faults.mjs';
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

const echo = new URL('../fixtures/echo.mjs', import.meta.url);
const poolOptions = {
  processes: { worker: processWorker(echo), size: 2, maxOverflow: 2, overflowTtlMs: 1000, runAbortGraceMs: 20 },
  threads: { worker: threadWorker(echo), size: 2, maxOverflow: 2, overflowTtlMs: 1000, runAbortGraceMs: 20 },
  resources: {
    // In-process resources that can die on their own (as a database connection would), through ctx.exit.
    worker: resourceWorker({ create: (context) => ({ id: context.workerId, die: (reason) => context.exit(reason) }) }),
    size: 3,
    maxOverflow: 2,
    overflowTtlMs: 1000,
  },
};
const poolNames = Object.keys(poolOptions);

const tally = new SoakTally();
const heapBaseline = await settledHeap();
const toy = await PoolToy.start();
for (const name of poolNames) await toy.startPool(name, poolOptions[name]);

const deadline = performance.now() + seconds * 1000;
const inFlight = new Set(); // abort controllers of calls and checkouts in progress: the chaos loop aborts some
const heldOwners = new Set(); // owners of leases held now: the chaos loop ends some

/** One client's operation, chosen at random; every outcome is tallied. Resolves true when it was refused. */
async function clientStep() {
  const name = pick(poolNames);
  const controller = new AbortController();
  inFlight.add(controller);
  try {
    const pool = toy.pool(name); // PoolNotFoundError while the chaos loop has it stopped
    if (name !== 'resources') {
      const delay = Math.floor(random() * 8);
      const runTimeoutMs = random() < 0.01 ? 2 : undefined; // some calls outlive their run timeout
      const value = random();
      const options = { signal: controller.signal, timeoutMs: 2000, ...(runTimeoutMs && { runTimeoutMs }) };
      const answer = await tally.track(pool.run({ op: 'delay', ms: delay, value }, options));
      if (answer.ok && answer.value !== value) tally.fail(`run answered ${answer.value}, expected ${value}`);
      return !answer.ok;
    }
    const owner = new EventEmitter();
    const timeoutMs = random() < 0.1 ? 1 : 2000; // some checkouts give up almost at once
    const checkout = await tally.track(pool.checkout({ owner, timeoutMs, signal: controller.signal }));
    if (!checkout.ok) return true;
    const lease = checkout.value;
    tally.leaseTaken();
    heldOwners.add(owner);
    await pause(Math.floor(random() * 6));
    heldOwners.delete(owner);
    lease.release(); // ignored when the lease was revoked meanwhile (owner ended, resource died, pool stopped)
    tally.leaseReturned();
    return false;
  } catch (error) {
    tally.settledError(error); // toy.pool() threw
    return true;
  } finally {
    inFlight.delete(controller);
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

/** One fault, chosen at random. */
async function chaosStep() {
  const fault = pick(['sigkill', 'sigkill', 'killThread', 'killResource', 'resourceDies', 'abort', 'ownerEnds']);
  const workersOf = (name) => (toy.pools().includes(name) ? toy.pool(name).workers() : []);
  switch (fault) {
    case 'sigkill': {
      const victim = pick(workersOf('processes').filter((worker) => worker.pid !== undefined));
      if (victim && isAlive(victim.pid)) {
        process.kill(victim.pid, 'SIGKILL');
        tally.fault(fault);
      }
      return;
    }
    case 'killThread':
    case 'killResource': {
      const name = fault === 'killThread' ? 'threads' : 'resources';
      const victim = pick(workersOf(name));
      if (victim && toy.killWorker(name, victim.id)) tally.fault(fault);
      return;
    }
    case 'resourceDies': {
      // A resource dies on its own (ctx.exit) while a client holds it: here the chaos loop is that client.
      const lease = await toy
        .pool('resources')
        .checkout({ timeoutMs: 0 })
        .catch(() => undefined);
      if (!lease) return;
      lease.worker.die(new Error('connection reset'));
      tally.fault(fault);
      lease.release(); // ignored: the lease was revoked when the resource died
      return;
    }
    case 'abort': {
      const controller = pick([...inFlight]);
      controller?.abort(Object.assign(new Error('aborted by the chaos loop'), { code: 'SOAK_ABORTED' }));
      if (controller) tally.fault(fault);
      return;
    }
    case 'ownerEnds': {
      const owner = pick([...heldOwners]);
      if (!owner) return;
      heldOwners.delete(owner);
      owner.emit('close');
      tally.fault(fault);
    }
  }
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
    const name = pick(poolNames);
    await toy.stopPool(name, { timeoutMs: 100 });
    tally.fault('poolRestart');
    await toy.startPool(name, poolOptions[name]);
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
  // A worker cooling down (surplus, idle for its overflowTtlMs) is idle too: a checkout takes it.
  const serving = workers.filter((worker) => ['idle', 'cooling', 'busy'].includes(worker.state)).length;
  if (serving !== status.idle + status.checkedOut) {
    const states = workers.map((worker) => `${worker.id} ${worker.state}`).join(', ');
    tally.fail(`${name}: status ${JSON.stringify(status)} but the workers are [${states}]`);
  }
  for (const worker of workers) {
    if (worker.pid !== undefined && !isAlive(worker.pid))
      tally.fail(`${name}: ${worker.id} listed, pid ${worker.pid} dead`);
  }
}
const workerPids = toy
  .pool('processes')
  .workers()
  .map((worker) => worker.pid);
const osChildren = childPids();
if (osChildren.length !== workerPids.length) {
  tally.fail(`the processes pool lists pids ${workerPids}, but the OS has children ${osChildren}`);
}

await toy.stop();
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
