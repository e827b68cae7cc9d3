/**
 * The API Lambdas against dynalite + s3rver through the real AWS SDK, with API Gateway v2 events.
 */
import { policyOf, postUpload } from '../support/presigned-post.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';

let aws: LocalAws;
let catalog: unknown;
let users: unknown;
let events: unknown;
let recommend: unknown;
let status: unknown;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  aws = await startLocalAws();
  catalog = (await import('../../functions/catalog/handler.js')).handler;
  users = (await import('../../functions/users/handler.js')).handler;
  events = (await import('../../functions/events/handler.js')).handler;
  recommend = (await import('../../functions/recommend/handler.js')).handler;
  status = (await import('../../functions/status/handler.js')).handler;
});
afterAll(async () => {
  await aws.stop();
});

const put = (id: string, body: unknown) => invoke(catalog, apiEvent('PUT /products/{productId}', { productId: id }, {}, body));

describe('catalog', () => {
  it('creates with defaults, replaces, reads, and 404s unknown products', async () => {
    const created = await put('gift-1', { name: 'Bufanda de lana', price: 15000.5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'gift-1', status: 'active', promoted: false, currency: 'EUR', countries: [], images: [], attributes: {} });
    expect(created.body.text_embedding).toBeUndefined();
    const replaced = await put('gift-1', { name: 'Bufanda de lana', price: 14000, promoted: true, category: 'scarf' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.createdAt).toBe(created.body.createdAt);
    const got = await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'gift-1' }));
    expect(got.body).toMatchObject({ price: 14000, promoted: true, category: 'scarf' });
    const missing = await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'nope' }));
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });

  it('rejects bad products with 400 and writes nothing', async () => {
    for (const body of [{ price: 10 }, { name: 'x', price: -1 }, { name: 'x', price: '10' }, { name: 'x', price: 1, status: 'gone' }, 'not json{']) {
      const res = await put('bad-1', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.message).toBeTruthy();
    }
    expect((await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'bad-1' }))).status).toBe(404);
  });

  it('an upload URL changes nothing: two asks leave the product as it was, and no image is signed before embed-image accepts one', async () => {
    const before = (await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'gift-1' }))).body;
    const ask = () => invoke(catalog, apiEvent('POST /products/{productId}/image', { productId: 'gift-1' }, {}, { content_type: 'image/png' }));
    const [a, b] = [await ask(), await ask()];
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.key).toMatch(/^images\/gift-1\/.+\.png$/);
    expect(b.body.key).not.toBe(a.body.key);
    expect(policyOf({ url: a.body.upload_url, fields: a.body.fields }).conditions).toEqual(
      expect.arrayContaining([{ key: a.body.key }, ['eq', '$Content-Type', 'image/png'], ['content-length-range', 1, 10 * 1024 * 1024]]),
    );
    expect(a.body).toMatchObject({ content_type: 'image/png', max_bytes: 10 * 1024 * 1024, expires_in: 900 });
    expect((await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'gift-1' }))).body).toEqual(before);
    // Uploaded but not (yet) accepted by embed-image: still not the product's image.
    expect((await postUpload({ url: a.body.upload_url, fields: a.body.fields }, new Uint8Array([1, 2, 3]), 'image/png')).status).toBe(204);
    expect((await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'gift-1' }))).body.images).toEqual(before.images);
    expect((await invoke(catalog, apiEvent('GET /products/{productId}/image', { productId: 'gift-1' }))).status).toBe(404);
    expect((await invoke(catalog, apiEvent('POST /products/{productId}/image', { productId: 'nope' }))).status).toBe(404);
  });

  it('signs downloads only of keys the product lists', async () => {
    await put('gift-img', { name: 'Foto', price: 10, images: ['images/gift-img/a.jpg'] });
    const down = await invoke(catalog, apiEvent('GET /products/{productId}/image', { productId: 'gift-img' }));
    expect(down.body.key).toBe('images/gift-img/a.jpg');
    expect(down.body.download_url).toContain('images/gift-img/a.jpg');
    expect((await put('gift-img', { name: 'Foto', price: 10, images: ['images/../../gift-models/models/v1/manifest.json'] })).status).toBe(400);
    expect((await invoke(catalog, apiEvent('GET /products/{productId}/image', { productId: '..' }))).status).toBe(400);
  });

  it("refuses prototype keys (attributes.constructor) with 400 and writes nothing", async () => {
    const res = await invoke(catalog, { ...apiEvent('PUT /products/{productId}', { productId: 'proto-1' }), body: '{"name":"x","price":1,"attributes":{"constructor":"y"}}' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'attributes.constructor', message: 'key not allowed' }]);
    const proto = await invoke(catalog, { ...apiEvent('PUT /products/{productId}', { productId: 'proto-1' }), body: '{"name":"x","price":1,"__proto__":{"status":"blocked"}}' });
    expect(proto.status).toBe(400);
    expect((await invoke(catalog, apiEvent('GET /products/{productId}', { productId: 'proto-1' }))).status).toBe(404);
  });
});

describe('users and events', () => {
  it('stores profiles and counts interactions credited to the user', async () => {
    await put('gift-2', { name: 'Taza', price: 5000 });
    expect((await invoke(users, apiEvent('PUT /users/{userId}', { userId: 'ana' }, {}, { country: 'cl', blacklist: ['gift-2'] }))).body).toEqual({
      id: 'ana',
      country: 'CL',
      blacklist: ['gift-2'],
      wishlist_public: true,
    });
    expect((await invoke(users, apiEvent('PUT /users/{userId}', { userId: 'ana' }, {}, { country: 'Chile' }))).status).toBe(400);
    const gift = { eventId: 'g1', userId: 'bob', receiverId: 'ana', productId: 'gift-1', type: 'order' };
    const res = await invoke(events, apiEvent('POST /events', {}, {}, { events: [gift, { eventId: 'v1', userId: 'bob', productId: 'gift-2', type: 'view' }] }));
    expect(res).toEqual({ status: 200, body: { accepted: 2, duplicates: 0 } });
    expect((await invoke(events, apiEvent('POST /events', {}, {}, { events: [gift] }))).body).toEqual({ accepted: 0, duplicates: 1 });
    expect((await invoke(users, apiEvent('GET /users/{userId}', { userId: 'ana' }))).body).toEqual({ id: 'ana', country: 'CL', blacklist: ['gift-2'], wishlist_public: true, interaction_count: 1 });
    expect((await invoke(users, apiEvent('GET /users/{userId}', { userId: 'bob' }))).body.interaction_count).toBe(1);
    expect((await invoke(users, apiEvent('GET /users/{userId}', { userId: 'nobody' }))).status).toBe(404);
  });

  it('validates the whole batch before writing any of it', async () => {
    const good = { eventId: 'ok-1', userId: 'carl', productId: 'gift-1', type: 'cart' };
    const cases = [
      { events: [good, { ...good, eventId: 'ok-2', type: 'like' }] },
      { events: [good, { ...good, eventId: 'ok-3', quantity: 0 }] },
      { events: [good, { ...good, eventId: 'ok-4', productId: 'missing' }] },
      { events: [good, good] },
      { events: Array.from({ length: 101 }, (_, i) => ({ ...good, eventId: `n${i}` })) },
      { nothing: true },
    ];
    for (const body of cases) expect((await invoke(events, apiEvent('POST /events', {}, {}, body))).status).toBe(400);
    expect((await invoke(users, apiEvent('GET /users/{userId}', { userId: 'carl' }))).status).toBe(404);
  });
});

describe('recommendations and the model lifecycle', () => {
  it('answers 503 before the first model, then serves, and keeps serving when a version is corrupt', async () => {
    const before = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'ana', num: '2' }));
    expect(before.status).toBe(503);
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const deps = getDeps();
    for (let i = 3; i <= 12; i++) await put(`gift-${i}`, { name: `Regalo ${i}`, price: 1000 * i, promoted: i % 3 === 0 });
    const first = await retrainModel(deps);
    expect(first.promoted).toBe(true);

    const rec = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'ana', num: '3' }, { min_promoted: '2', max_price: '9000' }));
    expect(rec.status).toBe(200);
    expect(rec.body.model_version).toBe(first.version);
    const ids = rec.body.recommended_products.map((p: { id: string }) => p.id);
    expect(ids).toHaveLength(3);
    expect(ids).not.toContain('gift-1'); // over max_price, and owned by ana: ownership alone is pinned below
    expect(ids).not.toContain('gift-2'); // blacklisted by ana
    expect(rec.body.recommended_products.filter((p: { promoted: boolean }) => p.promoted).length).toBeGreaterThanOrEqual(2);

    // A corrupt version behind the pointer: the container keeps the snapshot it has.
    await deps.models.putVersion('broken', { 'manifest.json': new TextEncoder().encode('{not json') });
    await deps.models.swapPointer(first.version, 'broken');
    const still = await invoke(recommend, apiEvent('GET /recommendations/{userId}', { userId: 'ana' }, { top_k: '2' }));
    expect(still.status).toBe(200);
    expect(still.body.model_version).toBe(first.version);
    expect((await invoke(status, apiEvent('GET /health'))).body).toEqual({
      status: 'ok',
      model_version: first.version,
      pointer_version: 'broken',
      serving_differs_from_pointer: true,
    });
  });

  it('reports promoted_shortfall in the body when the filters leave fewer promoted items than asked', async () => {
    // Under max_price 5000 the in-budget gifts are gift-2..gift-5; of the promoted ones (1, 3, 6, 9, 12) only gift-3.
    const ask = (minPromoted: string) =>
      invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'dora', num: '4' }, { min_promoted: minPromoted, max_price: '5000' }));
    const short = await ask('3');
    expect(short.status).toBe(200);
    expect(short.body.promoted_shortfall).toBe(2);
    expect(short.body.recommended_products.filter((p: { promoted: boolean }) => p.promoted).map((p: { id: string }) => p.id)).toEqual(['gift-3']);
    expect(short.body.recommended_products.map((p: { id: string }) => p.id).sort()).toEqual(['gift-2', 'gift-3', 'gift-4', 'gift-5']);
    const met = await ask('1');
    expect(met.body.promoted_shortfall).toBe(0);
  });

  it('refuses a category no product has and a country that is not an ISO code, naming the known categories', async () => {
    const ask = (query: Record<string, string>) => invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'dora', num: '5' }, query));
    const cat = await ask({ category: 'scarff' });
    expect(cat.status).toBe(400);
    expect(cat.body.error.details[0]).toMatchObject({ path: 'category', message: 'unknown category: scarff' });
    expect(cat.body.error.details[0].known).toContain('scarf');
    const country = await ask({ country: 'zz' });
    expect(country.status).toBe(400);
    expect(country.body.error.details).toEqual([{ path: 'country', message: 'must be an ISO 3166 country code (e.g. CL, DE)' }]);
    expect((await ask({ country: 'de', category: 'scarf' })).status).toBe(200);
    // A list of categories: each must exist.
    expect((await ask({ category: 'scarf, scarf' })).status).toBe(200);
    expect((await ask({ category: 'scarf,nope' })).body.error.details[0].message).toBe('unknown category: nope');
  });

  it('never recommends what the receiver owns, even an item that passes every other filter', async () => {
    // gift-1 is an active, promoted scarf sold everywhere; ana owns it (a gift from bob), dora does not.
    const scarves = (receiverId: string) =>
      invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId, num: '5' }, { category: 'scarf', min_promoted: '1' }));
    const dora = await scarves('dora');
    expect(dora.status).toBe(200);
    expect(dora.body.recommended_products.map((p: { id: string }) => p.id)).toEqual(['gift-1']);
    expect(dora.body.promoted_shortfall).toBe(0);
    const ana = await scarves('ana');
    expect(ana.status).toBe(200);
    expect(ana.body.recommended_products).toEqual([]);
    expect(ana.body.promoted_shortfall).toBe(1);
  });
});
