/**
 * Property tests (fast-check) of the business filters and the promoted guarantee, each against a
 * slow reference written from the contract in DESIGN.md.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { applyBusinessRules, DEFAULT_BUSINESS_RULES } from '../../functions/core/ranking/business-rules.js';
import { eligibilityMask, isEligible, rankForReceiver, selectWithPromotedMinimum, type ScoreAll } from '../../functions/core/ranking/recommend.js';
import { dotScores } from '../../functions/core/numeric/topk.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';
import { buildItemColumns } from '../../functions/core/snapshot/model-snapshot.js';
import type { SnapshotItem } from '../../functions/core/snapshot/model-snapshot.js';

const itemArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 4 }),
  price: fc.double({ min: 0, max: 100_000, noNaN: true }),
  category: fc.constantFrom('hat', 'dress', 'shoes'),
  promoted: fc.boolean(),
  status: fc.constantFrom('active', 'draft', 'blocked') as fc.Arbitrary<SnapshotItem['status']>,
  countries: fc.subarray(['CL', 'AR', 'ES']),
  createdAt: fc.constant(0),
  interactionCount: fc.nat(5),
});

describe('isEligible', () => {
  it('passes exactly the active, in-budget, in-country (restricted only for a known listed country), in-category, not-blocked items', () => {
    fc.assert(
      fc.property(
        itemArb,
        fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
        fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
        fc.option(fc.constantFrom('hat', 'dress'), { nil: undefined }),
        fc.option(fc.constantFrom('CL', 'MX'), { nil: undefined }),
        fc.boolean(),
        (item, minPrice, maxPrice, category, country, blockIt) => {
          const blocked = new Set(blockIt ? [item.id] : []);
          const expected =
            item.status === 'active' &&
            (minPrice === undefined || item.price >= minPrice) &&
            (maxPrice === undefined || item.price <= maxPrice) &&
            (category === undefined || item.category === category) &&
            // Restricted products only for a known, listed country.
            (item.countries.length === 0 || (country !== undefined && item.countries.includes(country))) &&
            !blockIt;
          expect(isEligible(item, { minPrice, maxPrice, categories: category === undefined ? undefined : [category] }, country, blocked)).toBe(expected);
        },
      ),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('the one-pass catalog mask equals isEligible item by item', () => {
    fc.assert(
      fc.property(
        fc.array(itemArb, { minLength: 1, maxLength: 60 }),
        fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
        fc.option(fc.double({ min: 0, max: 100_000, noNaN: true }), { nil: undefined }),
        fc.option(fc.constantFrom('hat', 'dress'), { nil: undefined }),
        fc.option(fc.constantFrom('CL', 'MX'), { nil: undefined }),
        (raw, minPrice, maxPrice, category, country) => {
          const items = raw.map((it, i) => ({ ...it, id: `i${i}` }));
          const blocked = new Set(items.filter((_, i) => i % 7 === 3).map((it) => it.id));
          const snapshot = { items, itemIndex: new Map(items.map((it, i) => [it.id, i])), columns: buildItemColumns(items, new Float32Array(items.length)) };
          const mask = eligibilityMask(snapshot, { minPrice, maxPrice, categories: category === undefined ? undefined : [category] }, country, blocked);
          // A reused (dirty) output buffer gives the same mask.
          const reused = eligibilityMask(snapshot, { minPrice, maxPrice, categories: category === undefined ? undefined : [category] }, country, blocked, new Uint8Array(items.length).fill(1));
          expect(Array.from(reused)).toEqual(Array.from(mask));
          items.forEach((it, i) => expect(mask[i] === 1).toBe(isEligible(it, { minPrice, maxPrice, categories: category === undefined ? undefined : [category] }, country, blocked)));
        },
      ),
      { numRuns: 500, seed: 5 },
    );
  });

  it('includes both price bounds', () => {
    const item = { id: 'a', price: 5000.01, category: 'hat', promoted: false, status: 'active' as const, countries: [], createdAt: 0, interactionCount: 0 };
    expect(isEligible(item, { minPrice: 5000.01, maxPrice: 20000.2 }, undefined, new Set())).toBe(true);
    expect(isEligible({ ...item, price: 20000.2 }, { minPrice: 5000.01, maxPrice: 20000.2 }, undefined, new Set())).toBe(true);
    expect(isEligible({ ...item, price: 20000.21 }, { minPrice: 5000.01, maxPrice: 20000.2 }, undefined, new Set())).toBe(false);
  });

  it('the serving mask includes both price bounds exactly, on its branch-free path and its per-item one', () => {
    const prices = [5000, 5000.01, 5000.02, 12000, 20000.19, 20000.2, 20000.21];
    const items: SnapshotItem[] = prices.map((price, i) => ({ id: `p${i}`, price, category: 'hat', promoted: false, status: 'active', countries: [], createdAt: 0, interactionCount: 0 }));
    const snapshot = { items, itemIndex: new Map(items.map((it, i) => [it.id, i])), columns: buildItemColumns(items, new Float32Array(items.length)) };
    const budget = { minPrice: 5000.01, maxPrice: 20000.2 };
    const inBudget = [0, 1, 1, 1, 1, 1, 0];
    // No category: the branch-free loop.
    expect(Array.from(eligibilityMask(snapshot, budget, undefined, new Set()))).toEqual(inBudget);
    // Several categories: any of them.
    const mixedItems = items.map((it, i) => ({ ...it, category: i % 2 === 0 ? 'hat' : 'bag' }));
    const mixed = { items: mixedItems, itemIndex: snapshot.itemIndex, columns: buildItemColumns(mixedItems, new Float32Array(items.length)) };
    expect(Array.from(eligibilityMask(mixed, { categories: ['hat', 'bag'] }, undefined, new Set()))).toEqual(items.map(() => 1));
    expect(Array.from(eligibilityMask(mixed, { categories: ['bag'] }, undefined, new Set()))).toEqual(items.map((_, i) => (i % 2 === 0 ? 0 : 1)));
    // A category: the per-item loop.
    expect(Array.from(eligibilityMask(snapshot, { ...budget, categories: ['hat'] }, undefined, new Set()))).toEqual(inBudget);
    // The business rules' price bounds are inclusive too (the rules' own function).
    expect(Array.from(applyBusinessRules({ items, popularity: new Float32Array(items.length) }, { ...DEFAULT_BUSINESS_RULES, minPrice: 5000.01, maxPrice: 20000.2 }, 0).allowed)).toEqual(inBudget);
    // One bound at a time, on the exact bound.
    expect(Array.from(eligibilityMask(snapshot, { minPrice: 20000.2 }, undefined, new Set()))).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(eligibilityMask(snapshot, { maxPrice: 5000.01 }, undefined, new Set()))).toEqual([1, 1, 0, 0, 0, 0, 0]);
  });
});

/** Slow reference: sort eligible by score; take num; swap in the best promoted ones for the worst others. */
function referenceSelect(scores: number[], num: number, minPromoted: number, eligible: boolean[], promoted: boolean[]) {
  const order = scores.map((s, i) => i).filter((i) => eligible[i]).sort((a, b) => scores[b] - scores[a] || a - b);
  const promotedOrder = order.filter((i) => promoted[i]);
  const need = Math.min(minPromoted, promotedOrder.length, num);
  const top = order.slice(0, num);
  const havePromoted = top.filter((i) => promoted[i]).length;
  let result = top;
  if (havePromoted < need) {
    const mustAdd = promotedOrder.slice(0, need).filter((i) => !top.includes(i));
    const others = top.filter((i) => !promoted[i]);
    const keepOthers = others.slice(0, others.length - mustAdd.length);
    result = [...top.filter((i) => promoted[i]), ...mustAdd, ...keepOthers];
  }
  return {
    indices: [...result].sort((a, b) => scores[b] - scores[a] || a - b),
    promotedShortfall: Math.max(0, minPromoted - promotedOrder.length),
  };
}

describe('selectWithPromotedMinimum', () => {
  const caseArb = fc
    .integer({ min: 1, max: 40 })
    .chain((n) =>
      fc.record({
        scores: fc.array(fc.integer({ min: -1000, max: 1000 }).map((v) => v / 10), { minLength: n, maxLength: n }),
        eligible: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        promoted: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        num: fc.integer({ min: 1, max: 12 }),
        minPromotedRaw: fc.integer({ min: 0, max: 12 }),
      }),
    );

  it('returns the best items, with at least min_promoted promoted when they exist, equal to the reference', () => {
    fc.assert(
      fc.property(caseArb, ({ scores, eligible, promoted, num, minPromotedRaw }) => {
        const minPromoted = Math.min(minPromotedRaw, num);
        const s = Float32Array.from(scores);
        const got = selectWithPromotedMinimum(s, num, minPromoted, (i) => eligible[i], (i) => promoted[i]);
        const want = referenceSelect(Array.from(s), num, minPromoted, eligible, promoted);
        const eligibleCount = eligible.filter(Boolean).length;
        const eligiblePromoted = eligible.filter((e, i) => e && promoted[i]).length;
        expect(got.indices).toHaveLength(Math.min(num, eligibleCount));
        for (const i of got.indices) expect(eligible[i]).toBe(true);
        expect(new Set(got.indices).size).toBe(got.indices.length);
        expect(got.indices.filter((i) => promoted[i]).length).toBeGreaterThanOrEqual(Math.min(minPromoted, eligiblePromoted));
        expect(got.promotedShortfall).toBe(Math.max(0, minPromoted - eligiblePromoted));
        for (let k = 1; k < got.indices.length; k++) expect(s[got.indices[k - 1]]).toBeGreaterThanOrEqual(s[got.indices[k]]);
        expect(got.indices).toEqual(want.indices);
      }),
      { numRuns: 3000, seed: 11 },
    );
  });

  it('reports the shortfall when too few promoted items pass the filters', () => {
    const scores = Float32Array.from([5, 4, 3, 2, 1]);
    const got = selectWithPromotedMinimum(scores, 4, 3, () => true, (i) => i === 4);
    expect(got.promotedShortfall).toBe(2);
    expect(got.indices).toEqual([0, 1, 2, 4]);
  });
});

describe('rankForReceiver scratch buffers', () => {
  it('interleaved requests on one snapshot return what they return one at a time', async () => {
    const cat = syntheticCatalog(3000, 8, { seed: 11, nUsers: 12 });
    const now = Date.UTC(2025, 0, 1);
    // Yields before answering, so concurrent requests interleave at the scoring await.
    const scoreAll: ScoreAll = async (y, f, u) => {
      await new Promise((r) => setTimeout(r, 1));
      return dotScores(y, f, u);
    };
    const rank = (k: number) => {
      const u = cat.users[k];
      const query = { userId: u.id, num: 10, minPrice: 20, maxPrice: 150, minPromoted: 3, country: k % 3 === 0 ? undefined : u.country };
      return rankForReceiver(cat.snapshot, { history: k % 4 === 1 ? [] : cat.history.get(u.id)!, profile: u, now }, query, { scoreAll });
    };
    const users = cat.users.map((_, k) => k);
    const sequential = [];
    for (const k of users) sequential.push(await rank(k));
    const concurrent = await Promise.all(users.map(rank));
    expect(concurrent).toEqual(sequential);
    expect(sequential.some((r) => r.personalized) && sequential.some((r) => !r.personalized)).toBe(true);
  });
});
