/**
 * The image VAE, trained in TypeScript (the twin of models/pipeline/train_vae.py, without a
 * Python toolchain): Kingma & Welling, "Auto-Encoding Variational Bayes" (2014), with the β
 * weighting of Higgins et al., "β-VAE" (2017), on backbone features (1280 floats per image).
 *
 *   encoder  x → h = relu(W1 x + b1) → μ = Wμ h + bμ,  log σ² = Wv h + bv
 *   sample   z = μ + exp(log σ² / 2) · ε,  ε ~ N(0, I)          (reparameterisation)
 *   decoder  z → relu(W3 z + b3) → x̂ = W4 · + b4
 *   loss     per-dim MSE ‖x̂ − x‖² / dim + β · KL / dim,  KL = −½ Σ (1 + log σ² − μ² − σ²)
 *
 * Inputs are centred on the training rows' mean and divided by one global scale (the RMS of the
 * centred training features), as the Python pipeline does; that normalisation travels with the
 * encoder (functions/adapters/onnx-vae-encoder.ts puts it inside the ONNX graph). Plain seeded
 * mini-batch Adam (mulberry32), so equal inputs and seed give equal weights. Initialisation as
 * PyTorch's `Linear` (U(±1/√fan_in)).
 */
import { gaussian, mulberry32, shuffle } from '../numeric/prng.js';

/*
 * The loops of this module run on Float64Array only. The shared kernels (numeric/kernels.ts) take
 * any ArrayLike and are called with several array types across a process, which makes their element
 * access polymorphic: measured 65 M multiply-adds/s here against ~1 G with these monomorphic twins.
 * `axpy` is kernels.ts's loop; `dot` sums as its `dotUnrolled`.
 */
function dot(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number, init = 0): number {
  // Four accumulators, as kernels.ts's dotUnrolled (instruction-level parallelism on 1280-long rows).
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < n; k++) s0 += a[ao + k] * b[bo + k];
  return init + (s0 + s1 + s2 + s3);
}
function axpy(alpha: number, x: Float64Array, xo: number, y: Float64Array, yo: number, n: number): void {
  for (let k = 0; k < n; k++) y[yo + k] += alpha * x[xo + k];
}

export interface VaeParams {
  latent: number;
  hidden: number;
  beta: number;
  epochs: number;
  batch: number;
  learningRate: number;
  seed: number;
  /** Share of rows held out (seeded) for the reported figures; never trained on. */
  holdout: number;
}

/** The settings the committed `vae_encoder.onnx` was built with (models/README.md). */
export const DEFAULT_VAE_PARAMS: VaeParams = { latent: 32, hidden: 256, beta: 0.05, epochs: 100, batch: 64, learningRate: 1e-3, seed: 42, holdout: 0.2 };

/** Weights of the whole VAE; matrices row-major, `out × in`. */
export interface VaeNet {
  dim: number;
  hidden: number;
  latent: number;
  W1: Float64Array; b1: Float64Array;
  Wm: Float64Array; bm: Float64Array;
  Wv: Float64Array; bv: Float64Array;
  W3: Float64Array; b3: Float64Array;
  W4: Float64Array; b4: Float64Array;
}

/** What serving needs: raw features → μ. */
export interface VaeEncoder {
  dim: number;
  hidden: number;
  latent: number;
  /** Subtracted from, then divided into, the raw features (one scale repeated per dimension). */
  mean: Float32Array;
  scale: Float32Array;
  W1: Float32Array; b1: Float32Array;
  Wm: Float32Array; bm: Float32Array;
}

export interface VaeFigures {
  rows: number;
  train_rows: number;
  holdout_rows: number;
  /** Mean squared error per normalised feature dimension, decoding z = μ. */
  reconstruction_mse_train: number;
  reconstruction_mse_holdout: number;
  /** KL(q(z|x) ‖ N(0, I)) per row, summed over the latent dimensions. */
  kl_train: number;
  kl_holdout: number;
}

export interface VaeTrainResult {
  encoder: VaeEncoder;
  figures: VaeFigures;
  params: VaeParams;
  /** Row indices held out (sorted). */
  holdoutRows: number[];
}

const WEIGHTS = ['W1', 'b1', 'Wm', 'bm', 'Wv', 'bv', 'W3', 'b3', 'W4', 'b4'] as const;
type WeightName = (typeof WEIGHTS)[number];

function initNet(dim: number, hidden: number, latent: number, seed: number): VaeNet {
  const rng = mulberry32(seed);
  const layer = (out: number, inp: number): [Float64Array, Float64Array] => {
    const bound = 1 / Math.sqrt(inp);
    const u = () => (2 * rng() - 1) * bound;
    return [Float64Array.from({ length: out * inp }, u), Float64Array.from({ length: out }, u)];
  };
  const [W1, b1] = layer(hidden, dim);
  const [Wm, bm] = layer(latent, hidden);
  const [Wv, bv] = layer(latent, hidden);
  const [W3, b3] = layer(hidden, latent);
  const [W4, b4] = layer(dim, hidden);
  return { dim, hidden, latent, W1, b1, Wm, bm, Wv, bv, W3, b3, W4, b4 };
}

/** Gradient buffers shaped like the net's weights. */
export type VaeGrads = Record<WeightName, Float64Array>;

export function zeroGrads(net: VaeNet): VaeGrads {
  return Object.fromEntries(WEIGHTS.map((k) => [k, new Float64Array(net[k].length)])) as VaeGrads;
}

/** Scratch space of one row's pass. */
interface Scratch {
  h1: Float64Array; mu: Float64Array; lv: Float64Array; z: Float64Array; h2: Float64Array; dxr: Float64Array;
  dh2: Float64Array; dz: Float64Array; dmu: Float64Array; dlv: Float64Array; dh1: Float64Array;
}

function scratch(net: VaeNet): Scratch {
  const { dim, hidden: H, latent: L } = net;
  const f = (n: number) => new Float64Array(n);
  return { h1: f(H), mu: f(L), lv: f(L), z: f(L), h2: f(H), dxr: f(dim), dh2: f(H), dz: f(L), dmu: f(L), dlv: f(L), dh1: f(H) };
}

/**
 * One row: forward pass, its reconstruction MSE (per dim) and KL; with `grads`, adds `weight` ×
 * the gradient of `mse + beta·KL/dim` to them. `eps` (latent values) samples z; without it z = μ.
 */
function rowPass(net: VaeNet, x: Float64Array, xo: number, eps: Float64Array | undefined, eo: number, s: Scratch, beta: number, grads?: VaeGrads, weight = 1): { mse: number; kl: number } {
  const { dim, hidden: H, latent: L } = net;
  for (let h = 0; h < H; h++) {
    const a = dot(net.W1, h * dim, x, xo, dim, net.b1[h]);
    s.h1[h] = a > 0 ? a : 0;
  }
  let kl = 0;
  for (let l = 0; l < L; l++) {
    s.mu[l] = dot(net.Wm, l * H, s.h1, 0, H, net.bm[l]);
    s.lv[l] = dot(net.Wv, l * H, s.h1, 0, H, net.bv[l]);
    s.z[l] = eps ? s.mu[l] + Math.exp(0.5 * s.lv[l]) * eps[eo + l] : s.mu[l];
    kl += -0.5 * (1 + s.lv[l] - s.mu[l] * s.mu[l] - Math.exp(s.lv[l]));
  }
  for (let h = 0; h < H; h++) {
    const a = dot(net.W3, h * L, s.z, 0, L, net.b3[h]);
    s.h2[h] = a > 0 ? a : 0;
  }
  let sq = 0;
  for (let i = 0; i < dim; i++) {
    const d = dot(net.W4, i * H, s.h2, 0, H, net.b4[i]) - x[xo + i];
    s.dxr[i] = d;
    sq += d * d;
  }
  const mse = sq / dim;
  if (!grads) return { mse, kl };

  const c = (2 / dim) * weight;
  s.dh2.fill(0);
  for (let i = 0; i < dim; i++) {
    const g = c * s.dxr[i];
    grads.b4[i] += g;
    axpy(g, s.h2, 0, grads.W4, i * H, H);
    axpy(g, net.W4, i * H, s.dh2, 0, H);
  }
  s.dz.fill(0);
  for (let h = 0; h < H; h++) {
    if (s.h2[h] <= 0) continue;
    const g = s.dh2[h];
    grads.b3[h] += g;
    axpy(g, s.z, 0, grads.W3, h * L, L);
    axpy(g, net.W3, h * L, s.dz, 0, L);
  }
  const k = (beta / dim) * weight;
  s.dh1.fill(0);
  for (let l = 0; l < L; l++) {
    const sigma = Math.exp(0.5 * s.lv[l]);
    const dmu = s.dz[l] + k * s.mu[l];
    const dlv = (eps ? s.dz[l] * eps[eo + l] * 0.5 * sigma : 0) + k * 0.5 * (sigma * sigma - 1);
    grads.bm[l] += dmu;
    grads.bv[l] += dlv;
    axpy(dmu, s.h1, 0, grads.Wm, l * H, H);
    axpy(dlv, s.h1, 0, grads.Wv, l * H, H);
    axpy(dmu, net.Wm, l * H, s.dh1, 0, H);
    axpy(dlv, net.Wv, l * H, s.dh1, 0, H);
  }
  for (let h = 0; h < H; h++) {
    if (s.h1[h] <= 0) continue;
    const g = s.dh1[h];
    grads.b1[h] += g;
    axpy(g, x, xo, grads.W1, h * dim, dim);
  }
  return { mse, kl };
}

/**
 * Mean loss `mse + beta·KL/dim` over `rows` normalised rows (row-major `x`), and with `grads` its
 * gradient added in. Exposed for the finite-difference check of the backward pass.
 */
export function vaeLoss(net: VaeNet, x: Float64Array, rows: readonly number[], beta: number, eps?: Float64Array, grads?: VaeGrads): { loss: number; mse: number; kl: number } {
  const s = scratch(net);
  let mse = 0;
  let kl = 0;
  rows.forEach((r, j) => {
    const out = rowPass(net, x, r * net.dim, eps, j * net.latent, s, beta, grads, 1 / rows.length);
    mse += out.mse;
    kl += out.kl;
  });
  mse /= rows.length || 1;
  kl /= rows.length || 1;
  return { loss: mse + (beta * kl) / net.dim, mse, kl };
}

/** A fresh net for {@link vaeLoss} (tests); training makes its own from the seed. */
export function createVaeNet(dim: number, hidden: number, latent: number, seed: number): VaeNet {
  return initNet(dim, hidden, latent, seed);
}

class Adam {
  private readonly m: VaeGrads;
  private readonly v: VaeGrads;
  private t = 0;
  constructor(private readonly net: VaeNet, private readonly lr: number) {
    this.m = zeroGrads(net);
    this.v = zeroGrads(net);
  }
  step(g: VaeGrads): void {
    this.t++;
    const lrT = (this.lr * Math.sqrt(1 - 0.999 ** this.t)) / (1 - 0.9 ** this.t);
    for (const k of WEIGHTS) {
      const w = this.net[k];
      const gk = g[k];
      const mk = this.m[k];
      const vk = this.v[k];
      for (let q = 0; q < w.length; q++) {
        mk[q] = 0.9 * mk[q] + 0.1 * gk[q];
        vk[q] = 0.999 * vk[q] + 0.001 * gk[q] * gk[q];
        w[q] -= (lrT * mk[q]) / (Math.sqrt(vk[q]) + 1e-8);
      }
      gk.fill(0);
    }
  }
}

export interface EpochReport {
  epoch: number;
  epochs: number;
  /** The epoch the figures below were computed at (every `reportEvery` epochs, and the last). */
  figuresEpoch: number;
  /** Figures (z = μ); hold-out figures are NaN without held-out rows. */
  reconTrain: number;
  reconHoldout: number;
  klTrain: number;
  klHoldout: number;
}

/**
 * Trains the VAE on `rows` feature vectors (row-major `features`, `dim` floats each).
 * `onEpoch` is called after every epoch; the figures are recomputed every `reportEvery` epochs and at the last
 * (a pass over every row: about a third of an epoch's work).
 * @throws RangeError for fewer than 10 rows, a bad parameter, or non-finite features.
 */
export function trainVae(
  features: Float32Array,
  rows: number,
  dim: number,
  params: Partial<VaeParams> = {},
  onEpoch?: (r: EpochReport) => void,
  reportEvery = 1,
): VaeTrainResult {
  const p = { ...DEFAULT_VAE_PARAMS, ...params };
  if (rows < 10) throw new RangeError(`a VAE needs at least 10 feature rows, got ${rows}`);
  if (features.length !== rows * dim) throw new RangeError(`features hold ${features.length} values, not ${rows} × ${dim}`);
  for (const [name, v, min] of [['latent', p.latent, 1], ['hidden', p.hidden, 1], ['epochs', p.epochs, 1], ['batch', p.batch, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
  if (!(p.holdout >= 0 && p.holdout < 1)) throw new RangeError(`holdout must be in [0, 1), got ${p.holdout}`);
  if (!(p.beta >= 0) || !(p.learningRate > 0)) throw new RangeError('beta must be ≥ 0 and the learning rate > 0');
  if (!features.every(Number.isFinite)) throw new RangeError('features contain NaN or infinite values');

  const rng = mulberry32(p.seed ^ 0x9e3779b9);
  const order = Array.from({ length: rows }, (_, i) => i);
  shuffle(order, rng);
  const nHold = Math.round(p.holdout * rows);
  const holdout = order.slice(0, nHold).sort((a, b) => a - b);
  const train = order.slice(nHold).sort((a, b) => a - b);

  const mean = new Float64Array(dim);
  for (const r of train) for (let i = 0; i < dim; i++) mean[i] += features[r * dim + i];
  for (let i = 0; i < dim; i++) mean[i] /= train.length;
  let sq = 0;
  for (const r of train) for (let i = 0; i < dim; i++) sq += (features[r * dim + i] - mean[i]) ** 2;
  // One global scale for every dimension: per-dimension standardisation inflates near-constant
  // channels and cost neighbours on the catalog (models/README.md › Tuning).
  const scale = Math.sqrt(sq / (train.length * dim)) || 1;
  const x = new Float64Array(rows * dim);
  for (let r = 0; r < rows; r++) for (let i = 0; i < dim; i++) x[r * dim + i] = (features[r * dim + i] - mean[i]) / scale;

  const net = initNet(dim, p.hidden, p.latent, p.seed);
  const grads = zeroGrads(net);
  const adam = new Adam(net, p.learningRate);
  const s = scratch(net);
  const eps = new Float64Array(p.latent);
  const figures = () => {
    const t = vaeLoss(net, x, train, p.beta);
    const h = holdout.length > 0 ? vaeLoss(net, x, holdout, p.beta) : { mse: NaN, kl: NaN };
    return { reconTrain: t.mse, klTrain: t.kl, reconHoldout: h.mse, klHoldout: h.kl };
  };
  let last = figures();
  let lastAt = 0;
  for (let epoch = 1; epoch <= p.epochs; epoch++) {
    const perm = train.slice();
    shuffle(perm, rng);
    for (let start = 0; start < perm.length; start += p.batch) {
      const batch = perm.slice(start, start + p.batch);
      for (const r of batch) {
        for (let l = 0; l < p.latent; l++) eps[l] = gaussian(rng);
        rowPass(net, x, r * dim, eps, 0, s, p.beta, grads, 1 / batch.length);
      }
      adam.step(grads);
    }
    if (epoch % reportEvery === 0 || epoch === p.epochs) {
      last = figures();
      lastAt = epoch;
    }
    onEpoch?.({ epoch, epochs: p.epochs, figuresEpoch: lastAt, ...last });
  }
  if (![last.reconTrain, last.klTrain].every(Number.isFinite)) throw new RangeError('training diverged (non-finite loss); try a smaller learning rate');

  const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
  const round = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(6)) : NaN);
  return {
    encoder: { dim, hidden: p.hidden, latent: p.latent, mean: f32(mean), scale: new Float32Array(dim).fill(scale), W1: f32(net.W1), b1: f32(net.b1), Wm: f32(net.Wm), bm: f32(net.bm) },
    figures: {
      rows,
      train_rows: train.length,
      holdout_rows: holdout.length,
      reconstruction_mse_train: round(last.reconTrain),
      reconstruction_mse_holdout: round(last.reconHoldout),
      kl_train: round(last.klTrain),
      kl_holdout: round(last.klHoldout),
    },
    params: p,
    holdoutRows: holdout,
  };
}

/** μ of raw feature rows through the encoder, in TypeScript (the reference the ONNX export is checked against). */
export function encodeMu(e: VaeEncoder, features: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(rows * e.latent);
  const W1 = Float64Array.from(e.W1);
  const Wm = Float64Array.from(e.Wm);
  const xn = new Float64Array(e.dim);
  const h1 = new Float64Array(e.hidden);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < e.dim; i++) xn[i] = (features[r * e.dim + i] - e.mean[i]) / e.scale[i];
    for (let h = 0; h < e.hidden; h++) {
      const a = dot(W1, h * e.dim, xn, 0, e.dim, e.b1[h]);
      h1[h] = a > 0 ? a : 0;
    }
    for (let l = 0; l < e.latent; l++) out[r * e.latent + l] = dot(Wm, l * e.hidden, h1, 0, e.hidden, e.bm[l]);
  }
  return out;
}
