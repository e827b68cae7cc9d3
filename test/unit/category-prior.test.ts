/**
 * The category prior: its closed form on a hand-sized catalogue, a slow reference on random ones,
 * the selection searching its weight only when the catalogue has categories (and scoring a kept
 * config with its own weight), and serving ranking by it with a truthful reason.
 */
import { describe, expect, it } from 'vitest';
import { addCategoryPrior, categoryPrior, groupedItem, groupShares, itemGroups } from '../../functions/core/ranking/category-prior.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { selectModel, type ModelConfig } from '../../functions/core/training/select-model.js';
import { engineInputs, recommendOffline, trainOfflineEngine, type OfflineCatalog } from '../../functions/core/evaluation/offline-engine.js';
import { DEFAULT_INTERACTION_SETTINGS } from '../../functions/core/domain/interactions.js';
import { tasteGroupShop } from '../support/taste-groups.js';
import { rankForReceiver } from '../../functions/core/ranking/recommend.js';
import { createOnnxScoreAll } from '../../functions/adapters/onnx-score-kernel.js';

describe('item groups', () => {
  it('are the category, refined by brand when there is one; no category is no group', () => {
    const g = itemGroups([{ category: 'phones', brand: 'acme' }, { category: 'phones' }, { category: 'phones', brand: 'acme' }, { category: '' }, { category: 'phones', brand: 'zeta' }, { category: 'tea' }]);
    expect(Array.from(g.group)).toEqual([0, 1, 0, -1, 2, 3]);
    expect(g.nGroups).toBe(4);
  });

  it('read the brand from the product attributes', () => {
    expect(groupedItem({ category: 'tea', attributes: { brand: 'Private' } })).toEqual({ category: 'tea', brand: 'Private' });
    expect(groupedItem({ category: 'tea', attributes: {} })).toEqual({ category: 'tea' });
  });
});

describe('the prior, closed form', () => {
  // Items 0–2 in "a", 3 in "b", 4 without a category.
  const groups = itemGroups([{ category: 'a' }, { category: 'a' }, { category: 'a' }, { category: 'b' }, { category: '' }]);
  const popularity = [1, 0, 0.5, 0.2, 1];

  it('gives each item its share of its group\'s popularity (ε = 0.01 for the never sold)', () => {
    const p = categoryPrior(groups, popularity);
    const a = 1.01 + 0.01 + 0.51;
    expect(p.shareInGroup[0]).toBeCloseTo(1.01 / a, 6);
    expect(p.shareInGroup[1]).toBeCloseTo(0.01 / a, 6);
    expect(p.shareInGroup[2]).toBeCloseTo(0.51 / a, 6);
    expect(p.shareInGroup[3]).toBeCloseTo(1, 6);
    expect(p.shareInGroup[4]).toBe(0);
  });

  it('shares a history\'s strength between its groups, counting ungrouped items in the total', () => {
    const shares = groupShares(groups, [0, 3, 4], [2, 1, 1]);
    expect(Array.from(shares)).toEqual([0.5, 0.25]);
  });

  it('adds γ · share(g) · P(i | g) to the max-normalised scores', () => {
    const p = categoryPrior(groups, popularity);
    const scores = Float32Array.from([4, 2, 0, 1, 8]);
    expect(addCategoryPrior(scores, 5, p, [0], [1], 3)).toBe(true);
    const expected = [0.5 + 3 * p.shareInGroup[0], 0.25 + 3 * p.shareInGroup[1], 3 * p.shareInGroup[2], 0.125, 1];
    expected.forEach((v, i) => expect(scores[i]).toBeCloseTo(v, 6));
  });

  it('says so when the history touches no group, and then only normalises', () => {
    const p = categoryPrior(groups, popularity);
    const scores = Float32Array.from([4, 2, 0, 1, 8]);
    expect(addCategoryPrior(scores, 5, p, [4], [1], 3)).toBe(false);
    expect(Array.from(scores)).toEqual([0.5, 0.25, 0, 0.125, 1]);
  });

  it('leaves out non-positive weights, and an empty history adds nothing (no 0 / 0)', () => {
    expect(Array.from(groupShares(groups, [0, 3], [-1, 1]))).toEqual([0, 1]);
    const p = categoryPrior(groups, popularity);
    const scores = Float32Array.from([4, 2, 0, 1, 8]);
    expect(addCategoryPrior(scores, 5, p, [], [], 3)).toBe(false);
    expect(Array.from(scores)).toEqual([0.5, 0.25, 0, 0.125, 1]);
    expect(addCategoryPrior(scores, 5, p, [0, 3], [0, -2], 3)).toBe(false);
    expect(scores.every(Number.isFinite)).toBe(true);
  });

  it('keeps scores as they are when none is positive (no 1 / 0), and touches only the first n', () => {
    const p = categoryPrior(groups, popularity);
    const scores = Float32Array.from([-1, 0, -2, 5, 7]);
    addCategoryPrior(scores, 3, p, [3], [1], 2); // group "b": items 0–2 get nothing
    expect(Array.from(scores)).toEqual([-1, 0, -2, 5, 7]);
    const mixed = Float32Array.from([2, 1, 0, 9, 9]);
    addCategoryPrior(mixed, 3, p, [0], [1], 1);
    expect(mixed[0]).toBeCloseTo(1 + p.shareInGroup[0], 6); // max over the first three: 2, not 9
    expect(Array.from(mixed.subarray(3))).toEqual([9, 9]);
  });

  it('equals a slow reference on random catalogues and histories', () => {
    const rng = mulberry32(11);
    for (let trial = 0; trial < 50; trial++) {
      const n = 5 + Math.floor(rng() * 40);
      const items = Array.from({ length: n }, () => (rng() < 0.1 ? { category: '' } : { category: `c${Math.floor(rng() * 4)}`, ...(rng() < 0.5 ? { brand: `b${Math.floor(rng() * 2)}` } : {}) }));
      const pop = Array.from({ length: n }, () => (rng() < 0.2 ? 0 : rng()));
      const history = Array.from({ length: 1 + Math.floor(rng() * 5) }, () => Math.floor(rng() * n));
      const weights = history.map(() => rng());
      const raw = Float32Array.from({ length: n }, () => rng() * 2 - 0.5);
      const gamma = rng() * 10;
      // Reference: by keys, with plain objects and no precomputed arrays.
      const key = (i: number) => (items[i].category ? `${items[i].category}/${items[i].brand ?? ''}` : undefined);
      const groupPop = new Map<string, number>();
      items.forEach((_, i) => key(i) && groupPop.set(key(i)!, (groupPop.get(key(i)!) ?? 0) + pop[i] + 0.01));
      const total = weights.reduce((a, b) => a + b, 0);
      const liked = new Map<string, number>();
      history.forEach((i, k) => key(i) && liked.set(key(i)!, (liked.get(key(i)!) ?? 0) + weights[k] / total));
      const max = Math.max(0, ...raw);
      const expected = Array.from(raw, (s, i) => s / (max > 0 ? max : 1) + (key(i) ? (gamma * (liked.get(key(i)!) ?? 0) * (pop[i] + 0.01)) / groupPop.get(key(i)!)! : 0));
      const got = Float32Array.from(raw);
      addCategoryPrior(got, n, categoryPrior(itemGroups(items), pop), history, weights, gamma);
      expected.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
    }
  });
});

/**
 * A shop where categories say what collaborative data cannot: three taste groups of 100 items each,
 * four orders per customer, so items rarely share buyers; each item's category is its group.
 */
function thinShop() {
  const shop = tasteGroupShop({ users: 240, items: 300, eventsPerUser: 4, inGroup: 0.95, seed: 5 });
  const catalog: OfflineCatalog = new Map(Array.from({ length: 300 }, (_, i) => [`i${i}`, { category: `group-${shop.groupOfItem(`i${i}`)}` }]));
  return { ...shop, catalog };
}

describe('the selection and the category prior', () => {
  const { rows, catalog } = thinShop();
  const { events, products } = engineInputs(rows, catalog);
  const sorted = [...products].sort((a, b) => (a.id < b.id ? -1 : 1));
  const input = { events, catalogIds: sorted.map((p) => p.id), settings: DEFAULT_INTERACTION_SETTINGS, families: ['ease' as const, 'popularity' as const] };

  it('searches γ when the catalogue has categories, and chooses it where categories predict the next items', async () => {
    const s = (await selectModel({ ...input, itemGroups: itemGroups(sorted.map(groupedItem)) }))!;
    const withPrior = s.candidates.filter((c) => (c.config.categoryBlend ?? 0) > 0);
    expect(withPrior.length).toBeGreaterThanOrEqual(5);
    expect(s.chosen.categoryBlend).toBeGreaterThan(0);
    const bestWithout = Math.max(...s.candidates.filter((c) => !c.config.categoryBlend).map((c) => c.ndcg10));
    expect(s.validationNdcg10).toBeGreaterThan(bestWithout);
  });

  it('does not search γ without categories', async () => {
    const s = (await selectModel(input))!;
    expect(s.candidates.every((c) => !c.config.categoryBlend)).toBe(true);
  });

  it('scores a kept config (the serving version\'s) with its own γ', async () => {
    const kept: ModelConfig = { family: 'popularity', halfLifeDays: 30, popularityBlend: 0, categoryBlend: 3 };
    const s = (await selectModel({ ...input, families: ['popularity'], include: [kept], itemGroups: itemGroups(sorted.map(groupedItem)) }))!;
    const withGamma = s.candidates.find((c) => JSON.stringify(c.config) === JSON.stringify(kept))!;
    const plain = s.candidates.find((c) => c.config.family === 'popularity' && !c.config.categoryBlend)!;
    expect(withGamma.ndcg10).toBeGreaterThan(plain.ndcg10);
  });
});

describe('serving with the category prior', () => {
  const { rows, catalog, groupOfItem, groupOfUser } = thinShop();
  const pinned = (categoryBlend: number) => trainOfflineEngine(rows, { catalog, secondStage: false, model: { family: 'popularity', halfLifeDays: 30, popularityBlend: 0, categoryBlend } });

  it('ranks popularity within the receiver\'s categories, and says why', async () => {
    const engine = await pinned(100);
    let inGroup = 0;
    for (let u = 0; u < 30; u++) {
      const recs = await recommendOffline(engine, `u${u}`, 5, 'seen');
      for (const r of recs) {
        if (groupOfItem(r.id) === groupOfUser(`u${u}`)) inGroup++;
        const liked = r.reasons.find((x) => x.startsWith('in_your_category:'));
        // Every item of a category the receiver has history in is marked; no other item is.
        const history = new Set(engine.history.get(`u${u}`)!.map((e) => `group-${groupOfItem(e.productId)}`));
        expect(liked !== undefined).toBe(history.has(`group-${groupOfItem(r.id)}`));
        if (liked) expect(liked).toBe(`in_your_category:group-${groupOfItem(r.id)}`);
      }
    }
    expect(inGroup / 150).toBeGreaterThanOrEqual(0.8);
  });

  it('marks exactly the items of the receiver\'s categories, far down the list too', async () => {
    const engine = await pinned(100);
    for (let u = 0; u < 5; u++) {
      const liked = new Set(engine.history.get(`u${u}`)!.map((e) => groupOfItem(e.productId)));
      const recs = await recommendOffline(engine, `u${u}`, 200, 'seen');
      expect(recs.some((r) => !liked.has(groupOfItem(r.id)))).toBe(true); // the list reaches other groups
      for (const r of recs) expect(r.reasons.includes(`in_your_category:group-${groupOfItem(r.id)}`)).toBe(liked.has(groupOfItem(r.id)));
    }
  });

  it('makes a popularity version personal for a receiver with history, not for one without', async () => {
    const engine = await pinned(100);
    const query = { userId: 'u0', num: 5, minPromoted: 0 };
    const known = await rankForReceiver(engine.snapshot, { history: engine.history.get('u0')!, now: engine.refTime }, query);
    const cold = await rankForReceiver(engine.snapshot, { history: [], now: engine.refTime }, { ...query, userId: 'nobody' });
    expect(known.personalized).toBe(true);
    expect(cold.personalized).toBe(false);
    expect(cold.items.map((r) => r.id)).toEqual((await rankForReceiver((await pinned(0)).snapshot, { history: [], now: engine.refTime }, { ...query, userId: 'nobody' })).items.map((r) => r.id));
  });

  it('gives a receiver with no known history the asked country\'s popular list, as γ = 0 does', async () => {
    // A country list unlike global popularity (the least popular items first), so starting from the
    // popularity vector instead of the country's list shows.
    const withCountry = async (categoryBlend: number) => {
      const { snapshot, refTime } = await pinned(categoryBlend);
      const leastFirst = Array.from(snapshot.popularity.keys()).sort((a, b) => snapshot.popularity[a] - snapshot.popularity[b] || a - b).slice(0, 40);
      return { snapshot: { ...snapshot, popularByCountry: { ...snapshot.popularByCountry, MX: leastFirst } }, refTime, leastFirst };
    };
    const { snapshot, refTime, leastFirst } = await withCountry(100);
    const plain = await withCountry(0);
    // No events at all, and events only on items this version does not know.
    for (const history of [[], [{ productId: 'not-in-this-version', type: 'order' as const, timestamp: refTime - 1000, quantity: 1 }]]) {
      const query = { userId: 'nobody', num: 8, minPromoted: 0, country: 'MX' };
      const got = await rankForReceiver(snapshot, { history, now: refTime }, query);
      expect(got.personalized).toBe(false);
      expect(got.items.map((r) => r.index)).toEqual(leastFirst.slice(0, 8));
      expect(got.items.every((r) => r.reasons.includes('popular_in_country'))).toBe(true);
      expect(got.items.map((r) => r.id)).toEqual((await rankForReceiver(plain.snapshot, { history, now: refTime }, query)).items.map((r) => r.id));
    }
  });

  it('adds the prior to ALS scores through a kernel that selects in its own graph as through the JS loop', async () => {
    const als = (categoryBlend: number) => trainOfflineEngine(rows, { catalog, secondStage: false, als: { factors: 8, iterations: 5 }, model: { family: 'als', halfLifeDays: null, popularityBlend: 0, categoryBlend } });
    const [plain, withPrior] = [await als(0), await als(3)];
    const onnx = createOnnxScoreAll({ minItems: 0 });
    try {
      let differs = 0;
      for (let u = 0; u < 10; u++) {
        const receiver = { history: withPrior.history.get(`u${u}`)!, now: withPrior.refTime };
        const q = { userId: `u${u}`, num: 10, minPromoted: 0 };
        const want = await rankForReceiver(withPrior.snapshot, receiver, q);
        const got = await rankForReceiver(withPrior.snapshot, receiver, q, { scoreAll: onnx });
        expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
        const without = await rankForReceiver(plain.snapshot, { ...receiver, history: plain.history.get(`u${u}`)! }, q, { scoreAll: onnx });
        if (without.items.map((r) => r.id).join() !== got.items.map((r) => r.id).join()) differs++;
      }
      expect(differs).toBeGreaterThan(5); // the prior changes these lists
    } finally {
      await onnx.release();
    }
  });

  it('a vanishing γ keeps the collaborative model\'s own order (it is added to the model, not in its place)', async () => {
    const ease = (categoryBlend: number) => trainOfflineEngine(rows, { catalog, secondStage: false, model: { family: 'ease', halfLifeDays: null, popularityBlend: 0, categoryBlend } });
    const [plain, tiny] = [await ease(0), await ease(1e-9)];
    for (let u = 0; u < 10; u++) expect((await recommendOffline(tiny, `u${u}`, 10, 'seen')).map((r) => r.id)).toEqual((await recommendOffline(plain, `u${u}`, 10, 'seen')).map((r) => r.id));
  });

  it('needs two groups: one category for the whole catalogue is no prior, two are', async () => {
    const grouped = async (category: (i: number) => string) =>
      trainOfflineEngine(rows, { catalog: new Map(Array.from({ length: 300 }, (_, i) => [`i${i}`, { category: category(i) }])), secondStage: false, model: { family: 'popularity', halfLifeDays: 30, popularityBlend: 0, categoryBlend: 100 } });
    const one = await grouped(() => 'all');
    const recs = await recommendOffline(one, 'u0', 10, 'seen');
    expect(recs.every((r) => !r.reasons.some((x) => x.startsWith('in_your_category:')))).toBe(true);
    const two = await grouped((i) => (groupOfItem(`i${i}`) === 0 ? 'first' : 'rest'));
    const mine = await recommendOffline(two, 'u0', 10, 'seen');
    expect(mine.some((r) => r.reasons.some((x) => x.startsWith('in_your_category:')))).toBe(true);
  });

  it('is off at γ = 0: plain popularity, near chance in the receiver\'s group, no category reason', async () => {
    const engine = await pinned(0);
    let inGroup = 0;
    for (let u = 0; u < 30; u++) {
      const recs = await recommendOffline(engine, `u${u}`, 5, 'seen');
      inGroup += recs.filter((r) => groupOfItem(r.id) === groupOfUser(`u${u}`)).length;
      expect(recs.every((r) => !r.reasons.some((x) => x.startsWith('in_your_category:')))).toBe(true);
    }
    expect(inGroup / 150).toBeLessThan(0.6);
  });
});
