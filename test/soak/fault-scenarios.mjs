// The fault scenarios behind docs/reliability.md's figures, each with DEFAULT pool options (only the shape — size,
// maxOverflow — is set where the scenario names it): SIGKILLs of process workers of every age, PostgreSQL backends
// terminated under load, a worker that exits on every call, a database down then up, a validate that hangs. Each
// prints its figures and its checks; exits 1 if a check fails. Wall-clock rates belong here, never in tests.
// Run: npm run faults [-- --only name,name]
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createPool, processWorker, resourceWorker } from 'pooltoy';
import {
  backendKiller,
  CallTally,
  databaseProxy,
  every,
  hasPostgres,
  pgClients,
  runClients,
  waitUntil,
} from './fault-kit.mjs';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const echo = new URL('../fixtures/echo.mjs', import.meta.url);
const crashOnCall = new URL('../fixtures/crash-on-call.mjs', import.meta.url);
const pick = (items) => items[Math.floor(Math.random() * items.length)];
const prefix = `pooltoy-faults-${process.pid}`;

/** 4 process workers, 30 clients, a random worker (any age) SIGKILLed every 250 ms for 12 s. */
async function sigkill() {
  const pool = await createPool({ name: 'sigkill', worker: processWorker(echo), size: 4, maxOverflow: 0 });
  const tally = new CallTally();
  const ages = [];
  const [kills] = await Promise.all([
    every(250, 12, () => {
      const victim = pick(pool.workers().filter((row) => row.pid !== undefined && row.state !== 'stopping'));
      if (victim === undefined) return false;
      ages.push(victim.ageMs);
      process.kill(victim.pid, 'SIGKILL');
      return true;
    }),
    runClients({ count: 30, seconds: 12, tally, step: () => pool.run({ op: 'delay', ms: 1, value: 1 }) }),
  ]);
  const idleAfterMs = await waitUntil(() => pool.status().idle === 4, 5000);
  await pool.stop();
  ages.sort((a, b) => a - b);
  const young = ages.filter((ms) => ms < 1000).length;
  return {
    lines: [
      `${kills} SIGKILLs in 48 ticks of 250 ms (a tick finds none to kill while every worker is starting); ages of the killed: min ${Math.round(ages[0])} ms, median ${Math.round(ages[ages.length >> 1])} ms, ${young} younger than 1 s`,
      tally.line(),
      `4 idle ${idleAfterMs} ms after the load stopped`,
    ],
    checks: [
      ['≥ 95% of calls succeed', tally.share >= 0.95],
      ['none rejects with ERR_WORKER_START', tally.count('ERR_WORKER_START') === 0],
      ['every call settles', tally.settled === tally.started],
      ['4 idle within 5 s after', idleAfterMs !== undefined],
    ],
  };
}

/** A pg.Client pool of 5, 20 clients, one of its backends terminated every 500 ms for 10 s. */
async function pgTerminate() {
  const name = `${prefix}-terminate`;
  const killer = await backendKiller(name);
  const pool = await createPool({ name: 'pg', worker: pgClients(name), size: 5, maxOverflow: 0 });
  const tally = new CallTally();
  const [terminated] = await Promise.all([
    every(500, 10, () => killer.terminateOne()),
    runClients({ count: 20, seconds: 10, tally, step: () => pool.transaction((client) => client.query('SELECT 1')) }),
  ]);
  const healthyAfterMs = await waitUntil(async () => pool.status().idle === 5 && (await killer.count()) === 5, 5000);
  await pool.stop();
  await killer.end();
  return {
    lines: [
      `${terminated} backends terminated`,
      tally.line(),
      `5 idle connections, 5 backends ${healthyAfterMs} ms after`,
    ],
    checks: [
      ['≥ 95% of queries succeed', tally.share >= 0.95],
      ['none takes more than 5 s', tally.slowestMs <= 5000],
      ['5 healthy connections after', healthyAfterMs !== undefined],
    ],
  };
}

/** Every call kills its worker (default pool: size 5, maxOverflow 5), 10 clients for 15 s. */
async function crashLoop() {
  const pool = await createPool({ name: 'crashy', worker: processWorker(crashOnCall) });
  const began = performance.now();
  const startsBySecond = [];
  pool.on('worker:starting', () => {
    const second = Math.floor((performance.now() - began) / 1000);
    startsBySecond[second] = (startsBySecond[second] ?? 0) + 1;
  });
  const startMs = [];
  pool.on('worker:started', (event) => startMs.push(event.startMs));
  const tally = new CallTally();
  const timeoutsAt = [];
  const step = () =>
    pool.run('exit').catch((error) => {
      if (error.code === 'ERR_POOL_CHECKOUT_TIMEOUT') timeoutsAt.push(((performance.now() - began) / 1000).toFixed(1));
      throw error;
    });
  await runClients({ count: 10, seconds: 15, tally, step });
  await pool.stop();
  const perSecond = Array.from({ length: 15 }, (_, second) => startsBySecond[second] ?? 0);
  const settledCodes = tally.count('ERR_WORKER_EXIT') + tally.count('ERR_WORKER_START');
  return {
    lines: [
      tally.line(),
      `starts in each second: ${perSecond.join(' ')}`,
      `checkout timeouts at second: ${timeoutsAt.join(', ') || 'none'}; slowest start ${Math.round(Math.max(...startMs))} ms`,
    ],
    checks: [
      ['every call settles', tally.settled === tally.started],
      ['each with WorkerExitError or WorkerStartError', settledCodes === tally.started],
      [
        'at most 10 starts a second once backoff has grown (from the 3rd second)',
        Math.max(...perSecond.slice(2)) <= 10,
      ],
    ],
  };
}

/** A pg.Client pool (defaults) through a proxy: up 3 s, down 6 s, up again; 10 clients query throughout. */
async function databaseDown() {
  const proxy = await databaseProxy();
  const pool = await createPool({ name: 'db', worker: pgClients(`${prefix}-down`, proxy.address) });
  let recoveredAt;
  pool.on('pool:recovered', () => {
    recoveredAt = performance.now();
  });
  const phases = { up: new CallTally(), down: new CallTally(), back: new CallTally() };
  let phase = 'up';
  const refusalMs = [];
  const step = async () => {
    const began = performance.now();
    try {
      return await pool.transaction((client) => client.query('SELECT 1'));
    } catch (error) {
      if (phase === 'down' && error.code === 'ERR_WORKER_START') refusalMs.push(performance.now() - began);
      throw error;
    }
  };
  const tallyNow = { track: (promise) => phases[phase].track(promise) };
  const clients = runClients({ count: 10, seconds: 14, tally: tallyNow, step });
  await new Promise((resolve) => setTimeout(resolve, 3000));
  phase = 'down';
  await proxy.down();
  await new Promise((resolve) => setTimeout(resolve, 6000));
  phase = 'back';
  await proxy.up();
  const upAt = performance.now();
  const firstOkMs = await waitUntil(() => pool.status().idle + pool.status().checkedOut > 0, 15_000);
  await clients;
  await pool.stop();
  await proxy.down();
  refusalMs.sort((a, b) => a - b);
  const recoveredMs = recoveredAt === undefined ? undefined : Math.round(recoveredAt - upAt);
  return {
    lines: [
      `up 3 s:   ${phases.up.line()}`,
      `down 6 s: ${phases.down.line()}`,
      `          WorkerStartError rejections: median ${Math.round(refusalMs[refusalMs.length >> 1] ?? Number.NaN)} ms, slowest ${Math.round(refusalMs.at(-1) ?? Number.NaN)} ms after the call`,
      `back:     ${phases.back.line()}`,
      `pool:recovered ${recoveredMs} ms after the database came back (a live worker after ${firstOkMs} ms)`,
    ],
    checks: [
      ['checkouts fail fast with WorkerStartError while it is down', phases.down.count('ERR_WORKER_START') > 0],
      ['recovers within restartBackoffMaxMs (10 s) of coming back', recoveredMs !== undefined && recoveredMs <= 10_000],
    ],
  };
}

/** validate hangs for its first 3 calls; 20 clients each take 20 leases with a 30 s checkout timeout. */
async function hangingValidate() {
  let checks = 0;
  const pool = await createPool({
    name: 'validated',
    worker: resourceWorker({
      create: (context) => ({ id: context.workerId }),
      validate: () => (++checks <= 3 ? new Promise(() => {}) : true),
    }),
  });
  const tally = new CallTally();
  const began = performance.now();
  const client = async () => {
    for (let lease = 0; lease < 20; lease++) {
      await tally.track(
        pool.checkout({ timeoutMs: 30_000 }).then(async (held) => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          held.release();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 20 }, client));
  const tookMs = Math.round(performance.now() - began);
  await pool.stop();
  return {
    lines: [tally.line(), `${checks} validate calls, 3 of them hung; all done in ${tookMs} ms`],
    checks: [['every waiting client gets a lease', tally.ok === 400]],
  };
}

const scenarios = { sigkill, pgTerminate, crashLoop, databaseDown, hangingValidate };
const needsPostgres = new Set(['pgTerminate', 'databaseDown']);
const chosen = values.only ? values.only.split(',') : Object.keys(scenarios);
const postgresUp = await hasPostgres();
let failed = false;
const load = () => `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`;
console.log(
  `fault scenarios, default options, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${load()}`,
);
for (const name of chosen) {
  if (needsPostgres.has(name) && !postgresUp) {
    console.log(`\n${name}: skipped, no PostgreSQL at 127.0.0.1:5432`);
    if (process.env.CI === 'true') failed = true;
    continue;
  }
  const { lines, checks } = await scenarios[name]();
  console.log(`\n${name}:`);
  for (const line of lines) console.log(`  ${line}`);
  for (const [what, ok] of checks) {
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${what}`);
    failed ||= !ok;
  }
}
console.log(`\n${load()} at the end`);
process.exit(failed ? 1 : 0);
