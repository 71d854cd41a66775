// The soak's pools and faults, as pluggable units. A unit is `{ pools, faults, end? }`:
// - `pools`: name → `{ options, call(pool, ctx) }`: a pool the soak starts in its tree (default options but for its
//   shape and what the fault needs), and one client operation on it (returns a promise; the soak tallies it);
// - `faults`: `{ name, pool, weight, startFailures, inject(ctx) }`: `inject` resolves true when it did something;
//   `weight` is its share of the chaos loop's picks (0: the fault is in the pool itself, e.g. a crashing worker);
//   `startFailures` says it injects start failures, the only faults after which ERR_WORKER_START is expected;
// - `end()`: release what the unit holds (connections), after the tree stopped.
// `ctx` is `{ toy, random, pick, pause, inFlight, heldOwners, tally }`. Another module adds units by exporting a
// function like `coreUnit` and being listed in soak.mjs's `units`.
import { EventEmitter } from 'node:events';
import { processWorker, resourceWorker, threadWorker } from 'pooltoy';
import { isAlive } from './os-processes.mjs';

const echo = new URL('../fixtures/echo.mjs', import.meta.url);
const crashOnCall = new URL('../fixtures/crash-on-call.mjs', import.meta.url);
const workersOf = (toy, name) => (toy.pools().includes(name) ? toy.pool(name).workers() : []);

/** A `pool.run` of a random short delay; some calls outlive a 2 ms runTimeoutMs. */
async function delayCall(pool, ctx) {
  const controller = new AbortController();
  ctx.inFlight.add(controller);
  try {
    const value = ctx.random();
    const runTimeoutMs = ctx.random() < 0.01 ? 2 : undefined;
    const options = { signal: controller.signal, timeoutMs: 2000, ...(runTimeoutMs && { runTimeoutMs }) };
    const answer = await pool.run({ op: 'delay', ms: Math.floor(ctx.random() * 8), value }, options);
    if (answer !== value) ctx.tally.fail(`run answered ${answer}, expected ${value}`);
  } finally {
    ctx.inFlight.delete(controller);
  }
}

/** A checkout tied to an owner, held a few ms, released (10% with a 1 ms timeout). */
async function holdLease(pool, ctx) {
  const controller = new AbortController();
  ctx.inFlight.add(controller);
  const owner = new EventEmitter();
  try {
    const timeoutMs = ctx.random() < 0.1 ? 1 : 2000;
    const lease = await pool.checkout({ owner, timeoutMs, signal: controller.signal });
    ctx.tally.leaseTaken();
    ctx.heldOwners.add(owner);
    await ctx.pause(Math.floor(ctx.random() * 6));
    ctx.heldOwners.delete(owner);
    lease.release(); // ignored when the lease was revoked meanwhile (owner ended, resource died, pool stopped)
    ctx.tally.leaseReturned();
  } finally {
    ctx.inFlight.delete(controller);
  }
}

const dyingResources = () =>
  resourceWorker({ create: (context) => ({ id: context.workerId, die: (reason) => context.exit(reason) }) });

/** The original soak: process, thread and resource pools; SIGKILLs, kills, deaths, aborts, owners ending. */
export function coreUnit() {
  const shape = { size: 2, maxOverflow: 2, overflowTtlMs: 1000 };
  return {
    pools: {
      processes: { options: { worker: processWorker(echo), ...shape, runAbortGraceMs: 20 }, call: delayCall },
      threads: { options: { worker: threadWorker(echo), ...shape, runAbortGraceMs: 20 }, call: delayCall },
      resources: { options: { worker: dyingResources(), ...shape, size: 3 }, call: holdLease },
    },
    faults: [
      {
        // A SIGKILL of a random process worker, of any age (a fresh one too).
        name: 'sigkill',
        pool: 'processes',
        weight: 2,
        inject: ({ toy, pick }) => {
          const victim = pick(workersOf(toy, 'processes').filter((worker) => worker.pid !== undefined));
          if (!victim || !isAlive(victim.pid)) return false;
          process.kill(victim.pid, 'SIGKILL');
          return true;
        },
      },
      ...['threads', 'resources'].map((pool) => ({
        name: pool === 'threads' ? 'killThread' : 'killResource',
        pool,
        weight: 1,
        inject: ({ toy, pick }) => {
          const victim = pick(workersOf(toy, pool));
          return Boolean(victim && toy.killWorker(pool, victim.id));
        },
      })),
      {
        // A resource dies on its own (ctx.exit) while a client holds it: here the chaos loop is that client.
        name: 'resourceDies',
        pool: 'resources',
        weight: 1,
        inject: async ({ toy }) => {
          const lease = await toy
            .pool('resources')
            .checkout({ timeoutMs: 0 })
            .catch(() => undefined);
          if (!lease) return false;
          lease.worker.die(new Error('connection reset'));
          lease.release(); // ignored: the lease was revoked when the resource died
          return true;
        },
      },
      {
        name: 'abort',
        pool: undefined,
        weight: 1,
        inject: ({ inFlight, pick }) => {
          const controller = pick([...inFlight]);
          controller?.abort(Object.assign(new Error('aborted by the chaos loop'), { code: 'SOAK_ABORTED' }));
          return Boolean(controller);
        },
      },
      {
        name: 'ownerEnds',
        pool: undefined,
        weight: 1,
        inject: ({ heldOwners, pick }) => {
          const owner = pick([...heldOwners]);
          if (!owner) return false;
          heldOwners.delete(owner);
          owner.emit('close');
          return true;
        },
      },
    ],
  };
}

/** A process worker that crashes on every call (default options): a crash loop that must back off, not spin. */
export function crashLoopUnit() {
  return {
    pools: { crashy: { options: { worker: processWorker(crashOnCall) }, call: (pool) => pool.run('exit') } },
    // Its deaths before any call succeeded are a crash loop: counted as failed starts, so ERR_WORKER_START.
    faults: [{ name: 'crashOnEveryCall', pool: 'crashy', weight: 0, startFailures: true }],
  };
}

/** Resources whose `validate` hangs on 2% of checkouts (default validateTimeoutMs): the pool must not wedge. */
export function hangingValidateUnit() {
  let hung = 0;
  const validate = () => {
    if (Math.random() >= 0.02) return true;
    hung++;
    return new Promise(() => {});
  };
  return {
    pools: {
      validating: {
        options: { worker: resourceWorker({ create: (context) => ({ id: context.workerId }), validate }), size: 3 },
        call: holdLease,
      },
    },
    // A check that times out counts as a failed start.
    faults: [{ name: 'validateHangs', pool: 'validating', weight: 0, startFailures: true, count: () => hung }],
  };
}
