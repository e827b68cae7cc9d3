/**
 * The authorization matrix: every route × anonymous / self / another user / service / admin, over
 * the event shape API Gateway v2's JWT authorizer delivers (`requestContext.authorizer.jwt`), with
 * the real handlers on the embedded DynamoDB/S3. The expected table is written out here, not
 * derived from routes.ts, so a changed access rule fails it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { ROUTES, routeKey } from '../../functions/http/routes.js';
import { DEFAULT_SCOPES } from '../../functions/http/auth.js';
import { resetConfig } from '../../functions/config.js';

type Who = 'anonymous' | 'self' | 'other' | 'service' | 'admin';
type Outcome = 'ok' | 401 | 403;
const WHO: Who[] = ['anonymous', 'self', 'other', 'service', 'admin'];

// [anonymous, self, other user, service, admin]; `ok` = neither 401 nor 403 (200, 400, 404, 503 all count).
const APP: Outcome[] = [401, 'ok', 'ok', 'ok', 'ok'];
const ADMIN: Outcome[] = [401, 403, 403, 403, 'ok'];
const OPEN: Outcome[] = ['ok', 'ok', 'ok', 'ok', 'ok'];
const EXPECTED: Record<string, Outcome[]> = {
  'GET /recommend/{receiverId}/{num}': APP,
  'GET /recommendations/{userId}': APP,
  'GET /recommendation': APP,
  // `self` posts its own events, `other` posts events as bob.
  'POST /events': [401, 'ok', 403, 'ok', 'ok'],
  'GET /products/{productId}': APP,
  'PUT /products/{productId}': ADMIN,
  'DELETE /products/{productId}': ADMIN,
  'GET /products': ADMIN,
  'GET /products/{productId}/similar': APP,
  'GET /products/{productId}/image': APP,
  'POST /products/{productId}/image': ADMIN,
  'GET /users/{userId}': [401, 'ok', 403, 'ok', 'ok'],
  'PUT /users/{userId}': [401, 403, 403, 'ok', 'ok'],
  'GET /users/{userId}/history': ADMIN,
  'GET /model': ADMIN,
  'GET /metrics': ADMIN,
  'GET /config': ADMIN,
  'PUT /config': ADMIN,
  'GET /health': OPEN,
  'GET /openapi.json': OPEN,
};

/** The JWT authorizer's context for a caller (alice is the app user; bob the other person). */
function withCaller(event: APIGatewayProxyEventV2, who: Who): APIGatewayProxyEventV2 {
  if (who === 'anonymous') return event;
  const [sub, scopes] =
    who === 'service' ? ['backend-client', [DEFAULT_SCOPES.service]] : who === 'admin' ? ['ops-client', [DEFAULT_SCOPES.admin]] : ['alice', []];
  const claims: Record<string, string> = { sub, iss: 'https://cognito-idp.eu-west-1.amazonaws.com/pool', token_use: 'access' };
  if (scopes.length > 0) claims.scope = scopes.join(' ');
  return { ...event, requestContext: { ...event.requestContext, authorizer: { jwt: { claims, scopes: scopes.length ? scopes : null } } } } as APIGatewayProxyEventV2;
}

let eventCounter = 0;
function requestFor(key: string, who: Who): APIGatewayProxyEventV2 {
  const subject = who === 'other' ? 'bob' : 'alice';
  const all: Record<string, string> = { receiverId: subject, userId: subject, num: '3', productId: 'p-auth' };
  // Only the template's parameters, as API Gateway passes them.
  const params = Object.fromEntries([...key.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name, all[name]]));
  const query: Record<string, string> = key === 'GET /recommendation' ? { customer_id: subject } : {};
  const bodies: Record<string, unknown> = {
    'POST /events': { events: [{ eventId: `auth-${++eventCounter}`, userId: who === 'other' ? 'bob' : who === 'self' ? 'alice' : 'bob', productId: 'p-auth', type: 'view' }] },
    'PUT /products/{productId}': { name: 'Auth test', price: 1 },
    'PUT /users/{userId}': { country: 'CL' },
    'POST /products/{productId}/image': { content_type: 'image/png' },
    'PUT /config': { minPrice: 0 },
  };
  return withCaller(apiEvent(key, params, query, bodies[key]), who);
}

describe('authorization matrix (AUTH=jwt, API Gateway v2 JWT authorizer events)', () => {
  let aws: LocalAws;
  let handlers: Record<string, unknown>;
  let previousAuth: string | undefined;

  beforeAll(async () => {
    previousAuth = process.env.AUTH;
    process.env.AUTH = 'jwt';
    aws = await startLocalAws();
    handlers = {
      recommend: (await import('../../functions/recommend/handler.js')).handler,
      events: (await import('../../functions/events/handler.js')).handler,
      catalog: (await import('../../functions/catalog/handler.js')).handler,
      users: (await import('../../functions/users/handler.js')).handler,
      status: (await import('../../functions/status/handler.js')).handler,
    };
    await invoke(handlers.catalog, withCaller(apiEvent('PUT /products/{productId}', { productId: 'p-auth' }, {}, { name: 'Auth test', price: 1 }), 'admin'));
  }, 60_000);
  afterAll(async () => {
    await aws?.stop();
    if (previousAuth === undefined) delete process.env.AUTH;
    else process.env.AUTH = previousAuth;
    resetConfig();
  });

  it('covers every route of the route table', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(ROUTES.map(routeKey).sort());
  });

  for (const route of ROUTES) {
    const key = routeKey(route);
    it(`${key}: ${WHO.map((w, i) => `${w} ${EXPECTED[key]?.[i]}`).join(', ')}`, async () => {
      const got: Outcome[] = [];
      for (const who of WHO) {
        const res = await invoke(handlers[route.lambda], requestFor(key, who));
        got.push(res.status === 401 || res.status === 403 ? res.status : 'ok');
        if (res.status === 401) expect(res.body.error.code).toBe('unauthorized');
        if (res.status === 403) expect(res.body.error.code).toBe('forbidden');
        // Allowed requests are well formed here: they get past validation (404/503 may follow).
        if (res.status === 400) throw new Error(`${key} as ${who}: 400 ${JSON.stringify(res.body)}`);
      }
      expect(got).toEqual(EXPECTED[key]);
    });
  }

  it('an app user may post a gift naming any receiver, but never an event as someone else', async () => {
    const { events, catalog } = handlers as Record<string, unknown>;
    expect((await invoke(catalog, withCaller(apiEvent('PUT /products/{productId}', { productId: 'p-gift' }, {}, { name: 'Regalo', price: 3 }), 'admin'))).status).toBe(201);
    const post = (who: Who, event: Record<string, unknown>) =>
      invoke(events, withCaller(apiEvent('POST /events', {}, {}, { events: [{ productId: 'p-gift', type: 'order', ...event }] }), who));
    expect((await post('self', { eventId: 'gift-a', userId: 'alice', receiverId: 'bob' })).body).toEqual({ accepted: 1, duplicates: 0 });
    const asBob = await post('self', { eventId: 'gift-b', userId: 'bob', receiverId: 'alice' });
    expect(asBob.status).toBe(403);
    expect(asBob.body.error.details).toEqual([{ path: 'userId', message: 'not the caller: bob' }]);
    expect((await post('service', { eventId: 'gift-c', userId: 'bob' })).body).toEqual({ accepted: 1, duplicates: 0 });
    // Nothing of a refused batch is written: the same id is new afterwards.
    expect((await post('service', { eventId: 'gift-b', userId: 'bob' })).body).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('a token without a subject is anonymous (401), a token with an unknown scope an app user', async () => {
    const { status } = handlers as Record<string, unknown>;
    const noSub = apiEvent('GET /model');
    (noSub.requestContext as unknown as Record<string, unknown>).authorizer = { jwt: { claims: { scope: DEFAULT_SCOPES.admin }, scopes: [DEFAULT_SCOPES.admin] } };
    expect((await invoke(status, noSub)).status).toBe(401);
    const odd = apiEvent('GET /model');
    (odd.requestContext as unknown as Record<string, unknown>).authorizer = { jwt: { claims: { sub: 'x', scope: 'gift-recommender/adminx' }, scopes: ['gift-recommender/adminx'] } };
    expect((await invoke(status, odd)).status).toBe(403);
  });
});
