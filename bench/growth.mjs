// E. Growth: a checkout/checkin must cost the same with 10 or 10,000 workers, and with no one or 100,000 clients
// queued — O(1) in both. Every resource pool of suite A runs both, rounds interleaved.
import { manyClients, oneClient, resourcePools, startedPool } from './resource-checkout.mjs';
import { formatNumber, interleave, markdownTable, named, target } from './rounds.mjs';

const size = 10;

/** Run E and return its tables and targets. */
export async function run({ quick, log }) {
  const adapters = await resourcePools();
  const rounds = quick ? 2 : 5;
  const manyWorkers = quick ? 1_000 : 10_000;
  const manyWaiters = quick ? 10_000 : 100_000;

  log(`E workers: ${size} vs ${manyWorkers}`);
  const workerCases = [size, manyWorkers];
  const byWorkers = await interleave(
    adapters.flatMap((adapter) =>
      workerCases.map((workers) => ({
        name: `${adapter.name}@${workers}`,
        setup: startedPool(adapter, workers),
        round: (pool, ops) => oneClient(adapter, pool, ops),
        teardown: (pool) => adapter.destroy(pool),
      })),
    ),
    { rounds, roundMs: quick ? 40 : 300, log },
  );

  // Clients beyond the pool's size queue; every round turns the whole queue over several times so that the cost
  // measured is the steady state with that many waiters, not the filling or the draining of the queue.
  log(`E waiters: 0, ${size} and ${manyWaiters}`);
  const waiterCases = [0, size, manyWaiters];
  const turnovers = 3;
  const byWaiters = await interleave(
    adapters.flatMap((adapter) =>
      waiterCases
        .filter((waiters) => isAffordable(adapter, waiters))
        .map((waiters) => ({
          name: `${adapter.name}@${waiters}`,
          setup: startedPool(adapter, size),
          round: (pool) =>
            manyClients(adapter, pool, Math.max(quick ? 20_000 : 200_000, waiters * turnovers), size + waiters),
          teardown: (pool) => adapter.destroy(pool),
        })),
    ),
    { rounds, ops: 0, warmOps: 0, log },
  );

  const workerTable = growthTable(adapters, byWorkers, workerCases, 'workers');
  const waiterTable = growthTable(adapters, byWaiters, waiterCases, 'waiters queued');
  const growth = (results, small, large) =>
    costOf(named(results, `PoolToy@${large}`)) / costOf(named(results, `PoolToy@${small}`));
  const targets = [
    growthTarget(`E ${manyWorkers} workers < 1.5× ${size} workers`, growth(byWorkers, size, manyWorkers)),
    growthTarget(`E ${manyWaiters} waiters < 1.5× ${size} waiters`, growth(byWaiters, size, manyWaiters)),
    growthTarget(`E ${manyWaiters} waiters < 1.5× no waiter`, growth(byWaiters, 0, manyWaiters)),
  ];
  return {
    title: 'E. Growth (cost per checkout+checkin, ns; lower is better)',
    sections: [
      {
        heading: `E1. One client looping checkout → checkin on a pool of ${size} vs ${formatNumber(manyWorkers)} idle workers`,
        table: workerTable,
      },
      {
        heading: `E2. A pool of ${size}; ${size} clients (no waiter), ${size * 2} (${size} waiting), ${formatNumber(size + manyWaiters)} (${formatNumber(manyWaiters)} waiting), each checkout → await → checkin`,
        table: waiterTable,
        note:
          'Queued clients each hold a pending promise and a closure that live until served, so with 100,000 of them ' +
          "most of the time goes to the garbage collector (old-generation collections); the floor's own growth " +
          "shows that part, the JavaScript runtime's. tarn is left out past 10,000 waiters: its queue is O(n).",
      },
    ],
    targets,
  };
}

/**
 * tarn keeps its waiters in an array it shifts on every grant, O(n): with 100,000 queued it serves about 2,000
 * checkouts a second here, so one round would take minutes. It runs up to 10,000 waiters.
 */
function isAffordable(adapter, waiters) {
  return adapter.name !== 'tarn' || waiters <= 10_000;
}

/** Nanoseconds per checkout+checkin of a result. */
function costOf(result) {
  const opsPerSec = result?.metrics.opsPerSec.median;
  return opsPerSec ? 1e9 / opsPerSec : Number.NaN;
}

function growthTable(adapters, results, cases, unit) {
  const earlier = cases.slice(0, -1);
  const header = [
    'pool',
    ...cases.map((count) => `${formatNumber(count)} ${unit}`),
    ...earlier.map((count) => `growth ${formatNumber(cases.at(-1))} ÷ ${formatNumber(count)}`),
  ];
  const rows = adapters.map((adapter) => {
    const costs = cases.map((count) => named(results, `${adapter.name}@${count}`));
    const spreads = costs.map((result) => {
      const metric = result?.metrics.opsPerSec;
      if (!metric) return '—';
      return `${formatNumber(1e9 / metric.median)} (${formatNumber(1e9 / metric.max)}–${formatNumber(1e9 / metric.min)})`;
    });
    const growths = costs.slice(0, -1).map((result) => costOf(costs.at(-1)) / costOf(result));
    return [adapter.name, ...spreads, ...growths.map((g) => (Number.isFinite(g) ? `${g.toFixed(2)}×` : '—'))];
  });
  return markdownTable(header, rows);
}

function growthTarget(name, growth) {
  return target(name, growth, Number.isFinite(growth) ? growth < 1.5 : undefined, 'PoolToy large ÷ small, ns/op');
}
