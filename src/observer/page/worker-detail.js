// The worker detail: click a worker to see who it is, its states with their times, how it (or the pool's last
// worker to go) exited, its memory over time, and its lease's holder with the checkout stack (leakDetection).
import { element, formatBytes, formatClock, formatDuration } from './element.js';

/** @typedef {import('./worker-history.js').WorkerHistory} WorkerHistory */

export class WorkerDetail {
  /** @type {HTMLElement} */ #panel;
  /** @type {WorkerHistory} */ #history;
  /** @type {{ pool: string, workerId: string } | undefined} */ #open;

  /**
   * @param {HTMLElement} panel
   * @param {WorkerHistory} history
   */
  constructor(panel, history) {
    this.#panel = panel;
    this.#history = history;
  }

  /** @returns {string | undefined} the worker shown */
  get workerId() {
    return this.#open?.workerId;
  }

  /**
   * @param {string} pool
   * @param {string} workerId
   * @param {any} snapshot
   */
  open(pool, workerId, snapshot) {
    this.#open = { pool, workerId };
    this.#panel.hidden = false;
    this.render(snapshot);
  }

  close() {
    this.#open = undefined;
    this.#panel.hidden = true;
    this.#panel.replaceChildren();
  }

  /** Redraw the open detail from a new snapshot (the worker may have gone meanwhile). */
  render(snapshot) {
    if (!this.#open) return;
    const { pool: poolName, workerId } = this.#open;
    const pool = snapshot?.pools.find((each) => each.name === poolName);
    const worker = pool?.workers.find((each) => each.id === workerId);
    const record = this.#history.get(workerId);
    const state = worker?.state ?? (record?.exit ? 'exited' : 'gone');
    const facts = [
      ['pool', poolName],
      ['kind', pool?.kind],
      worker?.pid !== undefined && ['pid', worker.pid],
      worker?.threadId !== undefined && ['thread id', worker.threadId],
      worker && ['age', formatDuration(worker.ageMs)],
      worker && ['uses', worker.uses],
      worker?.memoryBytes !== undefined && ['memory', formatBytes(worker.memoryBytes)],
      worker?.cpuMs !== undefined && ['CPU time', formatDuration(worker.cpuMs)],
      worker && ['overflow', worker.isOverflow ? 'yes: started beyond size' : 'no'],
    ].filter(Boolean);
    const exit = record?.exit
      ? element('p', { class: 'exit', 'data-exit-kind': record.exit.kind }, describeExit(record.exit, 'it'))
      : lastPoolExit(this.#history.lastExit(poolName));
    const states = (record?.states ?? [])
      .toReversed()
      .map((transition) =>
        element(
          'li',
          { 'data-state': transition.state },
          element('time', {}, formatClock(transition.time)),
          element('span', { class: 'state' }, transition.state),
          transition.note && element('span', { class: 'note' }, transition.note),
        ),
      );
    const canvas = /** @type {HTMLCanvasElement} */ (
      element('canvas', { class: 'memory-chart', 'aria-label': `${workerId} memory over time` })
    );
    const lease = worker?.lease;
    // The header, with its close button, stays while the detail is open; the body is redrawn.
    const stateBadge = element('span', { class: 'state', 'data-state': state }, state);
    const header = this.#panel.querySelector(':scope > header');
    if (header?.querySelector('h2')?.textContent === workerId) header.querySelector('.state')?.replaceWith(stateBadge);
    else
      this.#panel.replaceChildren(
        element(
          'header',
          {},
          element('h2', {}, workerId),
          stateBadge,
          element('button', { type: 'button', class: 'close', 'data-close-detail': '', title: 'close' }, '×'),
        ),
        element('div', { class: 'detail-body' }),
      );
    this.#panel
      .querySelector('.detail-body')
      ?.replaceChildren(
        element(
          'dl',
          { class: 'facts' },
          ...facts.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]),
        ),
        element('h3', {}, 'Lease'),
        lease
          ? element(
              'div',
              { class: 'lease' },
              element('p', {}, `held by ${lease.owner} for ${formatDuration(lease.sinceMs)}`),
              lease.stack
                ? element('pre', { class: 'stack' }, lease.stack)
                : element('p', { class: 'muted' }, 'turn on the pool’s leakDetection to see where it was checked out'),
            )
          : element('p', { class: 'muted' }, 'not checked out'),
        element('h3', {}, 'Exit'),
        exit,
        element('h3', {}, 'Memory over time'),
        canvas,
        element('h3', {}, 'States'),
        element('ol', { class: 'states' }, ...states),
      );
    drawMemory(canvas, record?.usage ?? []);
  }
}

/** @param {{ time: number, kind?: string, detail?: string }} exit */
function describeExit(exit, who) {
  const why = exit.detail && exit.detail !== exit.kind ? ` — ${exit.detail}` : '';
  return `${who} exited at ${formatClock(exit.time)}: ${exit.kind ?? 'unknown'}${why}`;
}

function lastPoolExit(last) {
  if (!last) return element('p', { class: 'exit muted' }, 'no worker of this pool has exited since the page opened');
  return element(
    'p',
    { class: 'exit', 'data-exit-kind': last.kind },
    describeExit(last, `still running; the pool’s last to go, ${last.workerId},`),
  );
}

/**
 * A small line of memory readings over time.
 * @param {HTMLCanvasElement} canvas
 * @param {{ time: number, memoryBytes?: number }[]} usage
 */
function drawMemory(canvas, usage) {
  const points = usage.filter((point) => typeof point.memoryBytes === 'number');
  canvas.dataset.points = String(points.length);
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) return;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext('2d');
  if (!context) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
  context.fillStyle = '#6b7590';
  if (points.length === 0) {
    context.fillText('no reading yet (this kind reports none, or the first is on its way)', 4, height / 2);
    return;
  }
  const values = points.map((point) => /** @type {number} */ (point.memoryBytes));
  const top = Math.max(...values) * 1.1;
  const first = points[0].time;
  const span = Math.max(1, points.at(-1).time - first);
  context.fillText(formatBytes(top), 2, 10);
  context.strokeStyle = '#38bdf8';
  context.lineWidth = 2;
  context.beginPath();
  points.forEach((point, index) => {
    const x = 50 + ((width - 54) * (point.time - first)) / span;
    const y = height - 4 - ((height - 16) * /** @type {number} */ (point.memoryBytes)) / top;
    if (index === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}
