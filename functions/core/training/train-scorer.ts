/**
 * Training of the second-stage scorer (see ranking/scorer.ts for the model):
 * Training is pairwise (RankNet, Burges et al. 2005, "Learning to Rank using Gradient Descent"):
 * within each user's candidate group, for sampled (positive p, negative n) pairs, minimise
 * log(1 + exp(−(z_p − z_n))) with Adam (Kingma & Ba 2015), seeded: same rows + seed → same bytes.
 * Pairwise loss optimises the order inside a user's list, which is what NDCG measures; the
 * sigmoid output is a monotone transform of z and keeps the ONNX contract float32[N,1] in (0, 1).
 */
import { mulberry32, gaussian, shuffle } from '../numeric/prng.js';
import type { ScorerModel } from '../ranking/scorer.js';
import { dot } from '../numeric/kernels.js';

export interface ScorerParams {
  /** Hidden units; 0 = logistic regression. */
  hidden: number;
  epochs: number;
  learningRate: number;
  /** L2 weight decay on weights (not biases). */
  l2: number;
  /** Sampled negatives per positive per epoch. */
  negativesPerPositive: number;
  seed: number;
}

/**
 * Defaults chosen on a validation carve of MovieLens-100K training rows (docs/tuning.md › Two-stage
 * engine): the pairwise logistic ranker (hidden 0) beat ALS order there; 16- and 32-unit MLPs overfit.
 */
export const DEFAULT_SCORER_PARAMS: ScorerParams = { hidden: 0, epochs: 40, learningRate: 0.005, l2: 1e-5, negativesPerPositive: 8, seed: 42 };

/** Training rows grouped per user: `x` is rows × F, `label` 1/0, `group` ends (exclusive) of each user's rows. */
export interface ScorerDataset {
  x: Float32Array;
  label: Uint8Array;
  groupEnds: number[];
  featureCount: number;
}

/** Standardisation of the rows: mean and std per feature (std floored so constant features stay finite). */
function standardize(data: ScorerDataset): { mean: Float64Array; std: number[]; constant: boolean[]; xs: Float32Array } {
  const F = data.featureCount;
  const n = data.label.length;
  const mean = new Float64Array(F);
  const sq = new Float64Array(F);
  for (let r = 0; r < n; r++) for (let d = 0; d < F; d++) mean[d] += data.x[r * F + d];
  for (let d = 0; d < F; d++) mean[d] /= Math.max(1, n);
  for (let r = 0; r < n; r++) for (let d = 0; d < F; d++) sq[d] += (data.x[r * F + d] - mean[d]) ** 2;
  // A feature constant in training (e.g. a candidate source the training window never produces)
  // carries no signal: std 1 and a zero weight, so a different value at serving cannot blow up x̂.
  const constant = Array.from(sq, (s) => !(s / Math.max(1, n) > 1e-12));
  const std = Array.from(sq, (s, d) => (constant[d] ? 1 : Math.max(1e-6, Math.sqrt(s / Math.max(1, n)))));
  const xs = new Float32Array(n * F);
  for (let r = 0; r < n; r++) for (let d = 0; d < F; d++) xs[r * F + d] = (data.x[r * F + d] - mean[d]) / std[d];
  return { mean, std, constant, xs };
}

/** Positive and negative rows of every group that has both. */
function rankingGroups(data: ScorerDataset): { pos: number[]; neg: number[] }[] {
  const groups: { pos: number[]; neg: number[] }[] = [];
  let start = 0;
  for (const end of data.groupEnds) {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let r = start; r < end; r++) (data.label[r] ? pos : neg).push(r);
    if (pos.length && neg.length) groups.push({ pos, neg });
    start = end;
  }
  return groups;
}

/**
 * The scorer's parameters as one vector for Adam, `[W1 (H×F), b1 (H), w2 (H or F), b2]`, drawn
 * from `rng` (He for W1, small for w2), with its forward pass and gradient over standardised rows.
 */
class ScorerNet {
  readonly theta: Float64Array;
  readonly grad: Float64Array;
  readonly nW1: number;
  readonly nW2: number;
  readonly oB1: number;
  readonly oW2: number;
  readonly oB2: number;

  constructor(
    private readonly F: number,
    private readonly H: number,
    private readonly xs: Float32Array,
    rng: () => number,
  ) {
    const hid = Math.max(H, 1);
    this.nW1 = H * F;
    this.nW2 = H > 0 ? H : F;
    const size = this.nW1 + H + this.nW2 + 1;
    this.theta = new Float64Array(size);
    this.grad = new Float64Array(size);
    const he = Math.sqrt(2 / F);
    for (let k = 0; k < this.nW1; k++) this.theta[k] = gaussian(rng) * he;
    for (let k = 0; k < this.nW2; k++) this.theta[this.nW1 + H + k] = gaussian(rng) * Math.sqrt(1 / hid) * 0.1;
    this.oB1 = this.nW1;
    this.oW2 = this.nW1 + H;
    this.oB2 = size - 1;
  }

  /** The score of `row` before the sigmoid; the hidden activations go to `act`. */
  forward(row: number, act: Float64Array): number {
    const { F, H, theta, xs, oB1, oW2, oB2 } = this;
    const o = row * F;
    if (H === 0) {
      return dot(theta, oW2, xs, o, F, theta[oB2]);
    }
    let z = theta[oB2];
    for (let j = 0; j < H; j++) {
      const a = dot(theta, j * F, xs, o, F, theta[oB1 + j]);
      act[j] = a > 0 ? a : 0;
      z += theta[oW2 + j] * act[j];
    }
    return z;
  }

  /** Adds `g` · d(score of `row`)/dθ into `grad`. */
  backward(row: number, act: Float64Array, g: number): void {
    const { F, H, theta, xs, grad, oB1, oW2, oB2 } = this;
    const o = row * F;
    grad[oB2] += g;
    if (H === 0) {
      for (let d = 0; d < F; d++) grad[oW2 + d] += g * xs[o + d];
      return;
    }
    for (let j = 0; j < H; j++) {
      grad[oW2 + j] += g * act[j];
      if (act[j] > 0) {
        const gj = g * theta[oW2 + j];
        grad[oB1 + j] += gj;
        for (let d = 0; d < F; d++) grad[j * F + d] += gj * xs[o + d];
      }
    }
  }

  /** Whether parameter k is a weight (L2 applies) rather than a bias. */
  isWeight(k: number): boolean {
    return k < this.nW1 || (k >= this.oW2 && k < this.oB2);
  }
}

/** Sampled (positive, negative) row pairs of one epoch, flattened: `negativesPerPositive` per positive. */
function samplePairs(groups: readonly { pos: number[]; neg: number[] }[], negativesPerPositive: number, rng: () => number, pairs: number[]): void {
  pairs.length = 0;
  for (const g of groups) {
    for (const a of g.pos) {
      for (let s = 0; s < negativesPerPositive; s++) pairs.push(a, g.neg[Math.floor(rng() * g.neg.length)]);
    }
  }
}

/** Trains the scorer on grouped rows; groups without both a positive and a negative are skipped. */
export function trainScorer(data: ScorerDataset, featureNames: readonly string[], layoutVersion: number, params: Partial<ScorerParams> = {}): ScorerModel {
  const p = { ...DEFAULT_SCORER_PARAMS, ...params };
  const F = data.featureCount;
  const rng = mulberry32(p.seed);
  const { mean, std, constant, xs } = standardize(data);
  const H = p.hidden;
  const hid = Math.max(H, 1);
  const net = new ScorerNet(F, H, xs, rng);
  const { theta, grad, nW1, nW2, oB1, oW2, oB2 } = net;
  const size = theta.length;
  const groups = rankingGroups(data);

  const m1 = new Float64Array(size);
  const v1 = new Float64Array(size);
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  let t = 0;
  const h = new Float64Array(hid);
  const hn = new Float64Array(hid);
  const BATCH = 256;
  const pairs: number[] = [];
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    samplePairs(groups, p.negativesPerPositive, rng, pairs);
    const order = Int32Array.from({ length: pairs.length / 2 }, (_, k) => k);
    shuffle(order, rng);
    for (let b0 = 0; b0 < order.length; b0 += BATCH) {
      grad.fill(0);
      const b1e = Math.min(order.length, b0 + BATCH);
      for (let q = b0; q < b1e; q++) {
        const a = pairs[2 * order[q]];
        const c = pairs[2 * order[q] + 1];
        const za = net.forward(a, h);
        const zc = net.forward(c, hn);
        // d/dΔ log(1 + e^{−Δ}) = −σ(−Δ)
        const gd = -1 / (1 + Math.exp(za - zc));
        net.backward(a, h, gd / (b1e - b0));
        net.backward(c, hn, -gd / (b1e - b0));
      }
      t++;
      const lrT = (p.learningRate * Math.sqrt(1 - beta2 ** t)) / (1 - beta1 ** t);
      for (let k = 0; k < size; k++) {
        const gk = grad[k] + (net.isWeight(k) ? p.l2 * theta[k] : 0);
        m1[k] = beta1 * m1[k] + (1 - beta1) * gk;
        v1[k] = beta2 * v1[k] + (1 - beta2) * gk * gk;
        theta[k] -= (lrT * m1[k]) / (Math.sqrt(v1[k]) + eps);
      }
    }
  }
  for (const x of theta) if (!Number.isFinite(x)) throw new Error('scorer training diverged (non-finite weight)');
  for (let d = 0; d < F; d++) {
    if (!constant[d]) continue;
    if (H === 0) theta[oW2 + d] = 0;
    else for (let j = 0; j < H; j++) theta[j * F + d] = 0;
  }
  return {
    featureNames: [...featureNames],
    layoutVersion,
    hidden: H,
    mean: Array.from(mean),
    std,
    W1: Array.from(theta.subarray(0, nW1)),
    b1: Array.from(theta.subarray(oB1, oB1 + H)),
    w2: Array.from(theta.subarray(oW2, oW2 + nW2)),
    b2: theta[oB2],
  };
}

