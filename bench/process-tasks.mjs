// C. Process tasks: `pool.run` echoing a small object over 2 child processes, 64 calls in flight. PoolToy (one
// call per worker at a time, and opt-in pipelining) against workerpool, tinypool and poolifier in their process
// modes, and raw `child_process.fork` workers.
import { fileURLToPath } from 'node:url';
import { FixedClusterPool } from 'poolifier';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { inFlight, pipelineNote, raw, taskColumns, taskContenders, taskTargets } from './calls-in-flight.mjs';
import { poolToyTaskEntries } from './pooltoy-under-test.mjs';
import { RawPool } from './raw-pool.mjs';
import { interleave, ratioTable } from './rounds.mjs';

const worker = (name) => fileURLToPath(new URL(`./workers/${name}`, import.meta.url));
const processes = 2;

/** The process anchors, as task contenders over `processes` processes. */
export function processAnchors(processes = 2) {
  return [
    { name: 'raw fork', start: () => raw(RawPool.processes(processes, 'exclusive')) },
    { name: 'raw fork pipelined', start: () => raw(RawPool.processes(processes, 'pipelined')) },
    {
      name: 'workerpool',
      start: () => {
        const pool = workerpool.pool(worker('echo-workerpool.mjs'), {
          minWorkers: processes,
          maxWorkers: processes,
          workerType: 'process',
        });
        return { call: (payload) => pool.exec('echo', [payload]), close: () => pool.terminate() };
      },
    },
    {
      name: 'tinypool',
      start: () => {
        const pool = new Tinypool({
          filename: worker('echo-default-export.mjs'),
          runtime: 'child_process',
          minThreads: processes,
          maxThreads: processes,
        });
        return { call: (payload) => pool.run(payload), close: () => pool.destroy() };
      },
    },
    {
      name: 'poolifier',
      start: () => {
        const pool = new FixedClusterPool(processes, worker('echo-poolifier-cluster.cjs'));
        return { call: (payload) => pool.execute(payload), close: () => pool.destroy() };
      },
    },
  ];
}

/** Run C and return its table and targets. */
export async function run({ quick, log }) {
  const calls = quick ? 2_000 : 100_000;
  log(`C ${processes} processes`);
  const entries = [...(await poolToyTaskEntries('processWorker', processes, inFlight)), ...processAnchors()];
  const results = await interleave(taskContenders(entries), {
    rounds: quick ? 2 : 3,
    ops: calls,
    warmOps: quick ? 1_000 : 10_000,
    log,
  });
  return {
    title: 'C. Process tasks (echo a small object)',
    sections: [
      {
        heading: `C. ${processes} processes, ${inFlight} calls in flight, ${calls.toLocaleString('en-US')} calls per round`,
        table: ratioTable(results, {
          subject: ['PoolToy', 'PoolToy pipelined'],
          columns: taskColumns,
          ratioOf: 'tasksPerSec',
        }),
        note: pipelineNote(entries),
      },
    ],
    targets: taskTargets(`C ${processes} processes`, results, 'raw fork', ['workerpool']),
  };
}
