/**
 * Reviews in the core: their text as content (the mean of the texts' embeddings, a has-review-text
 * flag, a block of fixed width in the content model's input), their stars as signal in training
 * and ranking (1★ and 2★ are no positives; a reviewed item is not recommended to its reviewer),
 * the reason they give, and the batch CSV's rating column.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { reviewTextMeans } from '../../functions/core/content/review-text.js';
import { HashedNgramEmbedder } from '../../functions/core/content/text-embedding.js';
import { contentInputDim, encodeContent, forwardContent, isValidContentModel, type ContentModel } from '../../functions/core/content/content-to-cf.js';
import { trainContentModel } from '../../functions/core/training/train-content-model.js';
import { trainModelVersion } from '../../functions/core/training/train-model.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { historyReason, rankForReceiver } from '../../functions/core/ranking/recommend.js';
import { summarizeUserEvents } from '../../functions/core/domain/interactions.js';
import { csvEventsToInteractions, parseInteractionsCsv } from '../../functions/core/evaluation/datasets.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import type { InteractionEvent, Product } from '../../functions/core/domain/types.js';

const embedder = new HashedNgramEmbedder();
const DAY = 86_400_000;
const NOW = Date.UTC(2025, 0, 1);

describe('review text as content', () => {
  it("is the mean of a product's review-text embeddings, leaving out reviews without (letters in their) text and other events", () => {
    const [a, b, c] = ['Muy abrigada y suave', 'La lana pica un poco', 'Preciosa'].map((t) => embedder.embed(t));
    const means = reviewTextMeans(
      [
        { productId: 'scarf', type: 'review', text: 'Muy abrigada y suave' },
        { productId: 'scarf', type: 'review', text: 'La lana pica un poco' },
        { productId: 'scarf', type: 'review' },
        { productId: 'scarf', type: 'review', text: '!!! ...' },
        { productId: 'scarf', type: 'view', text: 'not a review' },
        { productId: 'hat', type: 'review', text: 'Preciosa' },
        { productId: 'mug', type: 'review' },
      ],
      embedder,
    );
    expect([...means.keys()].sort()).toEqual(['hat', 'scarf']);
    const scarf = means.get('scarf')!;
    expect(scarf).toHaveLength(embedder.dim);
    for (let j = 0; j < embedder.dim; j++) expect(scarf[j]).toBeCloseTo((a[j] + b[j]) / 2, 6);
    expect(Array.from(means.get('hat')!)).toEqual(Array.from(c));
    // Two different texts average to less than unit length: the mean keeps how much reviews agree.
    expect(Math.hypot(...scarf)).toBeLessThan(0.999);
  });

  const model: Pick<ContentModel, 'imageDim' | 'textDim' | 'reviewDim' | 'categories' | 'priceEdges'> = { imageDim: 2, textDim: 3, reviewDim: 4, categories: ['hat'], priceEdges: [] };

  it('sits after the name text in x as the mean itself plus a flag: zeros and flag 0 without reviews', () => {
    const mean = [0.5, -0.25, 0, 0.1];
    const x = encodeContent(model, [{ image: [3, 4], text: [0, 0, 2], reviews: mean, categories: ['hat'], price: 5 }, { categories: ['hat'] }]);
    const d = contentInputDim(2, 3, 4, 1, 1);
    expect(d).toBe(2 + 1 + 3 + 1 + 4 + 1 + 1 + 1);
    expect(x).toHaveLength(2 * d);
    expect(Array.from(x.subarray(0, d))).toEqual([0.6, 0.8, 1, 0, 0, 1, 1, 0.5, -0.25, 0, Math.fround(0.1), 1, 1, 1].map(Math.fround));
    expect(Array.from(x.subarray(d + 7, d + 12))).toEqual([0, 0, 0, 0, 0]);
    // A mean of the wrong width or all zeros counts as no reviews.
    for (const reviews of [[1, 2], [0, 0, 0, 0]]) {
      const y = encodeContent(model, [{ reviews, categories: [] }]);
      expect(Array.from(y.subarray(7, 12)), JSON.stringify(reviews)).toEqual([0, 0, 0, 0, 0]);
    }
  });

  it('has no block in versions trained before reviews (no reviewDim): their x keeps its width and they stay valid', () => {
    const legacy = { imageDim: 2, textDim: 3, categories: ['hat'], priceEdges: [] };
    expect(encodeContent(legacy, [{ reviews: [1, 0, 0, 0], categories: ['hat'] }])).toHaveLength(2 + 1 + 3 + 1 + 1 + 1);
    const weights = (d: number) => ({ kind: 'content-to-factor-mlp' as const, ...legacy, inputDim: d, hidden: 1, factors: 1, W1: Array(d).fill(0), b1: [0], W2: [0], b2: [0], blendInteractions: 2, training: {} });
    // image 2 + flag, text 3 + flag, 1 category, 1 price band: 9; with a 4-wide review block and its flag: 14.
    expect(isValidContentModel(weights(9))).toBe(true);
    expect(isValidContentModel(weights(14))).toBe(false);
    expect(isValidContentModel({ ...weights(14), reviewDim: 4 })).toBe(true);
    expect(isValidContentModel({ ...weights(9), reviewDim: 4 })).toBe(false);
    expect(isValidContentModel({ ...weights(9), reviewDim: -1 })).toBe(false);
  });

  it('keeps the input length fixed by the embedder, whether or not any product has reviews', () => {
    const rng = mulberry32(3);
    const f = 4;
    const items = Array.from({ length: 40 }, (_, i) => ({ text: embedder.embed(`regalo ${i % 5}`), categories: [`c${i % 4}`], price: i }));
    const input = {
      items,
      itemFactors: Float32Array.from({ length: 40 * f }, () => rng() - 0.5),
      factors: f,
      interactionCount: Array(40).fill(5),
      userFactors: Float32Array.from({ length: 10 * f }, () => rng() - 0.5),
      reviewDim: embedder.dim,
    };
    const without = trainContentModel(input, { epochs: 2 })!;
    const withReviews = trainContentModel({ ...input, items: items.map((it, i) => (i < 10 ? { ...it, reviews: embedder.embed('muy abrigado') } : it)) }, { epochs: 2 })!;
    for (const m of [without, withReviews]) {
      expect(m.reviewDim).toBe(embedder.dim);
      // No images (width 0), the names' texts, the review block, 4 categories, the price bands.
      expect(m.inputDim).toBe(contentInputDim(0, embedder.dim, embedder.dim, 4, m.priceEdges.length + 1));
      expect(isValidContentModel(m)).toBe(true);
    }
    expect(withReviews.inputDim).toBe(without.inputDim);
    // Without any review the block changes nothing: the network predicts exactly what a network
    // trained without the block predicts (the block's columns draw from their own generator).
    const { reviewDim: _dropped, ...noBlock } = input;
    const legacy = trainContentModel(noBlock, { epochs: 2 })!;
    expect(legacy.reviewDim).toBeUndefined();
    expect(legacy.inputDim).toBe(without.inputDim - embedder.dim - 1);
    const probe = items.slice(0, 5);
    expect(Array.from(forwardContent(without, encodeContent(without, probe), 5))).toEqual(Array.from(forwardContent(legacy, encodeContent(legacy, probe), 5)));
    // With reviews the reviewed items' inputs, and what the network learnt from them, differ.
    expect(Array.from(forwardContent(withReviews, encodeContent(withReviews, probe), 5))).not.toEqual(Array.from(forwardContent(without, encodeContent(without, probe), 5)));
  });
});

describe('ratings as signal', () => {
  let snapshot: ModelSnapshot;
  let events: InteractionEvent[];
  const products: Product[] = Array.from({ length: 30 }, (_, i) => ({
    id: `p${String(i).padStart(2, '0')}`,
    name: `gift ${i}`,
    description: '',
    price: 10 + i,
    currency: 'EUR',
    category: i % 2 ? 'hat' : 'scarf',
    promoted: false,
    status: 'active',
    countries: [],
    images: [],
    createdAt: new Date(NOW - 200 * DAY).toISOString(),
    updatedAt: new Date(NOW - 200 * DAY).toISOString(),
    attributes: {},
  }));
  const review = (userId: string, productId: string, rating: number, k: number): InteractionEvent => ({ eventId: `r-${userId}-${k}`, userId, productId, type: 'review', quantity: 1, rating, timestamp: NOW - k * DAY });

  beforeAll(async () => {
    const rng = mulberry32(11);
    events = [];
    for (let u = 0; u < 40; u++) {
      for (let k = 0; k < 6; k++) {
        const p = products[2 * Math.floor(rng() * 15) + (u % 2)];
        events.push({ eventId: `o-${u}-${k}`, userId: `u${u}`, productId: p.id, type: 'order', quantity: 1, timestamp: NOW - Math.floor(rng() * 90) * DAY });
      }
    }
    // Someone who only ever left 1★ and 2★ reviews, and a fan who left 5★ ones.
    events.push(review('grumpy', 'p00', 1, 1), review('grumpy', 'p02', 2, 2), review('fan', 'p01', 5, 1), review('fan', 'p03', 5, 2));
    const { parts } = await trainModelVersion({ events, products, userCountries: new Map(), now: NOW, version: 'reviews', als: { factors: 6, iterations: 6 }, model: { family: 'als', halfLifeDays: null, popularityBlend: 0 } });
    snapshot = deserializeSnapshot(serializeSnapshot(parts));
  });

  it('leaves 1★ and 2★ reviews out of training; the others are interactions', () => {
    expect(snapshot.userIds).toContain('fan');
    expect(snapshot.userIds).not.toContain('grumpy');
    expect(snapshot.manifest.counts.interactions).toBe(events.length - 2);
  });

  it('never recommends an item to the user who reviewed it, whatever the stars', async () => {
    const history = [review('viv', 'p00', 1, 1), review('viv', 'p01', 5, 2), { ...review('viv', 'p03', 4, 3), type: 'view' as const, rating: undefined }];
    const ranked = await rankForReceiver(snapshot, { history, now: NOW }, { userId: 'viv', num: 30, minPromoted: 0 });
    const ids = ranked.items.map((r) => r.id);
    expect(ids).toHaveLength(28);
    expect(ids).not.toContain('p00');
    expect(ids).not.toContain('p01');
    expect(ids).toContain('p03');
    expect(ranked.personalized).toBe(true);
    // 1★ alone is no history: the receiver is not personalised by it.
    const dislikeOnly = await rankForReceiver(snapshot, { history: [review('zed', 'p00', 1, 1)], now: NOW }, { userId: 'zed', num: 5, minPromoted: 0 });
    expect(dislikeOnly.personalized).toBe(false);
    expect(dislikeOnly.items.map((r) => r.id)).not.toContain('p00');
  });

  it('explains with because_you_liked after a review of 3★ and up, never after 1★ or 2★', () => {
    const summary = (...ratings: number[]) => summarizeUserEvents(ratings.map((rating, k) => ({ productId: 'p', type: 'review' as const, quantity: 1, timestamp: k, rating }))).get('p');
    expect(historyReason(summary(5), 'p')).toBe('because_you_liked:p');
    expect(historyReason(summary(3), 'p')).toBe('because_you_liked:p');
    expect(historyReason(summary(2), 'p')).toBe('because_you_viewed:p');
    expect(historyReason(summary(1, 4), 'p')).toBe('because_you_liked:p');
  });
});

describe('the batch CSV rating column', () => {
  const header = 'user_id,item_id,timestamp,event_type,rating';
  it('reads review rows with their stars and leaves 1★ and 2★ out of the interactions', () => {
    const rows = [...parseInteractionsCsv([header, 'a,p1,1700000000,review,5', 'a,p2,1700000001,review,2', 'a,p3,1700000002,order,'])];
    expect(rows.map((r) => [r.itemId, r.type, r.rating])).toEqual([['p1', 'review', 5], ['p2', 'review', 2], ['p3', 'order', undefined]]);
    expect(csvEventsToInteractions(rows).map((r) => [r.item, r.value, r.rating])).toEqual([['p1', 1, 5], ['p3', 1, undefined]]);
  });

  it('names the line of a review without a valid rating, and of a rating on another type', () => {
    for (const bad of ['a,p1,1700000000,review,', 'a,p1,1700000000,review,0', 'a,p1,1700000000,review,6', 'a,p1,1700000000,review,2.5', 'a,p1,1700000000,review,x']) {
      expect(() => [...parseInteractionsCsv([header, bad])], bad).toThrow(/^line 2: a review needs a rating, an integer from 1 to 5/);
    }
    expect(() => [...parseInteractionsCsv([header, 'a,p1,1700000000,view,4'])]).toThrow('line 2: only review rows carry a rating');
    expect(() => [...parseInteractionsCsv(['user_id,item_id,timestamp,event_type', 'a,p1,1700000000,review'])]).toThrow(/line 2: a review needs a rating/);
  });
});
