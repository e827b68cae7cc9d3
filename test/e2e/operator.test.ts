/**
 * What an operator sees, end to end on the local runtime: the console in real headless Chromium
 * (Debian's `chromium` driven by playwright-core), the OpenAPI document, the bulk import CLI and
 * the catalog listing, and online metrics moved by an attributed order.
 *
 * Screenshots go to .tmp/screenshots; `UPDATE_SCREENSHOTS=1` writes them to docs/screenshots
 * instead (the README's picture), so ordinary test runs leave the work tree clean.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startLocalRuntime, type LocalRuntime } from '../../bin/local/runtime.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
if (!CHROMIUM) {
  console.warn('operator console browser test SKIPPED: no Chromium binary (/usr/bin/chromium). Install it with `apt-get install chromium` (.ci/run does).');
}
const SCREENSHOTS = path.resolve(process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.tmp/screenshots');

let runtime: LocalRuntime;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-operator-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  runtime = await startLocalRuntime({ port: 0, dataDir, retrainIntervalS: 0, log: () => undefined });
  // The demo photos are uploaded in the background; cards need them in S3.
  await runtime.embeddingsIdle();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Card ids and prices currently shown. */
async function cards(page: Page, list = '#cards'): Promise<{ id: string; price: number }[]> {
  return page.$$eval(`${list} li.card`, (els) => els.map((el: any) => ({ id: el.dataset.productId as string, price: Number(el.dataset.price) })));
}

/** Waits until `list` shows at least `n` cards whose photos have loaded (naturalWidth > 0). */
async function waitForPhotos(page: Page, list: string, n: number): Promise<void> {
  await page.waitForFunction(
    ({ list, n }) => {
      const imgs: any[] = [...(globalThis as any).document.querySelectorAll(`${list} li.card img`)];
      return imgs.length >= n && imgs.every((img) => img.complete && img.naturalWidth > 0);
    },
    { list, n },
    { timeout: 30_000 },
  );
}

describe.skipIf(!CHROMIUM)('operator console in headless Chromium', () => {
  let context: BrowserContext;
  let profileDir: string;

  beforeAll(async () => {
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'gift-chromium-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    rmSync(profileDir, { recursive: true, force: true });
  });

  it('deep link /?receiver=2 shows ≥ 5 cards with photos; a price range changes the list; similar products open', async () => {
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('pageerror', (err) => failures.push(err.message));
    await page.goto(`${runtime.url}/?receiver=2`);
    await page.waitForSelector('#cards li.card');
    await waitForPhotos(page, '#cards', 5);
    const before = await cards(page);
    expect(before.length).toBeGreaterThanOrEqual(5);
    // Each card carries name, price, reasons and score; promoted ones a badge.
    const first = page.locator('#cards li.card').first();
    await expect.poll(() => first.locator('.name').textContent()).toBeTruthy();
    expect(await first.locator('.reasons li').count()).toBeGreaterThan(0);
    expect(await first.locator('.score').textContent()).toMatch(/score \d/);
    expect(await page.locator('#cards .badge').count()).toBeGreaterThan(0);
    await page.waitForSelector('#history tbody tr td');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png'), fullPage: false });

    // A price range below most of receiver 2's list: the list changes and respects the bound.
    const maxPrice = 8000;
    await page.getByLabel('Max price').fill(String(maxPrice));
    await page.getByLabel('Max price').press('Enter');
    await page.waitForFunction((ids) => {
      const now = [...(globalThis as any).document.querySelectorAll('#cards li.card')].map((el: any) => el.dataset.productId);
      return now.length > 0 && now.join() !== ids;
    }, before.map((c) => c.id).join());
    const after = await cards(page);
    expect(after.map((c) => c.id)).not.toEqual(before.map((c) => c.id));
    for (const c of after) expect(c.price).toBeLessThanOrEqual(maxPrice);
    expect(new URL(page.url()).searchParams.get('max_price')).toBe(String(maxPrice));

    // Similar products of the first card, in a modal dialog that Escape closes.
    await page.locator('#cards li.card .similar-btn').first().click();
    await page.waitForSelector('#similar[open] #similar-cards li.card');
    await waitForPhotos(page, '#similar-cards', 3);
    expect((await cards(page, '#similar-cards')).length).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-similar.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('#similar:not([open])', { state: 'attached' });

    // The model view: versions, gate, parameters and evaluation figures.
    await page.getByRole('link', { name: 'Model' }).click();
    await page.waitForSelector('#model h3');
    const modelText = await page.locator('#model').textContent();
    expect(modelText).toContain('Gate');
    expect(modelText).toContain('Family and parameters');
    await page.waitForSelector('#model figure.chart svg rect');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-model.png'), fullPage: true });

    expect(failures).toEqual([]);
  }, 120_000);

  it('the API reference page renders the OpenAPI document from local assets', async () => {
    const page = await context.newPage();
    const external: string[] = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.hostname !== '127.0.0.1') external.push(req.url());
    });
    await page.goto(`${runtime.url}/api-reference.html`);
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 30_000 });
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(5);
    expect(external).toEqual([]);
  }, 60_000);
});
