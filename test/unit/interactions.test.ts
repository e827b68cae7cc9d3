/**
 * The event-weight table and the aggregation rules every model trains and serves on: order > cart >
 * wishlist > view, quantity multiplies orders and carts only, repeats accumulate up to a cap of 5
 * per (user, item), a gift order counts for its receiver, and fresh events outweigh old ones.
 */
import { describe, expect, it } from 'vitest';
import {
  buildInteractionMatrix,
  creditedUser,
  decayedStrengths,
  DEFAULT_EVENT_WEIGHTS,
  DEFAULT_REVIEW_WEIGHTS,
  isSignal,
  DEFAULT_INTERACTION_SETTINGS,
  DEFAULT_WEIGHT_CAP,
  eventStrength,
  newestTimestamp,
  recencyWeight,
  summarizeUserEvents,
} from '../../functions/core/domain/interactions.js';
import type { EventType } from '../../functions/core/domain/types.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const ev = (productId: string, type: EventType, quantity = 1, timestamp = T0) => ({ productId, type, quantity, timestamp });

/** R as a plain { user: { item: strength } } object, for exact comparisons. */
function dense(m: ReturnType<typeof buildInteractionMatrix>): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (let r = 0; r < m.R.nRows; r++) {
    const row: Record<string, number> = {};
    for (let k = m.R.indptr[r]; k < m.R.indptr[r + 1]; k++) row[m.items.ids[m.R.indices[k]]] = Number(m.R.data[k].toFixed(6));
    out[m.users.ids[r]] = row;
  }
  return out;
}

describe('the event-weight table', () => {
  it('is order 1, cart 0.5, wishlist 0.3, view 0.1, reviews 0/0/0.2/0.6/1 by stars, with a cap of 5', () => {
    expect(DEFAULT_EVENT_WEIGHTS).toEqual({ order: 1, cart: 0.5, wishlist: 0.3, view: 0.1, review: { 1: 0, 2: 0, 3: 0.2, 4: 0.6, 5: 1 } });
    expect(DEFAULT_REVIEW_WEIGHTS).toBe(DEFAULT_EVENT_WEIGHTS.review);
    expect(DEFAULT_WEIGHT_CAP).toBe(5);
    expect(DEFAULT_INTERACTION_SETTINGS).toEqual({ weights: DEFAULT_EVENT_WEIGHTS, cap: 5 });
  });

  it('ranks one event of each type order > cart > wishlist > view', () => {
    const s = (t: EventType) => eventStrength(t, 1, DEFAULT_EVENT_WEIGHTS);
    expect([s('order'), s('cart'), s('wishlist'), s('view')]).toEqual([1, 0.5, 0.3, 0.1]);
    expect(s('order')).toBeGreaterThan(s('cart'));
    expect(s('cart')).toBeGreaterThan(s('wishlist'));
    expect(s('wishlist')).toBeGreaterThan(s('view'));
  });

  it('multiplies orders and carts by their quantity (at least 1), never wishlists or views', () => {
    const w = DEFAULT_EVENT_WEIGHTS;
    expect(eventStrength('order', 3, w)).toBe(3);
    expect(eventStrength('cart', 4, w)).toBe(2);
    expect(eventStrength('wishlist', 4, w)).toBe(0.3);
    expect(eventStrength('view', 7, w)).toBe(0.1);
    expect(eventStrength('order', 0, w)).toBe(1);
    expect(eventStrength('cart', 0, w)).toBe(0.5);
    // The weights passed in are the ones used.
    const custom = { order: 9, cart: 8, wishlist: 7, view: 6, review: { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5 } };
    expect(eventStrength('view', 1, custom)).toBe(6);
    expect(eventStrength('review', 1, custom, 4)).toBe(4);
  });

  it("weighs a review by its stars only: 5★ like an order, 4★ above a cart, 3★ above a view, 1★ and 2★ nothing", () => {
    const w = DEFAULT_EVENT_WEIGHTS;
    const stars = (rating: number | undefined, quantity = 1) => eventStrength('review', quantity, w, rating);
    expect([1, 2, 3, 4, 5].map((r) => stars(r))).toEqual([0, 0, 0.2, 0.6, 1]);
    expect(stars(5)).toBe(eventStrength('order', 1, w));
    expect(stars(4)).toBeGreaterThan(eventStrength('cart', 1, w));
    expect(stars(3)).toBeGreaterThan(eventStrength('view', 1, w));
    expect(stars(5, 7)).toBe(1); // a quantity never multiplies a review
    for (const bad of [undefined, 0, 6, 2.5, NaN]) expect(stars(bad), String(bad)).toBe(0);
    expect(isSignal({ type: 'review', quantity: 1, rating: 3 })).toBe(true);
    expect(isSignal({ type: 'review', quantity: 1, rating: 2 })).toBe(false);
    expect(isSignal({ type: 'view', quantity: 1 })).toBe(true);
  });

  it('credits a gift order to its receiver, everything else to the actor', () => {
    expect(creditedUser({ userId: 'bob', receiverId: 'ana', type: 'order' })).toBe('ana');
    expect(creditedUser({ userId: 'bob', receiverId: 'ana', type: 'cart' })).toBe('bob');
    expect(creditedUser({ userId: 'bob', type: 'order' })).toBe('bob');
    expect(creditedUser({ userId: 'bob', receiverId: '', type: 'order' })).toBe('bob');
  });
});

describe('summarizeUserEvents', () => {
  it('accumulates per item up to the cap and records ownership, wishlist, cart and the last time', () => {
    const s = summarizeUserEvents([
      ev('a', 'view', 1, T0 + 5),
      ev('a', 'cart', 2, T0 + 9),
      ev('a', 'view', 1, T0 + 1),
      ev('b', 'order', 3, T0),
      ev('b', 'order', 4, T0 + 2),
      ev('c', 'wishlist'),
      ev('c', 'wishlist'),
    ]);
    const none = { reviewed: false, likedInReview: false };
    expect(s.get('a')).toEqual({ strength: expect.closeTo(1.2, 12), owned: false, wishlisted: false, inCart: true, ...none, lastTimestamp: T0 + 9 });
    expect(s.get('b')).toEqual({ strength: 5, owned: true, wishlisted: false, inCart: false, ...none, lastTimestamp: T0 + 2 });
    expect(s.get('c')!.strength).toBeCloseTo(0.6, 12);
    expect(s.get('c')).toMatchObject({ owned: false, wishlisted: true, inCart: false });
    expect([...s.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('marks reviewed items, and as liked only reviews with a weight (3★ and up)', () => {
    const review = (productId: string, rating: number) => ({ productId, type: 'review' as const, quantity: 1, timestamp: T0, rating });
    const s = summarizeUserEvents([review('loved', 5), review('meh', 3), review('hated', 1), ev('hated', 'view')]);
    expect(s.get('loved')).toMatchObject({ strength: 1, reviewed: true, likedInReview: true, owned: false });
    expect(s.get('meh')).toMatchObject({ strength: 0.2, reviewed: true, likedInReview: true });
    expect(s.get('hated')).toMatchObject({ strength: 0.1, reviewed: true, likedInReview: false });
  });

  it('caps at exactly 5: six single orders give 5, four give 4', () => {
    const orders = (k: number) => Array.from({ length: k }, () => ev('x', 'order'));
    expect(summarizeUserEvents(orders(6)).get('x')!.strength).toBe(5);
    expect(summarizeUserEvents(orders(4)).get('x')!.strength).toBe(4);
    expect(summarizeUserEvents(orders(6), { weights: DEFAULT_EVENT_WEIGHTS, cap: 2 }).get('x')!.strength).toBe(2);
  });
});

describe('buildInteractionMatrix', () => {
  it('builds R from credited users with the table, quantities and the cap', () => {
    const m = buildInteractionMatrix(
      [
        { userId: 'bob', receiverId: 'ana', productId: 'scarf', type: 'order', quantity: 1 },
        { userId: 'bob', productId: 'mug', type: 'view', quantity: 1 },
        { userId: 'bob', productId: 'mug', type: 'cart', quantity: 3 },
        { userId: 'ana', productId: 'hat', type: 'wishlist', quantity: 9 },
        { userId: 'cid', productId: 'hat', type: 'order', quantity: 4 },
        { userId: 'cid', productId: 'hat', type: 'order', quantity: 4 },
      ],
      { catalogItemIds: ['cold', 'scarf'] },
    );
    expect(m.users.ids).toEqual(['ana', 'bob', 'cid']);
    expect(m.items.ids).toEqual(['cold', 'scarf', 'mug', 'hat']);
    expect(dense(m)).toEqual({ ana: { scarf: 1, hat: 0.3 }, bob: { mug: 1.6 }, cid: { hat: 5 } });
  });

  it('weighs reviews by their stars in R and leaves 1★ and 2★ reviews out (no zero entries)', () => {
    const m = buildInteractionMatrix(
      [5, 4, 3, 2, 1].map((rating) => ({ userId: 'u', productId: `r${rating}`, type: 'review' as const, quantity: 1, rating })).concat([
        { userId: 'only-dislikes', productId: 'r1', type: 'review' as const, quantity: 1, rating: 1 },
      ]),
      { catalogItemIds: ['r1', 'r2', 'r3', 'r4', 'r5'] },
    );
    expect(dense(m)).toEqual({ u: { r5: 1, r4: 0.6, r3: 0.2 } });
    expect(m.users.ids).toEqual(['u']);
    expect(m.R.data.every((v) => v > 0)).toBe(true);
    // Fold-in reads the same rule: a 1★ review alone is no history item.
    expect([...decayedStrengths([{ productId: 'r1', type: 'review', quantity: 1, timestamp: T0, rating: 1 }], T0, 14).keys()]).toEqual([]);
  });

  it('orders rank above carts above wishlists above views in R', () => {
    const types: EventType[] = ['view', 'wishlist', 'cart', 'order'];
    const m = buildInteractionMatrix(types.map((type) => ({ userId: 'u', productId: type, type, quantity: 1 })));
    const row = dense(m).u;
    expect(row.order).toBeGreaterThan(row.cart);
    expect(row.cart).toBeGreaterThan(row.wishlist);
    expect(row.wishlist).toBeGreaterThan(row.view);
  });

  it('drops events on items outside the catalog only when asked to', () => {
    const events = [
      { userId: 'u', productId: 'known', type: 'order' as const, quantity: 1 },
      { userId: 'u', productId: 'unknown', type: 'order' as const, quantity: 1 },
    ];
    expect(dense(buildInteractionMatrix(events, { catalogItemIds: ['known'], restrictToCatalog: true }))).toEqual({ u: { known: 1 } });
    expect(dense(buildInteractionMatrix(events, { catalogItemIds: ['known'] }))).toEqual({ u: { known: 1, unknown: 1 } });
    // Without a catalog there is nothing to restrict to, and the columns are exactly the events' items.
    const bare = buildInteractionMatrix(events, { restrictToCatalog: true });
    expect(dense(bare)).toEqual({ u: { known: 1, unknown: 1 } });
    expect(bare.items.ids).toEqual(['known', 'unknown']);
    expect(bare.R.nCols).toBe(2);
  });

  it('weights each event by its recency when asked: one half-life of age halves it', () => {
    const events = [
      { userId: 'u', productId: 'new', type: 'order' as const, quantity: 1, timestamp: T0 },
      { userId: 'u', productId: 'old', type: 'order' as const, quantity: 1, timestamp: T0 - 10 * DAY },
    ];
    expect(dense(buildInteractionMatrix(events, { recency: { refTime: T0, halfLifeDays: 10 } }))).toEqual({ u: { new: 1, old: 0.5 } });
    expect(dense(buildInteractionMatrix(events, { recency: { refTime: T0, halfLifeDays: null } }))).toEqual({ u: { new: 1, old: 1 } });
    expect(dense(buildInteractionMatrix(events))).toEqual({ u: { new: 1, old: 1 } });
  });
});

describe('decayedStrengths and recencyWeight', () => {
  it('halves an event per half-life of age, counts future events as fresh, and is off for null', () => {
    expect(recencyWeight(T0, T0, 14)).toBe(1);
    expect(recencyWeight(T0 - 14 * DAY, T0, 14)).toBe(0.5);
    expect(recencyWeight(T0 - 28 * DAY, T0, 14)).toBe(0.25);
    expect(recencyWeight(T0 + 3 * DAY, T0, 14)).toBe(1);
    expect(recencyWeight(T0 - 28 * DAY, T0, null)).toBe(1);
    expect(recencyWeight(T0 - 28 * DAY, T0, 0)).toBe(1);
  });

  it('sums decayed strengths per item with the table and caps them', () => {
    const d = decayedStrengths(
      [ev('a', 'order', 1, T0), ev('a', 'cart', 2, T0 - 7 * DAY), ev('b', 'view', 1, T0 - 14 * DAY), ...Array.from({ length: 8 }, () => ev('c', 'order'))],
      T0,
      7,
    );
    expect(d.get('a')).toBeCloseTo(1 + 0.5, 12);
    expect(d.get('b')).toBeCloseTo(0.1 / 4, 12);
    expect(d.get('c')).toBe(5);
    // A fresh order outweighs the same order a quarter ago.
    const fresh = decayedStrengths([ev('x', 'order', 1, T0)], T0, 14).get('x')!;
    const old = decayedStrengths([ev('x', 'order', 1, T0 - 90 * DAY)], T0, 14).get('x')!;
    expect(fresh).toBeGreaterThan(10 * old);
  });

  it('newestTimestamp is the training reference time (0 when empty)', () => {
    expect(newestTimestamp([])).toBe(0);
    expect(newestTimestamp([{ timestamp: 5 }, { timestamp: 9 }, { timestamp: 7 }])).toBe(9);
  });
});
