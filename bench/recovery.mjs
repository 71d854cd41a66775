// D. Recovery: SIGKILL one of 4 process workers. Idle: how long until 4 answer again, against the start time of a
// raw fork (the least any replacement can take). Busy: its call must reject at once, never hang, and the other
// calls finish; against the moment Node itself reports the raw child's exit, and against workerpool.
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import workerpool from 'workerpool';
import { loadPoolToy } from './pooltoy-under-test.mjs';
import { forkEcho, RawPool } from './raw-pool.mjs';
import { interleave, named, ratioTable, target } from './rounds.mjs';

const workers = 4;
const holdMs = 300;
// A call still unsettled this long after the kill has hung: the bench says so instead of waiting for ever.
const hangAfterMs = 5_000;

/** Hold `count` leases at once (so `count` distinct workers) and have each answer; retry while a call fails. */
async function answering(pool, count) {
  for (;;) {
    const leases = await Promise.all(Array.from({ length: count }, () => pool.checkout()));
    const answers = await Promise.allSettled(leases.map((lease) => lease.worker.call({ pid: true })));
    for (const lease of leases) lease.release();
    if (answers.every((answer) => answer.status === 'fulfilled')) return answers.map((answer) => answer.value);
  }
}

/** How a set of calls ended after one of their workers was killed: ms to the first rejection, counts. */
async function outcome(calls, killedAt) {
  let rejectMs = Number.NaN;
  const settled = await Promise.all(
    calls.map((call) =>
      Promise.race([
        call.then(
          () => 'fulfilled',
          () => {
            if (Number.isNaN(rejectMs)) rejectMs = performance.now() - killedAt;
            return 'rejected';
          },
        ),
        delay(hangAfterMs, 'hung', { ref: false }),
      ]),
    ),
  );
  const count = (status) => settled.filter((value) => value === status).length;
  return { rejectMs, rejected: count('rejected'), finished: count('fulfilled'), hung: count('hung') };
}

const firstSeen = new WeakMap();

/**
 * The pid, of those answering, first seen longest ago. PoolToy counts deaths in a row of workers that never proved
 * healthy (served a call, or stayed up `minHealthyMs`) as a crash loop and backs off before replacing them: the
 * bench kills a worker that has been up for a while, as "one of 4 idle workers" means, not the replacement of the
 * last round.
 */
function oldest(pool, pids) {
  const seen = firstSeen.get(pool) ?? new Map();
  firstSeen.set(pool, seen);
  for (const pid of pids) if (!seen.has(pid)) seen.set(pid, performance.now());
  return pids.reduce((older, pid) => (seen.get(pid) < seen.get(older) ? pid : older));
}

function poolToyContenders(pooltoy) {
  if (!pooltoy) return { respawn: [], inFlight: [] };
  const echo = fileURLToPath(new URL('./workers/echo-pooltoy.mjs', import.meta.url));
  const setup = () => pooltoy.createPool({ worker: pooltoy.processWorker(echo), size: workers, maxOverflow: 0 });
  const teardown = (pool) => pool.stop();
  return {
    respawn: [
      {
        name: 'PoolToy',
        setup,
        teardown,
        round: async (pool) => {
          const victim = oldest(pool, await answering(pool, workers));
          const killedAt = performance.now();
          process.kill(victim, 'SIGKILL');
          await answering(pool, workers);
          return { respawnMs: performance.now() - killedAt };
        },
      },
    ],
    inFlight: [
      {
        name: 'PoolToy',
        setup,
        teardown,
        round: async (pool) => {
          const victim = oldest(pool, await answering(pool, workers));
          const leases = await Promise.all(Array.from({ length: workers }, () => pool.checkout()));
          const calls = leases.map((lease) => lease.worker.call({ holdMs }));
          const killedAt = performance.now();
          process.kill(victim, 'SIGKILL');
          const result = await outcome(calls, killedAt);
          for (const lease of leases) lease.release();
          return result;
        },
      },
    ],
  };
}

const rawRespawn = {
  name: 'raw fork',
  round: async () => {
    const started = performance.now();
    const child = forkEcho();
    const pool = new RawPool([channel(child)], 'exclusive');
    await pool.call({ pid: true });
    const respawnMs = performance.now() - started;
    await pool.close();
    return { respawnMs };
  },
};

const rawInFlight = {
  name: 'raw fork (exit event)',
  round: async () => {
    const child = forkEcho();
    const pool = new RawPool([channel(child)], 'exclusive');
    await pool.call({ pid: true });
    const exited = once(child, 'exit');
    pool.call({ holdMs });
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await exited;
    return { rejectMs: performance.now() - killedAt, rejected: 1, finished: 0, hung: 0 };
  },
};

const workerpoolInFlight = {
  name: 'workerpool',
  setup: () =>
    workerpool.pool(fileURLToPath(new URL('./workers/echo-workerpool.mjs', import.meta.url)), {
      minWorkers: workers,
      maxWorkers: workers,
      workerType: 'process',
    }),
  teardown: (pool) => pool.terminate(),
  round: async (pool) => {
    await Promise.all(Array.from({ length: workers }, () => pool.exec('echo', [{ pid: true }])));
    const calls = Array.from({ length: workers }, () => pool.exec('echo', [{ holdMs }]));
    // workerpool does not say which worker runs a call: kill the first busy one (reading its internals).
    const killedAt = performance.now();
    pool.workers.find((handler) => handler.busy()).worker.kill('SIGKILL');
    return outcome(calls, killedAt);
  },
};

function channel(child) {
  return {
    handle: child,
    send: (message) => child.send(message),
    onMessage: (listener) => child.on('message', listener),
    close: async () => {
      child.kill();
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

/** Run D and return its tables and targets. */
export async function run({ quick, log }) {
  const pooltoy = await loadPoolToy('processWorker');
  const contenders = poolToyContenders(pooltoy);
  const rounds = quick ? 2 : 7;
  log('D idle worker killed');
  const respawn = await interleave([...contenders.respawn, rawRespawn], { rounds, ops: 1, log });
  log('D busy worker killed');
  const inFlight = await interleave([...contenders.inFlight, rawInFlight, workerpoolInFlight], {
    rounds,
    ops: 1,
    log,
  });
  const respawnOf = (name) => named(respawn, name)?.metrics.respawnMs.median;
  const ratio = respawnOf('PoolToy') / respawnOf('raw fork');
  const ours = named(inFlight, 'PoolToy')?.metrics;
  return {
    title: `D. Recovery (${workers} process workers, one SIGKILLed; ms, lower is better)`,
    sections: [
      {
        heading: `D1. An idle worker killed: time until ${workers} workers answer again (raw fork: fork → first answer)`,
        table: ratioTable(respawn, { subject: 'PoolToy', columns: [ms('respawnMs', 'ms')], ratioOf: 'respawnMs' }),
      },
      {
        heading: `D2. A busy worker killed (${workers} calls of ${holdMs} ms in flight): its call rejects, the others finish`,
        table: ratioTable(inFlight, {
          subject: 'PoolToy',
          columns: [
            ms('rejectMs', 'kill → rejection, ms'),
            { key: 'rejected', label: 'rejected' },
            { key: 'finished', label: 'finished' },
            { key: 'hung', label: `hung (> ${hangAfterMs} ms)` },
          ],
          ratioOf: 'rejectMs',
        }),
        note: "raw fork (exit event): the time until Node reports the killed child's exit, the floor for any detection.",
      },
    ],
    targets: [
      target(
        'D1 replacement answers within 1.2× a raw fork start',
        ratio,
        Number.isFinite(ratio) ? ratio <= 1.2 : undefined,
        'PoolToy ÷ raw fork, ms',
      ),
      target(
        'D2 the killed call rejects, the others finish, none hangs',
        ours?.rejectMs.median,
        ours ? ours.rejected.max === 1 && ours.finished.min === workers - 1 && ours.hung.max === 0 : undefined,
        'ms from kill to rejection (median)',
      ),
    ],
  };
}

function ms(key, label) {
  return { key, label, digits: 1 };
}
