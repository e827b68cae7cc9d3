/** Feature store and the one feature function: closed forms, slow references, training/serving parity. */
import { describe, expect, it } from 'vitest';
import {
  buildFeatureVector,
  buildItemFeatureStore,
  buildUserContext,
  deserializeFeatureStore,
  FEATURE_COUNT,
  FEATURE_NAMES,
  itemKnn,
  popularityAt,
  serializeFeatureStore,
  type IndexedInteraction,
} from '../../functions/core/ranking/features.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { buildEmbeddingIndex } from '../../functions/core/content/similarity.js';
import { featurize } from '../../functions/core/ranking/two-stage.js';

const DAY = 86_400_000;

function randomInteractions(seed: number, users: number, items: number, n: number): IndexedInteraction[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => ({ user: Math.floor(rng() * users), item: Math.floor(rng() * items), weight: 1, timestamp: Math.floor(rng() * 100) * DAY }));
}

describe('itemKnn', () => {
  it('equals a brute-force cosine over binary item columns', () => {
    const inter = randomInteractions(1, 30, 15, 200);
    const k = 4;
    const { knnIndex, knnSim } = itemKnn(15, inter, k, 1000);
    const cols = Array.from({ length: 15 }, () => new Set<number>());
    for (const e of inter) cols[e.item].add(e.user);
    for (let a = 0; a < 15; a++) {
      const ref = Array.from({ length: 15 }, (_, b) => [b, b === a ? -1 : [...cols[a]].filter((u) => cols[b].has(u)).length / Math.sqrt(cols[a].size * cols[b].size)] as const)
        .filter(([, s]) => s > 0)
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, k);
      ref.forEach(([b, s], r) => {
        expect(knnIndex[a * k + r]).toBe(b);
        expect(knnSim[a * k + r]).toBeCloseTo(s, 6);
      });
    }
  });
});

/** The maps-of-maps formulation itemKnn replaced (a slow reference: same counts, same order). */
function itemKnnMaps(nItems: number, interactions: readonly IndexedInteraction[], k: number, maxHistory: number) {
  const byUser = new Map<number, Map<number, number>>();
  for (const e of interactions) {
    let m = byUser.get(e.user);
    if (!m) byUser.set(e.user, (m = new Map()));
    m.set(e.item, Math.max(m.get(e.item) ?? -Infinity, e.timestamp));
  }
  const colCount = new Float64Array(nItems);
  const co = new Map<number, Map<number, number>>();
  for (const u of [...byUser.keys()].sort((a, b) => a - b)) {
    const items = [...byUser.get(u)!.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, maxHistory).map(([i]) => i);
    for (const i of items) colCount[i]++;
    for (const a of items) {
      let row = co.get(a);
      if (!row) co.set(a, (row = new Map()));
      for (const b of items) if (a !== b) row.set(b, (row.get(b) ?? 0) + 1);
    }
  }
  const knnIndex = new Int32Array(nItems * k).fill(-1);
  const knnSim = new Float32Array(nItems * k);
  for (let a = 0; a < nItems; a++) {
    const row = co.get(a);
    if (!row) continue;
    const sims = [...row.entries()].map(([b, c]) => [b, c / Math.sqrt(colCount[a] * colCount[b])] as const);
    sims.sort((x, y) => y[1] - x[1] || x[0] - y[0]);
    sims.slice(0, k).forEach(([b, s], r) => ((knnIndex[a * k + r] = b), (knnSim[a * k + r] = s)));
  }
  return { knnIndex, knnSim };
}

describe('itemKnn, typed arrays', () => {
  it('gives the bytes of the maps-of-maps formulation, history cut and ties included', () => {
    for (const [seed, users, items, n, k, maxHistory] of [[2, 50, 40, 900, 5, 6], [3, 200, 25, 3000, 8, 4], [4, 7, 300, 500, 20, 1000]]) {
      const inter = randomInteractions(seed, users, items, n);
      const got = itemKnn(items, inter, k, maxHistory);
      const ref = itemKnnMaps(items, inter, k, maxHistory);
      expect(Array.from(got.knnIndex)).toEqual(Array.from(ref.knnIndex));
      expect(Array.from(got.knnSim)).toEqual(Array.from(ref.knnSim));
    }
  });
});

describe('popularityAt', () => {
  it('is the recency-weighted share Σ w 2^(−|t−tₑ|/T) / Σ_all, exactly when events sit at bin centres', () => {
    // 2 bins over [0, 2 days): centres at 0.5 and 1.5 days.
    const inter: IndexedInteraction[] = [
      { user: 0, item: 0, weight: 1, timestamp: 0 },
      { user: 1, item: 1, weight: 1, timestamp: 2 * DAY - 1 },
    ];
    const s = buildItemFeatureStore(2, inter, () => ({}), { bins: 2, halfLifeDays: 1 });
    const t = 10 * DAY;
    const w0 = 2 ** (-(t - s.timeStart - 0.5 * s.binMs) / DAY);
    const w1 = 2 ** (-(t - s.timeStart - 1.5 * s.binMs) / DAY);
    expect(popularityAt(s, 0, t)).toBeCloseTo(w0 / (w0 + w1), 10);
    expect(popularityAt(s, 0, t) + popularityAt(s, 1, t)).toBeCloseTo(1, 10);
  });
});

describe('buildFeatureVector', () => {
  const nItems = 20;
  const inter = randomInteractions(2, 25, nItems, 300);
  const ids = Array.from({ length: nItems }, (_, i) => `p${i}`);
  const emb = buildEmbeddingIndex(ids.map((id, i) => ({ id, image_embedding: [Math.cos(i), Math.sin(i), 0.1], text_embedding: i % 3 ? [1, i] : undefined })));
  const meta = (i: number) => ({ price: i % 4 ? 10 + i : undefined, promoted: i % 5 === 0, category: `c${i % 3}`, createdAt: i === 3 ? undefined : 5 * DAY });
  const store = buildItemFeatureStore(nItems, inter, meta, {}, { itemIds: ids, index: emb });
  const history = inter.filter((e) => e.user === 3).map((e) => ({ item: e.item, timestamp: e.timestamp }));
  const als = Float32Array.from({ length: nItems }, (_, i) => Math.sin(i));
  const user = { alsScores: als, history, refTime: 120 * DAY, exclude: (i: number) => history.some((h) => h.item === i), popular: [0, 1, 2] };
  const content = { embeddings: emb, itemIds: ids, itemIndex: new Map(ids.map((id, i) => [id, i])) };

  it('writes FEATURE_COUNT finite components with the documented names (unknown price / age → 0)', () => {
    const f = featurize(store, user, {}, content);
    expect(FEATURE_NAMES.length).toBe(FEATURE_COUNT);
    expect(f.x.length).toBe(f.candidates.length * FEATURE_COUNT);
    expect(f.x.every(Number.isFinite)).toBe(true);
    const ctx = buildUserContext(store, history, user.refTime);
    const one = new Float32Array(FEATURE_COUNT);
    const c = f.candidates.find((cc) => cc.index === 4)!; // price unknown (4 % 4 = 0)
    buildFeatureVector(store, ctx, c, Math.max(...f.candidates.map((cc) => cc.alsScore)), one, 0, emb);
    expect(one[FEATURE_NAMES.indexOf('price_rel')]).toBe(0);
    expect(one[FEATURE_NAMES.indexOf('promoted')]).toBe(0);
    expect(one[FEATURE_NAMES.indexOf('user_activity')]).toBeCloseTo(Math.log1p(new Set(history.map((h) => h.item)).size), 6);
  });

  it('training and serving build the same vectors: the store read back from feature_store.bin gives identical rows', () => {
    const served = deserializeFeatureStore(serializeFeatureStore(store));
    const a = featurize(store, user, {}, content);
    const b = featurize(served, user, {}, content);
    expect(b.candidates.map((c) => c.index)).toEqual(a.candidates.map((c) => c.index));
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
  });
});
