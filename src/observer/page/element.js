// Builds DOM nodes from data with textContent only: names, owners and exit reasons come from the host and are
// never parsed as HTML.

/**
 * Create an element: `attributes` become attributes (`class`, `data-*`, `title`…), `false`/`undefined` ones are
 * left out; children are nodes or text.
 * @param {string} tag
 * @param {Record<string, string | number | boolean | undefined>} [attributes]
 * @param {...(Node | string | number | false | null | undefined)} children
 * @returns {HTMLElement}
 */
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === false || child === null || child === undefined) continue;
    node.append(typeof child === 'object' ? child : String(child));
  }
  return node;
}

/**
 * A duration for people: `850ms`, `4.2s`, `3m 05s`, `2h 10m`.
 * @param {number} ms
 */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/**
 * Bytes for people: `512 KB`, `48.3 MB`.
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

// One formatter for the page: toLocaleTimeString builds a new one per call, which a busy log cannot afford.
const clockFormat = new Intl.DateTimeFormat([], {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/**
 * A wall-clock time of day: `14:03:27`.
 * @param {number} time ms since the epoch
 */
export function formatClock(time) {
  return clockFormat.format(time);
}

/** A child's identity across renders: the worker or tree node it draws. @param {Node} node */
const keyOf = (node) =>
  node instanceof Element
    ? (node.getAttribute('data-worker-id') ?? node.getAttribute('data-node-id') ?? node.getAttribute('data-key'))
    : null;

/**
 * Make `current` look like `next` while keeping its nodes: a button under the pointer stays the same button
 * across renders (a replaced one loses the click), and a worker's card stays its own (matched by key, never
 * reused for another worker). Nodes in `next` that are already in `current` (a canvas with history) are kept.
 * @param {Element} current
 * @param {Element} next
 */
export function morph(current, next) {
  for (const { name } of [...current.attributes]) if (!next.hasAttribute(name)) current.removeAttribute(name);
  for (const { name, value } of [...next.attributes]) {
    if (current.getAttribute(name) === value) continue;
    // Through the CSSOM: the page's policy forbids style attributes.
    if (name === 'style')
      /** @type {HTMLElement} */ (current).style.cssText = /** @type {HTMLElement} */ (next).style.cssText;
    else current.setAttribute(name, value);
  }
  const wanted = [...next.childNodes];
  const keyed = new Map();
  for (const child of current.childNodes) {
    const key = keyOf(child);
    if (key !== null) keyed.set(key, child);
  }
  let cursor = current.firstChild;
  for (const want of wanted) {
    let have;
    if (want.parentNode === current) have = want;
    else {
      const key = keyOf(want);
      const candidate = key !== null ? keyed.get(key) : cursor;
      if (candidate && keyOf(candidate) === key && candidate.nodeName === want.nodeName) have = candidate;
    }
    if (have === undefined) {
      current.insertBefore(want, cursor);
      continue;
    }
    if (have !== cursor) current.insertBefore(have, cursor);
    else cursor = cursor.nextSibling;
    if (have === want) continue;
    if (have.nodeType === Node.TEXT_NODE) {
      if (have.nodeValue !== want.nodeValue) have.nodeValue = want.nodeValue;
    } else if (have instanceof Element && want instanceof Element) {
      if (have.tagName === 'CANVAS') continue;
      morph(have, want);
    }
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}
