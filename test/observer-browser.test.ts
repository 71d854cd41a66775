// The web observer of a real PoolToy tree (resource and thread pools) in a real browser: Debian's Chromium driven
// by playwright-core (never a downloaded browser). Skips on a machine without Chromium, fails in CI (CI=true),
// where .ci/run installs it. The running demo's page, and the screenshot, are observer-demo-browser.test.ts's.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observer, serveObserver } from '../src/observer/serve-observer.js';
import type { Lease } from '../src/pool/lease.js';
import { PoolToy } from '../src/pooltoy.js';
import { resourceWorker } from '../src/workers/resource-worker.js';
import { threadWorker } from '../src/workers/thread-worker.js';
import { StandInTree } from './fixtures/stand-in-tree.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const isCi = process.env.CI === 'true';
const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const echoModule = new URL('./fixtures/echo.mjs', import.meta.url);
// expect.poll gives up after 1s by default; a loaded machine may need longer for workers to start.
const pollOptions = { timeout: 20_000 };

if (!hasChromium && !isCi) {
  console.warn(`observer browser test skipped: no Chromium at ${chromiumPath} (apt-get install chromium)`);
}

describe.runIf(!hasChromium && isCi)('the browser test in CI', () => {
  it('has Chromium to run with', () => {
    expect.fail(`no Chromium at ${chromiumPath}: .ci/run installs it (apt-get install -y chromium)`);
  });
});

/** An owner the pool describes as an HTTP request, as a server's `req` would be. */
function request(method: string, url: string): EventEmitter {
  return Object.assign(new EventEmitter(), { method, url });
}

// A shared, busy machine can make a browser slow to start and to open pages: room, not a hidden hang.
describe.runIf(hasChromium)('the web observer in Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  let toy: PoolToy;
  let observer: Observer;
  let page: Page;
  const workerIds = (pool: string) =>
    toy
      .snapshot()
      .pools.find((p) => p.name === pool)
      ?.workers.map((w) => w.id) ?? [];

  beforeAll(async () => {
    toy = await PoolToy.start({
      pools: {
        db: {
          worker: resourceWorker({ create: ({ workerId }) => ({ connection: workerId }) }),
          size: 3,
          maxOverflow: 1,
        },
        cpu: { worker: threadWorker(echoModule), size: 2 },
        reports: { worker: resourceWorker({ create: () => ({}) }), size: 2 },
      },
    });
    observer = await serveObserver(toy, { actions: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(observer.pageUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await observer?.close();
    await toy?.stop();
  });

  describe('opening the page', () => {
    it('finds every pool and draws its workers in the tree', async () => {
      await page.locator('#connection[data-state="live"]').waitFor();
      for (const [pool, size] of [
        ['db', 3],
        ['cpu', 2],
        ['reports', 2],
      ] as const) {
        await page.locator(`.pool[data-pool="${pool}"] .pool-state`).getByText('ready').waitFor();
        await expect
          .poll(() => page.locator(`#tree .worker[data-pool="${pool}"][data-state="idle"]`).count(), pollOptions)
          .toBe(size);
      }
      expect(await page.locator('.pool').count()).toBe(3);
      const threadFacts = await page.locator('#tree .worker[data-pool="cpu"] .facts').first().textContent();
      expect(threadFacts).toMatch(/^thread \d+/);
    });

    it('takes the token out of the address bar', async () => {
      expect(page.url()).toBe(observer.url);
    });
  });

  describe('checkout', () => {
    it('turns the worker busy, with its lease holder, and idle again at checkin', async () => {
      const lease: Lease = await toy.pool('db').checkout({ owner: request('GET', '/report/42') });
      const busy = page.locator(`#tree .worker[data-worker-id="${lease.workerId}"][data-state="busy"]`);
      await busy.waitFor();
      expect(await busy.locator('.owner').textContent()).toBe('GET /report/42');
      await page.locator('#log li[data-type="checkout:granted"]').first().waitFor();
      lease.release();
      await page.locator(`#tree .worker[data-worker-id="${lease.workerId}"][data-state="idle"]`).waitFor();
    });
  });

  describe('kill', () => {
    it('kills the clicked thread worker and shows the one the pool starts instead', async () => {
      const [victim] = workerIds('cpu');
      await page.locator(`button.kill[data-worker-id="${victim}"]`).click();
      await page.locator(`#tree .worker[data-worker-id="${victim}"]`).waitFor({ state: 'detached' });
      await expect
        .poll(() => page.locator('#tree .worker[data-pool="cpu"][data-state="idle"]').count(), pollOptions)
        .toBe(2);
      await page.locator('#log li[data-type="worker:exited"]').getByText(victim!).waitFor();
      expect(workerIds('cpu')).not.toContain(victim);
      expect(await toy.pool('cpu').run('still serving')).toBe('still serving');
    });
  });

  describe('stop and start', () => {
    it('stops a pool from its card and starts it again', async () => {
      await page.locator('.pool[data-pool="reports"] button[data-action="stopPool"]').click();
      await page.locator('.pool[data-pool="reports"][data-pool-state="stopped"]').waitFor();
      expect(await page.locator('#tree .worker[data-pool="reports"]').count()).toBe(0);
      expect(toy.pools()).not.toContain('reports');
      await page.locator('.pool[data-pool="reports"] button[data-action="startPool"]').click();
      await page.locator('.pool[data-pool="reports"][data-pool-state="ready"]').waitFor();
      await expect.poll(() => page.locator('#tree .worker[data-pool="reports"]').count(), pollOptions).toBe(2);
    });
  });

  describe('actions without the token', () => {
    // One fresh context (no session storage, so no token) for these visits: contexts are slow to make.
    let context: BrowserContext;
    let stranger: Page;

    beforeAll(async () => {
      context = await browser.newContext();
      stranger = await context.newPage();
    });

    afterAll(async () => {
      await context?.close();
    });

    it('offers no action buttons and says why', async () => {
      await stranger.goto(observer.url);
      await stranger.locator('#tree .worker').first().waitFor();
      await stranger.locator('#notice').getByText('no token').waitFor();
      expect(await stranger.locator('button[data-action]').count()).toBe(0);
    });

    it('refuses a kill posted without the token, or with a wrong one', async () => {
      const [target] = workerIds('db');
      await stranger.goto(observer.url);
      const statuses = await stranger.evaluate(async (workerId) => {
        const post = (headers: Record<string, string>) =>
          fetch('api/actions', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ type: 'killWorker', pool: 'db', workerId }),
          }).then(async (response) => [
            response.status,
            ((await response.json()) as { error: { code: string } }).error.code,
          ]);
        return [await post({}), await post({ 'x-pooltoy-token': 'guessed' })];
      }, target!);
      expect(statuses).toEqual([
        [401, 'ERR_OBSERVER_TOKEN_REQUIRED'],
        [401, 'ERR_OBSERVER_TOKEN_REQUIRED'],
      ]);
      expect(workerIds('db')).toContain(target);
    });

    it('lets no other origin post an action, even one that knows the token', async () => {
      const [target] = workerIds('db');
      const elsewhere = await serveObserver(new StandInTree({}));
      try {
        await stranger.goto(elsewhere.url);
        const outcome = await stranger.evaluate(
          async ({ url, token, workerId }) =>
            fetch(new URL('api/actions', url), {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-pooltoy-token': token },
              body: JSON.stringify({ type: 'killWorker', pool: 'db', workerId }),
            }).then(
              (response) => `answered ${response.status}`,
              (error) => `blocked: ${error.name}`,
            ),
          { url: observer.url, token: observer.token!, workerId: target! },
        );
        // The token header makes the browser ask first (CORS preflight); the observer never says yes.
        expect(outcome).toBe('blocked: TypeError');
        expect(workerIds('db')).toContain(target);
      } finally {
        await elsewhere.close();
      }
    });
  });

  describe('a pool under a cluster limit', () => {
    it('shows the limit, the slots held here and across the cluster', async () => {
      // A stand-in tree: a real cluster limit needs Redis, and this is about drawing the snapshot's field.
      const tree = new StandInTree({ db: 1 });
      const clustered = await serveObserver(tree);
      const context = await browser.newContext();
      try {
        const cluster = {
          key: 'pooltoy:db',
          limit: 4,
          heldHere: 1,
          waitingHere: 0,
          heldInCluster: 3,
          waitingInCluster: 2,
        };
        tree.setCluster('db', { ...cluster, isRedisReachable: true });
        const clusterPage = await context.newPage();
        await clusterPage.goto(clustered.url);
        await clusterPage
          .locator('.pool[data-pool="db"] .pool-cluster')
          .getByText('3/4 held (1 here) · 2 waiting')
          .waitFor();
      } finally {
        await context.close();
        await clustered.close();
      }
    });
  });
});
