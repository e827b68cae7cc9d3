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
    // The business-rules panel: the serving version's rules beside the next retrain's (GET /config).
    expect(modelText).toContain('Business rules');
    expect(await page.locator('#model .rules tbody tr').count()).toBe(7);
    expect(await page.locator('#model .rules').textContent()).toMatch(/Next retrain: (default|environment|stored)/);
    await page.waitForSelector('#model figure.chart svg rect');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-model.png'), fullPage: true });

    // Online metrics: the recommendations shown above were recorded as impressions.
    await page.getByRole('link', { name: 'Online metrics' }).click();
    await page.waitForSelector('#metrics table caption');
    expect(await page.locator('#metrics').textContent()).toMatch(/Per model version/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-metrics.png') });

    expect(failures).toEqual([]);
  }, 180_000);

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

async function get(p: string): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.url + p);
  return { status: res.status, body: await res.json() };
}

describe('GET /openapi.json over HTTP', () => {
  it('is OpenAPI 3.x with every route, the POST /events body and 400 responses', async () => {
    const { status, body } = await get('/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    const { ROUTES } = await import('../../functions/http/routes.js');
    for (const r of ROUTES) expect(body.paths[r.path]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
    expect(body.paths['/products'].get).toBeDefined();
    expect(body.paths['/products/{productId}'].delete).toBeDefined();
    expect(body.paths['/events'].post.requestBody.content['application/json'].schema.properties.events.type).toBe('array');
    expect(body.paths['/events'].post.responses['400']).toBeDefined();
    expect(body.servers[0].url).toBe(runtime.url);
  });
});

describe('catalog import, listing and soft delete', () => {
  const run = async (args: string[]) => {
    const { execFile } = await import('node:child_process');
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'bin/import.ts', ...args], { env: { ...process.env, FORCE_COLOR: '0' } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  };

  it('imports the good rows, reports the bad ones by line number, is idempotent, and lists page by page', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gift-import-'));
    const { writeFileSync, copyFileSync, readdirSync } = await import('node:fs');
    const csv = path.join(dir, 'products.csv');
    writeFileSync(
      csv,
      [
        'id,name,price,category,promoted,status',
        'imp-a,Bufanda de lana,12990,scarf,true,active',
        'imp-bad-1,,5000,hat,false,active', // line 3: no name
        'imp-b,"Gorro, rojo",4990.5,hat,no,draft',
        'imp-bad-2,Camisa,abc,shirt,false,active', // line 5: price not a number
        'imp-c,Vestido largo,19990,dress,1,active',
      ].join('\n') + '\n',
    );
    const images = path.join(dir, 'images');
    mkdirSync(images);
    const dressDir = path.resolve('demo/images/dress');
    copyFileSync(path.join(dressDir, readdirSync(dressDir).find((f) => f.endsWith('.jpg'))!), path.join(images, 'imp-c.jpg'));

    const first = await run(['--api', runtime.url, '--products', csv, '--images', images]);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^line 3 \(imp-bad-1\): name/m);
    expect(first.stderr).toMatch(/^line 5 \(imp-bad-2\): price/m);
    expect(first.stdout).toContain('3 created, 0 updated, 0 unchanged, 1 photos uploaded; 2 rows rejected');
    for (const id of ['imp-a', 'imp-b', 'imp-c']) expect((await get(`/products/${id}`)).status).toBe(200);
    for (const id of ['imp-bad-1', 'imp-bad-2']) expect((await get(`/products/${id}`)).status).toBe(404);
    expect((await get('/products/imp-b')).body).toMatchObject({ name: 'Gorro, rojo', price: 4990.5, promoted: false, status: 'draft' });
    await runtime.embeddingsIdle();
    expect((await get('/products/imp-c')).body.embedding_version).toBeTruthy();

    const again = await run(['--api', runtime.url, '--products', csv, '--images', images]);
    expect(again.stdout).toContain('0 created, 0 updated, 3 unchanged, 0 photos uploaded; 2 rows rejected');
    rmSync(dir, { recursive: true, force: true });

    const { ProductPage } = await import('../../functions/http/schemas.js');
    const page = await get('/products?limit=2');
    expect(page.status).toBe(200);
    expect(ProductPage.parse(page.body).products).toHaveLength(2);
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const { body } = await get(`/products?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      for (const p of body.products) {
        expect(seen.has(p.id)).toBe(false);
        seen.add(p.id);
      }
      cursor = body.next_cursor;
    } while (cursor);
    expect(seen.size).toBe(403);
    const hats = await get('/products?limit=100&category=hat&status=draft');
    expect(hats.body.products.every((p: any) => p.category === 'hat' && p.status === 'draft')).toBe(true);
    expect(hats.body.products.map((p: any) => p.id)).toContain('imp-b');
    expect((await get('/products?cursor=not-ours')).status).toBe(400);
    expect((await get('/products?limit=0')).status).toBe(400);
  }, 120_000);

  it('DELETE soft-deletes: never recommended again, left out of listings, history kept', async () => {
    const before = await get('/recommendations/2?top_k=10');
    const victim = before.body.recommended_products[0].id as string;
    const del = await fetch(`${runtime.url}/products/${victim}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(((await del.json()) as { status: string }).status).toBe("deleted");
    expect((await get(`/products/${victim}`)).body).toMatchObject({ status: 'deleted', deletedAt: expect.any(String) });
    const after = await get('/recommendations/2?top_k=10');
    expect(after.body.recommended_products.map((p: any) => p.id)).not.toContain(victim);
    for (const p of (await get(`/products/${victim}/similar?k=5`)).body.similar_products) expect(p.status).toBe('active');
    const deleted = await get('/products?limit=100&status=deleted');
    expect(deleted.body.products.map((p: any) => p.id)).toEqual([victim]);
    const history = await get('/users/2/history?limit=500');
    expect(history.status).toBe(200);
    expect(history.body.events.length).toBeGreaterThan(0);
    expect(history.body.events[0].product).toMatchObject({ name: expect.any(String) });
    expect((await fetch(`${runtime.url}/products/nope-404`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('online metrics', () => {
  it('an order carrying a response’s recommendation_id changes GET /metrics, for its model version and reasons', async () => {
    const { MetricsResponse, RecommendationResponse } = await import('../../functions/http/schemas.js');
    const before = MetricsResponse.parse((await get('/metrics')).body).online;
    const rec = RecommendationResponse.parse((await get('/recommendations/7?top_k=5')).body);
    expect(rec.recommendation_id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const shown = rec.recommended_products[0];
    const afterShown = MetricsResponse.parse((await get('/metrics')).body).online;
    expect(afterShown.responses).toBe(before.responses + 1);
    expect(afterShown.impressions).toBe(before.impressions + rec.recommended_products.length);

    const post = (events: unknown[]) => fetch(`${runtime.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    const order = { eventId: `m-order-${rec.recommendation_id}`, userId: '7', productId: shown.id, type: 'order', recommendationId: rec.recommendation_id };
    expect((await post([order])).status).toBe(200);
    const after = MetricsResponse.parse((await get('/metrics')).body).online;
    expect(after.attributed.order).toBe(before.attributed.order + 1);
    expect(after.rates.order).toBeGreaterThan(0);
    const version = after.by_model_version.find((v) => v.model_version === rec.model_version)!;
    expect(version.attributed.order).toBeGreaterThanOrEqual(1);
    const reason = shown.reasons[0].split(':')[0];
    expect(after.by_reason.find((r) => r.reason === reason)!.attributed.order).toBeGreaterThanOrEqual(1);

    // The same order again, an order of a product not shown, and an unknown id attribute nothing.
    const notShown = (await get('/products?limit=100')).body.products.find((p: any) => p.status === 'active' && !rec.recommended_products.some((r) => r.id === p.id));
    expect((await post([
      { ...order, eventId: `m-order2-${rec.recommendation_id}` },
      { eventId: `m-other-${rec.recommendation_id}`, userId: '7', productId: notShown.id, type: 'order', recommendationId: rec.recommendation_id },
      { eventId: `m-unknown-${rec.recommendation_id}`, userId: '7', productId: shown.id, type: 'view', recommendationId: 'unknown-recommendation' },
    ])).status).toBe(200);
    const last = MetricsResponse.parse((await get('/metrics')).body).online;
    expect(last.attributed).toEqual(after.attributed);
    expect((await post([{ ...order, eventId: 'm-bad', recommendationId: 'x' }])).status).toBe(400);
  });
});
