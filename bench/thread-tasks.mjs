// B. Thread tasks: `pool.run` echoing a small object over 2 and 4 threads, 64 calls in flight. PoolToy (one call
// per worker at a time, and opt-in pipelining) against piscina, tinypool, workerpool, poolifier and raw threads.
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { FixedThreadPool } from 'poolifier';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { inFlight, pipelineNote, raw, taskColumns, taskContenders, taskTargets } from './calls-in-flight.mjs';
import { poolToyTaskEntries } from './pooltoy-under-test.mjs';
import { RawPool } from './raw-pool.mjs';
import { interleave, ratioTable } from './rounds.mjs';

const worker = (name) => fileURLToPath(new URL(`./workers/${name}`, import.meta.url));

/** The thread anchors, as task contenders over `threads` threads. */
export function threadAnchors(threads) {
  return [
    { name: 'raw threads', start: () => raw(RawPool.threads(threads, 'exclusive')) },
    { name: 'raw threads pipelined', start: () => raw(RawPool.threads(threads, 'pipelined')) },
    {
      name: 'piscina',
      start: () => {
        const pool = new Piscina({
          filename: worker('echo-default-export.mjs'),
          minThreads: threads,
          maxThreads: threads,
        });
        return { call: (payload) => pool.run(payload), close: () => pool.destroy() };
      },
    },
    {
      name: 'tinypool',
      start: () => {
        const pool = new Tinypool({
          filename: worker('echo-default-export.mjs'),
          minThreads: threads,
          maxThreads: threads,
        });
        return { call: (payload) => pool.run(payload), close: () => pool.destroy() };
      },
    },
    {
      name: 'workerpool',
      start: () => {
        const pool = workerpool.pool(worker('echo-workerpool.mjs'), {
          minWorkers: threads,
          maxWorkers: threads,
          workerType: 'thread',
        });
        return { call: (payload) => pool.exec('echo', [payload]), close: () => pool.terminate() };
      },
    },
    {
      name: 'poolifier',
      start: () => {
        const pool = new FixedThreadPool(threads, worker('echo-poolifier-thread.mjs'));
        return { call: (payload) => pool.execute(payload), close: () => pool.destroy() };
      },
    },
  ];
}

/** Run B for 2 and 4 threads and return the tables and targets. */
export async function run({ quick, log }) {
  const calls = quick ? 2_000 : 100_000;
  const sections = [];
  const targets = [];
  for (const threads of [2, 4]) {
    log(`B ${threads} threads`);
    const entries = [...(await poolToyTaskEntries('threadWorker', threads, inFlight)), ...threadAnchors(threads)];
    const results = await interleave(taskContenders(entries), {
      rounds: quick ? 2 : 3,
      ops: calls,
      warmOps: quick ? 1_000 : 10_000,
      log,
    });
    sections.push({
      heading: `B. ${threads} threads, ${inFlight} calls in flight, ${calls.toLocaleString('en-US')} calls per round`,
      table: ratioTable(results, {
        subject: ['PoolToy', 'PoolToy pipelined'],
        columns: taskColumns,
        ratioOf: 'tasksPerSec',
      }),
      note: pipelineNote(entries),
    });
    targets.push(...taskTargets(`B ${threads} threads`, results, 'raw threads', ['piscina', 'workerpool']));
  }
  return { title: 'B. Thread tasks (echo a small object)', sections, targets };
}
