/**
 * Products created or embedded after the serving version count at once (the products changes
 * index on dynalite through the real SDK), and the hybrid route `GET /recommendation`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';

let aws: LocalAws;
let catalog: unknown;
let events: unknown;
let recommend: unknown;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  process.env.LIVE_CATALOG_TTL_MS = '0';
  process.env.LIVE_CATALOG_REBUILD_MS = '0';
  aws = await startLocalAws();
  catalog = (await import('../../functions/catalog/handler.js')).handler;
  events = (await import('../../functions/events/handler.js')).handler;
  recommend = (await import('../../functions/recommend/handler.js')).handler;
});
afterAll(async () => {
  await aws.stop();
  delete process.env.LIVE_CATALOG_TTL_MS;
  delete process.env.LIVE_CATALOG_REBUILD_MS;
});

const put = (id: string, body: unknown) => invoke(catalog, apiEvent('PUT /products/{productId}', { productId: id }, {}, body));
const ids = (res: { body: { recommended_products: { id: string }[] } }) => res.body.recommended_products.map((p) => p.id);

describe('new products at serving', () => {
  it('recommends, filters and finds as similar a product created after the version', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const deps = getDeps();
    for (let i = 1; i <= 12; i++) await put(`old-${i}`, { name: `Regalo ${i}`, price: 1000 * i, category: i % 2 ? 'hat' : 'dress' });
    const orders = Array.from({ length: 12 }, (_, i) => ({ eventId: `o${i}`, userId: `u${i % 4}`, productId: `old-${(i % 6) + 1}`, type: 'order' }));
    expect((await invoke(events, apiEvent('POST /events', {}, {}, { events: orders }))).status).toBe(200);
    await deps.catalog.setEmbeddings('old-3', { image_embedding: [1, 0, 0, 0.1], embedding_version: 'test' });
    await deps.catalog.setEmbeddings('old-4', { image_embedding: [0, 1, 0, 0.1], embedding_version: 'test' });
    const version = (await retrainModel(deps)).version;

    // Created after the version: the receiver who wishlists it gets it on the next request.
    expect((await put('fresh-1', { name: 'Sombrero nuevo', price: 4321, category: 'hat' })).status).toBe(201);
    expect((await invoke(events, apiEvent('POST /events', {}, {}, { events: [{ eventId: 'w1', userId: 'u1', productId: 'fresh-1', type: 'wishlist' }] }))).status).toBe(200);
    const rec = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u1', num: '10' }));
    expect(rec.status).toBe(200);
    expect(rec.body.model_version).toBe(version);
    const hit = rec.body.recommended_products.find((p: { id: string }) => p.id === 'fresh-1');
    expect(hit?.reasons).toContain('on_wishlist');
    // Filters apply to it at once: out of budget, then blocked.
    expect(ids(await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u1', num: '10' }, { max_price: '4000' })))).not.toContain('fresh-1');
    await put('fresh-1', { name: 'Sombrero nuevo', price: 4321, category: 'hat', status: 'blocked' });
    expect(ids(await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u1', num: '10' })))).not.toContain('fresh-1');

    // Embedded after the version: it joins the original's similar list.
    await put('fresh-2', { name: 'Otro', price: 2000, category: 'hat' });
    await deps.catalog.setEmbeddings('fresh-2', { image_embedding: [0.99, 0.01, 0, 0.1], embedding_version: 'test' });
    const similar = await invoke(catalog, apiEvent('GET /products/{productId}/similar', { productId: 'old-3' }, { k: '5' }));
    expect(similar.status).toBe(200);
    expect(similar.body.similar_products[0].id).toBe('fresh-2');
  });
});

describe('the shown products as stored', () => {
  it('reads them once while the catalog is unchanged, and shows a change on the next request', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { injectFaults } = await import('../support/fault-injection.js');
    const deps = getDeps();
    const commands: string[] = [];
    const remove = injectFaults(deps.ddb, (call) => void commands.push(call.command));
    try {
      const request = () => invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u2', num: '5' }));
      const first = await request();
      expect(first.status).toBe(200);
      const shown = first.body.recommended_products[0];
      commands.length = 0;
      const again = await request();
      expect(ids(again)).toEqual(ids(first));
      // The history, the profile and the impression: no product read, the view has not changed.
      expect(commands).not.toContain('BatchGetItemCommand');
      expect(commands).toContain('QueryCommand');

      // A PUT stamps a change: the next request's stamp read sees it, and the product is read again.
      const stored = await deps.catalog.get(shown.id);
      expect((await put(shown.id, { name: 'Renamed gift', price: stored!.price, category: stored!.category })).status).toBe(200);
      commands.length = 0;
      const after = await request();
      expect(commands).toContain('BatchGetItemCommand');
      const renamed = after.body.recommended_products.find((p: { id: string }) => p.id === shown.id);
      expect(renamed?.name).toBe('Renamed gift');
    } finally {
      remove();
    }
  });
});

describe('GET /recommendation?customer_id=&top=', () => {
  it('answers as /recommendations/{userId}?top_k= with the same filters and errors', async () => {
    const res = await invoke(recommend, apiEvent('GET /recommendation', {}, { customer_id: 'u2', top: '3' }));
    expect(res.status).toBe(200);
    expect(res.body.recommended_products).toHaveLength(3);
    const same = await invoke(recommend, apiEvent('GET /recommendations/{userId}', { userId: 'u2' }, { top_k: '3' }));
    expect(ids(res)).toEqual(ids(same));
    const cheap = await invoke(recommend, apiEvent('GET /recommendation', {}, { customer_id: 'u2', top: '5', max_price: '3000' }));
    for (const p of cheap.body.recommended_products) expect(p.price).toBeLessThanOrEqual(3000);
    for (const q of [{ customer_id: 'u2', top: '0' } as Record<string, string>, { customer_id: 'u2', top: '101' }, { top: '3' }, { customer_id: 'u2', top: 'x' }]) {
      const bad = await invoke(recommend, apiEvent('GET /recommendation', {}, q));
      expect(bad.status, JSON.stringify(q)).toBe(400);
      expect(bad.body.error.code).toBe('invalid_input');
    }
  });
});
