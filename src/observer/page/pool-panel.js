// One card per pool: its state, live gauges, the time chart, and its stop/start buttons. Cards persist between
// snapshots (their canvases keep history); a pool that vanished stays as "stopped" so it can be started again.
import { element, formatDuration, morph } from './element.js';
import { chartSeconds, drawPoolChart, series } from './pool-chart.js';
import { drawUsageChart } from './usage-chart.js';

/** @typedef {import('./pool-chart.js').Sample} Sample */

/** What a pool's start-trouble tag means (the legend says the same). */
const troubleText = {
  backoff: 'worker starts failed: the pool retries with growing delays',
  failing: 'starts failed past maxRestarts: checkouts that need a new worker fail fast until one starts',
};

export class PoolPanel {
  /** @type {HTMLElement} */ #container;
  /** @type {Map<string, { card: HTMLElement, canvas: HTMLCanvasElement, usageCanvas: HTMLCanvasElement, samples: Sample[], usage: any[], pool: any, isStopped: boolean }>} */
  #cards = new Map();
  /** Worst checkout wait per pool since the last sample. @type {Map<string, number>} */
  #waits = new Map();
  #actions = false;
  /** A pool's summed memory and CPU now. @type {(pool: any) => { memoryBytes?: number, cpuPercent?: number }} */
  #usageOf;

  /**
   * @param {HTMLElement} container
   * @param {(pool: any) => { memoryBytes?: number, cpuPercent?: number }} usageOf
   */
  constructor(container, usageOf) {
    this.#container = container;
    this.#usageOf = usageOf;
  }

  /** @param {boolean} actions whether to draw stop/start buttons */
  setActions(actions) {
    this.#actions = actions;
  }

  /**
   * Show the pools of a new snapshot; `unplaced` lists workers the tree did not show, drawn in their card.
   * @param {any} snapshot
   * @param {(worker: any, pool: string) => HTMLElement} [workerCard]
   * @param {Set<string>} [placed]
   */
  update(snapshot, workerCard, placed) {
    const present = new Set();
    for (const pool of snapshot.pools) {
      present.add(pool.name);
      const entry = this.#cards.get(pool.name) ?? this.#create(pool.name);
      entry.pool = pool;
      entry.isStopped = false;
      const extra = workerCard ? pool.workers.filter((worker) => !placed?.has(worker.id)) : [];
      this.#fill(
        entry,
        extra.map((worker) => workerCard?.(worker, pool.name)),
      );
    }
    for (const [name, entry] of this.#cards) {
      if (present.has(name) || entry.isStopped) continue;
      entry.isStopped = true;
      this.#fill(entry, []);
    }
  }

  /**
   * Note a checkout's wait for the next sample.
   * @param {string} pool
   * @param {number} waitMs
   */
  noteWait(pool, waitMs) {
    this.#waits.set(pool, Math.max(this.#waits.get(pool) ?? 0, waitMs));
  }

  /** Take one sample of every pool (called once a second) and redraw the charts. */
  sample() {
    for (const [name, entry] of this.#cards) {
      const { status } = entry.pool;
      const busy = entry.isStopped ? 0 : status.checkedOut;
      const sample = entry.isStopped
        ? { busy: 0, idle: 0, overflow: 0, waiting: 0, waitMs: undefined }
        : {
            busy,
            idle: status.idle,
            overflow: status.overflow,
            waiting: status.waiting,
            waitMs: this.#waits.get(name),
          };
      this.#waits.delete(name);
      entry.samples.push(sample);
      if (entry.samples.length > chartSeconds) entry.samples.shift();
      drawPoolChart(entry.canvas, entry.samples);
      entry.canvas.dataset.samples = String(entry.samples.length);
      entry.usage.push(entry.isStopped ? { memoryBytes: undefined, cpuPercent: undefined } : this.#usageOf(entry.pool));
      if (entry.usage.length > chartSeconds) entry.usage.shift();
      drawUsageChart(entry.usageCanvas, entry.usage);
      entry.usageCanvas.dataset.readings = String(entry.usage.filter((each) => each.memoryBytes !== undefined).length);
    }
  }

  /** @param {string} name */
  #create(name) {
    const canvas = /** @type {HTMLCanvasElement} */ (
      element('canvas', { class: 'chart', 'data-key': 'chart', 'aria-label': `${name} over time` })
    );
    const usageCanvas = /** @type {HTMLCanvasElement} */ (
      element('canvas', {
        class: 'chart usage-chart',
        'data-key': 'usage',
        'aria-label': `${name} memory and CPU over time`,
      })
    );
    const card = element('article', { class: 'pool', 'data-pool': name });
    const entry = { card, canvas, usageCanvas, samples: [], usage: [], pool: undefined, isStopped: false };
    this.#cards.set(name, entry);
    const cards = [...this.#cards.keys()].sort();
    const next = cards[cards.indexOf(name) + 1];
    this.#container.insertBefore(card, next ? (this.#cards.get(next)?.card ?? null) : null);
    return entry;
  }

  /**
   * @param {{ card: HTMLElement, canvas: HTMLCanvasElement, usageCanvas: HTMLCanvasElement, pool: any, isStopped: boolean }} entry
   * @param {HTMLElement[]} extraWorkers
   */
  #fill(entry, extraWorkers) {
    const { pool, card, isStopped } = entry;
    const { status } = pool;
    const size = Number(pool.options?.size);
    const maxOverflow = Number(pool.options?.maxOverflow);
    const capacity =
      Number.isFinite(size) && Number.isFinite(maxOverflow) ? size + maxOverflow : Math.max(1, pool.workers.length);
    const state = isStopped ? 'stopped' : status.state;
    card.dataset.poolState = state;
    const button =
      this.#actions &&
      element(
        'button',
        {
          type: 'button',
          class: isStopped ? 'start' : 'stop',
          'data-action': isStopped ? 'startPool' : 'stopPool',
          'data-pool': pool.name,
        },
        isStopped ? 'start' : 'stop',
      );
    const gauge = (key, label, value, scale) => {
      const fill = element('span', { class: 'gauge-fill' });
      // Through the CSSOM: the page's policy forbids inline style attributes.
      fill.style.width = `${Math.min(100, (100 * value) / Math.max(1, scale)).toFixed(1)}%`;
      return element(
        'div',
        { class: 'gauge', 'data-gauge': key },
        element('span', { class: 'gauge-label' }, label),
        element('span', { class: 'gauge-track' }, fill),
        element('span', { class: 'gauge-value' }, value),
      );
    };
    const restarts = pool.restarts > 0 ? ` · ${pool.restarts} restarts` : '';
    const sizeText = Number.isFinite(size)
      ? ` · size ${size}${Number.isFinite(maxOverflow) ? `+${maxOverflow}` : ''}`
      : '';
    const legend = element(
      'ul',
      { class: 'chart-legend' },
      ...series.map(({ key, label }) => element('li', { 'data-series': key }, label)),
      element('li', { 'data-series': 'wait' }, 'checkout wait'),
    );
    const gauges = isStopped
      ? [element('p', { class: 'stopped-note' }, 'stopped — its workers are gone')]
      : [
          gauge('busy', 'busy', status.checkedOut, capacity),
          gauge('idle', 'idle', status.idle, capacity),
          gauge('overflow', 'overflow', status.overflow, Number.isFinite(maxOverflow) ? maxOverflow : capacity),
          gauge('waiting', 'waiting', status.waiting, Math.max(capacity, status.waiting)),
        ];
    const fresh = element('article', { class: 'pool', 'data-pool': pool.name, 'data-pool-state': state });
    fresh.append(
      element(
        'header',
        {},
        element('h3', {}, pool.name),
        element('span', { class: 'pool-state', 'data-pool-state': state }, state),
        !isStopped &&
          pool.startTrouble &&
          element(
            'span',
            { class: 'pool-tag', 'data-trouble': pool.startTrouble, title: troubleText[pool.startTrouble] },
            pool.startTrouble,
          ),
        button,
      ),
      element('p', { class: 'pool-kind' }, `${pool.kind} workers${sizeText}${restarts}`),
      ...gauges,
      // The canvases keep their history: placeholders once they are in the card (morph keeps the real ones).
      entry.canvas.parentNode === card ? element('canvas', { 'data-key': 'chart' }) : entry.canvas,
      legend,
      entry.usageCanvas.parentNode === card ? element('canvas', { 'data-key': 'usage' }) : entry.usageCanvas,
      element(
        'ul',
        { class: 'chart-legend usage-legend' },
        element('li', { 'data-series': 'memory' }, 'memory (left scale)'),
        element('li', { 'data-series': 'cpu' }, 'CPU, % of a core (right)'),
      ),
    );
    const cluster = !isStopped && status.cluster;
    if (cluster) {
      const reach = cluster.isRedisReachable ? '' : ' · Redis unreachable';
      const text = `cluster limit ${cluster.key}: ${cluster.heldInCluster}/${cluster.limit} held (${cluster.heldHere} here) · ${cluster.waitingInCluster} waiting${reach}`;
      fresh
        .querySelector('.pool-kind')
        ?.after(element('p', { class: 'pool-cluster', 'data-reachable': String(cluster.isRedisReachable) }, text));
    }
    if (extraWorkers.length > 0) fresh.append(element('div', { class: 'extra-workers' }, ...extraWorkers));
    fresh.title = isStopped
      ? `${pool.name} was stopped`
      : `${pool.name}: oldest worker up ${formatDuration(Math.max(0, ...pool.workers.map((w) => w.ageMs)))}`;
    // Morphed, not replaced: the stop button under the pointer must survive the next snapshot.
    morph(card, fresh);
  }
}
