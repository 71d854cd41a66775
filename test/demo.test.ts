// The demo as a person runs it: a real `node demo/demo.mjs` child with its pools, load and observer. It must print
// the observer's URL, serve three pools with workers there, and on SIGINT (or at --seconds) stop with exit code 0,
// leaving no worker process behind.
import { afterEach, describe, expect, it } from 'vitest';
import type { ToySnapshot } from '../src/observer/snapshot.js';
import { killLeftoverDemos, processesMarked, startDemo } from './fixtures/demo-process.js';
import { hasPostgres } from './fixtures/local-postgres.js';

afterEach(killLeftoverDemos);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the demo', () => {
  it('serves three pools with workers at the URL it prints, and stops cleanly on SIGINT', async () => {
    // --seconds is only a backstop, so that a demo that ignored SIGINT could not outlive the test run.
    const demo = startDemo(['--seconds', '120']);
    const url = await demo.observerUrl;
    expect(url.hash).toMatch(/^#token=/); // started with actions, the page gets its token
    const response = await fetch(new URL('/api/snapshot', url));
    expect(response.status).toBe(200);
    const snapshot = (await response.json()) as ToySnapshot;
    expect(snapshot.pools.map((pool) => [pool.name, pool.kind])).toEqual([
      ['primes', 'process'],
      ['hashing', 'thread'],
      ['db', hasPostgres ? 'pg' : 'resource'], // pooltoy/pg connections when PostgreSQL answers, else simulated ones
    ]);
    for (const pool of snapshot.pools) expect(pool.workers.length).toBeGreaterThan(0);
    const workerPids = snapshot.pools.flatMap((pool) => pool.workers.flatMap((worker) => worker.pid ?? []));
    expect(workerPids.length).toBeGreaterThan(0);
    const metrics = await fetch(new URL('/metrics', url));
    expect(await metrics.text()).toMatch(/^pooltoy_idle_workers\{pool="db"\} \d+$/m);

    demo.child.kill('SIGINT');
    const [code, signal] = await demo.exited;
    expect({ code, signal, output: demo.output.join('\n') }).toMatchObject({ code: 0, signal: null });
    expect(demo.output).toContain('pooltoy demo: stopping (SIGINT)');
    expect(workerPids.filter(isAlive)).toEqual([]);
    expect(processesMarked(demo.mark)).toEqual([]);
  });

  it('stops by itself once --seconds are up', async () => {
    const demo = startDemo(['--seconds', '1', '--chaos']);
    await demo.observerUrl;
    const [code] = await demo.exited;
    expect(code).toBe(0);
    expect(demo.output).toContain('pooltoy demo: stopping (1s are up)');
    expect(processesMarked(demo.mark)).toEqual([]);
  });

  it('refuses a bad option with its usage and exit code 2', async () => {
    const demo = startDemo(['--seconds', 'soon']);
    const [code] = await demo.exited;
    expect(code).toBe(2);
    expect(demo.output.join('\n')).toMatch(/--seconds: expected a positive number, got soon[\s\S]*usage: pooltoy demo/);
  });
});
