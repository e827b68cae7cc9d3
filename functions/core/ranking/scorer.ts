/**
 * The second-stage scorer (an MLP regressor / level-2 classifier): a small
 * multilayer perceptron  s(x) = σ(w₂ᵀ relu(W₁ x̂ + b₁) + b₂)  over standardised features
 * x̂ = (x − μ)/σ, or logistic regression when `hidden` = 0 (s = σ(wᵀx̂ + b)). Only Gemm, Relu and
 * Sigmoid, so it exports to ONNX as is (the adapter folds μ, σ into W₁).
 *
 * Training lives in training/train-scorer.ts; this file is what serving needs.
 */
/** A trained scorer: plain numbers, JSON-serialisable (`scorer.json` beside `scorer.onnx`). */
export interface ScorerModel {
  featureNames: string[];
  layoutVersion: number;
  hidden: number;
  mean: number[];
  std: number[];
  /** hidden > 0: W1 [hidden × F] row-major, b1 [hidden], w2 [hidden], b2. hidden = 0: w2 [F], b2. */
  W1: number[];
  b1: number[];
  w2: number[];
  b2: number;
}

/** Forward pass for one row (the TS reference the ONNX export is tested against): the logit z. */
export function scorerLogit(m: ScorerModel, x: ArrayLike<number>, offset = 0): number {
  const F = m.mean.length;
  if (m.hidden === 0) {
    let z = m.b2;
    for (let d = 0; d < F; d++) z += m.w2[d] * ((x[offset + d] - m.mean[d]) / m.std[d]);
    return z;
  }
  let z = m.b2;
  for (let j = 0; j < m.hidden; j++) {
    let h = m.b1[j];
    for (let d = 0; d < F; d++) h += m.W1[j * F + d] * ((x[offset + d] - m.mean[d]) / m.std[d]);
    if (h > 0) z += m.w2[j] * h;
  }
  return z;
}

/** σ(z) for every row of a rows × F matrix: what `scorer.onnx` returns. */
export function scoreRows(m: ScorerModel, x: Float32Array): Float32Array {
  const F = m.mean.length;
  const n = x.length / F;
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) out[r] = 1 / (1 + Math.exp(-scorerLogit(m, x, r * F)));
  return out;
}

/**
 * The weights of the exported graph with standardisation folded in: x̂ = (x−μ)/σ ⇒
 * W₁x̂ + b₁ = (W₁/σ)x + (b₁ − W₁(μ/σ)). Returned as Gemm operands: A [rows, F] · Bᵀ with
 * B = W1f [H, F] (transB = 1). For logistic regression H = 0: one Gemm [F → 1].
 */
export function foldedWeights(m: ScorerModel): { W1: Float32Array; b1: Float32Array; W2: Float32Array; b2: Float32Array; hidden: number; F: number } {
  const F = m.mean.length;
  if (m.hidden === 0) {
    const W2 = new Float32Array(F);
    let b = m.b2;
    for (let d = 0; d < F; d++) {
      W2[d] = m.w2[d] / m.std[d];
      b -= (m.w2[d] * m.mean[d]) / m.std[d];
    }
    return { W1: new Float32Array(0), b1: new Float32Array(0), W2, b2: Float32Array.of(b), hidden: 0, F };
  }
  const W1 = new Float32Array(m.hidden * F);
  const b1 = new Float32Array(m.hidden);
  for (let j = 0; j < m.hidden; j++) {
    let b = m.b1[j];
    for (let d = 0; d < F; d++) {
      W1[j * F + d] = m.W1[j * F + d] / m.std[d];
      b -= (m.W1[j * F + d] * m.mean[d]) / m.std[d];
    }
    b1[j] = b;
  }
  return { W1, b1, W2: Float32Array.from(m.w2), b2: Float32Array.of(m.b2), hidden: m.hidden, F };
}
