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

/**
 * A wall-clock time of day: `14:03:27`.
 * @param {number} time ms since the epoch
 */
export function formatClock(time) {
  return new Date(time).toLocaleTimeString([], { hour12: false });
}
