/**
 * Review text as product content: what buyers write about a product says what it is (warm, small,
 * sturdy, "a gift my father loved") in words a catalog name lacks. At retrain, each review's text
 * goes through the same text embedder the catalog uses for names, and a product's feature is the
 * mean of its reviews' vectors: as wide as the embedder, whatever the number of reviews. The
 * content-to-collaborative model reads it beside a has-review-text flag (core/content/content-to-cf.ts).
 */
import type { TextEmbedder } from './text-embedding.js';

/**
 * productId → the mean embedding of its reviews' texts. Reviews without text, or whose text embeds
 * to the zero vector (no letters or digits), are left out; a product with none gets no entry.
 */
export function reviewTextMeans(
  reviews: Iterable<{ productId: string; type: string; text?: string }>,
  embedder: Pick<TextEmbedder, 'dim' | 'embed'>,
): Map<string, Float32Array> {
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  for (const r of reviews) {
    if (r.type !== 'review' || !r.text) continue;
    const v = embedder.embed(r.text);
    if (v.length !== embedder.dim || !v.some((x) => x !== 0)) continue;
    let acc = sums.get(r.productId);
    if (!acc) sums.set(r.productId, (acc = { sum: new Float64Array(embedder.dim), n: 0 }));
    for (let j = 0; j < v.length; j++) acc.sum[j] += v[j];
    acc.n++;
  }
  const out = new Map<string, Float32Array>();
  for (const [id, { sum, n }] of sums) out.set(id, Float32Array.from(sum, (x) => x / n));
  return out;
}
