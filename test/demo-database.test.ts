// The demo's db pool on the local PostgreSQL: real connections under the demo's own application_name, and
// `--chaos` ending those backends while the pool keeps serving. Without PostgreSQL the demo says it simulates, and
// the one line to set. Skips without PostgreSQL on a user's machine, fails in CI (see local-postgres.ts).
import { createServer } from 'node:net';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { killLeftoverDemos, startDemo } from './fixtures/demo-process.js';
import { describeWithPostgres, postgresConfig } from './fixtures/local-postgres.js';

afterEach(killLeftoverDemos);

const waitOptions = { timeout: 60_000, interval: 200 };

/** The pids of the backends named `applicationName`. */
async function backends(admin: pg.Client, applicationName: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    applicationName,
  ]);
  return rows.map((row) => row.pid);
}

/** Checkouts the db pool has granted so far, from the demo's /metrics. */
async function dbCheckouts(url: URL): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return Number(/^pooltoy_checkouts_total\{pool="db"\} (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}

describeWithPostgres('the demo on PostgreSQL', () => {
  it('holds real connections under its application name, and rides through --chaos ending them', {
    timeout: 120_000,
  }, async () => {
    const demo = startDemo(['--chaos', '--seconds', '100']);
    const url = await demo.observerUrl;
    expect(await demo.line(/db pool on /)).toBe(
      `pooltoy demo: db pool on PostgreSQL postgres@127.0.0.1:5432/test, application_name ${demo.applicationName}`,
    );
    const admin = new pg.Client({ ...postgresConfig, application_name: `${demo.applicationName}-watch` });
    await admin.connect();
    try {
      await expect
        .poll(async () => (await backends(admin, demo.applicationName)).length, waitOptions)
        .toBeGreaterThan(0);
      const ended = Number(/backend (\d+)/.exec(await demo.line(/^chaos: terminated database backend \d+/))![1]);
      await expect.poll(() => backends(admin, demo.applicationName), waitOptions).not.toContain(ended);
      // Serving on: new checkouts on connections opened since, and the demo's connections back in pg_stat_activity.
      const afterTermination = await dbCheckouts(url);
      await expect.poll(() => dbCheckouts(url), waitOptions).toBeGreaterThan(afterTermination + 5);
      await expect
        .poll(async () => (await backends(admin, demo.applicationName)).length, waitOptions)
        .toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    demo.child.kill('SIGINT');
    const [code] = await demo.exited;
    expect(code).toBe(0);
    expect(demo.output.join('\n')).toMatch(/ended [1-9]\d* backends/);
  });
});

it('falls back to simulated connections without PostgreSQL, saying so and what to set', {
  timeout: 60_000,
}, async () => {
  // A port nobody listens on: taken, then freed.
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  const demo = startDemo(['--seconds', '1'], { PGPORT: String(port), PGHOST: '127.0.0.1' });
  expect(await demo.line(/db pool on /)).toMatch(
    new RegExp(
      `^pooltoy demo: db pool on simulated connections: no PostgreSQL at postgres@127\\.0\\.0\\.1:${port}/test \\(ECONNREFUSED\\); to use a real database, set DATABASE_URL=`,
    ),
  );
  const [code] = await demo.exited;
  expect(code).toBe(0);
});

it('says in one line that the port is taken, and how to pick another', { timeout: 60_000 }, async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  try {
    const demo = startDemo(['--port', String(port), '--seconds', '5']);
    const [code] = await demo.exited;
    expect(code).toBe(1);
    expect(demo.output.join('').trim()).toBe(
      `pooltoy demo: port ${port} on 127.0.0.1 is taken: pick another with --port N, or --port 0 for a free one`,
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
