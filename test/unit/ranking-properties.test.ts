/**
 * Property tests (fast-check) of the business filters and the promoted guarantee, each against a
 * slow reference written from the API contract (README › API).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_RANKING_OPTIONS,
  EligibilityFilter,
  eligibilityMask,
  historyReason,
  isEligible,
  jsScoreAll,
  rankForReceiver,
  selectWithPromotedMinimum,
  type ScoreAll,
} from '../../functions/core/ranking/recommend.js';
import { blendWithPopularity } from '../../functions/core/ranking/popularity.js';
import { decayedStrengths, summarizeUserEvents } from '../../functions/core/domain/interactions.js';
import { applyBusinessRules, DEFAULT_BUSINESS_RULES } from '../../functions/core/ranking/business-rules.js';
import { dotScores } from '../../functions/core/numeric/topk.js';
import { referenceBlendedCandidates, type BlendedCandidatesRequest } from '../../functions/core/ranking/blended-candidates.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';
import { buildItemColumns, deserializeSnapshot, serializeSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
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
    // The per-item filter of the fused selection, asked item by item: the same inclusive bounds.
    for (const q of [budget, { ...budget, categories: ['hat'] }, { minPrice: 20000.2 }, { maxPrice: 5000.01 }]) {
      const filter = new EligibilityFilter(snapshot, q, undefined, new Set());
      expect(items.map((_, i) => (filter.has(i) ? 1 : 0))).toEqual(Array.from(eligibilityMask(snapshot, q, undefined, new Set())));
    }
    expect(items.map((_, i) => (new EligibilityFilter(snapshot, budget, undefined, new Set()).has(i) ? 1 : 0))).toEqual(inBudget);
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

  it('a request reuses a free set (the kernel gets the same out buffer); concurrent ones get their own; four free sets are kept', async () => {
    const cat = syntheticCatalog(500, 8, { seed: 13, nUsers: 10 });
    const snapshot = { ...cat.snapshot }; // a snapshot of its own: a fresh pool
    const now = Date.UTC(2025, 0, 1);
    const outs: Float32Array[] = [];
    const scoreAll: ScoreAll = async (y, f, u, out) => {
      outs.push(out!);
      await new Promise((r) => setTimeout(r, 1));
      return dotScores(y, f, u, out);
    };
    const rank = (k: number) => {
      const u = cat.users[k];
      return rankForReceiver(snapshot, { history: cat.history.get(u.id)!, profile: u, now }, { userId: u.id, num: 5, minPromoted: 1 }, { scoreAll });
    };
    for (const k of [0, 1, 2]) await rank(k);
    expect(outs).toHaveLength(3);
    expect(outs[0].length).toBe(500);
    expect(outs[1]).toBe(outs[0]);
    expect(outs[2]).toBe(outs[0]);
    const round = async () => {
      outs.length = 0;
      await Promise.all([0, 1, 2, 3, 4].map(rank));
      expect(new Set(outs).size).toBe(5);
      return [...outs];
    };
    const solo = outs[0];
    const first = await round();
    expect(first).toContain(solo);
    const second = await round();
    // Five sets were returned after the first round; the pool keeps four of them.
    expect(second.filter((b) => first.includes(b)).length).toBe(4);
  });
});

describe('rankForReceiver per-snapshot caches', () => {
  it('the new arrivals follow the request time, later and earlier, as on a snapshot seen for the first time', async () => {
    const DAY = 86_400_000;
    const cat = syntheticCatalog(300, 8, { seed: 17, nUsers: 6 });
    const u = cat.users.find((x) => cat.history.get(x.id)!.length > 0)!;
    const history = cat.history.get(u.id)!;
    const query = { userId: u.id, num: 20, minPromoted: 0, country: u.country };
    // Request times that put the 14-day cut-off just after the j-th newest item: j items can be new.
    const created = cat.snapshot.items.map((it) => it.createdAt).sort((a, b) => b - a);
    const at = (j: number) => created[j] + 14 * DAY + 1;
    const fresh = () => ({ ...cat.snapshot, columns: buildItemColumns(cat.snapshot.items, cat.snapshot.popularity) });
    let sawNew = false;
    for (const j of [6, 20, 20, 3, 0, 12, 40, 0]) {
      const now = at(j);
      const got = await rankForReceiver(cat.snapshot, { history, profile: u, now }, query);
      const want = await rankForReceiver(fresh(), { history, profile: u, now }, query);
      expect(got).toEqual(want);
      sawNew ||= got.items.some((r) => r.reasons.includes('new_arrival'));
    }
    expect(sawNew).toBe(true);

    // Lists of one length but other items: the L newest items (any interaction count) against
    // the L newest of those with at most 2 interactions, further back (L: up to the first newest
    // item with more).
    const low = Array.from(cat.snapshot.columns.newestFirst, (i) => cat.snapshot.items[i].interactionCount <= 2);
    const L = low.indexOf(false) + 1;
    const j2 = low.findIndex((_, k) => low.slice(0, k + 1).filter(Boolean).length === L) + 1;
    expect(L).toBeGreaterThan(1);
    // The whole catalog, so that every boosted item is in the list with its score.
    const whole = { ...query, num: cat.snapshot.items.length };
    for (const [now, newArrivalMaxInteractions] of [[at(L), 1_000_000], [at(j2), 2], [at(L), 1_000_000]] as const) {
      const got = await rankForReceiver(cat.snapshot, { history, profile: u, now }, whole, { newArrivalMaxInteractions });
      const want = await rankForReceiver(fresh(), { history, profile: u, now }, whole, { newArrivalMaxInteractions });
      expect(got).toEqual(want);
    }
  });
});

describe('rankForReceiver on crafted versions', () => {
  const DAY = 86_400_000;
  const now = Date.UTC(2025, 0, 1);
  /** The synthetic version with some of its parts changed, loaded as the serving container loads it. */
  const crafted = (cat: ReturnType<typeof syntheticCatalog>, parts: Partial<typeof cat.parts>) => deserializeSnapshot(serializeSnapshot({ ...cat.parts, ...parts }));

  it('of two history items at the same cosine, the explanation names the first', async () => {
    const cat = syntheticCatalog(300, 8, { seed: 37, nUsers: 8 });
    const u = cat.users[0];
    const history = cat.history.get(u.id)!;
    const known = [...decayedStrengths(history, now, DEFAULT_RANKING_OPTIONS.foldInHalfLifeDays).keys()].map((id) => cat.snapshot.itemIndex.get(id)!);
    const [a, b] = known;
    const f = cat.snapshot.factors;
    // b's factors made a copy of a's: every item is exactly as close to both.
    const itemFactors = Float32Array.from(cat.parts.itemFactors);
    itemFactors.copyWithin(b * f, a * f, (a + 1) * f);
    const snapshot = crafted(cat, { itemFactors });
    const got = await rankForReceiver(snapshot, { history, profile: u, now }, { userId: u.id, num: 300, minPromoted: 0 });
    const names = (i: number) => got.items.filter((r) => r.reasons.some((x) => x.startsWith('because_you_') && x.endsWith(`:${snapshot.items[i].id}`))).length;
    expect(names(a)).toBeGreaterThan(0);
    expect(names(b)).toBe(0);
  });

  it('an item the model scores exactly 0 gets no history explanation', async () => {
    const cat = syntheticCatalog(300, 8, { seed: 43, nUsers: 4 });
    const u = cat.users[1];
    const receiver = { history: cat.history.get(u.id)!, profile: u, now };
    const q = { userId: u.id, num: 300, minPromoted: 0 };
    const plain = await rankForReceiver(cat.snapshot, receiver, q);
    const explained = plain.items.filter((r) => r.reasons[0].startsWith('because_you_')).slice(0, 5).map((r) => r.index);
    expect(explained).toHaveLength(5);
    // A kernel whose score of these items is exactly 0 (their cosine to the history is unchanged).
    const scoreAll: ScoreAll = (y, f, v, out) => {
      const r = dotScores(y, f, v, out);
      for (const i of explained) r[i] = 0;
      return r;
    };
    const got = await rankForReceiver(cat.snapshot, receiver, q, { scoreAll });
    for (const i of explained) expect(got.items.find((r) => r.index === i)!.reasons.filter((x) => x.startsWith('because_you_'))).toEqual([]);
  });

  it('a country whose popularity list is empty ranks by global popularity, as an unknown country does', async () => {
    const cat = syntheticCatalog(200, 8, { seed: 47, nUsers: 2 });
    const snapshot = crafted(cat, { popularByCountry: { ...cat.parts.popularByCountry, ZZ: [] } });
    const profile = { ...cat.users[0], country: undefined };
    const got = await rankForReceiver(snapshot, { history: [], profile, now }, { userId: profile.id, num: 12, minPromoted: 1, country: 'ZZ' });
    expect(got).toEqual(await rankForReceiver(snapshot, { history: [], profile, now }, { userId: profile.id, num: 12, minPromoted: 1 }));
    const best = got.items.find((r) => !r.reasons.includes('new_arrival'))!;
    expect(best.score).toBe(Number(snapshot.popularity[best.index].toFixed(6)));
  });

  it('two new-arrival lists of one length that differ at every place each get their own boosts', async () => {
    const cat = syntheticCatalog(200, 8, { seed: 53, nUsers: 4 });
    const T = now - 100 * DAY;
    // The four newest items, newest first: many interactions, none, many, none; the rest old.
    const u = cat.users.find((x) => cat.history.get(x.id)!.length > 0)!;
    const seen = new Set([...cat.history.get(u.id)!.map((e) => e.productId), ...u.blacklist]);
    const fresh = cat.products.flatMap((p, i) => (p.status === 'active' && p.countries.length === 0 && !seen.has(p.id) ? [i] : [])).slice(0, 4);
    const items = cat.parts.items.map((it, i) => {
      const k = fresh.indexOf(i);
      return k < 0 ? { ...it, createdAt: T - 300 * DAY } : { ...it, createdAt: T - (k + 1) * DAY, interactionCount: k % 2 === 0 ? 5 : 0 };
    });
    const snapshot = crafted(cat, { items });
    const receiver = (at: number) => ({ history: cat.history.get(u.id)!, profile: u, now: at });
    const q = { userId: u.id, num: 200, minPromoted: 0 };
    const fresh2 = () => ({ ...snapshot, columns: buildItemColumns(snapshot.items, snapshot.popularity) });
    // The 1st and 2nd newest (cut-off before the 3rd, any count), then the 2nd and 4th (all four, at most 1 interaction).
    for (const [at, newArrivalMaxInteractions] of [[T + 14 * DAY - 2.5 * DAY, 10], [T + 14 * DAY - 4.5 * DAY, 1]] as const) {
      const got = await rankForReceiver(snapshot, receiver(at), q, { newArrivalMaxInteractions });
      expect(got.items.filter((r) => r.reasons.includes('new_arrival')).map((r) => r.index).sort((x, y) => x - y)).toEqual(newArrivalMaxInteractions === 10 ? [fresh[0], fresh[1]] : [fresh[1], fresh[3]]);
      expect(got).toEqual(await rankForReceiver(fresh2(), receiver(at), q, { newArrivalMaxInteractions }));
    }
  });
});

describe('rankForReceiver without a model vector or a country', () => {
  const DAY = 86_400_000;
  const cat = syntheticCatalog(200, 8, { seed: 23, nUsers: 4 });
  const { snapshot } = cat;
  const profile = { ...cat.users[0], country: undefined, blacklist: [] };

  it('ranks by global popularity (plus the new-arrival boost) and says popular_backfill', async () => {
    const now = Date.UTC(2025, 0, 1);
    const got = await rankForReceiver(snapshot, { history: [], profile, now }, { userId: profile.id, num: 12, minPromoted: 0 });
    const scores = snapshot.items.map((it, i) => Math.fround(snapshot.popularity[i] + (it.createdAt >= now - 14 * DAY && it.interactionCount <= 2 ? 0.05 : 0)));
    const eligible = snapshot.items.map((it) => isEligible(it, {}, undefined, new Set()));
    const want = referenceSelect(scores, 12, 0, eligible, snapshot.items.map((it) => it.promoted));
    expect(got.personalized).toBe(false);
    expect(got.items.map((r) => r.index)).toEqual(want.indices);
    expect(got.items.every((r) => r.reasons.includes('popular_backfill') || r.reasons.includes('new_arrival'))).toBe(true);
  });

  it('counts an item created exactly newArrivalDays ago as new', async () => {
    const j = snapshot.items.findIndex((it) => it.interactionCount <= 2);
    const now = snapshot.items[j].createdAt + 14 * DAY;
    const got = await rankForReceiver(snapshot, { history: [], profile, now }, { userId: profile.id, num: snapshot.items.length, minPromoted: 0 });
    expect(got.items.find((r) => r.index === j)?.reasons).toContain('new_arrival');
  });
});

describe('fused ranking path', () => {
  const DAY = 86_400_000;
  const caseArb = fc.record({
    seed: fc.integer({ min: 1, max: 1_000_000 }),
    n: fc.integer({ min: 40, max: 400 }),
    user: fc.nat(19),
    num: fc.integer({ min: 1, max: 30 }),
    minPromoted: fc.integer({ min: 0, max: 6 }),
    minPrice: fc.option(fc.integer({ min: 0, max: 150 }), { nil: undefined }),
    maxPrice: fc.option(fc.integer({ min: 20, max: 320 }), { nil: undefined }),
    category: fc.option(fc.constantFrom('bag', 'hat', 'watch'), { nil: undefined }),
    country: fc.option(fc.constantFrom('ES', 'FR', 'MX'), { nil: undefined }),
    prefilterMax: fc.option(fc.integer({ min: 30, max: 300 }), { nil: undefined }),
    emptyHistory: fc.boolean(),
  });

  // The kernel either scores the whole catalog, or selects the fused pass's candidates itself
  // (here the slow reference of that selection, so the expected lists are the same bit for bit).
  it.each(['scores the whole catalog', 'selects the candidates'])('returns the lists of a slow reference (full sort over isEligible) on random snapshots and filters, when the kernel %s', async (kernelMode) => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const cat = syntheticCatalog(c.n, 8, { seed: c.seed, nUsers: 20 });
        const { snapshot } = cat;
        const now = Date.UTC(2025, 0, 1);
        const u = cat.users[c.user];
        const history = c.emptyHistory ? [] : cat.history.get(u.id)!;
        const query = { userId: u.id, num: c.num, minPromoted: c.minPromoted, minPrice: c.minPrice, maxPrice: c.maxPrice, categories: c.category === undefined ? undefined : [c.category], country: c.country };
        // A business rule (the deployment's price cap) on top of the request's filters.
        const rules = { ...DEFAULT_BUSINESS_RULES, maxPrice: c.prefilterMax ?? null };
        let raw: Float32Array | undefined;
        let fullCalls = 0;
        const fullScores = async (y: Float32Array, f: number, v: Float32Array, out?: Float32Array) => {
          fullCalls++;
          const r = await jsScoreAll(y, f, v, out);
          raw = Float32Array.from(r);
          return r;
        };
        const selectBlended = async (req: BlendedCandidatesRequest) => {
          raw = dotScores(req.itemFactors, req.f, req.userVec);
          return referenceBlendedCandidates(req);
        };
        const scoreAll: ScoreAll = kernelMode === 'selects the candidates' ? Object.assign(fullScores, { selectBlended }) : fullScores;
        const got = await rankForReceiver(snapshot, { history, profile: u, now }, query, { scoreAll, rules });

        // Reference, from the contract: blended model scores (or popularity), boosts, the filters item by item, a full sort.
        const n = snapshot.items.length;
        const scores = new Float32Array(n);
        const countryRank = snapshot.popularByCountry[c.country ?? u.country!];
        if (raw) blendWithPopularity(raw, snapshot.popularity, 1e-3, scores);
        else {
          for (let i = 0; i < n; i++) scores[i] = 0.5 * snapshot.popularity[i];
          countryRank.forEach((i, r) => (scores[i] = 1 + 1 / (r + 1)));
        }
        const summaries = summarizeUserEvents(history);
        const blocked = new Set(u.blacklist);
        for (const [id, s] of summaries) if (s.owned) blocked.add(id);
        for (const [id, s] of summaries) if (!s.owned && (s.wishlisted || s.inCart)) scores[snapshot.itemIndex.get(id)!] += 0.5 + 1;
        snapshot.items.forEach((it, i) => {
          if (it.createdAt >= now - 14 * DAY && it.interactionCount <= 2) scores[i] += 0.05;
        });
        const eligible = snapshot.items.map(
          (it) => isEligible(it, query, c.country ?? u.country, blocked) && (c.prefilterMax === undefined || it.price <= c.prefilterMax),
        );
        const want = referenceSelect(Array.from(scores), c.num, c.minPromoted, eligible, snapshot.items.map((it) => it.promoted));

        expect(got.personalized).toBe(raw !== undefined);
        // Selecting in the kernel leaves nothing to score catalog-wide (no filter here can make its candidates fall short).
        if (kernelMode === 'selects the candidates') expect(fullCalls).toBe(0);
        expect(got.items.map((r) => r.index)).toEqual(want.indices);
        expect(got.promotedShortfall).toBe(want.promotedShortfall);
        expect(got.items.map((r) => r.score)).toEqual(want.indices.map((i) => Number(scores[i].toFixed(6))));
        expect(got.items.map((r) => r.reasons)).toEqual(want.indices.map((i) => referenceReasons(i)));

        /**
         * Reasons, from the contract (README › API): on_wishlist / in_cart, else (a model score above
         * 0) the history item whose factors are the closest by cosine; popular_in_country for a
         * receiver without a model vector; new_arrival; popular_backfill when nothing else applies;
         * then promoted.
         */
        function referenceReasons(i: number): string[] {
          const it = snapshot.items[i];
          const reasons: string[] = [];
          const s = summaries.get(it.id);
          const boosted = s !== undefined && !s.owned && (s.wishlisted || s.inCart);
          if (boosted) reasons.push(s.wishlisted ? 'on_wishlist' : 'in_cart');
          else if (raw && raw[i] > 0) {
            const f = snapshot.factors;
            const Y = snapshot.itemFactors;
            const norm = (j: number) => Math.hypot(...Y.subarray(j * f, (j + 1) * f));
            let best: number | undefined;
            let bestCos = 0;
            for (const [id, strength] of decayedStrengths(history, now, DEFAULT_RANKING_OPTIONS.foldInHalfLifeDays)) {
              const h = snapshot.itemIndex.get(id);
              if (h === undefined || !(strength > 0) || norm(h) === 0) continue;
              let dot = 0;
              for (let a = 0; a < f; a++) dot += Y[i * f + a] * Y[h * f + a];
              const cos = dot / (norm(h) * norm(i));
              if (cos > bestCos) [best, bestCos] = [h, cos];
            }
            if (best !== undefined) reasons.push(historyReason(summaries.get(snapshot.items[best].id), snapshot.items[best].id));
          }
          if (!raw && countryRank.includes(i)) reasons.push('popular_in_country');
          if (it.createdAt >= now - 14 * DAY && it.interactionCount <= 2) reasons.push('new_arrival');
          if (reasons.length === 0) reasons.push('popular_backfill');
          if (it.promoted) reasons.push('promoted');
          return reasons;
        }
      }),
      { numRuns: Number(process.env.FC_RUNS ?? 300), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261125 },
    );
  });

  it('asks the per-item eligibility what the catalog mask says', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { snapshot, users } = syntheticCatalog(c.n, 4, { seed: c.seed, nUsers: 20 });
        const blocked = new Set([...users[c.user].blacklist, snapshot.items[c.seed % c.n].id]);
        const q = { minPrice: c.minPrice, maxPrice: c.maxPrice, categories: c.category === undefined ? undefined : [c.category] };
        const allowed = c.prefilterMax === undefined ? undefined : Uint8Array.from(snapshot.items, (it) => (it.price <= c.prefilterMax! ? 1 : 0));
        const filter = new EligibilityFilter(snapshot, q, c.country, blocked, allowed);
        const mask = eligibilityMask(snapshot, q, c.country, blocked);
        if (allowed) for (let i = 0; i < mask.length; i++) mask[i] &= allowed[i];
        expect(snapshot.items.map((_, i) => (filter.has(i) ? 1 : 0))).toEqual(Array.from(mask));
        expect(Array.from(filter.mask())).toEqual(Array.from(mask));
      }),
      { numRuns: 100, seed: 20261126 },
    );
  });
});
