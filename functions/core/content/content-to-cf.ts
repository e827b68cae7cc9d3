/**
 * The content-to-collaborative model (hybrid): a one-hidden-layer MLP that maps a product's content
 * to its ALS item factors, so products the model version has never seen (or has seen only a few
 * times) can be scored against a receiver's folded-in vector like any other item.
 *
 * What it is: content-to-factor regression trained on DropoutNet's objective (Volkovs et al. 2017,
 * "reproduce the collaborative preference scores from content"): for a linear score uᵀy the loss
 * Σ_u (uᵀŷ_i − uᵀy_i)² over every user u is (ŷ_i − y_i)ᵀ UᵀU (ŷ_i − y_i), so the network is fitted
 * in score space (metric UᵀU) in closed form, without sampling users. Training lives in
 * core/training/train-content-model.ts; this module is the part serving needs: the input encoding
 * and the forward pass (ONNX Runtime runs the same network from `content_model.onnx`).
 *
 * Input x (in this order): image VAE μ (unit length, zeros when missing) · has-image flag ·
 * text embedding of the name (unit length, zeros when missing) · has-text flag · mean text
 * embedding of the product's reviews (as averaged, zeros when it has no review text; `reviewDim`
 * wide, the text embedder's dimension, fixed whatever the data) · has-review-text flag · category
 * one-hot over the version's categories (multi-hot for several, e.g. MovieLens genres; unknown →
 * none) · price band one-hot (bands by the version's price quantiles; unknown price → none).
 * Versions trained before reviews existed have no `reviewDim` and no review block.
 * Network: x → Gemm(W1, b1) → ReLU → Gemm(W2, b2) → ŷ (f = the version's ALS factors).
 */
import { dot } from '../numeric/kernels.js';

/** What the encoder reads from an item. */
export interface ContentInput {
  image?: ArrayLike<number>;
  text?: ArrayLike<number>;
  /** Mean text embedding of the product's reviews (core/content/review-text.ts), when it has review text. */
  reviews?: ArrayLike<number>;
  categories: readonly string[];
  price?: number;
}

/** The trained network and its input encoding (`content_model.json`). */
export interface ContentModel {
  kind: 'content-to-factor-mlp';
  imageDim: number;
  textDim: number;
  /** Width of the review-text block (then one has-review-text flag); absent in versions from before reviews. */
  reviewDim?: number;
  categories: string[];
  /** Upper edges of the price bands but the last (ascending): band b holds prices ≤ edges[b]. */
  priceEdges: number[];
  inputDim: number;
  hidden: number;
  factors: number;
  /** hidden × inputDim, factors × hidden, row-major. */
  W1: number[];
  b1: number[];
  W2: number[];
  b2: number[];
  /** Items with fewer interactions than this get ŷ blended into their ALS factors (k in c/(c+k)). */
  blendInteractions: number;
  /** Training facts (items, epochs, losses, seed). */
  training: Record<string, number | string>;
}

/** Length of x: image + flag, name text + flag, review text + flag (when `reviewDim` is set), categories, price bands. */
export function contentInputDim(imageDim: number, textDim: number, reviewDim: number | undefined, categories: number, priceBands: number): number {
  return imageDim + 1 + textDim + 1 + reviewBlock(reviewDim) + categories + priceBands;
}

const reviewBlock = (reviewDim: number | undefined): number => (reviewDim === undefined ? 0 : reviewDim + 1);

/** Copies a review mean as it is (its length says how much the reviews agree); false when absent, empty or not finite. */
function putMean(v: ArrayLike<number> | undefined, dim: number, out: Float32Array, offset: number): boolean {
  if (!v || dim === 0 || v.length !== dim) return false;
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[j] * v[j];
  if (!(s > 0) || !Number.isFinite(s)) return false;
  for (let j = 0; j < dim; j++) out[offset + j] = v[j];
  return true;
}

function putUnit(v: ArrayLike<number> | undefined, dim: number, out: Float32Array, offset: number): boolean {
  if (!v || dim === 0 || v.length !== dim) return false;
  let s = 0;
  for (let j = 0; j < dim; j++) s += v[j] * v[j];
  if (!(s > 0) || !Number.isFinite(s)) return false;
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) out[offset + j] = v[j] * inv;
  return true;
}

/** Encodes items as rows of x (see the module comment). */
export function encodeContent(
  model: Pick<ContentModel, 'imageDim' | 'textDim' | 'reviewDim' | 'categories' | 'priceEdges'>,
  items: readonly ContentInput[],
): Float32Array {
  const bands = model.priceEdges.length + 1;
  const d = contentInputDim(model.imageDim, model.textDim, model.reviewDim, model.categories.length, bands);
  const cat = new Map(model.categories.map((c, k) => [c, k]));
  const x = new Float32Array(items.length * d);
  items.forEach((it, r) => {
    const o = r * d;
    if (putUnit(it.image, model.imageDim, x, o)) x[o + model.imageDim] = 1;
    const t = o + model.imageDim + 1;
    if (putUnit(it.text, model.textDim, x, t)) x[t + model.textDim] = 1;
    const rv = t + model.textDim + 1;
    if (model.reviewDim !== undefined && putMean(it.reviews, model.reviewDim, x, rv)) x[rv + model.reviewDim] = 1;
    const c = rv + reviewBlock(model.reviewDim);
    const known = it.categories.map((name) => cat.get(name)).filter((k): k is number => k !== undefined);
    for (const k of known) x[c + k] = 1 / known.length;
    const p = c + model.categories.length;
    if (it.price !== undefined && Number.isFinite(it.price)) {
      let b = 0;
      while (b < model.priceEdges.length && it.price > model.priceEdges[b]) b++;
      x[p + b] = 1;
    }
  });
  return x;
}

/** The forward pass in TypeScript: ŷ rows (rows × factors) for encoded x (rows × inputDim). */
export function forwardContent(model: Pick<ContentModel, 'inputDim' | 'hidden' | 'factors' | 'W1' | 'b1' | 'W2' | 'b2'>, x: Float32Array, rows: number): Float32Array {
  const { inputDim: d, hidden: h, factors: f, W1, b1, W2, b2 } = model;
  const out = new Float32Array(rows * f);
  const a = new Float64Array(h);
  for (let r = 0; r < rows; r++) {
    const xo = r * d;
    for (let j = 0; j < h; j++) {
      const s = dot(W1, j * d, x, xo, d, b1[j]);
      a[j] = s > 0 ? s : 0;
    }
    for (let k = 0; k < f; k++) {
      out[r * f + k] = dot(W2, k * h, a, 0, h, b2[k]);
    }
  }
  return out;
}

/**
 * A product's content as the encoder reads it (one category; the text embedding of its name; no
 * reviews — the retrain adds their mean to the products it knows, see fitContentToFactor).
 */
export function productContent(p: { image_embedding?: ArrayLike<number>; text_embedding?: ArrayLike<number>; category: string; price: number }): ContentInput {
  return { image: p.image_embedding, text: p.text_embedding, categories: p.category ? [p.category] : [], price: p.price };
}

/** Checks a parsed `content_model.json`: shapes agree and every weight is finite. */
export function isValidContentModel(m: ContentModel): boolean {
  const arrays = [m.W1, m.b1, m.W2, m.b2];
  if (!arrays.every((a) => Array.isArray(a) && a.every(Number.isFinite))) return false;
  if (m.reviewDim !== undefined && !(Number.isInteger(m.reviewDim) && m.reviewDim >= 0)) return false;
  const d = contentInputDim(m.imageDim, m.textDim, m.reviewDim, m.categories.length, m.priceEdges.length + 1);
  return m.inputDim === d && m.W1.length === m.hidden * d && m.b1.length === m.hidden && m.W2.length === m.factors * m.hidden && m.b2.length === m.factors;
}
