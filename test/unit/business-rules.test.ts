/**
 * The business rules' one function: each rule excludes exactly what it says, on its boundary
 * values; a rule at its off value changes nothing; the schema rejects what cannot be meant.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  applyBusinessRules,
  BusinessRulesSchema,
  cachedBusinessRules,
  DEFAULT_BUSINESS_RULES,
  rulesActive,
  type BusinessRules,
  type RuleCatalog,
} from '../../functions/core/ranking/business-rules.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);
type Item = RuleCatalog['items'][number];

const item = (over: Partial<Item> = {}): Item => ({ price: 10, category: 'hat', promoted: false, status: 'active', createdAt: NOW - 1000 * DAY, lastSoldAt: NOW - DAY, ...over });
const rules = (over: Partial<BusinessRules>): BusinessRules => BusinessRulesSchema.parse(over);
const allowedOf = (items: Item[], r: Partial<BusinessRules>, popularity: number[] = items.map(() => 0)) => Array.from(applyBusinessRules({ items, popularity }, rules(r), NOW).allowed);

describe('business rules: defaults', () => {
  it('defaults are all off and change nothing: every active item passes, no boost', () => {
    expect(rulesActive(DEFAULT_BUSINESS_RULES)).toBe(false);
    expect(DEFAULT_BUSINESS_RULES).toEqual({
      excludeNotSoldForMonths: null,
      minPrice: null,
      maxPrice: null,
      excludeMostPopularShare: 0,
      excludeLeastPopularShare: 0,
      minItemsPerCategory: 0,
      promotedBoost: 0,
    });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            price: fc.double({ min: 0, max: 1e5, noNaN: true }),
            category: fc.constantFrom('', 'hat', 'dress'),
            promoted: fc.boolean(),
            status: fc.constantFrom('active' as const, 'draft' as const, 'blocked' as const),
            createdAt: fc.integer({ min: NOW - 2000 * DAY, max: NOW }),
            lastSoldAt: fc.option(fc.integer({ min: NOW - 2000 * DAY, max: NOW }), { nil: undefined }),
          }),
          { maxLength: 40 },
        ),
        (items) => {
          const out = applyBusinessRules({ items, popularity: items.map((_, i) => i % 5) }, DEFAULT_BUSINESS_RULES, NOW);
          expect(Array.from(out.allowed)).toEqual(items.map((it) => (it.status === 'active' ? 1 : 0)));
          expect(out.boost).toBeUndefined();
          expect(Object.values(out.excluded).every((v) => v === 0)).toBe(true);
        },
      ),
      { numRuns: 200, seed: 11 },
    );
    expect(cachedBusinessRules({ items: [item()], popularity: [1] }, DEFAULT_BUSINESS_RULES, NOW)).toBeUndefined();
  });
});

describe('business rules: each rule on its boundary', () => {
  it('excludeNotSoldForMonths: an order exactly N·30 days ago keeps the item, one ms earlier drops it; young items stay', () => {
    const since = NOW - 6 * 30 * DAY;
    const items = [
      item({ lastSoldAt: since }), // exactly at the boundary: kept
      item({ lastSoldAt: since - 1 }), // just before: dropped
      item({ lastSoldAt: undefined }), // never sold, listed long ago: dropped
      item({ lastSoldAt: undefined, createdAt: since }), // never sold, listed exactly N months ago: too young to judge, kept
      item({ lastSoldAt: undefined, createdAt: since - 1 }), // listed one ms before the window: dropped
    ];
    expect(allowedOf(items, { excludeNotSoldForMonths: 6 })).toEqual([1, 0, 0, 1, 0]);
    const out = applyBusinessRules({ items, popularity: [0, 0, 0, 0, 0] }, rules({ excludeNotSoldForMonths: 6 }), NOW);
    expect(out.excluded.notSold).toBe(3);
    expect(out.allowedCount).toBe(2);
  });

  it('minPrice / maxPrice: equal passes, a cent outside drops, an unknown price passes', () => {
    const items = [9.99, 10, 50, 50.01, Number.NaN].map((price) => item({ price }));
    expect(allowedOf(items, { minPrice: 10 })).toEqual([0, 1, 1, 1, 1]);
    expect(allowedOf(items, { maxPrice: 50 })).toEqual([1, 1, 1, 0, 1]);
    expect(allowedOf(items, { minPrice: 10, maxPrice: 50 })).toEqual([0, 1, 1, 0, 1]);
  });

  it('excludeMostPopularShare / excludeLeastPopularShare: ⌊share·n⌋ active items from each end, ties by catalog order', () => {
    const popularity = [5, 9, 1, 7, 3, 9, 0, 2, 8, 4];
    const items = popularity.map(() => item());
    // n = 10: 0.2 → the 2 most popular (the two 9s, indices 1 and 5).
    expect(allowedOf(items, { excludeMostPopularShare: 0.2 }, popularity)).toEqual([1, 0, 1, 1, 1, 0, 1, 1, 1, 1]);
    // 0.19 → ⌊1.9⌋ = 1: of the tied 9s, the first in catalog order.
    expect(allowedOf(items, { excludeMostPopularShare: 0.19 }, popularity)).toEqual([1, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    // 0.3 least popular → 0, 1, 2 (indices 6, 2, 7).
    expect(allowedOf(items, { excludeLeastPopularShare: 0.3 }, popularity)).toEqual([1, 1, 0, 1, 1, 1, 0, 0, 1, 1]);
    // Inactive items take no share: with 5 of 10 blocked, 0.2 of the 5 active is 1 item.
    const someBlocked = items.map((it, i) => (i % 2 === 1 ? { ...it, status: 'blocked' as const } : it));
    expect(allowedOf(someBlocked, { excludeMostPopularShare: 0.2 }, popularity)).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 0, 0]);
    // Items past the popularity vector (added since the version) count as 0.
    expect(allowedOf([item(), item()], { excludeLeastPopularShare: 0.5 }, [1])).toEqual([1, 0]);
  });

  it('minItemsPerCategory: a category with exactly M active items stays, M−1 drops; items without a category stay', () => {
    const items = [
      item({ category: 'hat' }),
      item({ category: 'hat' }),
      item({ category: 'hat' }),
      item({ category: 'dress' }),
      item({ category: 'dress' }),
      item({ category: 'dress', status: 'deleted' }), // does not count
      item({ category: '' }),
    ];
    expect(allowedOf(items, { minItemsPerCategory: 3 })).toEqual([1, 1, 1, 0, 0, 0, 1]);
    expect(allowedOf(items, { minItemsPerCategory: 2 })).toEqual([1, 1, 1, 1, 1, 0, 1]);
    expect(applyBusinessRules({ items, popularity: items.map(() => 0) }, rules({ minItemsPerCategory: 3 }), NOW).excluded.thinCategory).toBe(2);
  });

  it('promotedBoost: exactly b on promoted items, nothing excluded', () => {
    const items = [item({ promoted: true }), item(), item({ promoted: true, status: 'draft' })];
    const out = applyBusinessRules({ items, popularity: [0, 0, 0] }, rules({ promotedBoost: 0.25 }), NOW);
    expect(Array.from(out.boost!)).toEqual([0.25, 0, 0.25]);
    expect(Array.from(out.allowed)).toEqual([1, 1, 0]);
  });

  it('each rule alone at its off value leaves the outcome as with no rules', () => {
    const items = [item({ price: 1, lastSoldAt: undefined, category: 'x', promoted: true }), item({ price: 1e4 })];
    const none = allowedOf(items, {});
    for (const off of [{ excludeNotSoldForMonths: null }, { minPrice: null }, { maxPrice: null }, { excludeMostPopularShare: 0 }, { excludeLeastPopularShare: 0 }, { minItemsPerCategory: 0 }, { promotedBoost: 0 }]) {
      expect(allowedOf(items, off), JSON.stringify(off)).toEqual(none);
      expect(rulesActive(rules(off))).toBe(false);
    }
  });
});

describe('business rules: the schema', () => {
  it('names every bad field', () => {
    const bad = BusinessRulesSchema.safeParse({ excludeNotSoldForMonths: 0, minPrice: -1, excludeMostPopularShare: 1, minItemsPerCategory: 2.5, promotedBoost: 'x', colour: 'red' });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.') || (i as { keys?: string[] }).keys?.join(','));
    expect(paths).toEqual(expect.arrayContaining(['excludeNotSoldForMonths', 'minPrice', 'excludeMostPopularShare', 'minItemsPerCategory', 'promotedBoost', 'colour']));
  });

  it('rejects a price range that is empty and popularity shares that leave nothing', () => {
    expect(BusinessRulesSchema.safeParse({ minPrice: 50, maxPrice: 10 }).error?.issues[0].path).toEqual(['minPrice']);
    expect(BusinessRulesSchema.safeParse({ excludeMostPopularShare: 0.5, excludeLeastPopularShare: 0.5 }).error?.issues[0].path).toEqual(['excludeLeastPopularShare']);
    expect(BusinessRulesSchema.safeParse({ minPrice: 10, maxPrice: 10 }).success).toBe(true);
  });
});

describe('business rules: the serving cache', () => {
  it('reuses the outcome within a minute for the same catalog and rules, and recomputes when either changes', () => {
    const catalog: RuleCatalog = { items: [item({ lastSoldAt: NOW - 181 * DAY }), item()], popularity: [0, 0] };
    const r = rules({ excludeNotSoldForMonths: 6 });
    const first = cachedBusinessRules(catalog, r, NOW)!;
    expect(Array.from(first.allowed)).toEqual([0, 1]);
    expect(cachedBusinessRules(catalog, r, NOW + 59_000)).toBe(first);
    expect(cachedBusinessRules(catalog, { ...r }, NOW + 1000)).toBe(first); // equal rules, another object
    expect(cachedBusinessRules(catalog, rules({ excludeNotSoldForMonths: 7 }), NOW)).not.toBe(first);
    const later = cachedBusinessRules(catalog, r, NOW + 60_000)!;
    expect(later).not.toBe(first);
  });
});
