// A. Checkout/checkin of in-process objects: the pool's own cost, with nothing behind it. PoolToy against
// generic-pool, tarn, and the cheapest pool one can write (the floor), all in one process, rounds interleaved.
import { performance } from 'node:perf_hooks';
import genericPool from 'generic-pool';
import tarn from 'tarn';
import { loadPoolToy } from './pooltoy-under-test.mjs';
import { interleave, LatencyRecorder, named, ratioTable, ratioTarget, target } from './rounds.mjs';

/**
 * The floor: an idle stack and a FIFO of waiters, no timeouts, no validation, no events. Nothing real is cheaper,
 * so PoolToy ÷ floor says how much of the minimum cost we add.
 */
class FloorPool {
  #idle;
  #waiters = [];
  #head = 0;

  constructor(resources) {
    this.#idle = resources;
  }

  checkout() {
    if (this.#idle.length > 0) return Promise.resolve(this.#idle.pop());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  checkin(resource) {
    if (this.#head === this.#waiters.length) {
      this.#idle.push(resource);
      return;
    }
    const waiter = this.#waiters[this.#head];
    this.#waiters[this.#head++] = undefined;
    // Drop the served prefix once it is half the array: O(1) amortised, like a ring buffer.
    if (this.#head > 1_024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters = this.#waiters.slice(this.#head);
      this.#head = 0;
    }
    waiter(resource);
  }
}

/**
 * The pools under test, behind one shape: `create(size)`, `checkout(pool)` → handle, `checkin(pool, handle)`,
 * `destroy(pool)`. Each is used the way its README shows, with its default options.
 */
export async function resourcePools() {
  const pools = [];
  const pooltoy = await loadPoolToy('resourceWorker');
  if (pooltoy) {
    pools.push({
      name: 'PoolToy',
      create: (size) =>
        pooltoy.createPool({ worker: pooltoy.resourceWorker({ create: () => ({ id: 0 }) }), size, maxOverflow: 0 }),
      checkout: (pool) => pool.checkout(),
      checkin: (_pool, lease) => lease.release(),
      destroy: (pool) => pool.stop(),
    });
  }
  pools.push(
    {
      name: 'floor',
      create: (size) => new FloorPool(Array.from({ length: size }, (_, id) => ({ id }))),
      checkout: (pool) => pool.checkout(),
      checkin: (pool, resource) => pool.checkin(resource),
      destroy: () => {},
    },
    {
      name: 'generic-pool',
      create: async (size) => {
        const pool = genericPool.createPool(
          { create: async () => ({ id: 0 }), destroy: async () => {} },
          { min: size, max: size },
        );
        await pool.ready();
        return pool;
      },
      checkout: (pool) => pool.acquire(),
      checkin: (pool, resource) => pool.release(resource),
      destroy: async (pool) => {
        await pool.drain();
        await pool.clear();
      },
    },
    {
      name: 'tarn',
      create: (size) => new tarn.Pool({ create: async () => ({ id: 0 }), destroy: () => {}, min: 0, max: size }),
      checkout: (pool) => pool.acquire().promise,
      checkin: (pool, resource) => pool.release(resource),
      destroy: (pool) => pool.destroy(),
    },
  );
  return pools;
}

/** A contender's setup: a pool of `size` whose every object exists (some pools create lazily). */
export function startedPool(adapter, size) {
  return async () => {
    const pool = await adapter.create(size);
    const handles = await Promise.all(Array.from({ length: size }, () => adapter.checkout(pool)));
    for (const handle of handles) adapter.checkin(pool, handle);
    return pool;
  };
}

/** One client looping checkout → checkin, `ops` times. */
export async function oneClient(adapter, pool, ops) {
  const started = performance.now();
  for (let i = 0; i < ops; i++) adapter.checkin(pool, await adapter.checkout(pool));
  return { opsPerSec: ops / ((performance.now() - started) / 1_000) };
}

const resolved = Promise.resolve();

/**
 * `clients` clients each looping checkout → `await` a resolved promise → checkin, `ops` cycles in all; with
 * `latency`, each checkout's wait is recorded.
 */
export async function manyClients(adapter, pool, ops, clients, latency) {
  let remaining = ops;
  let done = 0;
  const client = async () => {
    while (remaining-- > 0) {
      const started = latency ? performance.now() : 0;
      const handle = await adapter.checkout(pool);
      if (latency) latency.record(performance.now() - started);
      await resolved;
      adapter.checkin(pool, handle);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  return { opsPerSec: done / ((performance.now() - started) / 1_000) };
}

/** Run A1, A2 and A3 and return their tables and targets. */
export async function run({ quick, log }) {
  const adapters = await resourcePools();
  const rounds = quick ? 2 : 7;
  const roundMs = quick ? 40 : 400;
  const size = 10;
  const clients = 100;
  const contenders = (round) =>
    adapters.map((adapter) => ({
      name: adapter.name,
      setup: startedPool(adapter, size),
      round: (pool, ops) => round(adapter, pool, ops),
      teardown: (pool) => adapter.destroy(pool),
    }));

  log('A1 one client');
  const one = await interleave(contenders(oneClient), { rounds, roundMs, log });
  log('A2 100 clients');
  const many = await interleave(
    contenders((adapter, pool, ops) => manyClients(adapter, pool, ops, clients)),
    { rounds, roundMs, log },
  );
  log('A3 checkout latency under A2');
  const latency = await interleave(
    contenders(async (adapter, pool, ops) => {
      const recorder = new LatencyRecorder(ops);
      const { opsPerSec } = await manyClients(adapter, pool, ops, clients, recorder);
      return { opsPerSec, p50Us: recorder.percentileUs(50), p99Us: recorder.percentileUs(99) };
    }),
    { rounds, roundMs, log },
  );

  const throughput = [{ key: 'opsPerSec', label: 'checkout+checkin /s' }];
  const key = 'opsPerSec';
  const p99 = (name) => named(latency, name)?.metrics.p99Us.median;
  const targets = [one, many].flatMap((results, index) => [
    ratioTarget(`A${index + 1} ≥ 5× generic-pool`, results, { anchor: 'generic-pool', key, factor: 5 }),
    ratioTarget(`A${index + 1} ≥ 0.5× floor`, results, { anchor: 'floor', key, factor: 0.5 }),
  ]);
  targets.push(
    target(
      'A3 p99 below generic-pool and tarn',
      p99('PoolToy'),
      named(latency, 'PoolToy') ? p99('PoolToy') < p99('generic-pool') && p99('PoolToy') < p99('tarn') : undefined,
      `µs; generic-pool ${p99('generic-pool')?.toFixed(1)}, tarn ${p99('tarn')?.toFixed(1)}`,
    ),
  );
  return {
    title: `A. Resource checkout/checkin (pool of ${size} in-process objects)`,
    sections: [
      { heading: 'A1. One client looping checkout → checkin', table: table(one, throughput) },
      {
        heading: `A2. ${clients} concurrent clients, each checkout → await a resolved promise → checkin`,
        table: table(many, throughput),
      },
      {
        heading: 'A3. Checkout latency under A2 (µs; lower is better)',
        table: table(
          latency,
          [
            { key: 'p50Us', label: 'p50 µs', digits: 1 },
            { key: 'p99Us', label: 'p99 µs', digits: 1 },
          ],
          'p99Us',
        ),
      },
    ],
    targets,
  };
}

function table(results, columns, ratioOf = 'opsPerSec') {
  return ratioTable(results, { subject: 'PoolToy', columns, ratioOf });
}
