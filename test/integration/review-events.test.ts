/**
 * Review events end to end on dynalite + s3rver through the real SDK, with API Gateway v2 events:
 * `POST /events` accepts and stores them (idempotent by eventId), refuses every bad review with a
 * 400 before writing anything, and a retrain turns their text into content the content-to-factor
 * model reads (a wider input, on ONNX Runtime) while the version keeps serving new products.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { HistoryResponse } from '../../functions/http/schemas.js';
import { contentInputDim, encodeContent, forwardContent, productContent } from '../../functions/core/content/content-to-cf.js';
import { runContentModelOnnx } from '../../functions/adapters/onnx-content-model.js';
import { reviewTextMeans } from '../../functions/core/content/review-text.js';

let aws: LocalAws;
let catalog: unknown;
let users: unknown;
let events: unknown;
let recommend: unknown;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  process.env.LIVE_CATALOG_TTL_MS = '0';
  process.env.LIVE_CATALOG_REBUILD_MS = '0';
  aws = await startLocalAws();
  catalog = (await import('../../functions/catalog/handler.js')).handler;
  users = (await import('../../functions/users/handler.js')).handler;
  events = (await import('../../functions/events/handler.js')).handler;
  recommend = (await import('../../functions/recommend/handler.js')).handler;
});
afterAll(async () => {
  await aws.stop();
  delete process.env.LIVE_CATALOG_TTL_MS;
  delete process.env.LIVE_CATALOG_REBUILD_MS;
});

const put = (id: string, body: unknown) => invoke(catalog, apiEvent('PUT /products/{productId}', { productId: id }, {}, body));
const post = (body: unknown) => invoke(events, apiEvent('POST /events', {}, {}, body));
const history = async (userId: string) => (await invoke(users, apiEvent('GET /users/{userId}/history', { userId }))).body;

describe('POST /events with reviews', () => {
  beforeAll(async () => {
    expect((await put('scarf-1', { name: 'Bufanda de lana', price: 12990, category: 'scarf' })).status).toBe(201);
  });

  it('accepts a review with a rating and trimmed text, stores both, and answers the history with them', async () => {
    const review = { eventId: 'rv-1', userId: 'rita', productId: 'scarf-1', type: 'review', rating: 5, text: '  Suave y muy abrigada.  ', timestamp: 1_700_000_000_000 };
    const textless = { eventId: 'rv-2', userId: 'rita', productId: 'scarf-1', type: 'review', rating: 3, timestamp: 1_700_000_000_001 };
    expect(await post({ events: [review, textless] })).toEqual({ status: 200, body: { accepted: 2, duplicates: 0 } });
    const h = await history('rita');
    expect(HistoryResponse.safeParse(h).success).toBe(true);
    expect(h.events.map((e: Record<string, unknown>) => [e.eventId, e.type, e.rating, e.text])).toEqual([
      ['rv-2', 'review', 3, undefined],
      ['rv-1', 'review', 5, 'Suave y muy abrigada.'],
    ]);
    // The table holds exactly that (what the retrain's scan reads).
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const stored = (await getDeps().interactions.listForUser('rita')).find((e) => e.eventId === 'rv-1');
    expect(stored).toMatchObject({ type: 'review', rating: 5, text: 'Suave y muy abrigada.', productId: 'scarf-1', userId: 'rita' });
  });

  it('is idempotent by eventId: a retry is a duplicate, another rating or text under that id a 409', async () => {
    const review = { eventId: 'rv-idem', userId: 'ivan', productId: 'scarf-1', type: 'review', rating: 4, text: 'Bonita' };
    expect((await post({ events: [review] })).body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await post({ events: [review] })).body).toEqual({ accepted: 0, duplicates: 1 });
    // Trimming happens before the fingerprint: the same words with spaces are the same review.
    expect((await post({ events: [{ ...review, text: ' Bonita ' }] })).body).toEqual({ accepted: 0, duplicates: 1 });
    for (const changed of [{ ...review, rating: 2 }, { ...review, text: 'Fea' }]) {
      const res = await post({ events: [changed] });
      expect(res.status, JSON.stringify(changed)).toBe(409);
      expect(res.body.error.code).toBe('conflict');
    }
    const h = await history('ivan');
    expect(h.events.map((e: Record<string, unknown>) => [e.eventId, e.rating, e.text])).toEqual([['rv-idem', 4, 'Bonita']]);
  });

  it('refuses each bad review (and ratings or text on other types) with a clear 400, writing nothing of the batch', async () => {
    const good = { eventId: 'ok-v', userId: 'bad-batch', productId: 'scarf-1', type: 'view' };
    const review = { eventId: 'bad-r', userId: 'bad-batch', productId: 'scarf-1', type: 'review', rating: 4 };
    const cases: [string, Record<string, unknown>, string, string][] = [
      ['rating 0', { ...review, rating: 0 }, 'events.1.rating', 'must be an integer from 1 to 5'],
      ['rating 6', { ...review, rating: 6 }, 'events.1.rating', 'must be an integer from 1 to 5'],
      ['rating 2.5', { ...review, rating: 2.5 }, 'events.1.rating', 'must be an integer from 1 to 5'],
      ['rating "5"', { ...review, rating: '5' }, 'events.1.rating', 'must be an integer from 1 to 5'],
      ['no rating', { ...review, rating: undefined }, 'events.1.rating', 'required for review events: must be an integer from 1 to 5'],
      ['text too long', { ...review, text: 'a'.repeat(2001) }, 'events.1.text', 'at most 2000 characters'],
      ['rating on an order', { ...good, eventId: 'bad-o', type: 'order', rating: 5 }, 'events.1.rating', 'only review events carry a rating; leave it out for other types'],
      ['text on a view', { ...good, eventId: 'bad-t', text: 'nice' }, 'events.1.text', 'only review events carry text; leave it out for other types'],
      ['a recommendationId on a review', { ...review, recommendationId: 'rec-12345678' }, 'events.1.recommendationId', 'reviews are not attributed to recommendations; leave it out'],
    ];
    for (const [name, bad, path, message] of cases) {
      const res = await post({ events: [good, bad] });
      expect(res.status, name).toBe(400);
      expect(res.body.error.code, name).toBe('invalid_input');
      expect(res.body.error.details, name).toEqual([{ path, message }]);
      expect(res.body.error.message, name).toBe(`Invalid body: ${path}: ${message}`);
    }
    // 2000 characters after trimming are fine; the spaces around them do not count.
    expect((await post({ events: [{ ...review, eventId: 'long-ok', text: ` ${'a'.repeat(2000)} ` }] })).status).toBe(200);
    expect((await history('bad-batch')).events.map((e: { eventId: string }) => e.eventId)).toEqual(['long-ok']);
  });
});

describe('a retrain with reviews', () => {
  const N = 30;
  const pid = (i: number) => `gift-${String(i).padStart(2, '0')}`;
  const reviewTexts = ['Muy abrigado, perfecto para el invierno', 'Suave y calentito, me encanto', 'Lana gruesa, abriga mucho'];

  it('makes review text part of the content model input, on ONNX Runtime too, and the version still serves new products', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const deps = getDeps();
    for (let i = 0; i < N; i++) expect((await put(pid(i), { name: `Regalo ${i}`, price: 1000 + 500 * i, category: i % 2 ? 'hat' : 'scarf' })).status).toBe(201);
    // Every product bought by four of twelve users: enough items with interactions for the content model.
    const orders = Array.from({ length: N * 4 }, (_, k) => ({ eventId: `o-${k}`, userId: `buyer-${(Math.floor(k / 4) + (k % 4) * 3) % 12}`, productId: pid(Math.floor(k / 4)), type: 'order' }));
    for (let s = 0; s < orders.length; s += 100) expect((await post({ events: orders.slice(s, s + 100) })).status).toBe(200);
    // Reviews with text on the first six products (one of them 1★), a textless one on the seventh.
    const reviews: Record<string, unknown>[] = Array.from({ length: 6 }, (_, i) => ({ eventId: `r-${i}`, userId: `buyer-${i}`, productId: pid(i), type: 'review', rating: i === 5 ? 1 : 5, text: reviewTexts[i % 3] }));
    reviews.push({ eventId: 'r-6', userId: 'buyer-6', productId: pid(6), type: 'review', rating: 4 });
    expect((await post({ events: reviews })).body).toEqual({ accepted: 7, duplicates: 0 });

    const outcome = await retrainModel(deps, { force: true });
    expect(outcome.promoted).toBe(true);
    const version = await deps.serving.get();
    expect(version.manifest.version).toBe(outcome.version);
    // The 1★ review is no interaction; the others are (this suite's earlier events included).
    const stored: { type: string; rating?: number }[] = [];
    for await (const e of deps.interactions.scanAll()) stored.push(e);
    expect(version.manifest.counts.interactions).toBe(stored.filter((e) => e.type !== 'review' || (e.rating ?? 0) >= 3).length);

    const model = version.contentModel!;
    expect(model).toBeDefined();
    expect(model.reviewDim).toBe(deps.textEmbedder.dim);
    expect(model.inputDim).toBe(contentInputDim(model.imageDim, model.textDim, deps.textEmbedder.dim, model.categories.length, model.priceEdges.length + 1));
    expect(model.training).toMatchObject({ reviewedItems: 6 + 1, reviewTextEmbedder: deps.textEmbedder.version }); // + scarf-1, reviewed above
    expect(version.contentModelOnnx).toBeDefined();

    // A reviewed product's input carries its reviews' mean and the flag; ONNX Runtime takes that
    // wider input and agrees with the TypeScript forward pass; the reviews change the prediction.
    const products = await deps.catalog.batchGet([pid(0)]);
    const means = reviewTextMeans([{ productId: pid(0), type: 'review', text: reviewTexts[0] }], deps.textEmbedder);
    const withReviews = encodeContent(model, [{ ...productContent(products[0]), reviews: means.get(pid(0)) }]);
    const reviewStart = model.imageDim + 1 + model.textDim + 1;
    expect(Array.from(withReviews.subarray(reviewStart, reviewStart + model.reviewDim!))).toEqual(Array.from(means.get(pid(0))!));
    expect(withReviews[reviewStart + model.reviewDim!]).toBe(1);
    const onnx = await runContentModelOnnx(version.contentModelOnnx!, withReviews, 1, model.inputDim);
    const ts = forwardContent(model, withReviews, 1);
    expect(onnx).toHaveLength(model.factors);
    for (let k = 0; k < model.factors; k++) expect(onnx[k]).toBeCloseTo(ts[k], 4);
    const withoutReviews = await runContentModelOnnx(version.contentModelOnnx!, encodeContent(model, [productContent(products[0])]), 1, model.inputDim);
    expect(Array.from(withoutReviews)).not.toEqual(Array.from(onnx));

    // A product created after the version: the recommend handler serves with it, its factors
    // predicted by content_model.onnx from an input whose review block is zeros and flag 0.
    expect((await put('fresh-hat', { name: 'Sombrero nuevo', price: 4321, category: 'hat' })).status).toBe(201);
    const rec = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'buyer-1', num: '10' }));
    expect(rec.status).toBe(200);
    expect(rec.body.model_version).toBe(outcome.version);
    const live = await deps.snapshot();
    const i = live.itemIndex.get('fresh-hat')!;
    expect(i).toBeGreaterThanOrEqual(version.items.length);
    const [fresh] = await deps.catalog.batchGet(['fresh-hat']);
    const x = encodeContent(model, [productContent(fresh)]);
    expect(Array.from(x.subarray(reviewStart, reviewStart + model.reviewDim! + 1)).every((v) => v === 0)).toBe(true);
    const expected = await runContentModelOnnx(version.contentModelOnnx!, x, 1, model.inputDim);
    const served = live.itemFactors.subarray(i * live.factors, (i + 1) * live.factors);
    expect(served.some((v) => v !== 0)).toBe(true);
    for (let k = 0; k < live.factors; k++) expect(served[k]).toBeCloseTo(expected[k], 5);
  });
});
