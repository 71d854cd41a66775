// Each worker's memory and CPU time in the pool's worker rows: read from the OS for process and command workers
// (any language), asked of the worker for threads (heap and CPU), sampled at most every 2 s while someone looks.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { collectMetrics } from '../src/observer/collect-metrics.js';
import { createPool } from '../src/pool/create-pool.js';
import type { Pool } from '../src/pool/pool.js';
import { commandWorker } from '../src/workers/command-worker.js';
import { processWorker } from '../src/workers/process-worker.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import type { WorkerKind } from '../src/workers/worker-kind.js';

const echo = new URL('./fixtures/echo.mjs', import.meta.url);
const pythonWorker = fileURLToPath(new URL('../examples/python-worker.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
const pools: Pool<unknown>[] = [];
const pollOptions = { timeout: 20_000 };

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

async function startPool(worker: WorkerKind<unknown>) {
  const pool = await createPool({ name: 'usage', worker, size: 2 });
  pools.push(pool);
  return pool;
}

/** Rows once every worker has a reading (each look starts a round at most every 2 s; none sleeps). */
async function rowsWithReadings(pool: Pool<unknown>) {
  await expect
    .poll(() => pool.workers().every((row) => row.memoryBytes !== undefined && row.cpuMs !== undefined), pollOptions)
    .toBe(true);
  return pool.workers();
}

describe('worker usage', () => {
  it.runIf(process.platform === 'linux')('reports a process worker’s resident memory as the OS counts it', async () => {
    const pool = await startPool(processWorker(echo) as WorkerKind<unknown>);
    for (const row of await rowsWithReadings(pool)) {
      const residentKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${row.pid}/status`, 'utf8'))?.[1]);
      // The same figure, give or take what the process allocated between the two readings.
      expect(row.memoryBytes! / 1024).toBeGreaterThan(residentKb / 2);
      expect(row.memoryBytes! / 1024).toBeLessThan(residentKb * 2);
      expect(row.cpuMs).toBeGreaterThan(0); // starting Node alone costs CPU time
    }
  });

  it('reports a thread worker’s heap and CPU time', async () => {
    const pool = await startPool(threadWorker(echo) as WorkerKind<unknown>);
    await pool.run('warm up');
    for (const row of await rowsWithReadings(pool)) {
      expect(row.memoryBytes).toBeGreaterThan(100_000);
      expect(row.cpuMs).toBeGreaterThanOrEqual(0);
    }
  });

  it.runIf(hasPython && process.platform !== 'win32')('reports a command worker’s memory in any language', async () => {
    const pool = await startPool(commandWorker('python3', [pythonWorker]) as WorkerKind<unknown>);
    for (const row of await rowsWithReadings(pool)) {
      expect(row.memoryBytes).toBeGreaterThan(1_000_000);
      expect(row.cpuMs).toBeGreaterThan(0);
    }
  });

  it('exports each worker’s memory and CPU time as metrics', async () => {
    const pool = await startPool(threadWorker(echo) as WorkerKind<unknown>);
    const registry = new Registry();
    const stopCollecting = collectMetrics(pool, registry);
    try {
      const rows = await rowsWithReadings(pool);
      const text = await registry.metrics();
      for (const row of rows) {
        const labels = `{pool="usage",worker="${row.id}"}`;
        // Values from the latest sample: a round may have landed since the rows were read.
        const escaped = labels.replace(/[{}]/g, '\\$&');
        expect(text).toMatch(new RegExp(`^pooltoy_worker_memory_bytes${escaped} [1-9]\\d*$`, 'm'));
        expect(text).toMatch(new RegExp(`^pooltoy_worker_cpu_seconds_total${escaped} [\\d.e-]+$`, 'm'));
      }
    } finally {
      stopCollecting();
    }
  });
});
