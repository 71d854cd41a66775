// The page is plain HTML, CSS and browser JavaScript under ./page, shipped in the package (the build copies it to
// dist) and read once at start: nothing is fetched from anywhere else, at build or at run time.
import { readFile } from 'node:fs/promises';

/** One file of the page, ready to send. */
export interface PageAsset {
  readonly contentType: string;
  readonly body: Buffer;
}

// A fixed table, not a directory listing: no path from a request ever reaches the file system.
const assets: Readonly<Record<string, { readonly file: string; readonly contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/observer.css': { file: 'observer.css', contentType: 'text/css; charset=utf-8' },
  '/pool-panel.css': { file: 'pool-panel.css', contentType: 'text/css; charset=utf-8' },
  '/tree-view.css': { file: 'tree-view.css', contentType: 'text/css; charset=utf-8' },
  '/event-log.css': { file: 'event-log.css', contentType: 'text/css; charset=utf-8' },
  '/observer.js': { file: 'observer.js', contentType: 'text/javascript; charset=utf-8' },
  '/tree-view.js': { file: 'tree-view.js', contentType: 'text/javascript; charset=utf-8' },
  '/pool-panel.js': { file: 'pool-panel.js', contentType: 'text/javascript; charset=utf-8' },
  '/pool-chart.js': { file: 'pool-chart.js', contentType: 'text/javascript; charset=utf-8' },
  '/event-log.js': { file: 'event-log.js', contentType: 'text/javascript; charset=utf-8' },
  '/element.js': { file: 'element.js', contentType: 'text/javascript; charset=utf-8' },
  '/usage-chart.js': { file: 'usage-chart.js', contentType: 'text/javascript; charset=utf-8' },
  '/worker-history.js': { file: 'worker-history.js', contentType: 'text/javascript; charset=utf-8' },
  '/worker-detail.js': { file: 'worker-detail.js', contentType: 'text/javascript; charset=utf-8' },
  '/worker-detail.css': { file: 'worker-detail.css', contentType: 'text/css; charset=utf-8' },
};

/** The page's own policy: its scripts and styles only, talking only to the observer. */
export const pageSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Read every file of the page, keyed by the path it is served at. */
export async function loadObserverPage(): Promise<ReadonlyMap<string, PageAsset>> {
  const folder = new URL('./page/', import.meta.url);
  const entries = await Promise.all(
    Object.entries(assets).map(async ([path, { file, contentType }]) => {
      const body = await readFile(new URL(file, folder));
      return [path, { contentType, body }] as const;
    }),
  );
  return new Map(entries);
}
