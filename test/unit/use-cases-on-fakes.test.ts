/**
 * Use cases on the in-memory fakes of the ports (test/support/in-memory-stores.ts, which pass the
 * same contract suites as the DynamoDB/S3 adapters): upsertProduct, acceptEvents, similarProducts.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsertProduct, similarProducts } from '../../functions/catalog/catalog-use-cases.js';
import { ProductBody } from '../../functions/catalog/product-schema.js';
import { acceptEvents } from '../../functions/events/accept-events.js';
import { serveRecommendation } from '../../functions/recommend/serve-recommendation.js';
import { retrainModel } from '../../functions/retrain/retrain-model.js';
import { ServingModel } from '../../functions/adapters/model-cache.js';
import { HashedNgramEmbedder } from '../../functions/core/content/text-embedding.js';
import { EventIdConflict, InvalidInput, NotFound } from '../../functions/core/domain/errors.js';
import type { Impression } from '../../functions/core/domain/online-metrics.js';
import { dayOf, impressionCounters } from '../../functions/core/domain/online-metrics.js';
import { InMemoryCatalogStore, InMemoryInteractionStore, InMemoryModelStore, InMemoryOnlineMetricsStore, InMemoryUserStore } from '../support/in-memory-stores.js';

const logger = new Logger({ serviceName: 'use-case-test', logLevel: 'CRITICAL' });
const textEmbedder = new HashedNgramEmbedder();
const input = (body: unknown) => ProductBody.parse(body);

describe('upsertProduct', () => {
  it('creates with the default currency and a name embedding, then updates keeping createdAt', async () => {
    const catalog = new InMemoryCatalogStore();
    const deps = { catalog, textEmbedder, defaultCurrency: 'CLP' };
    const first = await upsertProduct(deps, 'p1', input({ name: 'Bufanda de lana', price: 14000 }), '2026-01-01T00:00:00.000Z');
    expect(first.created).toBe(true);
    expect(first.product).toMatchObject({ id: 'p1', currency: 'CLP', status: 'active', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(first.product.text_embedding).toHaveLength(textEmbedder.dim);
    const second = await upsertProduct(deps, 'p1', input({ name: 'Bufanda', price: 9000, currency: 'EUR' }), '2026-02-01T00:00:00.000Z');
    expect(second.created).toBe(false);
    expect(await catalog.get('p1')).toMatchObject({ name: 'Bufanda', price: 9000, currency: 'EUR', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z' });
  });

  it('keeps the image embedding while the first image is unchanged, drops it when the image changes', async () => {
    const catalog = new InMemoryCatalogStore();
    const deps = { catalog, textEmbedder, defaultCurrency: 'EUR' };
    await upsertProduct(deps, 'p2', input({ name: 'Gorra', price: 10, images: ['images/p2/a.jpg'] }));
    await catalog.setEmbeddings('p2', { image_embedding: [0.1, 0.2], embedding_version: 'img-v1' });
    await upsertProduct(deps, 'p2', input({ name: 'Gorra azul', price: 12 }));
    // The name was embedded again, by this text model: the version's text part says so.
    expect(await catalog.get('p2')).toMatchObject({ images: ['images/p2/a.jpg'], image_embedding: [0.1, 0.2], embedding_version: `img-v1+${textEmbedder.version}` });
    await catalog.setEmbeddings('p2', { embedding_version: 'img-v1+text-old' });
    await upsertProduct(deps, 'p2', input({ name: 'Gorra roja', price: 12 }));
    expect((await catalog.get('p2'))?.embedding_version).toBe(`img-v1+${textEmbedder.version}`);
    await upsertProduct(deps, 'p2', input({ name: 'Gorra azul', price: 12, images: ['images/p2/b.jpg'] }));
    const changed = await catalog.get('p2');
    expect(changed?.image_embedding).toBeUndefined();
    expect(changed?.embedding_version).toBeUndefined();
  });
});

describe('acceptEvents', () => {
  const setup = async () => {
    const catalog = new InMemoryCatalogStore();
    for (const id of ['p1', 'p2']) await upsertProduct({ catalog, textEmbedder, defaultCurrency: 'EUR' }, id, input({ name: id, price: 1 }));
    const deps = { catalog, interactions: new InMemoryInteractionStore(), onlineMetrics: new InMemoryOnlineMetricsStore(), logger, attributionWindowMs: 3_600_000 };
    return deps;
  };

  it('stores a batch idempotently; only orders keep a receiver, who is credited', async () => {
    const deps = await setup();
    const now = 1_800_000_000_000;
    const batch = [
      { eventId: 'e1', userId: 'bob', productId: 'p1', type: 'order', receiverId: 'ana', quantity: 1 },
      { eventId: 'e2', userId: 'bob', productId: 'p2', type: 'view', receiverId: 'ana', quantity: 1 },
    ];
    expect(await acceptEvents(deps, batch, now)).toEqual({ accepted: 2, duplicates: 0 });
    expect(await acceptEvents(deps, batch, now)).toEqual({ accepted: 0, duplicates: 2 });
    expect((await deps.interactions.listForUser('ana')).map((e) => e.eventId)).toEqual(['e1']);
    expect(await deps.interactions.listForUser('bob')).toEqual([{ eventId: 'e2', userId: 'bob', productId: 'p2', type: 'view', quantity: 1, timestamp: now, receiverId: undefined }]);
  });

  it('refuses the whole batch (nothing written) for duplicate ids, unknown products or a reused eventId', async () => {
    const deps = await setup();
    const ok = { eventId: 'ok', userId: 'carl', productId: 'p1', type: 'cart', quantity: 1 };
    await expect(acceptEvents(deps, [ok, ok])).rejects.toBeInstanceOf(InvalidInput);
    const unknown = await acceptEvents(deps, [ok, { ...ok, eventId: 'x', productId: 'nope' }]).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(InvalidInput);
    expect((unknown as InvalidInput).details).toEqual([{ path: 'productId', message: 'unknown product nope' }]);
    expect(await deps.interactions.countForUser('carl')).toBe(0);
    await acceptEvents(deps, [ok]);
    await expect(acceptEvents(deps, [{ ...ok, eventId: 'fresh' }, { ...ok, productId: 'p2' }])).rejects.toBeInstanceOf(EventIdConflict);
    expect((await deps.interactions.listForUser('carl')).map((e) => e.eventId)).toEqual(['ok']);
  });

  it('attributes an event that cites a recommendation to it, once, within the window', async () => {
    const deps = await setup();
    const shownAt = 1_800_000_000_000;
    const imp: Impression = { recommendationId: 'rec-12345678', userId: 'dora', modelVersion: 'v1', shownAt, items: [{ id: 'p1', reasons: ['promoted'] }] };
    await deps.onlineMetrics.recordImpression(imp);
    const cited = { eventId: 'c1', userId: 'dora', productId: 'p1', type: 'cart', quantity: 1, recommendationId: imp.recommendationId };
    await acceptEvents(deps, [cited, { ...cited, eventId: 'c2', productId: 'p2' }], shownAt + 60_000);
    await acceptEvents(deps, [{ ...cited, eventId: 'late', type: 'order' }], shownAt + 2 * 3_600_000);
    const [row] = await deps.onlineMetrics.readCounters([dayOf(shownAt)]);
    expect(row.counters).toMatchObject({ responses: 1, impressions: 1, 'attributed:cart': 1, 'attributed:cart:promoted': 1 });
    expect(row.counters['attributed:order']).toBeUndefined();
  });

  it('never attributes a review, even one that names a recommendation (the request schema refuses that; the use case does not rely on it)', async () => {
    const deps = await setup();
    const shownAt = 1_800_000_000_000;
    const imp: Impression = { recommendationId: 'rec-87654321', userId: 'rita', modelVersion: 'v1', shownAt, items: [{ id: 'p1', reasons: ['promoted'] }] };
    await deps.onlineMetrics.recordImpression(imp);
    const review = { eventId: 'rv', userId: 'rita', productId: 'p1', type: 'review', quantity: 1, rating: 5, recommendationId: imp.recommendationId };
    expect(await acceptEvents(deps, [review, { ...review, eventId: 'vw', type: 'view', rating: undefined }], shownAt + 60_000)).toEqual({ accepted: 2, duplicates: 0 });
    const [row] = await deps.onlineMetrics.readCounters([dayOf(shownAt)]);
    expect(Object.keys(row.counters).filter((k) => k.startsWith('attributed:')).sort()).toEqual(['attributed:view', 'attributed:view:promoted']);
  });
});

describe('similarProducts', () => {
  const catalog = new InMemoryCatalogStore();
  const models = new InMemoryModelStore();
  let snapshot: () => ReturnType<ServingModel['get']>;

  beforeAll(async () => {
    const deps = { catalog, textEmbedder, defaultCurrency: 'EUR' };
    const names = ['Bufanda de lana roja', 'Bufanda de lana azul', 'Bufanda de lana verde', 'Taza de cerámica', 'Taza de cerámica grande', 'Zapatillas de running'];
    for (const [i, name] of names.entries()) await upsertProduct(deps, `p${i}`, input({ name, price: 10 + i }));
    const interactions = new InMemoryInteractionStore();
    const events = Array.from({ length: 30 }, (_, i) => ({ eventId: `e${i}`, userId: `u${i % 5}`, productId: `p${i % 6}`, type: 'view' as const, quantity: 1, timestamp: 1_800_000_000_000 + i }));
    await interactions.putEvents(events);
    const outcome = await retrainModel({ catalog, interactions, users: new InMemoryUserStore(), models, logger }, { version: 'v-fakes' });
    expect(outcome.promoted).toBe(true);
    const serving = new ServingModel(models, 0, logger);
    snapshot = () => serving.get();
  }, 120_000);

  it('finds the products whose names are closest, without the product itself', async () => {
    const res = await similarProducts({ catalog, textEmbedder, snapshot }, 'p0', 2);
    expect(res.model_version).toBe('v-fakes');
    expect(res.similar_products.map((p) => p.id).sort()).toEqual(['p1', 'p2']);
    expect(res.similar_products[0].score).toBeGreaterThanOrEqual(res.similar_products[1].score);
  });

  it('skips neighbours no longer active, and answers NotFound for an unknown product', async () => {
    await catalog.softDelete('p1', '2026-03-01T00:00:00.000Z');
    const res = await similarProducts({ catalog, textEmbedder, snapshot }, 'p0', 2);
    expect(res.similar_products.map((p) => p.id)).not.toContain('p1');
    expect(res.similar_products[0].id).toBe('p2');
    await expect(similarProducts({ catalog, textEmbedder, snapshot }, 'ghost', 2)).rejects.toBeInstanceOf(NotFound);
  });
});

describe('serveRecommendation', () => {
  const catalog = new InMemoryCatalogStore();
  const interactions = new InMemoryInteractionStore();
  const users = new InMemoryUserStore();
  const models = new InMemoryModelStore();
  let snapshot: () => ReturnType<ServingModel['get']>;

  beforeAll(async () => {
    for (let i = 0; i < 20; i++) await upsertProduct({ catalog, textEmbedder, defaultCurrency: 'EUR' }, `g${i}`, input({ name: `Regalo ${i}`, price: 10 + i, category: i % 2 ? 'hat' : 'dress' }));
    const events = Array.from({ length: 40 }, (_, i) => ({ eventId: `s${i}`, userId: `u${i % 5}`, productId: `g${(i * 7) % 20}`, type: 'order' as const, quantity: 1, timestamp: 1_800_000_000_000 + i }));
    await interactions.putEvents(events);
    expect((await retrainModel({ catalog, interactions, users, models, logger }, { version: 'v-serve' })).promoted).toBe(true);
    const serving = new ServingModel(models, 0, logger);
    snapshot = () => serving.get();
  }, 120_000);

  const deps = (onlineMetrics: InMemoryOnlineMetricsStore, sampleRate = 1) => ({ catalog, interactions, users, snapshot, onlineMetrics, logger, historyLimit: 100, sampleRate });
  const shown = (res: { recommended_products: { id: string; reasons: string[] }[] }) => res.recommended_products.map((p) => ({ id: p.id, reasons: p.reasons }));
  const query = { userId: 'u1', num: 3, minPromoted: 0 };

  it('records the impression of what was answered, written beside the products’ read', async () => {
    const onlineMetrics = new InMemoryOnlineMetricsStore();
    const res = await serveRecommendation(deps(onlineMetrics), query, () => () => true);
    expect(res.recommended_products).toHaveLength(3);
    const imp = await onlineMetrics.getImpression(res.recommendation_id);
    expect(imp).toMatchObject({ userId: 'u1', modelVersion: 'v-serve', items: shown(res) });
    const [row] = await onlineMetrics.readCounters([dayOf(imp!.shownAt)]);
    expect(row.counters).toEqual(impressionCounters(imp!));
    // Not sampled: nothing recorded, the id is still given.
    const quiet = new InMemoryOnlineMetricsStore();
    const unsampled = await serveRecommendation(deps(quiet, 0.5), query, () => () => true, () => 0.9);
    expect(unsampled.recommendation_id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await quiet.getImpression(unsampled.recommendation_id)).toBeUndefined();
  });

  it('starts the impression write before the products’ read returns (one round trip, not two in a row)', async () => {
    const order: string[] = [];
    let impressionStarted!: () => void;
    const started = new Promise<void>((resolve) => (impressionStarted = resolve));
    const onlineMetrics = new InMemoryOnlineMetricsStore();
    const recordImpression = onlineMetrics.recordImpression.bind(onlineMetrics);
    onlineMetrics.recordImpression = async (imp) => {
      order.push('impression');
      impressionStarted();
      return recordImpression(imp);
    };
    // The products' read answers only once the impression write has begun (or after 2 s, which fails the test).
    const gatedCatalog = Object.create(catalog) as InMemoryCatalogStore;
    gatedCatalog.batchGetPublic = async (ids) => {
      order.push('read');
      const waited = await Promise.race([started.then(() => 'overlapped'), new Promise<string>((r) => setTimeout(() => r('serial'), 2000))]);
      order.push(waited);
      return catalog.batchGetPublic(ids);
    };
    const res = await serveRecommendation({ ...deps(onlineMetrics), catalog: gatedCatalog }, query, () => () => true);
    expect(order).toEqual(['read', 'impression', 'overlapped']);
    expect((await onlineMetrics.getImpression(res.recommendation_id))!.items).toEqual(shown(res));
  });

  it('corrects the impression and its counters when a product changed since the snapshot and the list was redone', async () => {
    const onlineMetrics = new InMemoryOnlineMetricsStore();
    const before = await serveRecommendation(deps(new InMemoryOnlineMetricsStore()), query, () => () => true);
    const gone = before.recommended_products[0].id;
    // The snapshot still ranks it; the products' read finds it blocked: the second pass leaves it out.
    await catalog.put({ ...(await catalog.get(gone))!, status: 'blocked' });
    try {
      const res = await serveRecommendation(deps(onlineMetrics), query, () => () => true);
      expect(res.recommended_products.map((p) => p.id)).not.toContain(gone);
      const imp = await onlineMetrics.getImpression(res.recommendation_id);
      expect(imp!.items).toEqual(shown(res));
      const [row] = await onlineMetrics.readCounters([dayOf(imp!.shownAt)]);
      const expected = impressionCounters(imp!);
      for (const [key, n] of Object.entries(row.counters)) expect([key, n]).toEqual([key, expected[key] ?? 0]);
      expect(row.counters.responses).toBe(1);
      expect(row.counters.impressions).toBe(res.recommended_products.length);
    } finally {
      await catalog.put({ ...(await catalog.get(gone))!, status: 'active' });
    }
  });
});
