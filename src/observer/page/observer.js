// The observer page: one live feed (Server-Sent Events) drives three views — the tree, the pools, the event log —
// and buttons post actions with the token the page was opened with.
import { element } from './element.js';
import { EventLog } from './event-log.js';
import { PoolPanel } from './pool-panel.js';
import { renderTree, workerCard } from './tree-view.js';
import { WorkerDetail } from './worker-detail.js';
import { WorkerHistory } from './worker-history.js';

/**
 * The action token arrives in the URL's fragment (`#token=…`), which browsers never send to a server or in a
 * Referer. Keep it for this tab only, and take it out of the address bar so it is not shared by accident.
 */
function readToken() {
  const fromUrl = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromUrl) {
    sessionStorage.setItem('pooltoy-token', fromUrl);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return fromUrl ?? sessionStorage.getItem('pooltoy-token') ?? undefined;
}

const token = readToken();
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const workerHistory = new WorkerHistory();
const pools = new PoolPanel(byId('pools'), (pool) => workerHistory.poolUsage(pool));
const detail = new WorkerDetail(byId('worker-detail'), workerHistory);
const log = new EventLog(
  /** @type {HTMLOListElement} */ (byId('log')),
  /** @type {HTMLInputElement} */ (byId('log-filter')),
);
let actions = false;
let latest;

function showNotice(text, tone = 'info') {
  const notice = byId('notice');
  notice.textContent = text;
  notice.dataset.tone = tone;
  notice.hidden = !text;
}

let renderTimer;

/** Draw at most every 100 ms: a busy tree sends snapshots and events faster than a page needs to redraw. */
function scheduleRender() {
  if (renderTimer !== undefined) return;
  renderTimer = setTimeout(() => {
    renderTimer = undefined;
    render();
  }, 100);
}

function render() {
  if (!latest) return;
  const options = { actions, cpuPercentOf: (workerId) => workerHistory.cpuPercent(workerId) };
  const placed = renderTree(byId('tree'), latest, options);
  pools.update(latest, (worker, pool) => workerCard(worker, pool, latest.time, options), placed);
  const workers = latest.pools.flatMap((pool) => pool.workers);
  const busy = workers.filter((worker) => worker.state === 'busy').length;
  const waiting = latest.pools.reduce((sum, pool) => sum + pool.status.waiting, 0);
  detail.render(latest);
  byId('summary').replaceChildren(
    element('span', {}, `${latest.pools.length} pools`),
    element('span', {}, `${workers.length} workers`),
    element('span', { 'data-tone': busy > 0 ? 'busy' : undefined }, `${busy} busy`),
    element('span', { 'data-tone': waiting > 0 ? 'waiting' : undefined }, `${waiting} waiting`),
  );
}

function connect() {
  const connection = byId('connection');
  const feed = new EventSource('api/events');
  feed.addEventListener('open', () => {
    connection.dataset.state = 'live';
    connection.textContent = 'live';
  });
  feed.addEventListener('error', () => {
    // EventSource reconnects by itself; say so rather than freeze silently.
    connection.dataset.state = 'lost';
    connection.textContent = 'reconnecting…';
  });
  feed.addEventListener('hello', (message) => {
    const about = JSON.parse(message.data).about;
    byId('about').textContent = about ?? '';
    byId('about').hidden = !about;
    actions = JSON.parse(message.data).actions === true && token !== undefined;
    pools.setActions(actions);
    if (JSON.parse(message.data).actions && !token) {
      showNotice('Actions are on, but this page has no token: open the URL the observer printed (…#token=…).');
    }
    render();
  });
  feed.addEventListener('snapshot', (message) => {
    latest = JSON.parse(message.data);
    workerHistory.noteSnapshot(latest);
    scheduleRender();
  });
  feed.addEventListener('events', (message) => {
    const events = JSON.parse(message.data);
    for (const event of events) {
      if (event.type === 'checkout:granted' && typeof event.waitMs === 'number')
        pools.noteWait(event.pool, event.waitMs);
    }
    workerHistory.noteEvents(events);
    log.add(events);
    if (detail.workerId !== undefined) scheduleRender();
  });
}

/** @param {HTMLElement} button */
async function act(button) {
  const { action, pool, workerId } = button.dataset;
  button.setAttribute('disabled', '');
  try {
    const response = await fetch('api/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-pooltoy-token': token ?? '' },
      body: JSON.stringify({ type: action, pool, workerId }),
    });
    const answer = await response.json();
    if (!response.ok) showNotice(`${answer.error?.code}: ${answer.error?.message}`, 'bad');
    else showNotice('');
  } catch (error) {
    showNotice(`the action could not be sent: ${error}`, 'bad');
  } finally {
    button.removeAttribute('disabled');
  }
}

document.addEventListener('click', (event) => {
  const target = /** @type {HTMLElement | null} */ (event.target);
  const button = target?.closest?.('button[data-action]');
  if (button) return act(/** @type {HTMLElement} */ (button));
  if (target?.closest?.('[data-close-detail]')) return detail.close();
  const card = /** @type {HTMLElement | null} */ (target?.closest?.('.worker[data-worker-id]'));
  if (card?.dataset.pool && card.dataset.workerId) detail.open(card.dataset.pool, card.dataset.workerId, latest);
});

document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') return detail.close();
  const card = /** @type {HTMLElement | null} */ (event.target)?.closest?.('.worker[data-worker-id]');
  if (event.key === 'Enter' && card?.dataset.pool && card.dataset.workerId)
    detail.open(card.dataset.pool, card.dataset.workerId, latest);
});

setInterval(() => pools.sample(), 1000);
connect();
