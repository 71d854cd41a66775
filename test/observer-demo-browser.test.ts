// The observer as a person sees it, on the running demo (`node demo/demo.mjs`: a process, a thread and a database
// pool under load) in Debian's Chromium driven by playwright-core: what is asserted is what is on screen —
// visibility and boxes, not attributes. Skips without Chromium, fails in CI (CI=true). With POOLTOY_SCREENSHOT=path
// (npm run screenshot) it also saves a screenshot of the demo there.
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoProcess, killLeftoverDemos, startDemo } from './fixtures/demo-process.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const isCi = process.env.CI === 'true';
const screenshotPath = process.env.POOLTOY_SCREENSHOT;
const chromiumFlags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
// The demo's bursts come every 4–8 s and a shared machine is slow: room to wait, not a hidden hang.
const waitOptions = { timeout: 45_000 };

/** Resolves once `locator` has text matching `pattern` (an auto-waiting look, never a sleep). */
const untilText = (locator: Locator, pattern: RegExp) =>
  expect.poll(() => locator.first().textContent(), waitOptions).toMatch(pattern);

if (!hasChromium && !isCi) console.warn(`demo browser test skipped: no Chromium at ${chromiumPath}`);

describe.runIf(!hasChromium && isCi)('the demo in the browser, in CI', () => {
  it('has Chromium to run with', () => {
    expect.fail(`no Chromium at ${chromiumPath}: .ci/run installs it (apt-get install -y chromium)`);
  });
});

describe.runIf(hasChromium)('the observer of the running demo, in Chromium', { timeout: 120_000 }, () => {
  let demo: DemoProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    demo = startDemo([]);
    const url = await demo.observerUrl;
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    await page.goto(url.href);
    await page.locator('#connection[data-state="live"]').waitFor(waitOptions);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    demo?.child.kill('SIGINT');
    await demo?.exited;
    killLeftoverDemos();
  });

  it('says which database the db pool uses', async () => {
    await untilText(page.locator('#about'), /db pool: (PostgreSQL|simulated connections)/);
  });

  it('leaves only the event-log rows that match the filter visible', async () => {
    await page.locator('#log li[data-pool="primes"]').first().waitFor(waitOptions);
    await page.locator('#log li[data-pool="db"][data-type="checkout:granted"]').first().waitFor(waitOptions);
    await page.locator('#log-filter').fill('db checkout:granted');
    await page
      .locator('#log li[data-pool="primes"]')
      .first()
      .waitFor({ state: 'hidden', ...waitOptions });
    // Every row on screen matches both words; the others are not on screen at all.
    const rows = await page
      .locator('#log li')
      .evaluateAll((items) =>
        items.map((row) => ({ text: row.textContent ?? '', isOnScreen: row.getBoundingClientRect().height > 0 })),
      );
    const onScreen = rows.filter((row) => row.isOnScreen);
    expect(onScreen.length).toBeGreaterThan(0);
    expect(onScreen.length).toBeLessThan(rows.length);
    for (const row of onScreen) expect(row.text).toMatch(/db[\s\S]*checkout:granted/);
    for (const row of rows.filter((each) => !/db[\s\S]*checkout:granted/.test(each.text)))
      expect(row.isOnScreen).toBe(false);
    await page.locator('#log-filter').fill('');
    await page
      .locator('#log li[data-pool="primes"]')
      .first()
      .waitFor({ state: 'visible', ...waitOptions });
  });

  it('keeps every button inside its card, overflow workers included', async () => {
    // A burst makes overflow workers, whose tag used to push the kill button out of the card.
    await page.locator('#tree .worker:has(.tag)').first().waitFor(waitOptions);
    const outside = await page.locator('.worker, .pool').evaluateAll((cards) =>
      cards.flatMap((card) => {
        const box = card.getBoundingClientRect();
        return [...card.querySelectorAll('button')]
          .map((button) => ({ button: button.getBoundingClientRect(), text: button.textContent }))
          .filter(
            ({ button }) =>
              button.left < box.left - 0.5 ||
              button.right > box.right + 0.5 ||
              button.top < box.top - 0.5 ||
              button.bottom > box.bottom + 0.5,
          )
          .map(({ text }) => `${text} in ${card.getAttribute('data-worker-id') ?? card.getAttribute('data-pool')}`);
      }),
    );
    expect(outside).toEqual([]);
    expect(await page.locator('.worker button, .pool button').count()).toBeGreaterThan(0);
  });

  it('shows a memory figure on each process and thread worker, and a memory chart per pool', async () => {
    // Readings come every 2 s: wait for a moment when every live process and thread worker shows one.
    await expect
      .poll(
        () =>
          page.locator('#tree .worker:is([data-pool="primes"], [data-pool="hashing"])').evaluateAll((cards) => {
            const live = cards.filter((card) => ['idle', 'busy'].includes(card.getAttribute('data-state') ?? ''));
            return (
              live.length > 0 &&
              live.every((card) => /^\d+(\.\d)? (KB|MB|GB)$/.test(card.querySelector('.memory')?.textContent ?? ''))
            );
          }),
        waitOptions,
      )
      .toBe(true);
    for (const pool of ['primes', 'hashing']) {
      await page.locator(`.pool[data-pool="${pool}"] canvas.usage-chart:not([data-readings="0"])`).waitFor(waitOptions);
    }
  });

  it('draws each pool’s charts: on screen, and painted', async () => {
    await expect
      .poll(
        () =>
          page.locator('.pool canvas.chart').evaluateAll((canvases) =>
            canvases.map((canvas) => {
              const box = canvas.getBoundingClientRect();
              const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
              let painted = 0;
              for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha]! > 0) painted++;
              return box.width > 100 && box.height > 40 && painted > 100;
            }),
          ),
        waitOptions,
      )
      .toEqual([true, true, true, true, true, true]);
  });

  it('draws starting workers in the tree, and explains every state and tag', async () => {
    for (const term of ['busy', 'idle', 'starting', 'stopping', 'cooling', 'overflow', 'backoff', 'failing']) {
      await page.locator(`.glossary dt[data-term="${term}"]`).waitFor({ state: 'visible' });
      expect((await page.locator(`.glossary dt[data-term="${term}"] + dd`).textContent())?.length).toBeGreaterThan(20);
    }
    // The demo's bursts start overflow workers: one shows in the tree while it starts.
    await page
      .locator('#tree .worker[data-state="starting"]')
      .first()
      .waitFor({ state: 'attached', ...waitOptions });
  });

  /** The id of the pool's first worker in the tree: the longest-lived, so it stays put while the test clicks. */
  const firstWorker = async (pool: string) =>
    (await page.locator(`#tree .worker[data-pool="${pool}"]`).first().getAttribute('data-worker-id', waitOptions))!;

  it('opens a worker’s detail on a click, with its state history', async () => {
    const workerId = await firstWorker('primes');
    await page.locator(`#tree .worker[data-worker-id="${workerId}"] .worker-id`).click(waitOptions);
    const detail = page.locator('#worker-detail');
    await detail.waitFor({ state: 'visible' });
    expect(await detail.locator('h2').textContent()).toBe(workerId);
    const facts = await detail.locator('.facts').textContent();
    expect(facts).toMatch(/^poolprimeskindprocesspid\d+age.+uses\d+/);
    await detail.locator('.states li').first().waitFor();
    await untilText(detail.locator('.states li time'), /^\d\d:\d\d:\d\d$/);
    await detail.locator('.memory-chart:not([data-points="0"])').waitFor(waitOptions);
    await detail.locator('button.close').click();
    await detail.waitFor({ state: 'hidden' });
  });

  it('shows a db lease’s holder with its checkout stack (the demo turns leakDetection on)', async () => {
    const detail = page.locator('#worker-detail');
    // A lease lasts tens of ms: open busy workers until one's detail still shows its lease (each look waits on
    // the page; none sleeps).
    let stack: string | null = null;
    for (let attempt = 0; attempt < 20 && stack === null; attempt++) {
      await page.locator('#tree .worker[data-pool="db"][data-state="busy"] .worker-id').first().click(waitOptions);
      stack = await detail
        .locator('.stack')
        .textContent({ timeout: 3000 })
        .catch(() => null);
    }
    expect(stack).toMatch(/checked out here[\s\S]*load-generator/);
    await detail.locator('button.close').click();
  });

  it('kills the clicked worker, shows its exit and the replacement the pool starts', async () => {
    const before = await page
      .locator('#tree .worker[data-pool="hashing"]')
      .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-worker-id')));
    // Its detail stays open through the kill and shows how it ended.
    // A busy or idle worker, never a cooling one (its cooldown may dismiss it before the kill lands); the demo's load
    // comes in bursts, so waiting for a busy one alone could wait out a quiet spell.
    const live = '#tree .worker[data-pool="hashing"]:is([data-state="busy"], [data-state="idle"])';
    await page.locator(`${live} .worker-id`).first().click(waitOptions);
    const victim = (await page.locator('#worker-detail h2').textContent())!;
    await page.locator(`#tree .worker[data-worker-id="${victim}"] button.kill`).click(waitOptions);
    await untilText(page.locator('#worker-detail .exit'), /^it exited at \d\d:\d\d:\d\d: killed/);
    await page
      .locator('#log li[data-type="worker:exited"]')
      .filter({ hasText: victim })
      .first()
      .waitFor({ state: 'attached', ...waitOptions });
    await page.locator(`#tree .worker[data-worker-id="${victim}"]`).waitFor({ state: 'detached', ...waitOptions });
    const replacement = `#tree .worker[data-pool="hashing"]${[...before, victim].map((id) => `:not([data-worker-id="${id}"])`).join('')}`;
    await page.locator(replacement).first().waitFor(waitOptions);
    await page.locator('#worker-detail button.close').click();
  });

  it.runIf(screenshotPath)('saves a screenshot of the demo', async () => {
    // The page samples once a second: thirty samples make a chart worth looking at.
    await expect
      .poll(async () => Number(await page.locator('canvas.chart').first().getAttribute('data-samples')), waitOptions)
      .toBeGreaterThanOrEqual(30);
    await page.locator('#tree .worker[data-state="busy"]').first().waitFor(waitOptions);
    await page.screenshot({ path: screenshotPath!, fullPage: true });
  });
});
