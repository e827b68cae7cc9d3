/**
 * Training of the content-to-collaborative model (core/content/content-to-cf.ts) at each retrain:
 * the network is fitted on the items ALS knows well (at least `minInteractions` interactions) to
 * reproduce their preference scores from content alone, in score space: loss ½ eᵀ G e with
 * e = ŷ − y and G = UᵀU / |U| (scale-normalised, plus a little identity for stability) — the
 * DropoutNet objective Σ_u (uᵀŷ − uᵀy)² for every user at once.
 *
 * Plain mini-batch Adam over typed arrays, seeded (mulberry32): the same inputs give the same
 * weights. A tenth of the training items is kept aside; the weights of the epoch with the lowest
 * held-aside loss are the ones returned, and that loss beside the "predict the mean factor" loss
 * goes into the training facts.
 */
import { contentInputDim, encodeContent, forwardContent, productContent, type ContentInput, type ContentModel } from '../content/content-to-cf.js';
import type { Product } from '../domain/types.js';
import { gaussian, mulberry32, shuffle } from '../numeric/prng.js';
import { axpy, dot } from '../numeric/kernels.js';

export interface ContentTrainParams {
  hidden: number;
  epochs: number;
  batch: number;
  learningRate: number;
  l2: number;
  seed: number;
  /** Items with fewer interactions are not training targets (their factors are mostly prior). */
  minInteractions: number;
  /** k of the blend c/(c+k) for items with few interactions. */
  blendInteractions: number;
  maxCategories: number;
  priceBands: number;
  /** Most training items (the most-interacted) and most sample passes: bounds the retrain's time. */
  maxItems: number;
  maxSamplePasses: number;
}

export const DEFAULT_CONTENT_TRAIN_PARAMS: ContentTrainParams = {
  hidden: 64,
  epochs: 80,
  batch: 32,
  learningRate: 3e-3,
  l2: 1e-4,
  seed: 17,
  minInteractions: 3,
  blendInteractions: 2,
  maxCategories: 64,
  priceBands: 5,
  maxItems: 20_000,
  maxSamplePasses: 200_000,
};

export interface ContentTrainInput {
  items: readonly ContentInput[];
  /** nItems × factors (ALS), row-major, aligned with `items`. */
  itemFactors: Float32Array;
  factors: number;
  interactionCount: ArrayLike<number>;
  /** nUsers × factors: the metric of the score-space loss. */
  userFactors: Float32Array;
  /**
   * Width of the review-text block (the review text embedder's dimension); the block and its flag
   * are in x whenever this is set, reviews or not, so the input length never depends on the data.
   */
  reviewDim?: number;
}

function modeLength(vs: readonly (ArrayLike<number> | undefined)[]): number {
  const counts = new Map<number, number>();
  for (const v of vs) if (v && v.length > 0) counts.set(v.length, (counts.get(v.length) ?? 0) + 1);
  let best = 0;
  let bestCount = 0;
  for (const [len, c] of counts) if (c > bestCount || (c === bestCount && len > best)) [best, bestCount] = [len, c];
  return best;
}

/** ½ eᵀGe per row and its gradient Ge. */
function metricLoss(G: Float64Array, f: number, e: Float64Array, grad: Float64Array): number {
  let loss = 0;
  for (let a = 0; a < f; a++) {
    const s = dot(G, a * f, e, 0, f);
    grad[a] = s;
    loss += 0.5 * e[a] * s;
  }
  return loss;
}

/** G = UᵀU / |U|, scaled to mean diagonal 1, mixed with 0.1·I. */
function scoreMetric(U: Float32Array, f: number): Float64Array {
  const n = U.length / f;
  const G = new Float64Array(f * f);
  for (let u = 0; u < n; u++) {
    const o = u * f;
    for (let a = 0; a < f; a++) {
      const ua = U[o + a];
      if (ua === 0) continue;
      for (let b = 0; b < f; b++) G[a * f + b] += ua * U[o + b];
    }
  }
  let trace = 0;
  for (let a = 0; a < f; a++) trace += G[a * f + a];
  const scale = trace > 0 ? f / trace : 1;
  for (let k = 0; k < f * f; k++) G[k] *= 0.9 * scale;
  for (let a = 0; a < f; a++) G[a * f + a] += 0.1;
  return G;
}

/** The items learnt from: at least `minInteractions`, most interacted first, at most `maxItems`. */
function selectTargets(input: ContentTrainInput, p: ContentTrainParams): number[] {
  const eligible = Array.from({ length: input.items.length }, (_, i) => i).filter((i) => input.interactionCount[i] >= p.minInteractions);
  eligible.sort((a, b) => input.interactionCount[b] - input.interactionCount[a] || a - b);
  return eligible.slice(0, p.maxItems);
}

type ContentEncoding = Pick<ContentModel, 'imageDim' | 'textDim' | 'reviewDim' | 'categories' | 'priceEdges'>;

/** The encoder's facts: the common embedding widths, the targets' most frequent categories, price quantile edges. */
function fitEncoding(input: ContentTrainInput, targets: readonly number[], p: ContentTrainParams): ContentEncoding {
  const imageDim = modeLength(input.items.map((it) => it.image));
  const textDim = modeLength(input.items.map((it) => it.text));
  const catCount = new Map<string, number>();
  for (const i of targets) for (const c of input.items[i].categories) catCount.set(c, (catCount.get(c) ?? 0) + 1);
  const categories = [...catCount].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, p.maxCategories).map(([c]) => c).sort();
  const prices = input.items.map((it) => it.price).filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  const priceEdges: number[] = [];
  if (prices.length > 0) for (let b = 1; b < p.priceBands; b++) priceEdges.push(prices[Math.min(prices.length - 1, Math.floor((b * prices.length) / p.priceBands))]);
  return { imageDim, textDim, ...(input.reviewDim !== undefined ? { reviewDim: input.reviewDim } : {}), categories, priceEdges: [...new Set(priceEdges)] };
}

/** The two-layer network x → ReLU(W1 x + b1) → W2 · + b2 with its buffers, trained row by row. */
class ContentMlp {
  readonly weights: Float64Array[];
  readonly grads: Float64Array[];
  readonly act: Float64Array;
  readonly pre: Float64Array;
  readonly yhat: Float64Array;
  private readonly gh: Float64Array;

  /**
   * Weights drawn from `rng` (He for W1, small for W2), W2's bias at the mean target. The W1 columns
   * of `own` (the review block) draw from their own generator and the He scale counts the other
   * columns only: `rng`'s sequence and every other weight are what they were without the block, so
   * on data without reviews (the block all zeros: no gradient reaches those columns, no input
   * through them) the trained network predicts exactly what it did before the block existed.
   */
  constructor(
    private readonly d: number,
    private readonly h: number,
    private readonly f: number,
    meanY: Float64Array,
    rng: () => number,
    own?: { start: number; width: number; rng: () => number },
  ) {
    const width = own?.width ?? 0;
    const scale = Math.sqrt(2 / (d - width));
    const W1 = new Float64Array(h * d);
    for (let j = 0; j < h; j++) {
      for (let q = 0; q < d; q++) {
        const inOwn = own !== undefined && q >= own.start && q < own.start + width;
        W1[j * d + q] = gaussian(inOwn ? own.rng : rng) * scale;
      }
    }
    const b1 = new Float64Array(h);
    const W2 = Float64Array.from({ length: f * h }, () => gaussian(rng) * Math.sqrt(1 / h) * 0.1);
    this.weights = [W1, b1, W2, Float64Array.from(meanY)];
    this.grads = this.weights.map((a) => new Float64Array(a.length));
    this.act = new Float64Array(h);
    this.pre = new Float64Array(h);
    this.yhat = new Float64Array(f);
    this.gh = new Float64Array(h);
  }

  /** ŷ of row `xo` of X (sparse-aware: encoded content is mostly zeros). */
  forward(X: Float32Array, xo: number): void {
    const [W1, b1, W2, b2] = this.weights;
    const { d, h, f, pre, act, yhat } = this;
    for (let j = 0; j < h; j++) {
      let s = b1[j];
      const wo = j * d;
      for (let q = 0; q < d; q++) {
        const xv = X[xo + q];
        if (xv !== 0) s += W1[wo + q] * xv;
      }
      pre[j] = s;
      act[j] = s > 0 ? s : 0;
    }
    for (let k = 0; k < f; k++) yhat[k] = dot(W2, k * h, act, 0, h, b2[k]);
  }

  /** Adds the gradient of the last forwarded row into `grads`, given dL/dŷ = `ge`. */
  backward(X: Float32Array, xo: number, ge: Float64Array): void {
    const W2 = this.weights[2];
    const g = this.grads;
    const { d, h, f, pre, act, gh } = this;
    // dL/dŷ = Ge; W2 += ge ⊗ act; dL/dact = W2ᵀ ge through the ReLU.
    for (let k = 0; k < f; k++) {
      const gk = ge[k];
      g[3][k] += gk;
      axpy(gk, act, 0, g[2], k * h, h);
    }
    for (let j = 0; j < h; j++) {
      if (pre[j] <= 0) {
        gh[j] = 0;
        continue;
      }
      let s = 0;
      for (let k = 0; k < f; k++) s += W2[k * h + j] * ge[k];
      gh[j] = s;
    }
    for (let j = 0; j < h; j++) {
      const gj = gh[j];
      if (gj === 0) continue;
      g[1][j] += gj;
      const wo = j * d;
      for (let q = 0; q < d; q++) {
        const xv = X[xo + q];
        if (xv !== 0) g[0][wo + q] += gj * xv;
      }
    }
  }
}

/** Adam on the batch's mean gradient, L2 on the two weight matrices (not the biases). */
class AdamStep {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private step = 0;
  private static readonly beta1 = 0.9;
  private static readonly beta2 = 0.999;

  constructor(
    private readonly weights: Float64Array[],
    private readonly p: ContentTrainParams,
  ) {
    this.m = weights.map((a) => new Float64Array(a.length));
    this.v = weights.map((a) => new Float64Array(a.length));
  }

  apply(grads: Float64Array[], batchSize: number): void {
    const { beta1, beta2 } = AdamStep;
    this.step++;
    const lrT = (this.p.learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    this.weights.forEach((w, t) => {
      const gt = grads[t];
      const mt = this.m[t];
      const vt = this.v[t];
      const decay = t === 0 || t === 2 ? this.p.l2 : 0;
      for (let q = 0; q < w.length; q++) {
        const gq = gt[q] / batchSize + decay * w[q];
        mt[q] = beta1 * mt[q] + (1 - beta1) * gq;
        vt[q] = beta2 * vt[q] + (1 - beta2) * gq * gq;
        w[q] -= (lrT * mt[q]) / (Math.sqrt(vt[q]) + 1e-8);
      }
    });
  }
}

/** Trains the model; undefined when fewer than 20 items qualify as targets (nothing to learn from). */
export function trainContentModel(input: ContentTrainInput, params: Partial<ContentTrainParams> = {}): ContentModel | undefined {
  const p = { ...DEFAULT_CONTENT_TRAIN_PARAMS, ...params };
  const f = input.factors;
  const targets = selectTargets(input, p);
  if (targets.length < 20) return undefined;

  const enc = fitEncoding(input, targets, p);
  const d = contentInputDim(enc.imageDim, enc.textDim, enc.reviewDim, enc.categories.length, enc.priceEdges.length + 1);
  const h = p.hidden;
  const X = encodeContent(enc, targets.map((i) => input.items[i]));
  const Y = new Float64Array(targets.length * f);
  targets.forEach((i, r) => {
    for (let a = 0; a < f; a++) Y[r * f + a] = input.itemFactors[i * f + a];
  });
  const G = scoreMetric(input.userFactors, f);

  // The draws from `rng`, in order: the held-aside split, W1, W2, then one shuffle per epoch
  // (W1's review-block columns draw from a second generator, seeded seed + 1).
  const rng = mulberry32(p.seed);
  const order = Array.from({ length: targets.length }, (_, r) => r);
  shuffle(order, rng);
  const nVal = Math.max(2, Math.floor(targets.length / 10));
  const val = order.slice(0, nVal);
  const train = order.slice(nVal);

  const meanY = new Float64Array(f);
  for (const r of train) for (let a = 0; a < f; a++) meanY[a] += Y[r * f + a] / train.length;
  const reviewColumns = enc.reviewDim === undefined ? undefined : { start: enc.imageDim + 1 + enc.textDim + 1, width: enc.reviewDim + 1, rng: mulberry32(p.seed + 1) };
  const net = new ContentMlp(d, h, f, meanY, rng, reviewColumns);
  const adam = new AdamStep(net.weights, p);
  const e = new Float64Array(f);
  const ge = new Float64Array(f);

  const rowLoss = (r: number): number => {
    net.forward(X, r * d);
    for (let k = 0; k < f; k++) e[k] = net.yhat[k] - Y[r * f + k];
    return metricLoss(G, f, e, ge);
  };
  const meanLoss = (rows: readonly number[]): number => rows.reduce((s, r) => s + rowLoss(r), 0) / rows.length;
  const baselineLoss = val.reduce((s, r) => {
    for (let k = 0; k < f; k++) e[k] = meanY[k] - Y[r * f + k];
    return s + metricLoss(G, f, e, ge);
  }, 0) / val.length;

  const epochs = Math.max(1, Math.min(p.epochs, Math.ceil(p.maxSamplePasses / Math.max(1, train.length))));
  let best = { loss: meanLoss(val), weights: net.weights.map((a) => Float64Array.from(a)), epoch: 0 };
  let trainLoss = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle(train, rng);
    trainLoss = 0;
    for (let s0 = 0; s0 < train.length; s0 += p.batch) {
      const batch = train.slice(s0, s0 + p.batch);
      for (const a of net.grads) a.fill(0);
      for (const r of batch) {
        trainLoss += rowLoss(r);
        net.backward(X, r * d, ge);
      }
      adam.apply(net.grads, batch.length);
    }
    const valLoss = meanLoss(val);
    if (valLoss < best.loss) best = { loss: valLoss, weights: net.weights.map((a) => Float64Array.from(a)), epoch };
  }
  const facts = {
    items: targets.length,
    heldAside: val.length,
    epochs,
    bestEpoch: best.epoch,
    trainLoss: Number((trainLoss / Math.max(1, train.length)).toPrecision(5)),
    heldAsideLoss: Number(best.loss.toPrecision(5)),
    meanFactorLoss: Number(baselineLoss.toPrecision(5)),
  };
  return packModel(enc, { d, h, f }, best.weights, p, facts);
}

/** The model as stored: the encoding, the best weights rounded to float32, how it was trained. */
function packModel(
  enc: ContentEncoding,
  shape: { d: number; h: number; f: number },
  weights: readonly Float64Array[],
  p: ContentTrainParams,
  facts: Omit<ContentModel['training'], 'seed' | 'objective'>,
): ContentModel {
  const [bW1, bb1, bW2, bb2] = weights;
  return {
    kind: 'content-to-factor-mlp',
    ...enc,
    inputDim: shape.d,
    hidden: shape.h,
    factors: shape.f,
    W1: Array.from(bW1, (x) => Math.fround(x)),
    b1: Array.from(bb1, (x) => Math.fround(x)),
    W2: Array.from(bW2, (x) => Math.fround(x)),
    b2: Array.from(bb2, (x) => Math.fround(x)),
    blendInteractions: p.blendInteractions,
    training: { ...facts, seed: p.seed, objective: 'score-space MSE ½(ŷ−y)ᵀ(UᵀU/|U|)(ŷ−y)' },
  };
}

/**
 * Blends predicted factors into the ALS factors of items with few interactions (in place):
 * y ← (c·y + k·ŷ) / (c + k), c the item's interactions, k `blendInteractions`; items with no
 * interactions take ŷ. Returns how many rows changed.
 */
export function blendFewInteractionFactors(model: ContentModel, items: readonly ContentInput[], itemFactors: Float32Array, interactionCount: ArrayLike<number>): number {
  const f = model.factors;
  const k = model.blendInteractions;
  const rows = items.map((_, i) => i).filter((i) => interactionCount[i] < k);
  if (rows.length === 0) return 0;
  const pred = forwardContent(model, encodeContent(model, rows.map((i) => items[i])), rows.length);
  rows.forEach((i, r) => {
    const c = interactionCount[i];
    for (let a = 0; a < f; a++) itemFactors[i * f + a] = (c * itemFactors[i * f + a] + k * pred[r * f + a]) / (c + k);
  });
  return rows.length;
}

/** The reviews' part of the content: each product's mean review-text embedding, and the block's fixed width. */
export interface ReviewContent {
  /** productId → mean text embedding of its reviews (core/content/review-text.ts). */
  means: ReadonlyMap<string, ArrayLike<number>>;
  /** The review text embedder's dimension: the block's width. */
  dim: number;
  /** The embedder's version, recorded in the training facts. */
  embedder: string;
}

/**
 * The retrain's step: trains on the version's final factors and blends the prediction into the
 * factors of its few-interaction items (in place). Undefined when too few items qualify.
 */
export function fitContentToFactor(
  products: readonly Product[],
  als: { itemFactors: Float32Array; userFactors: Float32Array; factors: number },
  interactionCount: ArrayLike<number>,
  params: Partial<ContentTrainParams> = {},
  reviews?: ReviewContent,
): ContentModel | undefined {
  if (als.itemFactors.length !== products.length * als.factors) return undefined;
  const items = products.map((p): ContentInput => ({ ...productContent(p), reviews: reviews?.means.get(p.id) }));
  const model = trainContentModel({ items, itemFactors: als.itemFactors, factors: als.factors, interactionCount, userFactors: als.userFactors, reviewDim: reviews?.dim }, params);
  if (!model) return undefined;
  model.training.blendedItems = blendFewInteractionFactors(model, items, als.itemFactors, interactionCount);
  if (reviews) {
    model.training.reviewedItems = products.filter((p) => reviews.means.has(p.id)).length;
    model.training.reviewTextEmbedder = reviews.embedder;
  }
  return model;
}
