/**
 * New products at serving (the version plus the changes since it), exploration of new arrivals,
 * and the content-to-collaborative model (training, blend, forward pass).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { trainModelVersion } from '../../functions/core/training/train-model.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { withChangedProducts } from '../../functions/core/snapshot/live-delta.js';
import { rankForReceiver } from '../../functions/core/ranking/recommend.js';
import { explorationSlots, reserveExplorationSlots } from '../../functions/core/ranking/new-arrivals.js';
import { similarProducts } from '../../functions/core/content/similarity.js';
import { encodeContent, forwardContent, isValidContentModel, productContent } from '../../functions/core/content/content-to-cf.js';
import { blendFewInteractionFactors, trainContentModel } from '../../functions/core/training/train-content-model.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { topK } from '../../functions/core/numeric/topk.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';
import type { InteractionEvent, Product, RecommendationQuery } from '../../functions/core/domain/types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 1);
const CATS = ['hat', 'dress', 'shoes'];

function product(id: string, c: number, rng: () => number, extra: Partial<Product> = {}): Product {
  return {
    id,
    name: `${CATS[c]} ${id}`,
    description: '',
    price: 10 + Math.floor(rng() * 90),
    currency: 'EUR',
    category: CATS[c],
    promoted: false,
    status: 'active',
    countries: [],
    images: [],
    createdAt: new Date(NOW - 200 * DAY).toISOString(),
    updatedAt: new Date(NOW - 200 * DAY).toISOString(),
    attributes: {},
    image_embedding: [0, 1, 2].map((a) => (a === c ? 1 : 0) + 0.15 * (rng() - 0.5)),
    ...extra,
  };
}

/** 60 products in 3 categories (image embeddings along the category's axis); each user buys in one category. */
function fixture(): { products: Product[]; events: InteractionEvent[] } {
  const rng = mulberry32(5);
  const products = Array.from({ length: 60 }, (_, i) => product(`p${String(i).padStart(2, '0')}`, i % 3, rng));
  const events: InteractionEvent[] = [];
  for (let u = 0; u < 90; u++) {
    const c = u % 3;
    for (let k = 0; k < 8; k++) {
      const item = products[3 * Math.floor(rng() * 20) + c];
      events.push({ eventId: `e${u}-${k}`, userId: `u${u}`, productId: item.id, type: 'order', quantity: 1, timestamp: NOW - Math.floor(rng() * 100) * DAY });
    }
  }
  return { products, events };
}

let base: ModelSnapshot;
let data: { products: Product[]; events: InteractionEvent[] };
beforeAll(async () => {
  data = fixture();
  const { parts } = await trainModelVersion({ ...data, userCountries: new Map(), now: NOW, version: 'v1', als: { factors: 8, iterations: 8, regularization: 1 }, model: { family: 'als', halfLifeDays: 14, popularityBlend: 0 } });
  base = deserializeSnapshot(serializeSnapshot(parts));
});

const query = (num: number, extra: Partial<RecommendationQuery> = {}): RecommendationQuery => ({ userId: 'u0', num, minPromoted: 0, ...extra });
const historyOf = (user: string) => data.events.filter((e) => e.userId === user);
const fresh = (id: string, c: number, extra: Partial<Product> = {}) =>
  product(id, c, mulberry32(99), { createdAt: new Date(NOW - DAY).toISOString(), updatedAt: new Date(NOW - DAY).toISOString(), ...extra });

describe('the version plus the products changed since it', () => {
  it('appends unknown products and refreshes known ones, keeping every existing row where it was', () => {
    const repriced = { ...data.products[3], price: 5000, status: 'blocked' as const };
    const merged = withChangedProducts(base, [fresh('n-hat', 0), repriced]);
    expect(merged.items.length).toBe(base.items.length + 1);
    expect(merged.itemIndex.get('n-hat')).toBe(base.items.length);
    for (const [id, i] of base.itemIndex) expect(merged.itemIndex.get(id)).toBe(i);
    expect(merged.items[3]).toMatchObject({ price: 5000, status: 'blocked', interactionCount: base.items[3].interactionCount });
    expect(merged.columns.price[3]).toBe(5000);
    expect(base.items[3].price).not.toBe(5000); // the version itself is untouched
    expect(merged.featureStore?.nItems).toBe(merged.items.length);
    expect(withChangedProducts(base, [])).toBe(base);
  });

  it('a receiver who wishlists a new product gets it; owned, filters and status apply to it at once', async () => {
    const merged = withChangedProducts(base, [fresh('n-hat', 0, { price: 50 }), fresh('n-blocked', 0, { status: 'blocked' })]);
    const wish = (id: string, type: InteractionEvent['type']): InteractionEvent => ({ eventId: `w-${id}-${type}`, userId: 'u0', productId: id, type, quantity: 1, timestamp: NOW });
    const history = [...historyOf('u0'), wish('n-hat', 'wishlist'), wish('n-blocked', 'wishlist')];
    const r = await rankForReceiver(merged, { history, now: NOW }, query(5));
    const hit = r.items.find((x) => x.id === 'n-hat');
    expect(hit?.reasons).toContain('on_wishlist');
    expect(r.items.map((x) => x.id)).not.toContain('n-blocked');
    const cheap = await rankForReceiver(merged, { history, now: NOW }, query(5, { maxPrice: 40 }));
    expect(cheap.items.map((x) => x.id)).not.toContain('n-hat');
    const owned = await rankForReceiver(merged, { history: [...history, wish('n-hat', 'order')], now: NOW }, query(60));
    expect(owned.items.map((x) => x.id)).not.toContain('n-hat');
    // Without the merge the version cannot return it at all.
    expect((await rankForReceiver(base, { history, now: NOW }, query(60))).items.map((x) => x.id)).not.toContain('n-hat');
  });

  it('a new promoted product counts toward the promoted guarantee', async () => {
    const merged = withChangedProducts(base, [fresh('n-promo', 1, { promoted: true })]);
    const r = await rankForReceiver(merged, { history: historyOf('u0'), now: NOW }, query(3, { minPromoted: 1 }));
    expect(r.items.map((x) => x.id)).toContain('n-promo');
    expect(r.promotedShortfall).toBe(0);
  });

  it('new products join the similar index: a near-duplicate photo finds its original', () => {
    const original = data.products[4];
    const copy = fresh('n-copy', 1, { image_embedding: original.image_embedding!.map((v) => v * 1.01 + 0.001) });
    const merged = withChangedProducts(base, [copy]);
    const near = similarProducts({ image: original.image_embedding }, merged.embeddings, 5, original.id).map((s) => s.id);
    expect(near[0]).toBe('n-copy');
    expect(similarProducts({ image: original.image_embedding }, base.embeddings, 5, original.id).map((s) => s.id)).not.toContain('n-copy');
  });

  it('predicted factors place a new product with the items it resembles', async () => {
    const f = base.factors;
    const hats = base.items.map((it, i) => [it, i] as const).filter(([it]) => it.category === 'hat');
    const mean = new Float32Array(f);
    for (const [, i] of hats) for (let a = 0; a < f; a++) mean[a] += base.itemFactors[i * f + a] / hats.length;
    const merged = withChangedProducts(base, [fresh('n-hat', 0)], { factorsFor: () => mean });
    const hatBuyer = historyOf('u0'); // u0 buys hats (u % 3 === 0)
    const r = await rankForReceiver(merged, { history: hatBuyer, now: NOW }, query(10));
    expect(r.items.map((x) => x.id)).toContain('n-hat');
    expect(r.items.find((x) => x.id === 'n-hat')!.reasons).toContain('new_arrival');
  });
});

describe('exploration of new arrivals', () => {
  it('takes round(share · num) slots', () => {
    expect(explorationSlots(10, 0.2)).toBe(2);
    expect(explorationSlots(10, 0)).toBe(0);
    expect(explorationSlots(3, 0.1)).toBe(0);
    expect(explorationSlots(5, 1)).toBe(5);
  });

  it('puts the best new arrivals in the last slots and keeps the head of the list in order', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 10, noNaN: true }), { minLength: 5, maxLength: 60 }), fc.integer({ min: 1, max: 20 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1000 }), (raw, num, share, seed) => {
        const scores = Float32Array.from(raw);
        const rng = mulberry32(seed);
        const eligible = Uint8Array.from(raw, () => (rng() < 0.9 ? 1 : 0));
        const newItems = raw.map((_, i) => i).filter(() => rng() < 0.3);
        const before = Float32Array.from(scores);
        const explored = reserveExplorationSlots(scores, newItems, eligible, num, share);
        const k = Math.min(explorationSlots(num, share), newItems.filter((i) => eligible[i] === 1).length);
        expect(explored.length).toBe(k);
        for (let i = 0; i < scores.length; i++) expect(scores[i]).toBeGreaterThanOrEqual(before[i]);
        const top = Array.from(topK(scores, num, (i) => eligible[i] === 0).indices);
        for (const i of explored) expect(top).toContain(i);
        // The kept head: the best (num − k) others, in their order.
        const others = Array.from(topK(before, num, (i) => eligible[i] === 0 || explored.includes(i)).indices).slice(0, num - k);
        expect(top.filter((i) => !explored.includes(i)).slice(0, others.length)).toEqual(others);
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('gives a receiver new arrivals with the reason new_arrival when switched on', async () => {
    const news = Array.from({ length: 6 }, (_, k) => fresh(`n-${k}`, k % 3));
    const merged = withChangedProducts(base, news);
    const on = await rankForReceiver(merged, { history: historyOf('u1'), now: NOW }, query(10), { explorationShare: 0.2 });
    expect(on.items.filter((x) => x.reasons.includes('new_arrival')).length).toBeGreaterThanOrEqual(2);
  });

  /** Exploration from its contract, against the list without it: returns whether it changed the list. */
  async function expectExploration(s: ModelSnapshot, receiver: Parameters<typeof rankForReceiver>[1], num: number, share: number): Promise<boolean> {
    const q = { userId: 'r', num, minPromoted: 0 };
    const plain = await rankForReceiver(s, receiver, { ...q, num: s.items.length });
    const newArrivals = plain.items.filter((x) => x.reasons.includes('new_arrival')).map((x) => x.index);
    const chosen = newArrivals.slice(0, explorationSlots(num, share));
    const head = plain.items.map((x) => x.index).filter((i) => !chosen.includes(i)).slice(0, num - chosen.length);
    const got = (await rankForReceiver(s, receiver, q, { explorationShare: share })).items.map((x) => x.index);
    expect(got.filter((i) => !chosen.includes(i))).toEqual(head);
    expect([...got].sort((a, b) => a - b)).toEqual([...head, ...chosen].sort((a, b) => a - b));
    return chosen.some((i) => !plain.items.slice(0, num).some((x) => x.index === i));
  }
  const cases = [[10, 0.2], [5, 0.4], [8, 1]] as const;

  it('the best eligible new arrivals take the last round(share · num) places; the head keeps the order of the list without exploration', async () => {
    const merged = withChangedProducts(base, Array.from({ length: 6 }, (_, k) => fresh(`n-${k}`, k % 3)));
    const changed = [];
    for (const [num, share] of cases) changed.push(await expectExploration(merged, { history: historyOf('u1'), now: NOW }, num, share));
    // Where a new arrival already ranks inside the list it keeps its place; elsewhere exploration changes the list.
    expect(changed).toContain(true);
  });

  it('the same on a version without embeddings (no look-alikes: the one-pass ranking path otherwise)', async () => {
    const cat = syntheticCatalog(400, 8, { seed: 31, nUsers: 3 });
    const changed = [];
    for (const u of cat.users) for (const [num, share] of cases) changed.push(await expectExploration(cat.snapshot, { history: cat.history.get(u.id)!, profile: u, now: NOW }, num, share));
    expect(changed).toContain(true);
  });
});

describe('content-to-collaborative model', () => {
  const contentOf = (p: Product) => productContent(p);
  function trained() {
    const items = base.items.map((it) => contentOf(data.products.find((p) => p.id === it.id)!));
    const counts = base.items.map((it) => it.interactionCount);
    return { items, counts, model: trainContentModel({ items, itemFactors: base.itemFactors, factors: base.factors, interactionCount: counts, userFactors: base.userFactors }, { epochs: 60 })! };
  }

  it('is deterministic for a seed and has consistent shapes', () => {
    const a = trained().model;
    const b = trained().model;
    expect(isValidContentModel(a)).toBe(true);
    expect(a.W1).toEqual(b.W1);
    expect(a.categories).toEqual(['dress', 'hat', 'shoes']);
    expect(a.training.heldAsideLoss as number).toBeLessThan(a.training.meanFactorLoss as number);
  });

  it('ranks a never-seen product first for the buyers of its category', () => {
    const { model } = trained();
    const f = base.factors;
    const probe = [fresh('x-hat', 0), fresh('x-dress', 1), fresh('x-shoes', 2)];
    const y = forwardContent(model, encodeContent(model, probe.map(contentOf)), probe.length);
    let right = 0;
    for (let u = 0; u < 30; u++) {
      const ui = base.userIndex.get(`u${u}`)!;
      const s = [0, 1, 2].map((r) => {
        let d = 0;
        for (let a = 0; a < f; a++) d += y[r * f + a] * base.userFactors[ui * f + a];
        return d;
      });
      if (s.indexOf(Math.max(...s)) === u % 3) right++;
    }
    expect(right).toBeGreaterThanOrEqual(27);
  });

  it('blends only items with fewer interactions than k, and an item without any takes the prediction', () => {
    const { model, items } = trained();
    const f = base.factors;
    const factors = Float32Array.from(base.itemFactors);
    const counts = items.map((_, i) => (i === 0 ? 0 : i === 1 ? 1 : 50));
    const changed = blendFewInteractionFactors(model, items, factors, counts);
    expect(changed).toBe(2);
    const y0 = forwardContent(model, encodeContent(model, [items[0]]), 1);
    for (let a = 0; a < f; a++) expect(factors[a]).toBeCloseTo(y0[a], 5);
    expect(Array.from(factors.subarray(2 * f, 3 * f))).toEqual(Array.from(base.itemFactors.subarray(2 * f, 3 * f)));
  });
});

describe('content_model.onnx', () => {
  it('ONNX Runtime gives the TypeScript forward pass, and a retrained version carries both files', async () => {
    const { exportContentModelOnnx, predictContentFactors, runContentModelOnnx } = await import('../../functions/adapters/onnx-content-model.js');
    const { parts } = await trainModelVersion({ ...data, userCountries: new Map(), now: NOW, version: 'v2', als: { factors: 8, iterations: 8, regularization: 1 }, model: { family: 'als', halfLifeDays: 14, popularityBlend: 0 } });
    const model = parts.contentModel!;
    expect(model.kind).toBe('content-to-factor-mlp');
    const probe = [fresh('x-hat', 0), fresh('x-dress', 1, { image_embedding: undefined }), fresh('x-odd', 2, { category: 'unknown', price: NaN })];
    const x = encodeContent(model, probe.map(productContent));
    const ts = forwardContent(model, x, probe.length);
    const onnx = await runContentModelOnnx(exportContentModelOnnx(model), x, probe.length, model.inputDim);
    expect(onnx.length).toBe(ts.length);
    for (let i = 0; i < ts.length; i++) expect(onnx[i]).toBeCloseTo(ts[i], 4);
    const files = serializeSnapshot({ ...parts, extraFiles: { 'content_model.onnx': exportContentModelOnnx(model) } });
    const loaded = deserializeSnapshot(files);
    expect(loaded.contentModel?.W1).toEqual(model.W1);
    const served = await predictContentFactors(loaded, probe);
    for (let i = 0; i < ts.length; i++) expect(served![i]).toBeCloseTo(ts[i], 4);
    // A tampered weight file is refused whole.
    const bad = { ...files, 'content_model.json': new TextEncoder().encode(JSON.stringify({ ...model, W1: model.W1.slice(1) })) };
    expect(() => deserializeSnapshot(bad)).toThrow();
  });
});
