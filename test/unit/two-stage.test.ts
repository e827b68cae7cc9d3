/**
 * The two-stage engine end to end over a trained snapshot: the gate keeps ALS order when the scorer
 * does not win, a never-bought look-alike reaches the buyers of its neighbours, and the promoted
 * guarantee survives the scorer and the diversity re-rank.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { trainModelVersion } from '../../functions/core/training/train-model.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { DEFAULT_RANKING_OPTIONS, rankForReceiver, slotLookAlikes } from '../../functions/core/ranking/recommend.js';
import { DEFAULT_BUSINESS_RULES } from '../../functions/core/ranking/business-rules.js';
import { dotScores } from '../../functions/core/numeric/topk.js';
import { createOnnxScoreAll } from '../../functions/adapters/onnx-score-kernel.js';
import { scoreRows as tsScoreRows } from '../../functions/core/ranking/scorer.js';
import { DEMO_CATEGORIES, generateDemoData } from '../../bin/local/demo-data.js';
import { compareOnHoldout, scorerGate, trainAndGate, type LabelledUser } from '../../functions/core/training/scorer-gate.js';
import { contentCosine, FEATURE_COUNT, FEATURE_NAMES, SOURCE } from '../../functions/core/ranking/features.js';
import { mmrOrder } from '../../functions/core/ranking/diversity.js';
import { contentNeighbours } from '../../functions/core/ranking/candidates.js';
import { distinctRecentFirst } from '../../functions/core/ranking/features.js';
import { summarizeUserEvents } from '../../functions/core/domain/interactions.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';
import { gaussian, mulberry32 } from '../../functions/core/numeric/prng.js';
import type { InteractionEvent, Product } from '../../functions/core/domain/types.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 1);
const CATS = ['hat', 'dress', 'shoes'];

/** 45 products in 3 categories whose image embeddings point along their category's axis; p-new is a never-bought hat. */
function fixture(): { products: Product[]; events: InteractionEvent[] } {
  const rng = mulberry32(5);
  const product = (id: string, c: number, extra: Partial<Product> = {}): Product => ({
    id,
    name: `${CATS[c]} ${id}`,
    description: '',
    price: 10 + Math.floor(rng() * 90),
    currency: 'EUR',
    category: CATS[c],
    promoted: rng() < 0.2,
    status: 'active',
    countries: [],
    images: [],
    createdAt: new Date(NOW - 200 * DAY).toISOString(),
    updatedAt: new Date(NOW - 200 * DAY).toISOString(),
    attributes: {},
    image_embedding: [0, 1, 2].map((a) => (a === c ? 1 : 0) + 0.15 * (rng() - 0.5)),
    ...extra,
  });
  const products = Array.from({ length: 45 }, (_, i) => product(`p${String(i).padStart(2, '0')}`, i % 3));
  products.push(product('p-new', 0, { image_embedding: [1, 0.01, 0], promoted: false }));
  const events: InteractionEvent[] = [];
  for (let u = 0; u < 60; u++) {
    const c = u % 3;
    for (let k = 0; k < 6; k++) {
      const item = products[3 * Math.floor(rng() * 15) + c];
      events.push({ eventId: `e${u}-${k}`, userId: `u${u}`, productId: item.id, type: 'order', quantity: 1, timestamp: NOW - Math.floor(rng() * 100) * DAY });
    }
  }
  return { products, events };
}

async function snapshot(): Promise<ModelSnapshot> {
  const { products, events } = fixture();
  const { parts } = await trainModelVersion({ events, products, userCountries: new Map(), now: NOW, version: 'v1', als: { factors: 8, iterations: 5 }, model: { family: 'als', halfLifeDays: 14, popularityBlend: 0 } });
  return deserializeSnapshot(serializeSnapshot(parts));
}

describe('scorer gate', () => {
  /** Users whose relevant items are exactly the ALS top items: ALS order is perfect, nothing can beat it. */
  function perfectAlsUsers(n: number): LabelledUser[] {
    return Array.from({ length: n }, (_, u) => {
      const rows = 30;
      const x = new Float32Array(rows * FEATURE_COUNT);
      const rng = mulberry32(u + 1);
      const candidates = Array.from({ length: rows }, (_, r) => {
        for (let d = 0; d < FEATURE_COUNT; d++) x[r * FEATURE_COUNT + d] = rng();
        return { index: r, sources: SOURCE.als, alsScore: rows - r, alsRank: r };
      });
      return { f: { candidates, x }, relevant: new Set([0, 1, 2]) };
    });
  }

  it('keeps ALS order when the scorer does not beat it, and says why', () => {
    const { decision } = trainAndGate(perfectAlsUsers(60), { epochs: 2 });
    expect(decision.figures.alsNdcg).toBeCloseTo(1, 10);
    expect(decision.promoted).toBe(false);
    expect(decision.reason).toMatch(/does not beat ALS order/);
  });

  it('promotes a scorer that wins on held-out users (labels follow a feature ALS ignores)', () => {
    const users = perfectAlsUsers(60).map((u) => {
      const promotedCol = FEATURE_NAMES.indexOf('promoted');
      const rel = new Set<number>();
      u.f.candidates.forEach((c, r) => {
        const v = r % 7 === 3 ? 1 : 0;
        u.f.x[r * FEATURE_COUNT + promotedCol] = v;
        if (v) rel.add(c.index);
      });
      return { ...u, relevant: rel };
    });
    const { scorer, decision } = trainAndGate(users, { epochs: 40 });
    expect(decision.promoted).toBe(true);
    expect(compareOnHoldout(scorer, users).scorerNdcg).toBeGreaterThan(0.9);
  });

  it('refuses to judge on too few users', () => {
    expect(scorerGate({ users: 3, k: 10, alsNdcg: 0.1, scorerNdcg: 0.9, alsPrecision: 0, scorerPrecision: 0, candidateRecall: 1 }).promoted).toBe(false);
  });
});

describe('two-stage serving', () => {
  let snap: ModelSnapshot;
  beforeAll(async () => {
    snap = await snapshot();
  });

  it('interleaved requests on one snapshot (scorer served or not) return what they return one at a time', async () => {
    const { events } = fixture();
    expect(snap.scorer).toBeDefined();
    const withMode = (mode: 'two-stage' | 'als'): ModelSnapshot => ({ ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode } } });
    // Both stages yield before answering, so concurrent requests interleave at every await.
    const tick = () => new Promise((r) => setTimeout(r, 1));
    const options = {
      scoreAll: async (y: Float32Array, f: number, u: Float32Array) => (await tick(), dotScores(y, f, u)),
      scoreRows: async (x: Float32Array, _rows: number, s: ModelSnapshot) => (await tick(), tsScoreRows(s.scorer!, x)),
    };
    for (const s of [withMode('two-stage'), withMode('als')]) {
      const rank = (u: number) => rankForReceiver(s, { history: events.filter((e) => e.userId === `u${u}`), now: NOW }, { userId: `u${u}`, num: 8, minPromoted: 2, maxPrice: 80 }, options);
      const users = Array.from({ length: 12 }, (_, u) => u * 5);
      const sequential = [];
      for (const u of users) sequential.push(await rank(u));
      expect(await Promise.all(users.map(rank))).toEqual(sequential);
    }
  });

  it('records the gate decision in the manifest (GET /model shows it) and ships the feature store', () => {
    expect(snap.featureStore?.nItems).toBe(snap.items.length);
    expect(['two-stage', 'als']).toContain(snap.manifest.ranking?.mode);
    expect(snap.manifest.ranking?.reason.length).toBeGreaterThan(10);
    expect(snap.manifest.ranking?.features).toEqual([...FEATURE_NAMES]);
    // Whether the scorer serves or ALS order is kept, why, and the figures behind it.
    const r = snap.manifest.ranking!;
    expect(r.reason).toMatch(r.mode === 'two-stage' ? /^scorer serves: NDCG@10 [\d.]+ beats ALS order [\d.]+/ : /ALS order kept/);
    expect(r.figures).toMatchObject({ alsNdcg: expect.any(Number), scorerNdcg: expect.any(Number), users: expect.any(Number) });
    expect(r.scorer).toMatchObject({ serving: r.mode === 'two-stage' });
  });

  it('recommends a never-bought product whose image is close to what the receiver bought (similar_image / new_arrival)', async () => {
    const { events } = fixture();
    const hatBuyer = events.filter((e) => e.userId === 'u0'); // u0 buys hats
    const res = await rankForReceiver(snap, { history: hatBuyer, now: NOW }, { userId: 'u0', num: 10, minPromoted: 0 });
    const hit = res.items.find((r) => r.id === 'p-new');
    expect(hit, JSON.stringify(res.items.map((r) => [r.id, r.reasons]))).toBeDefined();
    expect(hit!.reasons.some((r) => r.startsWith('similar_image:') || r === 'new_arrival')).toBe(true);
    for (const it of res.items) expect(it.reasons.length).toBeGreaterThan(0);
  });

  it('keeps the promoted guarantee, the budget and the owned-item rule after scoring and diversity re-rank', async () => {
    const { events } = fixture();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 15 }), fc.integer({ min: 0, max: 15 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 10, max: 100 }), async (u, num, minP, diversity, maxPrice) => {
        const minPromoted = Math.min(minP, num);
        const history = events.filter((e) => e.userId === `u${u}`);
        const res = await rankForReceiver(snap, { history, now: NOW }, { userId: `u${u}`, num, minPromoted, maxPrice }, { diversity });
        const owned = new Set(history.map((e) => e.productId));
        const eligiblePromoted = snap.items.filter((it) => it.promoted && it.price <= maxPrice && !owned.has(it.id)).length;
        const promotedOut = res.items.filter((r) => snap.items[r.index].promoted).length;
        expect(promotedOut).toBeGreaterThanOrEqual(Math.min(minPromoted, eligiblePromoted));
        expect(res.promotedShortfall).toBe(Math.max(0, minPromoted - eligiblePromoted));
        for (const r of res.items) {
          expect(snap.items[r.index].price).toBeLessThanOrEqual(maxPrice);
          expect(owned.has(r.id)).toBe(false);
          expect(r.reasons.length).toBeGreaterThan(0);
        }
        expect(new Set(res.items.map((r) => r.id)).size).toBe(res.items.length);
      }),
      { numRuns: 40, seed: 42 },
    );
  });

  it('applies the business rules only when configured: the request option, else the version\'s own', async () => {
    // A hat buyer: the never-sold p-new (listed 200 days ago) is a hat, so the content model ranks it in their list.
    const history = fixture().events.filter((e) => e.userId === 'u0');
    const q = { userId: 'u0', num: 20, minPromoted: 0 };
    const off = await rankForReceiver(snap, { history, now: NOW }, q);
    expect(snap.manifest.rules?.source).toBe('default');
    expect(off.items.some((r) => snap.items[r.index].price < 30)).toBe(true);
    expect(off.items.map((r) => r.id)).toContain('p-new'); // never sold
    const on = await rankForReceiver(snap, { history, now: NOW }, q, { rules: { ...DEFAULT_BUSINESS_RULES, minPrice: 30, excludeNotSoldForMonths: 6 } });
    expect(on.items).toHaveLength(20);
    for (const r of on.items) {
      expect(snap.items[r.index].price).toBeGreaterThanOrEqual(30);
      expect(snap.items[r.index].lastSoldAt).toBeGreaterThanOrEqual(NOW - 180 * DAY);
    }
    // The sales-recency rule on its own removes the never-sold item (the price one cannot be why).
    const recentOnly = await rankForReceiver(snap, { history, now: NOW }, q, { rules: { ...DEFAULT_BUSINESS_RULES, excludeNotSoldForMonths: 6 } });
    expect(recentOnly.items).toHaveLength(20);
    expect(recentOnly.items.map((r) => r.id)).not.toContain('p-new');
    // A window longer than the item has been listed: it has not had the time to sell, so it stays.
    const longWindow = await rankForReceiver(snap, { history, now: NOW }, q, { rules: { ...DEFAULT_BUSINESS_RULES, excludeNotSoldForMonths: 12 } });
    expect(longWindow.items.map((r) => r.id)).toContain('p-new');
  });

  const inMode = (mode: 'two-stage' | 'als'): ModelSnapshot => ({ ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode } } });

  it('ranks the same through a kernel that selects in its own graph (the scorer reads every ALS score)', async () => {
    const onnx = createOnnxScoreAll({ minItems: 0 });
    try {
      const { events } = fixture();
      for (const mode of ['two-stage', 'als'] as const) {
        for (let u = 0; u < 8; u++) {
          const history = events.filter((e) => e.userId === `u${u}`);
          const q = { userId: `u${u}`, num: 8, minPromoted: 1 };
          const want = await rankForReceiver(inMode(mode), { history, now: NOW }, q);
          const got = await rankForReceiver(inMode(mode), { history, now: NOW }, q, { scoreAll: onnx });
          expect(got.mode).toBe(mode);
          expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
          got.items.forEach((r, k) => expect(r.score).toBeCloseTo(want.items[k].score, 4));
        }
      }
    } finally {
      await onnx.release();
    }
  });

  it('candidates score 3 + p (above 3), every other item 10 lower than its ALS-order score (below 0)', async () => {
    const history = fixture().events.filter((e) => e.userId === 'u0');
    const r = await rankForReceiver(inMode('two-stage'), { history, now: NOW }, { userId: 'u0', num: snap.items.length, minPromoted: 0 }, { candidates: { alsTopN: 5, popularN: 5, newN: 0, contentPerItem: 2 } });
    expect(r.mode).toBe('two-stage');
    const head = r.items.filter((x) => x.score >= 3);
    expect(head.length).toBeGreaterThan(4);
    expect(r.items.slice(0, head.length)).toEqual(head);
    expect(head.every((x) => x.score <= 4.5)).toBe(true);
    const tail = r.items.slice(head.length);
    expect(tail.length).toBeGreaterThan(4);
    for (const x of tail) expect(x.score).toBeLessThan(0);
  });

  it('a wishlisted item is a candidate of its own (not only through ALS, popularity or content)', async () => {
    const history = fixture().events.filter((e) => e.userId === 'u0');
    const s = inMode('two-stage');
    // u0 buys hats: a dress is far down their ALS list.
    const plain = await rankForReceiver(s, { history, now: NOW }, { userId: 'u0', num: snap.items.length, minPromoted: 0 });
    const dress = plain.items.filter((x) => snap.items[x.index].category === 'dress').at(-1)!;
    const wish: InteractionEvent = { eventId: 'w', userId: 'u0', productId: dress.id, type: 'wishlist', quantity: 1, timestamp: NOW - DAY };
    const candidates = { alsTopN: 3, popularN: 0, newN: 0, contentPerItem: 0 };
    const r = await rankForReceiver(s, { history: [...history, wish], now: NOW }, { userId: 'u0', num: 4, minPromoted: 0 }, { candidates });
    expect(r.mode).toBe('two-stage');
    const hit = r.items.find((x) => x.id === dress.id);
    expect(hit?.reasons[0]).toBe('on_wishlist');
    expect(hit!.score).toBeGreaterThan(3.5); // 3 + p + the wishlist boost
  });

  it('with no candidate drawn the scorer does not serve: ALS mode, the list of the version without a feature store', async () => {
    const candidates = { popularN: 0, newN: 0 };
    const q = { userId: 'nobody', num: 8, minPromoted: 2 };
    const r = await rankForReceiver(inMode('two-stage'), { history: [], now: NOW }, q, { candidates });
    expect(r.mode).toBe('als');
    expect(r).toEqual(await rankForReceiver({ ...inMode('two-stage'), featureStore: undefined }, { history: [], now: NOW }, q, { candidates }));
  });

  it('a feature store sized for another catalogue is not used: the ranking of the version without one', async () => {
    const history = fixture().events.filter((e) => e.userId === 'u3');
    for (const mode of ['two-stage', 'als'] as const) {
      const s = inMode(mode);
      const q = { userId: 'u3', num: 10, minPromoted: 1 };
      const stale = await rankForReceiver({ ...s, featureStore: { ...s.featureStore!, nItems: s.items.length - 1 } }, { history, now: NOW }, q);
      expect(stale).toEqual(await rankForReceiver({ ...s, featureStore: undefined }, { history, now: NOW }, q));
      expect(stale.mode).toBe('als');
    }
  });

  it('a 1-star review alone is no history: no look-alikes of it, no features from it; the item is blocked', async () => {
    const hat = snap.items.find((it) => it.category === 'hat' && it.interactionCount > 0)!;
    const review: InteractionEvent = { eventId: 'r1', userId: 'x', productId: hat.id, type: 'review', quantity: 1, rating: 1, timestamp: NOW - DAY };
    for (const mode of ['two-stage', 'als'] as const) {
      const s = inMode(mode);
      const q = { userId: 'x', num: 10, minPromoted: 0 };
      const got = await rankForReceiver(s, { history: [review], now: NOW }, q);
      expect(got).toEqual(await rankForReceiver(s, { history: [], profile: { id: 'x', blacklist: [hat.id] }, now: NOW }, q));
      expect(got.items.some((x) => x.reasons.some((r) => r.startsWith('similar_image:')))).toBe(false);
    }
  });

  it.each(['two-stage', 'als'] as const)('the promoted boost lifts promoted items in %s order (applied after the scorer)', async (mode) => {
    const s: ModelSnapshot = { ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode } } };
    const history = fixture().events.filter((e) => e.userId === 'u1');
    const q = { userId: 'u1', num: 10, minPromoted: 0 };
    const promotedIn = (r: Awaited<ReturnType<typeof rankForReceiver>>) => r.items.filter((it) => s.items[it.index].promoted).length;
    const off = await rankForReceiver(s, { history, now: NOW }, q);
    const on = await rankForReceiver(s, { history, now: NOW }, q, { rules: { ...DEFAULT_BUSINESS_RULES, promotedBoost: 5 } });
    expect(off.mode).toBe(mode);
    expect(on.mode).toBe(mode);
    const eligiblePromoted = s.items.filter((it) => it.promoted && !history.some((e) => e.productId === it.id)).length;
    expect(promotedIn(off)).toBeLessThan(Math.min(10, eligiblePromoted));
    // A boost larger than any score gap puts every promoted eligible item first.
    expect(promotedIn(on)).toBe(Math.min(10, eligiblePromoted));
    expect(s.items[on.items[0].index].promoted).toBe(true);
  });
});

/**
 * The diversity re-rank from its contract: MMR over the best max(3·num, 30) eligible items of the
 * list without diversity, similarity 1 within a category, else the image cosine when both items
 * have an embedding. At diversity 1 MMR ignores relevance, so the reference needs no scores.
 */
async function expectDiversityReference(s: ModelSnapshot, receiver: Parameters<typeof rankForReceiver>[1], num: number): Promise<boolean> {
  const q = { userId: 'r', num, minPromoted: 0 };
  const plain = await rankForReceiver(s, receiver, { ...q, num: s.items.length });
  const pool = plain.items.slice(0, Math.max(3 * num, 30)).map((r) => r.index);
  const row = s.featureStore?.embeddingRow;
  const sim = (a: number, b: number) => {
    const ca = s.items[a].category;
    const cat = ca !== undefined && ca !== '' && ca === s.items[b].category ? 1 : 0;
    return row && row[a] >= 0 && row[b] >= 0 ? Math.max(cat, contentCosine(s.embeddings, row[a], row[b])) : cat;
  };
  const want = mmrOrder(pool, () => 0, sim, 1).slice(0, num);
  const got = await rankForReceiver(s, receiver, q, { diversity: 1 });
  expect(got.items.map((r) => r.index)).toEqual(want);
  // Whether the re-rank changed the list (each case below must have some that it changes).
  return want.some((i, k) => i !== pool[k]);
}

describe('diversity re-rank', () => {
  let snap: ModelSnapshot;
  beforeAll(async () => {
    snap = await snapshot();
  });

  it.each([5, 12, 20])('follows MMR over the eligible head, category or image cosine (num %i, ALS order and scorer)', async (num) => {
    const { events } = fixture();
    for (const mode of ['als', 'two-stage'] as const) {
      const s: ModelSnapshot = { ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode } } };
      const changed = [];
      for (const u of [0, 1, 5]) changed.push(await expectDiversityReference(s, { history: events.filter((e) => e.userId === `u${u}`), now: NOW }, num));
      expect(changed).toContain(true);
    }
  });

  it.each([5, 12, 20])('follows MMR by category alone without embeddings (num %i)', async (num) => {
    const cat = syntheticCatalog(300, 8, { seed: 29, nUsers: 4 });
    const changed = [];
    for (const u of cat.users) changed.push(await expectDiversityReference(cat.snapshot, { history: cat.history.get(u.id)!, profile: u, now: NOW }, num));
    expect(changed).toContain(true);
  });
});

/** The content neighbours of the receiver's items that are eligible (not owned, not blacklisted): the reference. */
function neighboursOf(s: ModelSnapshot, events: InteractionEvent[], blacklist: string[]) {
  const summaries = summarizeUserEvents(events);
  const history = [...summaries].map(([id, x]) => ({ item: s.itemIndex.get(id)!, timestamp: x.lastTimestamp }));
  const excluded = new Set([...blacklist, ...[...summaries].filter(([, x]) => x.owned).map(([id]) => id)]);
  return contentNeighbours(
    { nItems: s.items.length, recentItems: distinctRecentFirst(history, s.items.length).map((h) => h.item), exclude: (i) => excluded.has(s.items[i].id), embeddings: s.embeddings, itemIds: s.columns.ids, itemIndex: s.itemIndex },
    DEFAULT_RANKING_OPTIONS.candidates,
  );
}

describe('content neighbours in ALS order', () => {
  let als: ModelSnapshot;
  beforeAll(async () => {
    const snap = await snapshot();
    als = { ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode: 'als' } } };
  });
  const hatBuyer = () => fixture().events.filter((e) => e.userId === 'u0');

  const byIndex = (r: Awaited<ReturnType<typeof rankForReceiver>>) => new Map(r.items.map((x) => [x.index, x]));

  it.each([
    ['one pass (no look-alike: p-new blacklisted)', ['p-new']],
    ['look-alike slotted (p-new in the list)', []],
  ])('adds contentBoost × similarity to the neighbours that have interactions, nothing to the others (%s)', async (_, blacklist) => {
    const history = hatBuyer();
    const receiver = { history, profile: { id: 'u0', blacklist }, now: NOW };
    const q = { userId: 'u0', num: als.items.length, minPromoted: 0 };
    const near = neighboursOf(als, history, blacklist);
    const warm = [...near.keys()].filter((i) => als.items[i].interactionCount > 0);
    expect(warm.length).toBeGreaterThan(3);
    expect(near.has(als.itemIndex.get('p-new')!)).toBe(blacklist.length === 0);
    const off = byIndex(await rankForReceiver(als, receiver, q, { contentBoost: 0 }));
    const on = byIndex(await rankForReceiver(als, receiver, q, { contentBoost: 10 }));
    for (const [i, r] of on) {
      const c = near.get(i);
      if (c && als.items[i].interactionCount > 0) {
        expect(r.score - off.get(i)!.score).toBeCloseTo(10 * c.similarity, 4);
        expect(r.reasons[0]).toBe(`similar_image:${als.items[c.similarTo].id}`);
      } else if (!c) expect(r.score).toBe(off.get(i)!.score);
    }
    // Without a content boost a neighbour scores what it scores without a feature store (no wishlist boost either).
    if (blacklist.length > 0) {
      const plain = byIndex(await rankForReceiver({ ...als, featureStore: undefined }, receiver, q));
      for (const [i, r] of off) expect(r.score).toBe(plain.get(i)!.score);
    }
  });

  it('a look-alike keeps its slot whatever the content boost: the boost is for neighbours with interactions', async () => {
    const receiver = { history: hatBuyer(), now: NOW };
    // Slot 3, and a slot past every neighbour with interactions (which a large boost puts first).
    const warm = [...neighboursOf(als, receiver.history, []).keys()].filter((i) => als.items[i].interactionCount > 0).length;
    for (const contentBoost of [0.1, 10, 1000])
      for (const lookAlikeSlot of [3, warm + 3]) {
        const r = await rankForReceiver(als, receiver, { userId: 'u0', num: warm + 8, minPromoted: 0 }, { contentBoost, lookAlikeSlot });
        expect(r.items.findIndex((x) => x.id === 'p-new')).toBe(lookAlikeSlot);
      }
  });

  it('a wishlisted item that is also a content neighbour is listed once, with its wishlist reason and boost', async () => {
    const history = hatBuyer();
    const wish = (i: number): InteractionEvent => ({ eventId: 'w', userId: 'u0', productId: als.items[i].id, type: 'wishlist', quantity: 1, timestamp: NOW - DAY });
    // A neighbour with interactions that stays a neighbour once wishlisted.
    const target = [...neighboursOf(als, history, ['p-new']).keys()].find((i) => als.items[i].interactionCount > 0 && neighboursOf(als, [...history, wish(i)], ['p-new']).has(i))!;
    expect(target).toBeDefined();
    const receiver = { history: [...history, wish(target)], profile: { id: 'u0', blacklist: ['p-new'] }, now: NOW };
    // A short list: an item offered twice would take two of its places.
    const q = { userId: 'u0', num: 10, minPromoted: 0 };
    const r = await rankForReceiver(als, receiver, q, { contentBoost: 0 });
    expect(new Set(r.items.map((x) => x.index)).size).toBe(10);
    const hit = r.items.filter((x) => x.index === target);
    expect(hit).toHaveLength(1);
    expect(hit[0].reasons[0]).toBe('on_wishlist');
    const plain = await rankForReceiver({ ...als, featureStore: undefined }, receiver, q);
    expect(hit[0].score).toBe(plain.items.find((x) => x.index === target)!.score);
  });
});

describe('look-alikes in ALS order (demo catalogue)', async () => {
  // The demo data of `npm start` (bin/local/demo-data.ts) with synthetic image embeddings: each
  // category has its own direction, all share a common one (clothes look alike), plus noise.
  // Two never-bought outwear items are made near-copies of dresses user 2 bought: the case where
  // look-alikes used to take the top of the list above the receiver's own taste (dresses, skirts).
  const now = Date.UTC(2025, 5, 1);
  const demo = generateDemoData({ now });
  const rng = mulberry32(11);
  const D = 16;
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const axis = new Map(DEMO_CATEGORIES.map((c) => [c, unit(Array.from({ length: D }, () => gaussian(rng)))]));
  const shared = unit(Array.from({ length: D }, () => gaussian(rng)));
  const products: Product[] = demo.products.map((p) => ({
    ...p,
    image_embedding: unit(axis.get(p.category as (typeof DEMO_CATEGORIES)[number])!.map((a, d) => 0.6 * a + 0.5 * shared[d] + 0.3 * gaussian(rng) / Math.sqrt(D))),
  }));
  const bought = demo.events.filter((e) => e.userId === '2' && e.type === 'order').map((e) => e.productId);
  const dresses = products.filter((p) => bought.includes(p.id) && p.category === 'dress');
  const lookAlikes = dresses.slice(0, 2).map((d, k): Product => ({
    ...d,
    id: `p-look-${k}`,
    name: `look-alike ${k}`,
    category: 'outwear',
    createdAt: new Date(now - 2 * DAY).toISOString(),
    image_embedding: unit(d.image_embedding!.map((x) => x + 0.05 * gaussian(rng))),
  }));
  const { parts } = await trainModelVersion({ events: demo.events, products: [...products, ...lookAlikes], userCountries: new Map(demo.users.map((u) => [u.id, u.country!])), now, version: 'demo', model: { family: 'als', halfLifeDays: null, popularityBlend: 0 } });
  const snap = deserializeSnapshot(serializeSnapshot(parts));
  const history = demo.events.filter((e) => (e.receiverId ?? e.userId) === '2');

  const cat = (id: string) => snap.items[snap.itemIndex.get(id)!].category;
  const alsOnly: ModelSnapshot = { ...snap, manifest: { ...snap.manifest, ranking: { ...snap.manifest.ranking!, mode: 'als' } } };

  it.each([
    ['ALS order kept', alsOnly],
    ['as trained (gate decision)', snap],
  ])('slots never-bought look-alikes into the list without taking its head (%s): user 2 keeps dresses/skirts before the slot', async (_, s) => {
    expect(dresses.length).toBeGreaterThanOrEqual(1);
    const res = await rankForReceiver(s, { history, profile: demo.users[1], now }, { userId: '2', num: 10, minPromoted: 0 });
    const shown = JSON.stringify(res.items.map((r) => [r.id, cat(r.id), r.score, r.reasons]));
    // The head — every place before the look-alike slot — is the receiver's own taste.
    const head = res.items.slice(0, DEFAULT_RANKING_OPTIONS.lookAlikeSlot).map((r) => cat(r.id));
    expect(head.length).toBe(DEFAULT_RANKING_OPTIONS.lookAlikeSlot);
    // (A promoted scorer may rank a look-alike above its slot on purpose: the slot is a floor.)
    if (s.manifest.ranking?.mode !== 'two-stage') for (const c of head) expect(['dress', 'skirt'], shown).toContain(c);
    else expect(head.filter((c) => c === 'dress' || c === 'skirt').length, shown).toBeGreaterThanOrEqual(1);
    // …and the most similar look-alike still enters the list, with its reason, at its slot or above.
    const pos = res.items.findIndex((r) => r.id === 'p-look-0' || r.id === 'p-look-1');
    expect(pos, shown).toBeGreaterThanOrEqual(0);
    expect(pos, shown).toBeLessThanOrEqual(DEFAULT_RANKING_OPTIONS.lookAlikeSlot);
    expect(res.items[pos].reasons.some((r) => r.startsWith('similar_image:'))).toBe(true);
  });

  it('a look-alike keeps its slot whatever the content boost: the boost is for neighbours with interactions', async () => {
    // A slot past every neighbour with interactions, which a large boost puts first.
    const warm = [...neighboursOf(alsOnly, history, []).keys()].filter((i) => alsOnly.items[i].interactionCount > 0).length;
    for (const contentBoost of [0.1, 1000]) {
      const res = await rankForReceiver(alsOnly, { history, profile: demo.users[1], now }, { userId: '2', num: warm + 8, minPromoted: 0 }, { contentBoost, lookAlikeSlot: warm + 3 });
      expect(res.items.findIndex((r) => r.id === 'p-look-0' || r.id === 'p-look-1')).toBe(warm + 3);
    }
  });
});

describe('slotLookAlikes (the reserved places of never-interacted look-alikes)', () => {
  const all = () => true;

  it('puts the most similar at the slot, the next gap places further, between the scores of the eligible others', () => {
    // 0..9 score 10..1; 10 and 11 are look-alikes (given least similar first); 12, ineligible, scores 20.
    const scores = Float32Array.from([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0.5, 0.4, 20]);
    slotLookAlikes(scores, [{ index: 10, similarity: 0.5 }, { index: 11, similarity: 0.9 }], (i) => i !== 12, 3, 3);
    // Item 11 (the more similar) between the 3rd and 4th others (8, 7); item 10 between the 6th and 7th (5, 4).
    expect(Array.from(scores)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 4.5, 7.5, 20]);
  });

  it('orders look-alikes of equal similarity by index', () => {
    const scores = Float32Array.from([10, 9, 8, 7, 6, 5, 4, 0, 0, 0]);
    slotLookAlikes(scores, [{ index: 9, similarity: 0.7 }, { index: 7, similarity: 0.7 }, { index: 8, similarity: 0.7 }], all, 1, 2);
    // 7 at place 1 (between 10 and 9), 8 at place 3 (8, 7), 9 at place 5 (6, 5).
    expect(Array.from(scores.subarray(7))).toEqual([9.5, 7.5, 5.5]);
  });

  it('slot 0 goes just above the best other: by a thousandth of its score, at least 1e-3', () => {
    const scores = Float32Array.from([4, 2, 1, 0]);
    slotLookAlikes(scores, [{ index: 3, similarity: 0.8 }], all, 0, 2);
    expect(scores[3]).toBe(Math.fround(4.004));
    const small = Float32Array.from([0.5, 0.2, 0]);
    slotLookAlikes(small, [{ index: 2, similarity: 0.8 }], all, 0, 2);
    expect(small[2]).toBe(Math.fround(0.501));
  });

  it('past the end of the eligible list: one step below the last per missing place', () => {
    // Eligible others: 0 (5) and 1 (4); 2 is ineligible. Look-alikes at places 2 and 3 of a 2-item list.
    const scores = Float32Array.from([5, 4, 9, 0, 0]);
    slotLookAlikes(scores, [{ index: 4, similarity: 0.5 }, { index: 3, similarity: 0.9 }], (i) => i !== 2, 2, 1);
    expect(scores[3]).toBe(Math.fround(4 - 0.004));
    expect(scores[4]).toBe(Math.fround(4 - 0.008));
    // A last score under 1 steps by 1e-3.
    const low = Float32Array.from([0.5, 0.25, 0]);
    slotLookAlikes(low, [{ index: 2, similarity: 0.9 }], all, 5, 1);
    expect(low[2]).toBe(Math.fround(0.25 - 1e-3 * 4));
  });

  it('with no eligible other the look-alike scores 0, and a slot is a floor: a higher score is kept', () => {
    const none = Float32Array.from([3, -1]);
    slotLookAlikes(none, [{ index: 1, similarity: 0.9 }], (i) => i !== 0, 3, 3);
    expect(Array.from(none)).toEqual([3, 0]);
    const high = Float32Array.from([3, 2, 1, 50]);
    slotLookAlikes(high, [{ index: 3, similarity: 0.9 }], all, 1, 3);
    expect(Array.from(high)).toEqual([3, 2, 1, 50]);
  });
});
