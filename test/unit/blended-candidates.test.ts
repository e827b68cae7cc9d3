/**
 * The fused selection's candidates drawn inside the ONNX graph: the graph against the slow
 * reference, and rankings through it against rankings from whole-catalog scores.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxScoreAll } from '../../functions/adapters/onnx-score-kernel.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { referenceBlendedCandidates, type BlendedCandidatesRequest } from '../../functions/core/ranking/blended-candidates.js';
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
    const items = cat.parts.items.map((it, i) => ({ ...it, price: inRange.includes(i) ? 25 : 19.9999995, status: 'active' as const, countries: [] }));
    const fixed = deserializeSnapshot(serializeSnapshot({ ...cat.parts, items }));
    const { calls, full, selecting } = counted();
    const u = cat.users[1];
    const receiver = { history: cat.history.get(u.id)!, profile: u, now };
    const query = { userId: u.id, num: 5, minPromoted: 0, minPrice: 20 };
    const got = await rankForReceiver(fixed, receiver, query, { scoreAll: selecting });
    expect(calls.full).toBe(1);
    expect(got.items.map((r) => r.index).sort((a, b) => a - b)).toEqual(inRange);
    const want = await rankForReceiver(fixed, receiver, query, { scoreAll: full });
    expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
  });

  it('keeps unpriced items as the ranking does: in the graph for an open range, through the full pass for a price filter', async () => {
    // Every third item has no price (NaN, as an in-memory catalog may hold): the ranking's price filter lets it pass.
    const items = cat.snapshot.items.map((it, i) => ({ ...it, price: i % 3 === 0 ? NaN : it.price }));
    const unpriced = { ...cat.snapshot, items, columns: buildItemColumns(items, cat.snapshot.popularity) };
    const { calls, full, selecting } = counted();
    for (const [k, u] of cat.users.slice(0, 12).entries()) {
      const receiver = { history: cat.history.get(u.id)!, profile: u, now };
      const filtered = k % 2 === 1;
      const query = { userId: u.id, num: 10, minPromoted: 2, ...(filtered ? { minPrice: 30, maxPrice: 90 } : {}) };
      const want = await rankForReceiver(unpriced, receiver, query, { scoreAll: full });
      const before = calls.full;
      const got = await rankForReceiver(unpriced, receiver, query, { scoreAll: selecting });
      expect(calls.full - before).toBe(filtered ? 1 : 0);
      expect(got.items.map((r) => r.id)).toEqual(want.items.map((r) => r.id));
      expect(got.items.some((r) => Number.isNaN(unpriced.items[r.index].price))).toBe(true);
    }
  });
});
