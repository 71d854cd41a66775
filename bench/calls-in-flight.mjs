// The load of the task suites: a fixed number of calls, a fixed number in flight at every moment, each call's round
// trip timed, and the CPU of the whole process tree charged per call.
import { performance } from 'node:perf_hooks';
import { cpuTimeUs } from './cpu-time.mjs';
import { LatencyRecorder, ratioTarget } from './rounds.mjs';

/** Calls kept in flight by every task suite. */
export const inFlight = 64;

/** The small object every task suite echoes. */
export const payload = Object.freeze({ id: 42, name: 'echo', tags: ['a', 'b'], at: 1_700_000_000_000 });

/**
 * Make `calls` calls of `call(payload)`, `inFlight` at a time, and return tasks per second, p50/p99 round trip in
 * µs and CPU µs per task (parent, its threads and its child processes).
 */
export async function callsInFlight(call, calls, inFlight) {
  const latency = new LatencyRecorder(calls);
  let remaining = calls;
  const caller = async () => {
    while (remaining-- > 0) {
      const started = performance.now();
      await call(payload);
      latency.record(performance.now() - started);
    }
  };
  const cpuBefore = cpuTimeUs();
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, caller));
  const elapsedMs = performance.now() - started;
  return {
    tasksPerSec: calls / (elapsedMs / 1_000),
    p50Us: latency.percentileUs(50),
    p99Us: latency.percentileUs(99),
    cpuUsPerTask: (cpuTimeUs() - cpuBefore) / calls,
  };
}

/** The columns of a task table. */
export const taskColumns = [
  { key: 'tasksPerSec', label: 'tasks/s' },
  { key: 'p50Us', label: 'p50 µs' },
  { key: 'p99Us', label: 'p99 µs' },
  { key: 'cpuUsPerTask', label: 'CPU µs/task', digits: 1 },
];

/**
 * Contenders for a task suite: `{ name, start() → { call(payload), close() } }` made into interleave contenders
 * that drive `inFlight` calls. PoolToy's own entries come first.
 */
export function taskContenders(entries) {
  return entries.map(({ name, start }) => ({
    name,
    setup: start,
    round: (pool, calls) => callsInFlight(pool.call, calls, inFlight),
    teardown: (pool) => pool.close(),
  }));
}

/** A raw pool as a task contender. */
export async function raw(starting) {
  const pool = await starting;
  return { call: (payload) => pool.call(payload), close: () => pool.close() };
}

/** The targets of a task suite: ≥ 1.4× each anchor, ≥ 0.85× the raw floor, and pipelining against poolifier. */
export function taskTargets(label, results, floor, anchorNames, pipelinedAnchor = 'poolifier') {
  const key = 'tasksPerSec';
  return [
    ...anchorNames.map((anchor) => ratioTarget(`${label} ≥ 1.4× ${anchor}`, results, { anchor, key, factor: 1.4 })),
    ratioTarget(`${label} ≥ 0.85× ${floor}`, results, { anchor: floor, key, factor: 0.85 }),
    ratioTarget(`${label} pipelined vs ${pipelinedAnchor}`, results, {
      subject: 'PoolToy pipelined',
      anchor: pipelinedAnchor,
      key,
      factor: null,
    }),
  ];
}

/** What "PoolToy pipelined" means in this table. */
export function pipelineNote(entries) {
  const pipelined = entries.find((entry) => entry.callsPerWorker);
  return pipelined
    ? `"PoolToy pipelined" is \`callsPerWorker: ${pipelined.callsPerWorker}\` (${inFlight} in flight ÷ workers).`
    : '';
}
