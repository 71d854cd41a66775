// One card per pool: its state, live gauges, the time chart, and its stop/start buttons. Cards persist between
// snapshots (their canvases keep history); a pool that vanished stays as "stopped" so it can be started again.
import { element, formatDuration } from './element.js';
import { chartSeconds, drawPoolChart, series } from './pool-chart.js';

/** @typedef {import('./pool-chart.js').Sample} Sample */

export class PoolPanel {
  /** @type {HTMLElement} */ #container;
  /** @type {Map<string, { card: HTMLElement, canvas: HTMLCanvasElement, samples: Sample[], pool: any, isStopped: boolean }>} */
  #cards = new Map();
  /** Worst checkout wait per pool since the last sample. @type {Map<string, number>} */
  #waits = new Map();
  #actions = false;

  /** @param {HTMLElement} container */
  constructor(container) {
    this.#container = container;
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
    }
  }

  /** @param {string} name */
  #create(name) {
    const canvas = /** @type {HTMLCanvasElement} */ (
      element('canvas', { class: 'chart', 'aria-label': `${name} over time` })
    );
    const card = element('article', { class: 'pool', 'data-pool': name });
    const entry = { card, canvas, samples: [], pool: undefined, isStopped: false };
    this.#cards.set(name, entry);
    const cards = [...this.#cards.keys()].sort();
    const next = cards[cards.indexOf(name) + 1];
    this.#container.insertBefore(card, next ? (this.#cards.get(next)?.card ?? null) : null);
    return entry;
  }

  /**
   * @param {{ card: HTMLElement, canvas: HTMLCanvasElement, pool: any, isStopped: boolean }} entry
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
    card.replaceChildren(
      element(
        'header',
        {},
        element('h3', {}, pool.name),
        element('span', { class: 'pool-state', 'data-pool-state': state }, state),
        button,
      ),
      element('p', { class: 'pool-kind' }, `${pool.kind} workers${sizeText}${restarts}`),
      ...gauges,
      entry.canvas,
      legend,
    );
    const cluster = !isStopped && status.cluster;
    if (cluster) {
      const reach = cluster.isRedisReachable ? '' : ' · Redis unreachable';
      const text = `cluster limit ${cluster.key}: ${cluster.heldInCluster}/${cluster.limit} held (${cluster.heldHere} here) · ${cluster.waitingInCluster} waiting${reach}`;
      card
        .querySelector('.pool-kind')
        ?.after(element('p', { class: 'pool-cluster', 'data-reachable': String(cluster.isRedisReachable) }, text));
    }
    if (extraWorkers.length > 0) card.append(element('div', { class: 'extra-workers' }, ...extraWorkers));
    card.title = isStopped
      ? `${pool.name} was stopped`
      : `${pool.name}: oldest worker up ${formatDuration(Math.max(0, ...pool.workers.map((w) => w.ageMs)))}`;
  }
}
