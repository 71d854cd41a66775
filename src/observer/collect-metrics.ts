// Prometheus metrics of a PoolToy tree (or one pool) through prom-client, an optional peer: the gauges are read
// from a snapshot when the registry is scraped, the counters and histograms follow the pools' events.
import type * as PromClient from 'prom-client';
import { InvalidArgumentError } from '../errors.js';
import type { ObservedTree } from './observed-tree.js';
import { checkMetricsTarget, loadPromClient, type PrometheusRegistry } from './prometheus.js';
import type { PoolSnapshot, ToyEvent } from './snapshot.js';

/** What `collectMetrics` watches: a PoolToy tree, or a single pool (`createPool`'s). */
export type MetricsSource =
  | Pick<ObservedTree, 'snapshot' | 'onEvent'>
  | {
      /** The pool as plain data (`pool.snapshot()`). */
      snapshot(): PoolSnapshot;
      /** Every event of the pool (`pool.onAnyEvent()`); returns the function that stops it. */
      onAnyEvent(listener: (event: ToyEvent) => void): () => void;
    };

export type { PrometheusRegistry } from './prometheus.js';

/** How to name the metrics. */
export interface CollectMetricsOptions {
  /** Put before every metric's name; change it to collect two trees into one registry. @default 'pooltoy_' */
  readonly prefix?: string;
}

/** Seconds: checkouts are often served at once (sub-millisecond) and sometimes wait out a 5 s timeout or more. */
const waitBucketsSeconds = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds: leases range from a quick query to a long report. */
const holdBucketsSeconds = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Collect Prometheus metrics of `source` (a PoolToy, or one pool) into `registry` (a prom-client `Registry`):
 * gauges of idle, busy and overflow workers and waiting checkouts per pool; counters of checkouts, checkout
 * timeouts and rejections, worker starts, worker exits by kind and pool restarts; histograms of checkout wait and
 * lease hold time. Returns the function that stops collecting and removes the metrics from the registry.
 */
export function collectMetrics(
  source: MetricsSource,
  registry: PrometheusRegistry,
  options: CollectMetricsOptions = {},
): () => void {
  if (typeof source?.snapshot !== 'function') {
    throw new InvalidArgumentError('metrics source', 'a PoolToy or a Pool (with snapshot())', source);
  }
  const isPool = 'onAnyEvent' in source && typeof source.onAnyEvent === 'function';
  if (!isPool && typeof (source as { onEvent?: unknown }).onEvent !== 'function') {
    throw new InvalidArgumentError('metrics source', 'a PoolToy or a Pool (with onEvent() or onAnyEvent())', source);
  }
  const { registers, prefix } = checkMetricsTarget(registry, options.prefix);
  const { Counter, Gauge, Histogram } = loadPromClient('collectMetrics()');
  const pools = snapshotReader(
    isPool
      ? () => [(source as { snapshot(): PoolSnapshot }).snapshot()]
      : () => (source as ObservedTree).snapshot().pools,
  );

  const gauge = (name: string, help: string, read: (pool: PoolSnapshot) => number) => {
    const metric: PromClient.Gauge<'pool'> = new Gauge({
      name: `${prefix}${name}`,
      help,
      labelNames: ['pool'],
      registers,
      collect() {
        // Reset first: a pool stopped since the last scrape must disappear, not keep its last value.
        metric.reset();
        for (const pool of pools()) metric.set({ pool: pool.name }, read(pool));
      },
    });
    return metric;
  };
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: `${prefix}${name}`, help, labelNames, registers });
  const histogram = (name: string, help: string, buckets: number[]) =>
    new Histogram<'pool'>({ name: `${prefix}${name}`, help, labelNames: ['pool'], buckets, registers });

  const metrics: PromClient.Metric[] = [
    gauge('idle_workers', 'Workers ready to be checked out.', (pool) => pool.status.idle),
    gauge('busy_workers', 'Workers checked out (held by leases).', (pool) => pool.status.checkedOut),
    gauge('overflow_workers', 'Workers running beyond the pool size.', (pool) => pool.status.overflow),
    gauge('waiting_checkouts', 'Checkouts queued for a worker.', (pool) => pool.status.waiting),
  ];
  const checkouts = counter('checkouts_total', 'Checkouts granted a worker.', ['pool']);
  const timeouts = counter('checkout_timeouts_total', 'Checkouts that timed out waiting.', ['pool']);
  const rejections = counter('checkout_rejections_total', 'Checkouts refused or given up.', ['pool']);
  const starts = counter('worker_starts_total', 'Workers started (first fill, overflow, replacements).', ['pool']);
  const exits = counter('worker_exits_total', 'Workers that exited, by how they ended.', ['pool', 'reason']);
  const wait = histogram('checkout_wait_seconds', 'Time from checkout to worker granted.', waitBucketsSeconds);
  const hold = histogram('lease_hold_seconds', 'Time from checkout granted to checkin.', holdBucketsSeconds);
  const restarts: PromClient.Counter<'pool'> = new Counter({
    name: `${prefix}pool_restarts_total`,
    help: "Times the pool's supervisor restarted its manager and workers.",
    labelNames: ['pool'],
    registers,
    collect() {
      // The pool counts its own restarts; read rather than follow them, so none is missed between scrapes.
      restarts.reset();
      for (const pool of pools()) restarts.inc({ pool: pool.name }, pool.restarts);
    },
  });
  metrics.push(
    checkouts,
    timeouts,
    rejections,
    starts,
    exits,
    wait,
    hold,
    restarts,
    ...workerUsageMetrics(pools, registers, prefix),
  );

  // Which event moves which metric; the others move none.
  const recorders: Readonly<Record<string, (event: ToyEvent, labels: { pool: string }) => void>> = {
    'checkout:granted': (event, labels) => {
      checkouts.inc(labels);
      if (event.waitMs !== undefined) wait.observe(labels, event.waitMs / 1000);
    },
    'checkout:timedOut': (_, labels) => timeouts.inc(labels),
    'checkout:rejected': (_, labels) => rejections.inc(labels),
    'worker:started': (_, labels) => starts.inc(labels),
    'worker:exited': (event, labels) => exits.inc({ ...labels, reason: event.exitKind ?? 'unknown' }),
    'checkin:done': (event, labels) => {
      if (event.heldMs !== undefined) hold.observe(labels, event.heldMs / 1000);
    },
  };
  const record = (event: ToyEvent): void => recorders[event.type]?.(event, { pool: event.pool });
  const unsubscribe = isPool
    ? (source as Extract<MetricsSource, { onAnyEvent: unknown }>).onAnyEvent(record)
    : (source as Pick<ObservedTree, 'onEvent'>).onEvent(record);

  let isCollecting = true;
  return () => {
    if (!isCollecting) return;
    isCollecting = false;
    unsubscribe();
    for (const metric of metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
  };
}

/**
 * Per-worker memory and CPU time from the snapshot's last sample (at most 2 s old); only live workers appear, so a
 * churning pool's series come and go with its workers.
 */
function workerUsageMetrics(
  pools: () => readonly PoolSnapshot[],
  registers: ReturnType<typeof checkMetricsTarget>['registers'],
  prefix: string,
): PromClient.Metric[] {
  const { Counter, Gauge } = loadPromClient('collectMetrics()');
  const memory: PromClient.Gauge<'pool' | 'worker'> = new Gauge({
    name: `${prefix}worker_memory_bytes`,
    help: 'Resident memory of a process or command worker, heap used by a thread worker.',
    labelNames: ['pool', 'worker'],
    registers,
    collect() {
      memory.reset();
      for (const pool of pools())
        for (const worker of pool.workers)
          if (worker.memoryBytes !== undefined) memory.set({ pool: pool.name, worker: worker.id }, worker.memoryBytes);
    },
  });
  const cpu: PromClient.Counter<'pool' | 'worker'> = new Counter({
    name: `${prefix}worker_cpu_seconds_total`,
    help: 'CPU time (user + system) a worker has used since it started.',
    labelNames: ['pool', 'worker'],
    registers,
    collect() {
      cpu.reset();
      for (const pool of pools())
        for (const worker of pool.workers)
          if (worker.cpuMs !== undefined) cpu.inc({ pool: pool.name, worker: worker.id }, worker.cpuMs / 1000);
    },
  });
  return [memory, cpu];
}

/**
 * The pools of `source`, read once per scrape: prom-client runs every metric's `collect` in one synchronous pass,
 * so the snapshot is kept until the microtasks after it — five gauges, one snapshot.
 */
function snapshotReader(read: () => readonly PoolSnapshot[]): () => readonly PoolSnapshot[] {
  let cached: readonly PoolSnapshot[] | undefined;
  return () => {
    if (cached) return cached;
    try {
      cached = read();
    } catch (error) {
      // A tree that is stopping may refuse; the gauges are empty for this scrape and /metrics still answers.
      process.emitWarning(`collectMetrics could not read a snapshot: ${String(error)}`, 'PoolToyWarning');
      cached = [];
    }
    queueMicrotask(() => {
      cached = undefined;
    });
    return cached;
  };
}
