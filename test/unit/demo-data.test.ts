import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEMO_CATEGORIES,
  DEMO_CURRENCY,
  DEMO_EVENT_DAYS,
  DEMO_CATALOG_DAYS,
  DEMO_PRICE_MAX,
  DEMO_PRICE_MIN,
  DEMO_QUERY_RANGE,
  generateDemoData,
  type DemoData,
} from '../../bin/local/demo-data.js';
import { creditedUser } from '../../functions/core/domain/interactions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EVAL_MANIFEST = join(ROOT, '../shared/data/product-images-clothing/manifest.csv');
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const DAY = 86_400_000;

const data: DemoData = generateDemoData({ now: NOW });
const byId = new Map(data.products.map((p) => [p.id, p]));
const inRange = (price: number) => price >= DEMO_QUERY_RANGE.min && price <= DEMO_QUERY_RANGE.max;

/** Credited events per category for one user (gift orders count for the receiver, not the giver). */
function categoryCounts(userId: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of data.events) {
    if (creditedUser(e) !== userId) continue;
    const c = byId.get(e.productId)!.category;
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}

describe('generateDemoData', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateDemoData({ now: NOW })).toEqual(data);
    const other = generateDemoData({ now: NOW, seed: 7 });
    expect(other).toEqual(generateDemoData({ now: NOW, seed: 7 }));
    expect(other.products.map((p) => p.name)).not.toEqual(data.products.map((p) => p.name));
  });

  it('has one product per photo, 40 per category, with well-formed fields', () => {
    expect(data.products).toHaveLength(400);
    expect(data.products.map((p) => p.id)).toEqual(
      Array.from({ length: 400 }, (_, i) => `p-${String(i + 1).padStart(4, '0')}`),
    );
    for (const c of DEMO_CATEGORIES) expect(data.products.filter((p) => p.category === c)).toHaveLength(40);
    expect(new Set(data.products.map((p) => p.name)).size).toBe(400);
    for (const p of data.products) {
      expect(p.currency).toBe(DEMO_CURRENCY);
      expect(p.name.length).toBeGreaterThan(5);
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.attributes.colour).toBeTruthy();
      expect(p.attributes.material).toBeTruthy();
      const created = Date.parse(p.createdAt);
      expect(created).toBeLessThanOrEqual(NOW);
      expect(created).toBeGreaterThanOrEqual(NOW - DEMO_CATALOG_DAYS * DAY);
      expect(Date.parse(p.updatedAt)).toBeGreaterThanOrEqual(created);
      expect(Date.parse(p.updatedAt)).toBeLessThanOrEqual(NOW);
    }
    // A few new arrivals, names in both languages with Spanish accents.
    expect(data.products.filter((p) => Date.parse(p.createdAt) > NOW - 7 * DAY).length).toBeGreaterThanOrEqual(5);
    expect(data.products.some((p) => /[áéíóúñ]/.test(p.name))).toBe(true);
    expect(data.products.filter((p) => p.attributes.language === 'en').length).toBeGreaterThan(50);
    expect(data.products.filter((p) => p.attributes.language === 'es').length).toBeGreaterThan(200);
  });

  it('keeps prices in bounds and puts the exact range bounds in the catalogue', () => {
    for (const p of data.products) {
      expect(p.price).toBeGreaterThanOrEqual(DEMO_PRICE_MIN);
      expect(p.price).toBeLessThanOrEqual(DEMO_PRICE_MAX);
      expect(Math.round(p.price * 100) / 100).toBe(p.price);
    }
    const prices = new Set(data.products.filter((p) => p.status === 'active').map((p) => p.price));
    for (const bound of [5_000, 5_000.01, 20_000.2, 20_000.21]) expect(prices.has(bound)).toBe(true);
  });

  it('promotes about a third, drafts ~5%, blocks ~3%, limits some to countries', () => {
    const share = (f: (p: (typeof data.products)[number]) => boolean) => data.products.filter(f).length / 400;
    expect(share((p) => p.promoted)).toBeGreaterThan(0.28);
    expect(share((p) => p.promoted)).toBeLessThan(0.4);
    expect(share((p) => p.status === 'draft')).toBeCloseTo(0.05, 2);
    expect(share((p) => p.status === 'blocked')).toBeCloseTo(0.03, 2);
    expect(share((p) => p.countries.length === 0)).toBeGreaterThan(0.7);
    expect(share((p) => p.countries.length > 0)).toBeGreaterThan(0.1);
  });

  it('gives every category ≥ 10 active products in 5,000.01–20,000.2, ≥ 3 of them promoted', () => {
    for (const c of DEMO_CATEGORIES) {
      const hits = data.products.filter((p) => p.category === c && p.status === 'active' && inRange(p.price));
      expect(hits.length, c).toBeGreaterThanOrEqual(10);
      expect(hits.filter((p) => p.promoted).length, c).toBeGreaterThanOrEqual(3);
    }
  });

  it('maps every product to an existing photo under images/<id>/', () => {
    expect(data.images).toHaveLength(400);
    expect(new Set(data.images.map((i) => i.file)).size).toBe(400);
    for (const img of data.images) {
      const p = byId.get(img.productId)!;
      expect(img.file).toMatch(new RegExp(`^demo/images/${p.category}/[0-9a-f-]{36}\\.jpg$`));
      expect(existsSync(join(ROOT, img.file)), img.file).toBe(true);
      expect(p.images).toEqual([`images/${p.id}/${img.file.split('/').pop()}`]);
    }
  });

  it('ships the photos byte-identical to demo/images/manifest.csv', () => {
    const rows = readFileSync(join(ROOT, 'demo/images/manifest.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows).toHaveLength(400);
    for (const row of rows) {
      const [file, , , , , sha] = row.split(',');
      const bytes = readFileSync(join(ROOT, 'demo', file));
      expect(createHash('sha256').update(bytes).digest('hex'), file).toBe(sha);
    }
  });

  it.skipIf(!existsSync(EVAL_MANIFEST))(
    'uses none of the 100 evaluation photos (skipped when ../shared/data/product-images-clothing is absent)',
    () => {
      const evalRows = readFileSync(EVAL_MANIFEST, 'utf8').trim().split('\n').slice(1);
      const evalSha = new Set(evalRows.map((r) => r.split(',')[5]));
      const evalNames = new Set(evalRows.map((r) => r.split(',')[0].split('/').pop()));
      expect(evalSha.size).toBe(100);
      for (const img of data.images) {
        const sha = createHash('sha256').update(readFileSync(join(ROOT, img.file))).digest('hex');
        expect(evalSha.has(sha), img.file).toBe(false);
        expect(evalNames.has(img.file.split('/').pop()), img.file).toBe(false);
      }
    },
  );

  it('has users 1…n with countries, some blacklists, and 10–25 events per user on average', () => {
    expect(data.users.map((u) => u.id)).toEqual(Array.from({ length: 300 }, (_, i) => String(i + 1)));
    for (const u of data.users) expect(['CL', 'AR', 'ES', 'MX']).toContain(u.country);
    expect(data.users.filter((u) => u.blacklist.length > 0).length).toBeGreaterThan(20);
    const perUser = data.events.length / data.users.length;
    expect(perUser).toBeGreaterThanOrEqual(10);
    expect(perUser).toBeLessThanOrEqual(25);
    expect(generateDemoData({ now: NOW, users: 20 }).users).toHaveLength(20);
  });

  it('produces valid, unique, time-ordered events on visible products', () => {
    const userIds = new Set(data.users.map((u) => u.id));
    const country = new Map(data.users.map((u) => [u.id, u.country!]));
    expect(data.events.map((e) => e.eventId)).toEqual(data.events.map((_, i) => `demo-${i + 1}`));
    // Collect violations and assert once: one expect per event would make this test slow.
    const bad: string[] = [];
    let prev = -Infinity;
    for (const e of data.events) {
      const p = byId.get(e.productId);
      const why = (msg: string) => bad.push(`${e.eventId}: ${msg}`);
      if (!p) {
        why('unknown product');
        continue;
      }
      if (p.status === 'draft') why('draft product');
      if (!userIds.has(e.userId)) why('unknown user');
      if (e.timestamp < prev) why('out of order');
      prev = e.timestamp;
      if (e.timestamp > NOW || e.timestamp < NOW - DEMO_EVENT_DAYS * DAY) why('outside the event window');
      if (e.timestamp <= Date.parse(p.createdAt)) why('before the product existed');
      if (!(e.quantity >= 1)) why('quantity');
      if (e.receiverId !== undefined) {
        if (e.type !== 'order') why('receiver on a non-order');
        if (!userIds.has(e.receiverId)) why('unknown receiver');
        if (e.receiverId === e.userId) why('gift to self');
      }
      if (p.countries.length > 0 && !p.countries.includes(country.get(creditedUser(e))!)) why('not sold in the country');
    }
    expect(bad).toEqual([]);
    for (const u of data.users) {
      const touched = new Set(data.events.filter((e) => creditedUser(e) === u.id).map((e) => e.productId));
      for (const b of u.blacklist) expect(touched.has(b)).toBe(false);
    }
  });

  it('draws events mostly from each user taste, gifts from the receiver taste', () => {
    let inTaste = 0;
    let total = 0;
    for (const e of data.events) {
      const taste = data.tastes[creditedUser(e)];
      total++;
      if (taste.categories.includes(byId.get(e.productId)!.category as never)) inTaste++;
    }
    expect(inTaste / total).toBeGreaterThan(0.75);
    const gifts = data.events.filter((e) => e.receiverId);
    expect(gifts.length).toBeGreaterThan(30);
    for (const g of gifts) {
      expect(data.tastes[g.receiverId!].categories).toContain(byId.get(g.productId)!.category);
    }
  });

  it('gives users 1 and 2 clearly different tastes, and user 2 owned items in the query range', () => {
    const t1 = data.tastes['1'].categories;
    const t2 = data.tastes['2'].categories;
    expect(t1.filter((c) => t2.includes(c))).toEqual([]);
    for (const [user, taste] of [
      ['1', t1],
      ['2', t2],
    ] as const) {
      const counts = categoryCounts(user);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const inTaste = [...counts].filter(([c]) => (taste as readonly string[]).includes(c)).reduce((a, [, n]) => a + n, 0);
      expect(total).toBeGreaterThanOrEqual(10);
      expect(inTaste / total).toBeGreaterThanOrEqual(0.9);
    }
    const owned2 = data.events.filter((e) => e.type === 'order' && creditedUser(e) === '2').map((e) => byId.get(e.productId)!);
    expect(owned2.filter((p) => inRange(p.price)).length).toBeGreaterThanOrEqual(3);
    // User 1's gift to user 2 is evidence about user 2 only.
    const gift = data.events.find((e) => e.userId === '1' && e.receiverId === '2');
    expect(gift).toBeDefined();
    expect(t2).toContain(byId.get(gift!.productId)!.category);
    // Both have something on the wishlist in range (eligible, boosted gifts).
    for (const u of ['1', '2']) {
      expect(data.events.some((e) => e.userId === u && e.type === 'wishlist' && inRange(byId.get(e.productId)!.price))).toBe(true);
    }
  });
});
