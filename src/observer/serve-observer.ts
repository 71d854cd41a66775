// The web observer: a node:http server with the page, a JSON snapshot, a live SSE feed, /metrics, and (only when
// asked for) token-protected actions. Every request gets an answer; nothing a client sends can crash the host.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { collectMetrics, type PrometheusRegistry } from './collect-metrics.js';
import { EventStream } from './event-stream.js';
import type { ObservedTree } from './observed-tree.js';
import { type ObserverAction, parseObserverAction, runObserverAction } from './observer-action.js';
import { type MetricsRegistry, type ObserverOptions, parseObserverOptions } from './observer-options.js';
import { loadObserverPage, type PageAsset, pageSecurityPolicy } from './observer-page.js';
import { readJsonBody } from './read-json-body.js';
import { type Refusal, sendBody, sendJson, sendRefusal } from './refusal.js';
import { RequestGuard } from './request-guard.js';

/** A running web observer. */
export interface Observer {
  /** The server's base URL, e.g. `http://127.0.0.1:43117/` (the real port when 0 was asked for). */
  readonly url: string;
  /** The URL to open in a browser: `url`, plus `#token=…` when actions are on (a fragment never leaves the browser). */
  readonly pageUrl: string;
  /** The token actions need in the `x-pooltoy-token` header; undefined when actions are off. */
  readonly token: string | undefined;
  /** Close live feeds and connections, then the server. Idempotent. */
  close(): Promise<void>;
}

/** Actions are tiny JSON objects: anything larger is refused before it is buffered. */
const actionBodyLimitBytes = 4096;

const routes: Readonly<Record<string, string>> = {
  '/api/snapshot': 'GET',
  '/api/events': 'GET',
  '/api/actions': 'POST',
  '/metrics': 'GET',
};

function notFound(path: string): Refusal {
  return { status: 404, code: 'ERR_OBSERVER_NOT_FOUND', message: `nothing is served at ${path}` };
}

/**
 * Without a registry of the caller's, collect the tree's metrics into a registry of our own when prom-client is
 * installed (an optional peer); returns it with the function that stops collecting, or undefined without it.
 */
async function collectOwnMetrics(
  tree: ObservedTree,
): Promise<{ registry: MetricsRegistry; stop: () => void } | undefined> {
  // A name in a variable keeps TypeScript and bundlers from requiring the optional peer.
  const moduleName = 'prom-client';
  let promClient: { Registry: new () => PrometheusRegistry };
  try {
    const loaded = await import(moduleName);
    promClient = loaded.Registry ? loaded : loaded.default;
  } catch {
    return undefined;
  }
  const registry = new promClient.Registry();
  return { registry, stop: collectMetrics(tree, registry) };
}

/** Serve the web observer of `tree` (a PoolToy); resolves once it listens. */
export async function serveObserver(tree: ObservedTree, options?: ObserverOptions): Promise<Observer> {
  if (typeof tree?.snapshot !== 'function' || typeof tree.onEvent !== 'function') {
    throw new InvalidArgumentError('tree', 'a PoolToy (snapshot() and onEvent())', tree);
  }
  const config = parseObserverOptions(options);
  const page = await loadObserverPage();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address, family } = server.address() as AddressInfo;
  const guard = new RequestGuard({
    hostNames: [config.host, address, ...config.allowedHosts],
    port,
    actions: config.actions,
  });
  const stream = new EventStream(tree, {
    clock: config.clock,
    snapshotIntervalMs: config.snapshotIntervalMs,
    hello: { actions: config.actions, ...(config.about !== undefined && { about: config.about }) },
  });
  const ownMetrics = config.metricsRegistry ? undefined : await collectOwnMetrics(tree);
  const handler = new ObserverHandler(tree, guard, stream, page, config.metricsRegistry ?? ownMetrics?.registry);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => handler.handle(req, res));
  // A client error (a malformed request line, a reset) or a late server error must not become an 'error' event
  // nobody handles, which would crash the host the observer only watches.
  server.on('clientError', (_error, socket) => socket.destroy());
  server.on('error', (error) =>
    process.emitWarning(`the observer's server failed: ${String(error)}`, 'PoolToyWarning'),
  );

  const urlHost = family === 'IPv6' ? `[${address}]` : address;
  const url = `http://${urlHost}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    url,
    pageUrl: guard.token === undefined ? url : `${url}#token=${guard.token}`,
    token: guard.token,
    close() {
      closing ??= new Promise<void>((resolve) => {
        stream.close();
        ownMetrics?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Routes one request; every path ends in a response, and a failure becomes a 500 answer, never a throw. */
class ObserverHandler {
  constructor(
    readonly tree: ObservedTree,
    readonly guard: RequestGuard,
    readonly stream: EventStream,
    readonly page: ReadonlyMap<string, PageAsset>,
    readonly metricsRegistry: MetricsRegistry | undefined,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#route(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      sendRefusal(res, { status: 500, code: 'ERR_OBSERVER_INTERNAL', message });
    });
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostRefusal = this.guard.checkHost(req);
    if (hostRefusal) return sendRefusal(res, hostRefusal);
    const path = new URL(req.url ?? '/', 'http://observer').pathname;
    const asset = this.page.get(path);
    const method = asset ? 'GET' : routes[path];
    if (method === undefined) return sendRefusal(res, notFound(path));
    if (req.method !== method) {
      const message = `${path} answers ${method} only`;
      return sendRefusal(res, { status: 405, code: 'ERR_OBSERVER_METHOD_NOT_ALLOWED', message }, { allow: method });
    }
    if (asset) {
      return sendBody(res, 200, asset.contentType, asset.body, { 'content-security-policy': pageSecurityPolicy });
    }
    switch (path) {
      case '/api/snapshot':
        return sendJson(res, 200, this.tree.snapshot());
      case '/api/events':
        return this.stream.add(req, res);
      case '/metrics':
        return this.#serveMetrics(res);
      default:
        return this.#act(req, res);
    }
  }

  async #serveMetrics(res: ServerResponse): Promise<void> {
    const registry = this.metricsRegistry;
    if (!registry) {
      const message = 'metrics need prom-client: npm install prom-client, or pass { metricsRegistry }';
      return sendRefusal(res, { status: 404, code: 'ERR_OBSERVER_METRICS_UNAVAILABLE', message });
    }
    sendBody(res, 200, registry.contentType, await registry.metrics());
  }

  async #act(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = this.guard.checkAction(req);
    // A refused upload is not read: closing the connection ends it.
    if (refusal) return sendRefusal(res, refusal, { connection: 'close' });
    const body = await readJsonBody(req, actionBodyLimitBytes);
    if (body.kind === 'refused') return sendRefusal(res, body.refusal, { connection: 'close' });
    const parsed = parseObserverAction(body.value);
    if ('status' in parsed) return sendRefusal(res, parsed);
    const outcome = await runObserverAction(this.tree, parsed as ObserverAction);
    if (outcome.kind === 'refused') return sendRefusal(res, outcome.refusal);
    sendJson(res, 200, { ok: true, action: outcome.action });
  }
}
