/** Reasons tell the truth about the history behind them, and gift-givers see only the receiver's public ones. */
import { describe, expect, it } from 'vitest';
import { historyReason } from '../../functions/core/ranking/recommend.js';
import { summarizeUserEvents } from '../../functions/core/domain/interactions.js';
import { visibleReasons, type Caller } from '../../functions/http/auth.js';

const summaryOf = (...types: string[]) =>
  summarizeUserEvents(types.map((type, i) => ({ productId: 'p', type: type as 'view', quantity: 1, timestamp: i }))).get('p');

describe('historyReason', () => {
  it('says bought only for orders, liked for wishlist and cart, viewed for views alone', () => {
    expect(historyReason(summaryOf('order'), 'p')).toBe('because_you_bought:p');
    expect(historyReason(summaryOf('view', 'cart', 'order'), 'p')).toBe('because_you_bought:p');
    expect(historyReason(summaryOf('view', 'wishlist'), 'p')).toBe('because_you_liked:p');
    expect(historyReason(summaryOf('cart'), 'p')).toBe('because_you_liked:p');
    expect(historyReason(summaryOf('view', 'view'), 'p')).toBe('because_you_viewed:p');
    expect(historyReason(undefined, 'p')).toBe('because_you_viewed:p');
  });
});

describe('visibleReasons', () => {
  const all = ['on_wishlist', 'in_cart', 'because_you_bought:x', 'because_you_liked:y', 'because_you_viewed:z', 'similar_image:w', 'promoted', 'new_arrival'];
  const seen = (caller: Caller, wishlistPublic = true) => all.filter(visibleReasons(caller, 'bob', wishlistPublic));

  it('the receiver, the service, admins and AUTH=none see every reason', () => {
    for (const caller of [{ kind: 'user', sub: 'bob' }, { kind: 'service', sub: 'app' }, { kind: 'admin', sub: 'ops' }, { kind: 'trusted' }] as Caller[]) {
      expect(seen(caller), caller.kind).toEqual(all);
    }
  });

  it('another app user (a gift-giver) sees no cart or history reasons; the wishlist only when public', () => {
    expect(seen({ kind: 'user', sub: 'alice' })).toEqual(['on_wishlist', 'similar_image:w', 'promoted', 'new_arrival']);
    expect(seen({ kind: 'user', sub: 'alice' }, false)).toEqual(['similar_image:w', 'promoted', 'new_arrival']);
  });
});
