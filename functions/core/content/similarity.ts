/**
 * Content similarity between products: image embedding (VAE μ of EfficientNet-B0 features) and
 * text embedding (product name), combined as a weighted sum of cosines, searched exactly over a
 * snapshot matrix. Used by `GET /products/{id}/similar` and by candidate generation
 * ("content neighbours of the receiver's items").
 *
 * Score of item i for query q (weights w_img, w_txt ≥ 0, defaults {@link DEFAULT_SIMILARITY_WEIGHTS}):
 *
 *   s(q, i) = (w_img·cos(q_img, i_img) + w_txt·cos(q_txt, i_txt)) / (w_img·[q has img] + w_txt·[q has txt])
 *
 * - A modality the *query* lacks is dropped and the weights renormalise (missing image → text only),
 *   so scores stay in [−1, 1] and are comparable across queries.
 * - A modality the *item* lacks counts as cosine 0 (no evidence): an item with both embeddings
 *   that matches is preferred to one we cannot compare; un-embedded items still rank by name.
 * - Items sharing no modality with the query are never returned.
 * Exact search: one pass over the rows (O(n·(d_img+d_txt))) with a size-k min-heap; ties broken by
 * row order, so results are deterministic.
 */
import { BoundedHeap } from '../numeric/topk.js';
import { dot } from '../numeric/kernels.js';

/** Relative weights of the two cosines. */
export interface SimilarityWeights {
  image: number;
  text: number;
}

/** Image dominates (photos carry colour, shape, category); the name breaks ties and covers un-embedded items. */
export const DEFAULT_SIMILARITY_WEIGHTS: Readonly<SimilarityWeights> = Object.freeze({ image: 0.7, text: 0.3 });

/** Snapshot of every product's embeddings as row-major matrices of unit rows (zero row = missing). */
export interface EmbeddingIndex {
  readonly ids: readonly string[];
  readonly imageDim: number;
  readonly textDim: number;
  /** `ids.length × imageDim`, rows L2-normalised; zero row when the product has no image embedding. */
  readonly image: Float32Array;
  /** `ids.length × textDim`, rows L2-normalised; zero row when the product has no text embedding. */
  readonly text: Float32Array;
  /** 1 when the row of `image` is present. */
  readonly hasImage: Uint8Array;
  /** 1 when the row of `text` is present. */
  readonly hasText: Uint8Array;
}

/** A query: either vector may be missing (not both). */
export interface SimilarityQuery {
  image?: ArrayLike<number>;
  text?: ArrayLike<number>;
}

/** One neighbour. `imageScore` / `textScore` are the raw cosines when both sides have that modality. */
export interface SimilarProduct {
  id: string;
  score: number;
  imageScore?: number;
  textScore?: number;
}

/** What {@link buildEmbeddingIndex} reads from each product (the stored product object fits). */
export interface EmbeddedItem {
  id: string;
  image_embedding?: ArrayLike<number>;
  text_embedding?: ArrayLike<number>;
}

function normInto(src: ArrayLike<number>, dst: Float32Array, offset: number, dim: number): boolean {
  let s = 0;
  for (let j = 0; j < dim; j++) s += src[j] * src[j];
  if (!(s > 0) || !Number.isFinite(s)) return false; // zero or NaN vectors carry no direction
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) dst[offset + j] = src[j] * inv;
  return true;
}

/**
 * Builds the index from products. The dimension of each modality is the most common length among
 * the items (an item whose vector has another length — e.g. embedded by an older model — is treated
 * as missing that modality). Zero or non-finite vectors are treated as missing.
 */
export function buildEmbeddingIndex(items: readonly EmbeddedItem[]): EmbeddingIndex {
  const modeLength = (get: (it: EmbeddedItem) => ArrayLike<number> | undefined): number => {
    const counts = new Map<number, number>();
    for (const it of items) {
      const v = get(it);
      if (v && v.length > 0) counts.set(v.length, (counts.get(v.length) ?? 0) + 1);
    }
    let best = 0;
    let bestCount = 0;
    for (const [len, c] of counts) if (c > bestCount || (c === bestCount && len > best)) [best, bestCount] = [len, c];
    return best;
  };
  const imageDim = modeLength((it) => it.image_embedding);
  const textDim = modeLength((it) => it.text_embedding);
  const n = items.length;
  const image = new Float32Array(n * imageDim);
  const text = new Float32Array(n * textDim);
  const hasImage = new Uint8Array(n);
  const hasText = new Uint8Array(n);
  items.forEach((it, i) => {
    const img = it.image_embedding;
    if (img && imageDim > 0 && img.length === imageDim) hasImage[i] = normInto(img, image, i * imageDim, imageDim) ? 1 : 0;
    const txt = it.text_embedding;
    if (txt && textDim > 0 && txt.length === textDim) hasText[i] = normInto(txt, text, i * textDim, textDim) ? 1 : 0;
  });
  return { ids: items.map((it) => it.id), imageDim, textDim, image, text, hasImage, hasText };
}

/**
 * An embedding as stored on a product (DynamoDB number list), by every path that writes one: float32
 * values carry ~7 significant digits, and storing more only grows the item (each number is a
 * decimal string).
 */
export function storedEmbedding(v: Float32Array): number[] {
  return Array.from(v, (x) => Number(x.toPrecision(7)));
}

const rowMaps = new WeakMap<EmbeddingIndex, Map<string, number>>();

/** Row of a product id in the index (a map built once per index: a scan of 100k ids per lookup is not). */
export function rowOf(index: EmbeddingIndex, id: string): number | undefined {
  let rows = rowMaps.get(index);
  if (!rows) rowMaps.set(index, (rows = new Map(index.ids.map((x, r) => [x, r]))));
  return rows.get(id);
}

/** The stored vectors of one indexed product, as a query ("more like this"); undefined if unknown. */
export function queryForProduct(index: EmbeddingIndex, id: string): SimilarityQuery | undefined {
  const i = rowOf(index, id);
  if (i === undefined) return undefined;
  return {
    image: index.hasImage[i] ? index.image.subarray(i * index.imageDim, (i + 1) * index.imageDim) : undefined,
    text: index.hasText[i] ? index.text.subarray(i * index.textDim, (i + 1) * index.textDim) : undefined,
  };
}

/**
 * Unit-normalises one query side; undefined when unusable. A length that differs from the index's
 * (a product embedded by another model version than the snapshot's) is treated as missing rather
 * than failing the request: the other modality still answers.
 */
function prepareQuerySide(v: ArrayLike<number> | undefined, dim: number): Float32Array | undefined {
  if (!v || dim === 0 || v.length !== dim) return undefined;
  const out = new Float32Array(dim);
  return normInto(v, out, 0, dim) ? out : undefined;
}

const dotRow = (q: Float32Array, m: Float32Array, row: number, dim: number): number => dot(q, 0, m, row * dim, dim);

/**
 * The k products most similar to `query` (see the module comment for the score), best first.
 * @param exclude ids never returned (typically the query product itself, or items the receiver owns).
 * A query vector whose length differs from the index's dimension is ignored (see prepareQuerySide).
 * @throws RangeError when a weight is negative.
 */
export function similarProducts(
  query: SimilarityQuery,
  index: EmbeddingIndex,
  k: number,
  exclude?: string | ReadonlySet<string>,
  weights: SimilarityWeights = DEFAULT_SIMILARITY_WEIGHTS,
): SimilarProduct[] {
  if (!(weights.image >= 0) || !(weights.text >= 0)) throw new RangeError('similarity weights must be ≥ 0');
  const qi = prepareQuerySide(query.image, index.imageDim);
  const qt = prepareQuerySide(query.text, index.textDim);
  const wi = qi ? weights.image : 0;
  const wt = qt ? weights.text : 0;
  const total = wi + wt;
  if (k <= 0 || total === 0) return [];
  const excluded = typeof exclude === 'string' ? new Set([exclude]) : exclude;
  const heap = new BoundedHeap(Math.floor(k));
  const n = index.ids.length;
  for (let i = 0; i < n; i++) {
    const img = wi > 0 && index.hasImage[i] === 1;
    const txt = wt > 0 && index.hasText[i] === 1;
    if (!img && !txt) continue;
    if (excluded?.has(index.ids[i])) continue;
    let s = 0;
    if (img) s += wi * dotRow(qi!, index.image, i, index.imageDim);
    if (txt) s += wt * dotRow(qt!, index.text, i, index.textDim);
    const score = s / total;
    // Rows arrive in increasing order, so an equal score never displaces a kept (earlier) row.
    if (heap.size < heap.cap || score > heap.hs[0]) heap.offer(score, i);
  }
  const best = Array.from({ length: heap.size }, (_, j) => ({ score: heap.hs[j], row: heap.hi[j] })).sort((a, b) => b.score - a.score || a.row - b.row);
  return best.map(({ score, row }) => {
    const out: SimilarProduct = { id: index.ids[row], score };
    if (qi && index.hasImage[row]) out.imageScore = dotRow(qi, index.image, row, index.imageDim);
    if (qt && index.hasText[row]) out.textScore = dotRow(qt, index.text, row, index.textDim);
    return out;
  });
}
