/** The request families' schemas: names mapped at the edge, cross-field rules, one error per failing part. */
import { describe, expect, it } from 'vitest';
import { parseRequest, type ApiEvent } from '../../functions/http/api.js';
import { RecommendationsRequest, RecommendRequest, UserPutRequest } from '../../functions/http/schemas.js';
import { InvalidInput } from '../../functions/core/domain/errors.js';

const event = (pathParameters: Record<string, string>, queryStringParameters: Record<string, string> = {}, body?: unknown) =>
  ({ pathParameters, queryStringParameters, body }) as unknown as ApiEvent;

function failure(fn: () => unknown): InvalidInput {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInput) return err;
    throw err;
  }
  throw new Error('expected InvalidInput');
}

describe('request schemas', () => {
  it('maps both recommendation routes onto one query (receiverId/userId → userId, num/top_k → num)', () => {
    const a = parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { min_price: '1.5', country: 'cl', min_promoted: '2' }));
    expect(a).toEqual({ userId: '7', num: 4, minPrice: 1.5, maxPrice: undefined, minPromoted: 2, country: 'CL', category: undefined });
    const b = parseRequest(RecommendationsRequest, event({ userId: '7' }, { top_k: '4' }));
    expect(b).toMatchObject({ userId: '7', num: 4, minPromoted: 0 });
    expect(parseRequest(RecommendationsRequest, event({ userId: '7' })).num).toBe(5);
  });

  it('holds the cross-field rules: min_price ≤ max_price, min_promoted ≤ the number asked for', () => {
    const budget = failure(() => parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { min_price: '9', max_price: '1' })));
    expect(budget.message).toBe('min_price must not exceed max_price');
    expect(budget.details).toEqual([{ path: 'min_price', message: 'greater than max_price' }]);
    const promoted = failure(() => parseRequest(RecommendationsRequest, event({ userId: '7' }, { min_promoted: '6' })));
    expect(promoted.message).toBe('min_promoted (6) must not exceed the number of items asked for (5)');
    expect(parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { min_price: '1', max_price: '1', min_promoted: '4' })).minPromoted).toBe(4);
  });

  it('reports the first failing part only, and a cross-field rule only when every field is valid', () => {
    const err = failure(() => parseRequest(RecommendRequest, event({ receiverId: '7', num: '0' }, { category: '', min_price: '9', max_price: '1' })));
    expect(err.message).toBe('Invalid path: num: must be between 1 and 100');
    expect(err.details).toEqual([{ path: 'num', message: 'must be between 1 and 100' }]);
    const q = failure(() => parseRequest(RecommendRequest, event({ receiverId: '7', num: '3' }, { category: '', min_price: '9', max_price: '1' })));
    expect(q.message).toMatch(/^Invalid query: category: /);
    expect(q.details).toHaveLength(1);
  });

  it('a bodiless PUT /users gets the body defaults', () => {
    expect(parseRequest(UserPutRequest, event({ userId: 'u' }))).toEqual({ path: { userId: 'u' }, body: { blacklist: [] } });
  });
});
