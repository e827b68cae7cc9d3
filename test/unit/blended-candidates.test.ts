/**
 * The fused selection's candidates drawn inside the ONNX graph: the graph against the slow
 * reference, and rankings through it against rankings from whole-catalog scores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxScoreAll } from '../../functions/adapters/onnx-score-kernel.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import {
  cachedRestrictMasks,
  candidateBase,
  candidatePrices,
  MAX_RESTRICT_MASKS,
  promotedMask,
  referenceBlendedCandidates,
  restrictMask,
  type BlendedCandidatesRequest,
} from '../../functions/core/ranking/blended-candidates.js';
import { rankForReceiver, type ScoreAll } from '../../functions/core/ranking/recommend.js';
import { buildItemColumns, deserializeSnapshot, serializeSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';

const onnx = createOnnxScoreAll({ minItems: 0 });
afterAll(() => onnx.release());

function randomRequest(seed: number, n: number, f: number, over: Partial<BlendedCandidatesRequest> = {}): BlendedCandidatesRequest {
  const r = mulberry32(seed);
  return {
    itemFactors: Float32Array.from({ length: n * f }, () => r() * 2 - 1),
    f,
    userVec: Float32Array.from({ length: f }, () => r() * 2 - 1),
    base: Float32Array.from({ length: n }, () => (r() < 0.05 ? -Infinity : 0.3 * r())),
    restrict: Float32Array.from({ length: n }, () => (r() < 0.3 ? -Infinity : 0)),
    promoted: Float32Array.from({ length: n }, () => (r() < 0.1 ? 0 : -Infinity)),
    price: Float32Array.from({ length: n }, () => Math.fround(5 + 200 * r())),
    minPrice: 20,
    maxPrice: 150,
    k: 25,
    kPromoted: 4,
    ...over,
  };
}

describe('the blended-candidates ONNX graph', () => {
  it('returns the slow reference selection (both heads, the largest raw score)', async () => {
    for (const [seed, over] of [
      [1, {}],
      [2, { k: 1, kPromoted: 0 }],
      [3, { minPrice: -Infinity, maxPrice: Infinity, k: 60, kPromoted: 12 }],
      [4, { minPrice: 149, maxPrice: 150 }], // fewer pass than asked: no −∞ padding comes back
    ] as const) {
      const req = randomRequest(seed, 3000, 16, over);
      const got = (await onnx.selectBlended(req))!;
      const want = referenceBlendedCandidates(req);
      expect(Array.from(got.top)).toEqual(Array.from(want.top));
      expect(Array.from(got.topPromoted)).toEqual(Array.from(want.topPromoted));
      expect(got.max).toBeCloseTo(want.max, 5);
    }
  });

  it('agrees with the slow reference on prices at the bounds and on tied scores (lower index first)', async () => {
    const req = randomRequest(6, 2000, 8, { minPrice: 40, maxPrice: 60, k: 80, kPromoted: 10 });
    const f = 8;
    for (let i = 0; i < 2000; i++) {
      // Every item a copy of one of 50 rows with one base: many exact ties; a seventh of them on a bound.
      req.itemFactors.copyWithin(i * f, (i % 50) * f, (i % 50) * f + f);
      req.base[i] = req.base[i] === -Infinity ? -Infinity : 0.1;
      if (i % 7 === 0) req.price[i] = i % 14 === 0 ? 40 : 60;
    }
    const got = (await onnx.selectBlended(req))!;
    const want = referenceBlendedCandidates(req);
    expect(want.top.some((i) => req.price[i] === 40) && want.top.some((i) => req.price[i] === 60)).toBe(true);
    expect(Array.from(got.top)).toEqual(Array.from(want.top));
    expect(Array.from(got.topPromoted)).toEqual(Array.from(want.topPromoted));
  });

  it('keeps the price bounds inclusive and passes an item at each bound', async () => {
    const req = randomRequest(5, 500, 8, { minPrice: 40, maxPrice: 60, k: 500 });
    req.price[7] = 40;
    req.price[8] = 60;
    // One float32 step outside each bound (the smallest difference the gate must see as outside).
    req.price[9] = 40 - 2 ** -18;
    req.price[10] = 60 + 2 ** -18;
    for (const i of [7, 8, 9, 10]) req.restrict[i] = req.base[i] = 0;
    const got = Array.from((await onnx.selectBlended(req))!.top);
    expect(got).toContain(7);
    expect(got).toContain(8);
    expect(got).not.toContain(9);
    expect(got).not.toContain(10);
    expect(got.every((i) => req.price[i] >= 40 && req.price[i] <= 60 && req.restrict[i] === 0 && req.base[i] > -Infinity)).toBe(true);
  });

  it('scales by 1 when no raw score is positive (as the blend does)', async () => {
    const req = randomRequest(6, 400, 8, { minPrice: -Infinity, maxPrice: Infinity });
    req.itemFactors.fill(-0.5);
    req.userVec.fill(1);
    const got = (await onnx.selectBlended(req))!;
    expect(got.max).toBe(0);
    expect(Array.from(got.top)).toEqual(Array.from(referenceBlendedCandidates(req).top));
  });

  it('declines below its minimum catalog size (the JS loop scores small catalogs)', async () => {
    const small = createOnnxScoreAll({ minItems: 1000 });
    expect(await small.selectBlended(randomRequest(7, 500, 8))).toBeUndefined();
    await small.release();
  });
});

describe('the per-snapshot candidate masks', () => {
  const fresh = () => {
    const cat = syntheticCatalog(300, 4, { seed: 21, nUsers: 3 });
    const items = cat.snapshot.items.map((it, i) => ({ ...it, status: i % 10 === 0 ? ('draft' as const) : it.status }));
    return { items, cols: buildItemColumns(items, cat.snapshot.popularity), pop: cat.snapshot.popularity };
  };
  const NEG = -Infinity;

  it('base: β · popularity for active items, −∞ for the others, plus the boost for active new arrivals', () => {
    const { cols, pop } = fresh();
    const newItems = [0, 1, 2, 7]; // 0 is a draft
    const base = candidateBase(cols, pop, 0.25, newItems, 3);
    for (let i = 0; i < pop.length; i++) {
      const want = cols.active[i] !== 1 ? NEG : Math.fround(Math.fround(0.25 * pop[i]) + (newItems.includes(i) ? 3 : 0));
      expect(base[i]).toBe(want);
    }
    expect(base[0]).toBe(NEG);
  });

  it('base: rebuilt when β, the boost or the new arrivals change, the same array otherwise', () => {
    const { cols, pop } = fresh();
    const a = candidateBase(cols, pop, 0.25, [1, 2], 3);
    expect(candidateBase(cols, pop, 0.25, [1, 2], 3)).toBe(a);
    for (const [beta, list, add] of [[0.5, [1, 2], 3], [0.5, [1, 2], 4], [0.5, [1, 3], 4], [0.5, [3, 4], 4], [0.5, [3, 4, 5], 4]] as const) {
      const b = candidateBase(cols, pop, beta, list, add);
      for (let i = 0; i < pop.length; i++) expect(b[i]).toBe(cols.active[i] !== 1 ? NEG : Math.fround(Math.fround(beta * pop[i]) + ((list as readonly number[]).includes(i) ? add : 0)));
      expect(candidateBase(cols, pop, beta, [...list], add)).toBe(b);
    }
  });

  it('prices and promoted: built once per snapshot', () => {
    const { cols } = fresh();
    expect(candidatePrices(cols)).toBe(candidatePrices(cols));
    expect(promotedMask(cols)).toBe(promotedMask(cols));
    expect(Array.from(promotedMask(cols))).toEqual(Array.from(cols.promoted, (p) => (p === 1 ? 0 : NEG)));
  });

  it('restrict: 0 exactly where country, categories and rules allow; one mask per query shape, at most a few kept', () => {
    const { items, cols } = fresh();
    const n = items.length;
    const countryOk = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : 1));
    const allowedA = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const allowedB = Uint8Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 1));
    const categoryOf = (i: number) => items[i].category;
    const want = (cats: readonly string[] | undefined, allowed?: Uint8Array) =>
      Array.from({ length: n }, (_, i) => (countryOk[i] === 1 && (!cats || cats.includes(categoryOf(i))) && (!allowed || allowed[i] === 1) ? 0 : NEG));
    const shapes: [readonly string[] | undefined, Uint8Array | undefined][] = [[undefined, undefined], [['bag'], undefined], [['bag', 'watch'], undefined], [['watch'], undefined], [undefined, allowedA], [undefined, allowedB], [['bag'], allowedA]];
    const got = shapes.map(([cats, allowed]) => restrictMask(cols, categoryOf, 'MX', countryOk, cats, allowed));
    shapes.forEach(([cats, allowed], k) => expect(Array.from(got[k])).toEqual(want(cats, allowed)));
    // The same shape again (categories in another order): the same array.
    shapes.forEach(([cats, allowed], k) => expect(restrictMask(cols, categoryOf, 'MX', countryOk, cats ? [...cats].reverse() : cats, allowed)).toBe(got[k]));
    expect(cachedRestrictMasks(cols)).toBe(shapes.length);
    for (let k = 0; k < MAX_RESTRICT_MASKS + 5; k++) restrictMask(cols, categoryOf, `C${k}`, countryOk, undefined, undefined);
    expect(cachedRestrictMasks(cols)).toBe(MAX_RESTRICT_MASKS);
  });
});

describe('ranking through the kernel selection', () => {
  const cat = syntheticCatalog(4000, 16, { seed: 91, nUsers: 40 });
  const now = Date.UTC(2025, 0, 1);
  /** The same ONNX kernel, made to score the whole catalog (no selectBlended), counting its calls. */
  const counted = () => {
    const calls = { full: 0 };
    const full = Object.assign(async (y: Float32Array, f: number, v: Float32Array, out?: Float32Array) => {
      calls.full++;
      return onnx(y, f, v, out);
    }, {});
    const selecting: ScoreAll = Object.assign(async (y: Float32Array, f: number, v: Float32Array, out?: Float32Array) => full(y, f, v, out), { selectBlended: onnx.selectBlended });
    return { calls, full, selecting };
  };

  /**
   * Ranks one receiver (min price 20, every item active and sold everywhere, prices from `priceOf`)
   * through the kernel's selection and through whole-catalog scores; counts the latter's catalog scorings.
   */
  const rankAtPrices = async (priceOf: (it: (typeof cat.parts.items)[number], i: number) => number, user: number, minPromoted: number) => {
    const items = cat.parts.items.map((it, i) => ({ ...it, status: 'active' as const, countries: [], price: priceOf(it, i) }));
    const fixed = deserializeSnapshot(serializeSnapshot({ ...cat.parts, items }));
    const { calls, full, selecting } = counted();
    const u = cat.users[user];
    const receiver = { history: cat.history.get(u.id)!, profile: u, now };
    const query = { userId: u.id, num: 5, minPromoted, minPrice: 20 };
    const got = await rankForReceiver(fixed, receiver, query, { scoreAll: selecting });
    const fullCalls = calls.full;
    return { got, want: await rankForReceiver(fixed, receiver, query, { scoreAll: full }), fullCalls };
  };

  it('returns the lists, scores and reasons of whole-catalog scoring, without scoring the catalog', async () => {
    const { calls, full, selecting } = counted();
    let compared = 0;
    for (let k = 0; k < cat.users.length; k++) {
      const u = cat.users[k];
      const query = {
        userId: u.id,
        num: 1 + (k % 23),
        minPromoted: k % 5,
        minPrice: k % 3 === 0 ? undefined : 10 + (k % 40),
        maxPrice: k % 4 === 0 ? undefined : 60 + 5 * (k % 30),
        categories: k % 6 === 0 ? ['bag', 'watch'] : undefined,
        country: k % 7 === 0 ? 'MX' : undefined,
      };
      const receiver = { history: cat.history.get(u.id)!, profile: u, now };
      const want = await rankForReceiver(cat.snapshot, receiver, query, { scoreAll: full });
      const before = calls.full;
      const got = await rankForReceiver(cat.snapshot, receiver, query, { scoreAll: selecting });
      expect(calls.full).toBe(before);
      expect(got.items.map((r) => [r.id, r.reasons])).toEqual(want.items.map((r) => [r.id, r.reasons]));
      got.items.forEach((r, j) => expect(r.score).toBeCloseTo(want.items[j].score, 5));
      expect(got.promotedShortfall).toBe(want.promotedShortfall);
      compared += got.items.length;
    }
    expect(compared).toBeGreaterThan(200);
  });

  it('falls back to whole-catalog scores when the kernel filter passes items the ranking refuses', async () => {
    // Prices just below the minimum round up to it in float32: the graph keeps those items, the
    // ranking's float64 price check drops them, so the kernel's candidates run out.
    const inRange = [3, 11, 29]; // the only items really in range
    const { got, want, fullCalls } = await rankAtPrices((_, i) => (inRange.includes(i) ? 25 : 19.9999995), 1, 0);
    expect(fullCalls).toBe(1);
    expect(got.items.map((r) => r.index).sort((a, b) => a - b)).toEqual(inRange);
    expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
  });

  it('asks the kernel for the heads plus the items it cannot judge, not the catalog', async () => {
    const asked: { k: number; kPromoted: number }[] = [];
    const spying: ScoreAll = Object.assign(async (y: Float32Array, f: number, v: Float32Array, out?: Float32Array) => onnx(y, f, v, out), {
      selectBlended: async (req: BlendedCandidatesRequest) => {
        asked.push({ k: req.k, kPromoted: req.kPromoted });
        return onnx.selectBlended(req);
      },
    });
    for (const [k, u] of cat.users.slice(0, 10).entries()) {
      const receiver = { history: cat.history.get(u.id)!, profile: u, now };
      const num = 5 + k;
      await rankForReceiver(cat.snapshot, receiver, { userId: u.id, num, minPromoted: 2 }, { scoreAll: spying });
      const last = asked[asked.length - 1];
      // At least the heads; beyond them one per blocked or late item (each receiver has ~20 events).
      expect(last.k).toBeGreaterThanOrEqual(num);
      expect(last.k).toBeLessThanOrEqual(num + receiver.history.length + 5);
      expect(last.kPromoted - 2).toBe(last.k - num);
    }
    expect(asked.length).toBe(10);
  });

  it('blends with scale 1 when no model score is positive, as the full pass does', async () => {
    // All-zero factors: fold-in gives a zero vector, every raw score is 0 and popularity orders the list.
    const flat = { ...cat.snapshot, itemFactors: new Float32Array(cat.snapshot.itemFactors.length) };
    const { calls, full, selecting } = counted();
    for (const u of cat.users.slice(0, 4)) {
      const receiver = { history: cat.history.get(u.id)!, profile: u, now };
      const query = { userId: u.id, num: 10, minPromoted: 2 };
      const want = await rankForReceiver(flat, receiver, query, { scoreAll: full });
      const before = calls.full;
      const got = await rankForReceiver(flat, receiver, query, { scoreAll: selecting });
      expect(calls.full).toBe(before);
      expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
      got.items.forEach((r, j) => expect(r.score).toBeCloseTo(want.items[j].score, 6));
      expect(got.items.every((r) => Number.isFinite(r.score))).toBe(true);
    }
  });

  it('falls back to whole-catalog scores when the promoted head comes back short', async () => {
    // Every promoted item but one is priced just below the minimum (20 in float32): the graph's
    // promoted head is full of items the ranking refuses, while the main head is fine.
    const promoted = cat.parts.items.flatMap((it, i) => (it.promoted ? [i] : []));
    const realOne = promoted[promoted.length - 1];
    const { got, want, fullCalls } = await rankAtPrices((it, i) => (it.promoted && i !== realOne ? 19.9999995 : 25), 2, 2);
    expect(fullCalls).toBe(1);
    expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
    expect(got.items.some((r) => r.index === realOne)).toBe(true);
    expect(got.promotedShortfall).toBe(1);
  });

  it('keeps unpriced items in every price range, as the ranking does, without scoring the catalog', async () => {
    // Every third item has no price (NaN, as an in-memory catalog may hold): the ranking's price filter lets it pass.
    const items = cat.snapshot.items.map((it, i) => ({ ...it, price: i % 3 === 0 ? NaN : it.price }));
    const unpriced = { ...cat.snapshot, items, columns: buildItemColumns(items, cat.snapshot.popularity) };
    const { calls, full, selecting } = counted();
    const ranges = [{}, { minPrice: 30, maxPrice: 90 }, { maxPrice: 90 }, { minPrice: 30 }, { minPrice: 0, maxPrice: 50 }, { minPrice: 1e-6 }, { maxPrice: -1 }];
    for (const [k, u] of cat.users.slice(0, 14).entries()) {
      const receiver = { history: cat.history.get(u.id)!, profile: u, now };
      const range: { minPrice?: number; maxPrice?: number } = ranges[k % ranges.length];
      const query = { userId: u.id, num: 10, minPromoted: 2, ...range };
      const want = await rankForReceiver(unpriced, receiver, query, { scoreAll: full });
      const before = calls.full;
      const got = await rankForReceiver(unpriced, receiver, query, { scoreAll: selecting });
      expect(calls.full - before).toBe(0);
      expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
      expect(got.items.some((r) => Number.isNaN(unpriced.items[r.index].price))).toBe(true);
    }
  });
});
