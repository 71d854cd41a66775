// The web observer in a real browser: Debian's Chromium driven by playwright-core (never a downloaded browser).
// Skips on a machine without Chromium, fails in CI (CI=true) where .ci/run installs it.
// With POOLTOY_SCREENSHOT=path (npm run screenshot) it also drives some load and saves a screenshot there.
import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Observer, serveObserver } from '../src/observer/serve-observer.js';
import { StandInTree } from './fixtures/stand-in-tree.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const isCi = process.env.CI === 'true';
const screenshotPath = process.env.POOLTOY_SCREENSHOT;
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

if (!hasChromium && !isCi) {
  console.warn(`observer browser test skipped: no Chromium at ${chromiumPath} (apt-get install chromium)`);
}

describe.runIf(!hasChromium && isCi)('the browser test in CI', () => {
  it('has Chromium to run with', () => {
    expect.fail(`no Chromium at ${chromiumPath}: .ci/run installs it (apt-get install -y chromium)`);
  });
});

// A shared, busy machine can make a browser slow to start and to open pages: room, not a hidden hang.
describe.runIf(hasChromium)('the web observer in Chromium', { timeout: 60_000 }, () => {
  let browser: Browser;
  let tree: StandInTree;
  let observer: Observer;
  let page: Page;

  beforeAll(async () => {
    tree = new StandInTree({ db: 3, cache: 2, reports: 2 });
    observer = await serveObserver(tree, { actions: true });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(observer.pageUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await observer?.close();
  });

  describe('opening the page', () => {
    it('finds every pool and draws its workers in the tree', async () => {
      await expect.poll(() => page.locator('.pool').count()).toBe(3);
      await page.locator('#connection[data-state="live"]').waitFor();
      for (const [pool, size] of [
        ['db', 3],
        ['cache', 2],
        ['reports', 2],
      ] as const) {
        await page.locator(`.pool[data-pool="${pool}"] .pool-state`).getByText('ready').waitFor();
        expect(await page.locator(`#tree .worker[data-pool="${pool}"]`).count()).toBe(size);
      }
      expect(await page.locator('#tree .worker[data-state="idle"]').count()).toBe(7);
    });

    it('shows the cluster limit a pool is under', async () => {
      const cluster = {
        key: 'pooltoy:db',
        limit: 4,
        heldHere: 1,
        waitingHere: 0,
        heldInCluster: 3,
        waitingInCluster: 2,
      };
      tree.setCluster('db', { ...cluster, isRedisReachable: true });
      await page.locator('.pool[data-pool="db"] .pool-cluster').getByText('3/4 held (1 here) · 2 waiting').waitFor();
    });

    it('takes the token out of the address bar', async () => {
      expect(page.url()).toBe(observer.url);
    });
  });

  describe('checkout', () => {
    it('turns the worker busy, with its lease holder, and idle again at checkin', async () => {
      const { workerId, checkin } = tree.checkout('db', 'GET /report/42');
      const card = page.locator(`#tree .worker[data-worker-id="${workerId}"]`);
      await page.locator(`#tree .worker[data-worker-id="${workerId}"][data-state="busy"]`).waitFor();
      expect(await card.locator('.owner').textContent()).toBe('GET /report/42');
      await page.locator('#log li[data-type="checkout:granted"]').first().waitFor();
      checkin();
      await page.locator(`#tree .worker[data-worker-id="${workerId}"][data-state="idle"]`).waitFor();
    });
  });

  describe('kill', () => {
    it('kills the clicked worker and shows its replacement', async () => {
      const before = await page
        .locator('#tree .worker[data-pool="cache"]')
        .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-worker-id')));
      const victim = before[0]!;
      await page.locator(`button.kill[data-worker-id="${victim}"]`).click();
      await page.locator(`#tree .worker[data-worker-id="${victim}"]`).waitFor({ state: 'detached' });
      await expect.poll(() => page.locator('#tree .worker[data-pool="cache"]').count()).toBe(2);
      await page.locator('#log li[data-type="worker:exited"]').getByText(victim).waitFor();
      await page.locator('#log li[data-type="worker:started"]').first().waitFor();
      expect(
        tree
          .snapshot()
          .pools.find((pool) => pool.name === 'cache')!
          .workers.map((w) => w.id),
      ).not.toContain(victim);
    });
  });

  describe('stop and start', () => {
    it('stops a pool from its card and starts it again', async () => {
      await page.locator('.pool[data-pool="reports"] button[data-action="stopPool"]').click();
      await page.locator('.pool[data-pool="reports"][data-pool-state="stopped"]').waitFor();
      expect(await page.locator('#tree .worker[data-pool="reports"]').count()).toBe(0);
      await page.locator('.pool[data-pool="reports"] button[data-action="startPool"]').click();
      await page.locator('.pool[data-pool="reports"][data-pool-state="ready"]').waitFor();
      await expect.poll(() => page.locator('#tree .worker[data-pool="reports"]').count()).toBe(2);
    });
  });

  describe('actions without the token', () => {
    // One fresh context (no session storage, so no token) for these visits: contexts are slow to make.
    let context: BrowserContext;
    let stranger: Page;
    const dbWorkerIds = () =>
      tree
        .snapshot()
        .pools.find((pool) => pool.name === 'db')
        ?.workers.map((w) => w.id);

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
      await stranger.goto(observer.url);
      const statuses = await stranger.evaluate(async () => {
        const post = (headers: Record<string, string>) =>
          fetch('api/actions', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ type: 'killWorker', pool: 'db', workerId: 'db#1' }),
          }).then(async (response) => [
            response.status,
            ((await response.json()) as { error: { code: string } }).error.code,
          ]);
        return [await post({}), await post({ 'x-pooltoy-token': 'guessed' })];
      });
      expect(statuses).toEqual([
        [401, 'ERR_OBSERVER_TOKEN_REQUIRED'],
        [401, 'ERR_OBSERVER_TOKEN_REQUIRED'],
      ]);
      expect(dbWorkerIds()).toContain('db#1');
    });

    it('lets no other origin post an action, even one that knows the token', async () => {
      const elsewhere = await serveObserver(new StandInTree({}));
      try {
        await stranger.goto(elsewhere.url);
        const outcome = await stranger.evaluate(
          async ({ target, token }) =>
            fetch(new URL('api/actions', target), {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-pooltoy-token': token },
              body: JSON.stringify({ type: 'killWorker', pool: 'db', workerId: 'db#1' }),
            }).then(
              (response) => `answered ${response.status}`,
              (error) => `blocked: ${error.name}`,
            ),
          { target: observer.url, token: observer.token! },
        );
        // The token header makes the browser ask first (CORS preflight); the observer never says yes.
        expect(outcome).toBe('blocked: TypeError');
        expect(dbWorkerIds()).toContain('db#1');
      } finally {
        await elsewhere.close();
      }
    });
  });

  it.runIf(screenshotPath)('saves a screenshot of a tree under load', { timeout: 120_000 }, async () => {
    const leases = new Map<string, (() => void)[]>();
    let second = 0;
    // A person's picture, not an assertion: waves of load, out of phase per pool, and one crash to replace.
    const load = setInterval(() => {
      second += 1;
      for (const [index, pool] of tree.snapshot().pools.entries()) {
        const held = leases.get(pool.name) ?? [];
        leases.set(pool.name, held);
        const wave = 0.5 + 0.5 * Math.sin(second / 4 + index * 2);
        const target = Math.round(wave * pool.workers.length);
        while (held.length > target) held.shift()?.();
        while (held.length < target && pool.workers.some((worker) => worker.state === 'idle')) {
          held.push(tree.checkout(pool.name, `GET /report/${100 + second} (client ${index + 2})`).checkin);
        }
      }
      if (second === 20)
        tree.killWorker('cache', tree.snapshot().pools.find((p) => p.name === 'cache')!.workers[0]!.id);
    }, 1000);
    try {
      // The page samples once a second: thirty samples make a chart worth looking at.
      await page.locator('canvas.chart[data-samples="30"]').first().waitFor({ timeout: 90_000 });
      await page.locator('#tree .worker[data-state="busy"]').first().waitFor();
      await page.screenshot({ path: screenshotPath!, fullPage: true });
    } finally {
      clearInterval(load);
    }
  });
});
