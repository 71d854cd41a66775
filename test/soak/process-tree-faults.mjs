// The soak's process-tree faults, run once the load is over: a parent SIGKILLed while its workers are busy (in a
// child process of the soak), a python command worker exiting while its grandchild holds its stdout, and an `sh -c`
// wrapper past its runTimeoutMs. Each counts what it left by a marker in the command lines (Linux /proc).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { commandWorker, createPool } from 'pooltoy';
import { isAlive as isLive } from './os-processes.mjs';

const fixture = (name) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const treeWorker = fixture('tree-worker.py');

/** Pids of live processes with an argument containing `marker`. */
function markedPids(marker) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (
        !readFileSync(`/proc/${entry}/cmdline`, 'utf8')
          .split('\0')
          .some((arg) => arg.includes(marker))
      )
        continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') pids.push(Number(entry));
    } catch {
      // it exited while we looked
    }
  }
  return pids;
}

/** `promise`, or `onLate` once `ms` have passed (a bound, not a wait). */
function within(ms, promise, onLate) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, onLate);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Polls `/proc` until no process carries `marker`, for at most `ms`; returns the pids still there. */
async function leftAfter(ms, marker) {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = markedPids(marker);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function busyParentKilled(marker) {
  const parent = spawn(process.execPath, [fixture('busy-parent.mjs'), marker], { stdio: ['ignore', 'ignore', 'pipe'] });
  let busy = 0;
  const allBusy = new Promise((resolve) => {
    createInterface({ input: parent.stderr }).on('line', (line) => {
      if (line === `spinning ${marker}` || line === `grandchild up ${marker}`) busy++;
      if (busy === 4) resolve('busy');
    });
    parent.once('exit', () => resolve('exited'));
  });
  const state = await within(30_000, allBusy, 'late');
  parent.kill('SIGKILL');
  if (state !== 'busy') return [`busy parent: its workers were not all busy (${state})`];
  const left = await leftAfter(3000, marker);
  return left.length === 0 ? [] : [`busy parent SIGKILLed: processes ${left.join(', ')} left 3 s later`];
}

async function grandchildHoldsStdout(marker) {
  const failures = [];
  const pool = await createPool({
    worker: commandWorker('python3', [treeWorker, marker], { stderr: 'ignore' }),
    size: 1,
  });
  const died = await within(
    3000,
    pool.run({ do: 'exit-with-grandchild', code: 3 }).catch((error) => error),
    'late',
  );
  if (died?.code !== 'ERR_WORKER_EXIT' || died.exitCode !== 3) failures.push(`exit 3: the call got ${died}`);
  const echo = await within(
    10_000,
    pool.run({ do: 'echo' }).catch((error) => error),
    'late',
  );
  if (echo?.do !== 'echo') failures.push(`exit 3: the replacement answered ${echo}`);
  if ((await within(4000, pool.stop({ timeoutMs: 1000 }), 'late')) === 'late') failures.push('exit 3: stop hung');
  const left = await leftAfter(1000, marker);
  if (left.length > 0) failures.push(`exit 3: processes ${left.join(', ')} left after stop()`);
  return failures;
}

async function wrapperTimedOut(marker) {
  const failures = [];
  const script = 'python3 "$0" "$1" grandchild-at-start; exit $?';
  const pool = await createPool({
    worker: commandWorker('sh', ['-c', script, treeWorker, marker], { stderr: 'ignore' }),
    size: 1,
  });
  // The tree of the first worker (sh, python, grandchild) is whole once it is ready; its replacement comes later.
  const tree = markedPids(marker);
  if (tree.length !== 3) failures.push(`sh -c wrapper: a tree of 3 processes expected, found ${tree}`);
  const timedOut = await pool.run({ do: 'hang' }, { runTimeoutMs: 200 }).catch((error) => error);
  if (timedOut?.code !== 'ERR_RUN_TIMEOUT') failures.push(`sh -c wrapper: the call got ${timedOut}`);
  const deadline = Date.now() + 4000;
  let left = tree.filter(isLive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = tree.filter(isLive);
  }
  if (left.length > 0) failures.push(`sh -c wrapper: processes ${left.join(', ')} left 4 s after its timeout`);
  if ((await within(4000, pool.settled(), 'late')) === 'late') failures.push('sh -c wrapper: settled() hung');
  await pool.stop({ timeoutMs: 0 });
  return failures;
}

/** Inject the three faults once each; their failures go to `tally`. Skipped without /proc or python3. */
export async function injectProcessTreeFaults(tally) {
  if (process.platform !== 'linux' || spawnSync('python3', ['--version']).status !== 0) {
    console.log('  (process-tree faults skipped: they need Linux and python3)');
    return;
  }
  const marker = `pooltoy-soak-tree-${process.pid}`;
  const faults = { busyParentKilled, grandchildHoldsStdout, wrapperTimedOut };
  for (const [name, inject] of Object.entries(faults)) {
    tally.fault(name);
    for (const failure of await inject(`${marker}-${name}`)) tally.fail(failure);
  }
  const left = markedPids(marker);
  if (left.length > 0) tally.fail(`process-tree faults left processes ${left.join(', ')}`);
}
