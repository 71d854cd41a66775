import { afterEach, describe, expect, it } from 'vitest';
import { FeedReader, send } from '../../test/fixtures/observer-client.js';
import { StandInTree } from '../../test/fixtures/stand-in-tree.js';
import { type Observer, serveObserver } from './serve-observer.js';

const opened: Observer[] = [];
const feeds: FeedReader[] = [];

async function observe(tree = new StandInTree({ db: 2 }), options = {}) {
  const observer = await serveObserver(tree, options);
  opened.push(observer);
  return { tree, observer };
}

function feed(observer: Observer): FeedReader {
  const reader = new FeedReader(observer.url);
  feeds.push(reader);
  return reader;
}

afterEach(async () => {
  for (const reader of feeds.splice(0)) reader.close();
  await Promise.all(opened.splice(0).map((observer) => observer.close()));
});

describe('serveObserver', () => {
  it('binds 127.0.0.1 on a free port when given port 0', async () => {
    const { observer } = await observe();
    expect(observer.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*\/$/);
    expect(observer.token).toBeUndefined();
    expect(observer.pageUrl).toBe(observer.url);
  });

  it('gives a token, and a page URL carrying it in the fragment, only with actions on', async () => {
    const { observer } = await observe(undefined, { actions: true });
    expect(observer.token).toMatch(/^[\w-]{32}$/);
    expect(observer.pageUrl).toBe(`${observer.url}#token=${observer.token}`);
  });

  it('rejects an unknown option, naming it', async () => {
    await expect(serveObserver(new StandInTree({}), { prot: 80 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: expect.stringContaining('"prot"'),
    });
  });

  it('rejects a bad port with what it expected and what it got', async () => {
    await expect(serveObserver(new StandInTree({}), { port: 70000 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      expected: 'an integer from 0 to 65535',
      got: 70000,
    });
  });

  it('rejects something that is not a tree', async () => {
    await expect(serveObserver({} as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
  });

  it('rejects when the port is taken', async () => {
    const { observer } = await observe();
    const port = Number(new URL(observer.url).port);
    await expect(serveObserver(new StandInTree({}), { port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('close', () => {
  it('ends open live feeds and stops answering', async () => {
    const { observer } = await observe();
    const reader = feed(observer);
    await reader.next((frame) => frame.event === 'snapshot');
    await observer.close();
    await observer.close();
    await expect(send(observer.url, 'api/snapshot')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('the page', () => {
  it('is served with a policy that allows only its own scripts and styles', async () => {
    const { observer } = await observe();
    const page = await send(observer.url, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.text).toContain('<title>PoolToy observer</title>');
  });

  it('serves every file the page loads, and fetches nothing from elsewhere', async () => {
    const { observer } = await observe();
    const pending = ['/'];
    const seen = new Set<string>();
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const answer = await send(observer.url, path);
      expect(answer.status, path).toBe(200);
      const references = answer.text.matchAll(/(?:src|href)="([^"]+)"|from '([^']+)'/g);
      for (const [, attribute, specifier] of references) {
        const reference = attribute ?? specifier!;
        if (reference.startsWith('data:')) continue;
        expect(reference, `${path} loads ${reference}`).not.toMatch(/^(https?:)?\/\//);
        pending.push(new URL(reference, `http://observer${path}`).pathname);
      }
    }
    expect(seen).toContain('/tree-view.js');
  });
});

describe('GET /api/snapshot', () => {
  it("answers the tree's snapshot as JSON", async () => {
    const { observer } = await observe(new StandInTree({ db: 2, cache: 1 }));
    const answer = await send(observer.url, 'api/snapshot');
    expect(answer.status).toBe(200);
    expect(answer.json.pools.map((pool: { name: string }) => pool.name)).toEqual(['db', 'cache']);
    expect(answer.json.pools[0].workers).toHaveLength(2);
  });

  it('refuses a request for another host name, so DNS rebinding cannot read the tree', async () => {
    const { observer } = await observe();
    const answer = await send(observer.url, 'api/snapshot', {
      headers: { host: `evil.example:${new URL(observer.url).port}` },
    });
    expect(answer.status).toBe(421);
    expect(answer.json.error).toMatchObject({
      code: 'ERR_OBSERVER_HOST_REFUSED',
      got: expect.stringContaining('evil'),
    });
  });

  it('accepts localhost and names listed in allowedHosts', async () => {
    const { observer } = await observe(undefined, { allowedHosts: ['toy.internal'] });
    const port = new URL(observer.url).port;
    for (const host of [`localhost:${port}`, `toy.internal:${port}`]) {
      expect((await send(observer.url, 'api/snapshot', { headers: { host } })).status).toBe(200);
    }
  });
});

describe('unknown requests', () => {
  it('answers an unknown path with a 404 JSON error', async () => {
    const { observer } = await observe();
    const answer = await send(observer.url, '../../etc/passwd');
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe('ERR_OBSERVER_NOT_FOUND');
  });

  it('answers a wrong method with 405 and the method allowed', async () => {
    const { observer } = await observe();
    const answer = await send(observer.url, 'api/snapshot', { method: 'DELETE' });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET');
    expect(answer.json.error.code).toBe('ERR_OBSERVER_METHOD_NOT_ALLOWED');
  });
});

describe('GET /api/events', () => {
  it('sends hello, then the current snapshot, then events and the changed tree as they happen', async () => {
    const { tree, observer } = await observe();
    const reader = feed(observer);
    expect((await reader.opened)['content-type']).toBe('text/event-stream; charset=utf-8');
    expect((await reader.next((frame) => frame.event === 'hello')).data).toEqual({ actions: false });
    await reader.next((frame) => frame.event === 'snapshot');
    const { workerId } = tree.checkout('db', 'GET /report');
    const events = await reader.next((frame) => frame.event === 'events');
    expect(events.data).toEqual([expect.objectContaining({ type: 'checkout:granted', workerId, waitMs: 3 })]);
    const busy = await reader.next(
      (frame) =>
        frame.event === 'snapshot' && frame.data.pools[0].workers.some((w: { state: string }) => w.state === 'busy'),
    );
    expect(busy.data.pools[0].workers.find((w: { id: string }) => w.id === workerId).lease.owner).toBe('GET /report');
  });

  it('tells the page the line given as about, and refuses an about that is not a string', async () => {
    const { observer } = await observe(undefined, { about: 'db pool: PostgreSQL postgres@127.0.0.1:5432/test' });
    const hello = await feed(observer).next((frame) => frame.event === 'hello');
    expect(hello.data).toEqual({ actions: false, about: 'db pool: PostgreSQL postgres@127.0.0.1:5432/test' });
    await expect(serveObserver(new StandInTree({}), { about: 42 as unknown as string })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
  });

  it('replays recent events to a page that opens later', async () => {
    const { tree, observer } = await observe();
    tree.killWorker('db', 'db#1');
    const reader = feed(observer);
    const history = await reader.next((frame) => frame.event === 'events');
    expect(history.data.map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['worker:exited', 'worker:started']),
    );
  });
});

describe('GET /metrics', () => {
  it("serves the given registry's text with its content type", async () => {
    const metricsRegistry = {
      contentType: 'text/plain; version=0.0.4',
      metrics: async () => 'pooltoy_idle{pool="db"} 2\n',
    };
    const { observer } = await observe(undefined, { metricsRegistry });
    const answer = await send(observer.url, 'metrics');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(answer.text).toBe('pooltoy_idle{pool="db"} 2\n');
  });

  it('answers 500 JSON when the registry fails, and keeps serving', async () => {
    const metricsRegistry = { contentType: 'text/plain', metrics: () => Promise.reject(new Error('collector broke')) };
    const { observer } = await observe(undefined, { metricsRegistry });
    const answer = await send(observer.url, 'metrics');
    expect(answer.status).toBe(500);
    expect(answer.json.error).toMatchObject({ code: 'ERR_OBSERVER_INTERNAL', message: 'collector broke' });
    expect((await send(observer.url, 'api/snapshot')).status).toBe(200);
  });

  it("collects the tree's own metrics when prom-client is installed, and says how to get them when not", async () => {
    const { tree, observer } = await observe();
    tree.checkout('db', 'GET /report');
    const answer = await send(observer.url, 'metrics');
    const promClient = await import('prom-client' as string).catch(() => undefined);
    if (promClient) {
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(promClient.register.contentType);
      expect(answer.text).toMatch(/^pooltoy_\w+\{pool="db"\} 1$/m);
    } else {
      expect(answer.status).toBe(404);
      expect(answer.json.error).toMatchObject({
        code: 'ERR_OBSERVER_METRICS_UNAVAILABLE',
        message: expect.stringContaining('prom-client'),
      });
    }
  });
});
