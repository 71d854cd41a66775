// The scrolling event log: newest first, coloured by what happened, filterable, bounded so a busy tree cannot
// grow the page without end.
import { element, formatClock, formatDuration } from './element.js';

/** Rows kept on the page. */
const maxRows = 400;

/**
 * The tone of an event type, for its colour: good news, bad news, a warning, the pool breathing, or routine.
 * @param {string} type
 */
function toneOf(type) {
  if (/exited|crashed|failed|limitReached|leaked/i.test(type)) return 'bad';
  if (/timedOut|revoked|expired|restart|rejected/i.test(type)) return 'warn';
  if (/overflow|cool|dismiss/i.test(type)) return 'overflow';
  if (/started|granted|ready/i.test(type)) return 'good';
  return 'routine';
}

export class EventLog {
  /** @type {HTMLOListElement} */ #list;
  /** @type {HTMLInputElement} */ #filter;

  /**
   * @param {HTMLOListElement} list
   * @param {HTMLInputElement} filter
   */
  constructor(list, filter) {
    this.#list = list;
    this.#filter = filter;
    filter.addEventListener('input', () => {
      for (const row of this.#list.children) this.#applyFilter(/** @type {HTMLElement} */ (row));
    });
  }

  /**
   * Add events (oldest first) at the top of the log.
   * @param {any[]} events ToyEvents
   */
  add(events) {
    const rows = events.map((event) => {
      const time = new Date(event.time);
      const clock = `${formatClock(event.time)}.${String(time.getMilliseconds()).padStart(3, '0')}`;
      const wait = typeof event.waitMs === 'number' ? `waited ${formatDuration(event.waitMs)}` : undefined;
      const held = typeof event.heldMs === 'number' ? `held ${formatDuration(event.heldMs)}` : undefined;
      const notes = [event.detail, wait, held].filter(Boolean).join(' · ');
      const row = element(
        'li',
        { 'data-tone': toneOf(event.type), 'data-type': event.type, 'data-pool': event.pool },
        element('time', {}, clock),
        element(
          'div',
          { class: 'event-what' },
          element('span', { class: 'event-pool' }, event.pool),
          element('span', { class: 'event-type' }, event.type),
          event.workerId && element('span', { class: 'event-worker' }, event.workerId),
        ),
        notes && element('div', { class: 'event-detail' }, notes),
      );
      this.#applyFilter(row);
      return row;
    });
    this.#list.prepend(...rows.reverse());
    while (this.#list.children.length > maxRows) this.#list.lastElementChild?.remove();
  }

  /** @param {HTMLElement} row */
  #applyFilter(row) {
    const words = this.#filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const text = row.textContent?.toLowerCase() ?? '';
    row.hidden = !words.every((word) => text.includes(word));
  }
}
