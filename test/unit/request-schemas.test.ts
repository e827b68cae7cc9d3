/** The request families' schemas: names mapped at the edge, cross-field rules, one error per failing part. */
import { describe, expect, it } from 'vitest';
import { parseRequest, prototypeKeyPath, type ApiEvent } from '../../functions/http/api.js';
import { EventsRequest, ProductPutRequest, ProductRequest, RecommendationsRequest, RecommendRequest, UserPutRequest } from '../../functions/http/schemas.js';
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
    expect(a).toEqual({ userId: '7', num: 4, minPrice: 1.5, maxPrice: undefined, minPromoted: 2, country: 'CL', categories: undefined });
    expect(parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { category: 'hat, scarf,hat' })).categories).toEqual(['hat', 'scarf']);
    expect(failure(() => parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { category: 'hat,' }))).message).toMatch(/^Invalid query: category/);
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
    expect(q.message).toMatch(/^Invalid query: category/);
    expect(q.details).toHaveLength(1);
  });

  it('a bodiless PUT /users gets the body defaults', () => {
    expect(parseRequest(UserPutRequest, event({ userId: 'u' }))).toEqual({ path: { userId: 'u' }, query: {}, body: { blacklist: [], wishlist_public: true } });
  });
});

describe('strict input: one rule on every route', () => {
  it('unknown body fields, unknown query parameters and a body on a bodiless route are 400s', () => {
    const body = failure(() => parseRequest(EventsRequest, event({}, {}, { events: [{ eventId: 'e1', userId: 'u', productId: 'p', type: 'view', colour: 'red' }] })));
    expect(body.message).toMatch(/^Invalid body: events\.0: /);
    expect(body.details).toEqual([expect.objectContaining({ path: 'events.0' })]);
    expect(JSON.stringify(body.details)).toContain('colour');
    const query = failure(() => parseRequest(RecommendRequest, event({ receiverId: '7', num: '4' }, { colour: 'red' })));
    expect(query.message).toMatch(/^Invalid query: /);
    expect(JSON.stringify(query.details)).toContain('colour');
    const noQuery = failure(() => parseRequest(ProductRequest, event({ productId: 'p1' }, { x: '1' })));
    expect(noQuery.message).toMatch(/^Invalid query/);
    const noBody = failure(() => parseRequest(ProductRequest, event({ productId: 'p1' }, {}, { name: 'x' })));
    expect(noBody.message).toBe('Invalid body: this route takes no request body');
    expect(parseRequest(ProductRequest, event({ productId: 'p1' }))).toEqual({ path: { productId: 'p1' }, query: {}, body: undefined });
  });

  it('ids and image keys cannot climb out of their S3 prefix', () => {
    expect(failure(() => parseRequest(ProductRequest, event({ productId: '..' }))).message).toBe('Invalid path: productId: must not contain ".."');
    expect(failure(() => parseRequest(ProductRequest, event({ productId: 'a..b' }))).details).toEqual([{ path: 'productId', message: 'must not contain ".."' }]);
    expect(parseRequest(ProductRequest, event({ productId: 'a.b' })).path.productId).toBe('a.b');
    const put = (images: string[]) => () => parseRequest(ProductPutRequest, event({ productId: 'p1' }, {}, { name: 'x', price: 1, images }));
    expect(failure(put(['images/../../gift-models/models/v1/manifest.json'])).message).toMatch(/^Invalid body: images\.0: /);
    expect(failure(put(['images/p1/a\u0000.jpg'])).message).toMatch(/^Invalid body: images\.0: /);
    expect(failure(put(['models/p1/a.jpg'])).message).toMatch(/^Invalid body: images\.0: /);
    expect(parseRequest(ProductPutRequest, event({ productId: 'p1' }, {}, { name: 'x', price: 1, images: ['images/p1/a.jpg'] })).body.images).toEqual(['images/p1/a.jpg']);
  });

  it('only order events name a receiver', () => {
    const ev = (type: string) => ({ events: [{ eventId: 'e1', userId: 'u', productId: 'p', type, receiverId: 'r' }] });
    const err = failure(() => parseRequest(EventsRequest, event({}, {}, ev('view'))));
    expect(err.details).toEqual([{ path: 'events.0.receiverId', message: 'only order events name a receiver (a gift); leave it out for other types' }]);
    expect(parseRequest(EventsRequest, event({}, {}, ev('order'))).body.events[0].receiverId).toBe('r');
  });

  it('finds __proto__ / constructor / prototype keys anywhere in a parsed body', () => {
    expect(prototypeKeyPath(JSON.parse('{"name":"x","attributes":{"constructor":"y"}}'))).toBe('attributes.constructor');
    expect(prototypeKeyPath(JSON.parse('{"events":[{"a":1},{"__proto__":{"x":1}}]}'))).toBe('events.1.__proto__');
    expect(prototypeKeyPath(JSON.parse('{"a":{"prototype":1}}'))).toBe('a.prototype');
    expect(prototypeKeyPath(JSON.parse('{"name":"constructor","attributes":{"proto":"__proto__"}}'))).toBeUndefined();
  });
});
