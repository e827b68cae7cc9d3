import { describe, expect, it } from 'vitest';
import { attributable, attributionCounters, impressionCounters, reasonKind, summarize, type Impression } from '../../functions/core/domain/online-metrics.js';

const imp: Impression = {
  recommendationId: 'r1',
  userId: 'u',
  modelVersion: 'v2',
  shownAt: 1_000_000,
  items: [
    { id: 'a', reasons: ['because_you_bought:p-1', 'promoted'] },
    { id: 'b', reasons: ['popular_backfill'] },
  ],
};

describe('online metrics', () => {
  it('counts reasons by kind, never by id', () => {
    expect(reasonKind('because_you_bought:p-1')).toBe('because_you_bought');
    expect(impressionCounters(imp)).toEqual({ responses: 1, impressions: 2, 'impressions:because_you_bought': 1, 'impressions:promoted': 1, 'impressions:popular_backfill': 1 });
    expect(attributionCounters('order', ['promoted', 'similar_image:x'])).toEqual({ 'attributed:order': 1, 'attributed:order:promoted': 1, 'attributed:order:similar_image': 1 });
  });

  it('attributes only products shown, after the impression and within the window', () => {
    const hour = 3_600_000;
    expect(attributable(imp, 'a', imp.shownAt + hour, 2 * hour)).toEqual({ reasons: imp.items[0].reasons });
    expect(attributable(imp, 'a', imp.shownAt + 3 * hour, 2 * hour)).toBeUndefined();
    expect(attributable(imp, 'a', imp.shownAt - 1, 2 * hour)).toBeUndefined();
    expect(attributable(imp, 'zz', imp.shownAt + 1, 2 * hour)).toBeUndefined();
  });

  it('sums days into rates per model version and per reason', () => {
    const s = summarize([
      { day: 'd1', modelVersion: 'v1', counters: { responses: 2, impressions: 10, 'impressions:promoted': 4, 'attributed:order': 1, 'attributed:order:promoted': 1 } },
      { day: 'd2', modelVersion: 'v1', counters: { responses: 1, impressions: 10, 'attributed:view': 5 } },
      { day: 'd2', modelVersion: 'v2', counters: { responses: 1, impressions: 5, 'impressions:promoted': 1 } },
    ]);
    expect(s.impressions).toBe(25);
    expect(s.attributed).toEqual({ order: 1, cart: 0, wishlist: 0, view: 5 });
    expect(s.rates.view).toBe(0.2);
    expect(s.by_model_version.map((v) => [v.model_version, v.impressions, v.rates.order])).toEqual([['v2', 5, 0], ['v1', 20, 0.05]]);
    expect(s.by_reason).toEqual([{ reason: 'promoted', impressions: 5, attributed: { order: 1, cart: 0, wishlist: 0, view: 0 }, rates: { order: 0.2, cart: 0, wishlist: 0, view: 0 } }]);
  });
});
