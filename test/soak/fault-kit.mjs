// What the fault scenarios share: clients that call in a loop until a deadline and tally every outcome (share that
// succeeded, errors by code, slowest call), a PostgreSQL resource kind whose backends carry a unique
// application_name, and a TCP proxy that stands for a database going down and coming back.
import net from 'node:net';
import pg from 'pg';
import { resourceWorker } from 'pooltoy';

export const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts of one scenario's calls. */
export class CallTally {
  started = 0;
  ok = 0;
  slowestMs = 0;
  errors = new Map();

  /** Count one call; never rejects. Resolves true when it succeeded. */
  async track(promise) {
    this.started++;
    const began = performance.now();
    try {
      await promise;
      this.ok++;
      return true;
    } catch (error) {
      const code = typeof error?.code === 'string' ? error.code : `no code: ${error?.message ?? typeof error}`;
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
      return false;
    } finally {
      this.slowestMs = Math.max(this.slowestMs, performance.now() - began);
    }
  }

  count(code) {
    return this.errors.get(code) ?? 0;
  }

  get settled() {
    return this.ok + [...this.errors.values()].reduce((sum, n) => sum + n, 0);
  }

  get share() {
    return this.started === 0 ? 0 : this.ok / this.started;
  }

  /** One line: calls, share that succeeded, errors by code, slowest call. */
  line() {
    const errors = [...this.errors].sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`);
    return (
      `${this.ok} of ${this.started} calls succeeded (${(this.share * 100).toFixed(2)}%), ` +
      `${this.started - this.settled} unsettled; errors: ${errors.join(', ') || 'none'}; ` +
      `slowest call ${Math.round(this.slowestMs)} ms`
    );
  }
}

/**
 * `count` clients each call `step()` until `seconds` have passed; a client whose call failed waits 2–10 ms before
 * the next, as a real one would. Resolves once every client's last call settled.
 */
export async function runClients({ count, seconds, step, tally }) {
  const deadline = performance.now() + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const ok = await tally.track(step());
      if (!ok) await pause(2 + Math.floor(Math.random() * 8));
      else await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: count }, client));
}

/** Call `inject()` every `everyMs` until `seconds` have passed; resolves with how many times it did something. */
export async function every(everyMs, seconds, inject) {
  const began = performance.now();
  let injected = 0;
  // On a fixed cadence (the n-th at began + n × everyMs), so a busy event loop does not slow the rate down.
  for (let n = 1; n * everyMs <= seconds * 1000; n++) {
    await pause(Math.max(0, began + n * everyMs - performance.now()));
    if (await inject()) injected++;
  }
  return injected;
}

/** Wait (polling every 20 ms, up to `withinMs`) until `isTrue()`; resolves with the ms it took, or undefined. */
export async function waitUntil(isTrue, withinMs) {
  const began = performance.now();
  while (performance.now() - began < withinMs) {
    if (await isTrue()) return Math.round(performance.now() - began);
    await pause(20);
  }
  return undefined;
}

export const postgres = { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' };

/** Is the local PostgreSQL up? */
export async function hasPostgres() {
  const client = new pg.Client({ ...postgres, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A resource kind of `pg.Client`s named `${prefix}:${workerId}`, their death reported through `ctx.exit`. */
export function pgClients(prefix, address = postgres) {
  return resourceWorker({
    async create(context) {
      const client = new pg.Client({ ...postgres, ...address, application_name: `${prefix}:${context.workerId}` });
      client.on('error', (error) => context.exit(error));
      client.on('end', () => context.exit(new Error('the connection to PostgreSQL ended')));
      await client.connect();
      return client;
    },
    destroy: (client) => client.end(),
  });
}

/** An admin connection that ends backends, only those whose application_name starts with `prefix`. */
export async function backendKiller(prefix) {
  const admin = new pg.Client({ ...postgres, application_name: `${prefix}-admin` });
  await admin.connect();
  return {
    /** Terminate one random backend of ours; true when one was ended. */
    async terminateOne() {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
         WHERE application_name LIKE $1 || ':%' ORDER BY random() LIMIT 1`,
        [prefix],
      );
      return rows[0]?.ended === true;
    },
    /** Backends of ours alive now. */
    async count() {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE $1 || ':%'`,
        [prefix],
      );
      return rows[0].n;
    },
    end: () => admin.end(),
  };
}

/** A TCP proxy to PostgreSQL on a free port: `down()` refuses and cuts every connection, `up()` serves again. */
export async function databaseProxy() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    const upstream = net.connect(postgres.port, postgres.host);
    for (const end of [socket, upstream]) {
      sockets.add(end);
      end.on('close', () => sockets.delete(end));
      end.on('error', () => {});
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    address: { host: '127.0.0.1', port },
    async down() {
      await new Promise((resolve) => {
        server.close(resolve);
        for (const socket of sockets) socket.destroy();
      });
    },
    async up() {
      await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    },
  };
}
