/**
 * Implicit-feedback alternating least squares.
 *
 * Model (Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit Feedback Datasets"):
 *   minimise Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ (Σ_u ‖x_u‖² + Σ_i ‖y_i‖²)
 * with preference p_ui = 1[r_ui > 0] and confidence c_ui = 1 + α r_ui (or 1 + α log(1 + r_ui/ε)).
 * Fixing Y, each user's optimum is (eq. 4)  x_u = (YᵀY + Yᵀ(Cᵘ − I)Y + λI)⁻¹ Yᵀ Cᵘ p(u);
 * YᵀY is shared by every user, so only the user's nonzeros add work.
 *
 * The fast solver replaces the f×f solve by a few conjugate-gradient steps warm-started from the
 * previous x_u (Takács, Pilászy & Tikk 2011, "Applications of the conjugate gradient method for
 * implicit feedback collaborative filtering"), as benfred/implicit's `least_squares_cg` does: the
 * matrix–vector product A p = YᵀY p + Σ_{i∈I(u)} (c_ui − 1)(y_iᵀ p) y_i costs O(f² + n_u f) per step,
 * instead of O(f³ + n_u f²) for building and factorising A.
 */
import { transpose, type CsrMatrix } from '../numeric/sparse.js';
import { mulberry32 } from '../numeric/prng.js';
import { cholesky, choleskySolve, invertSpd } from '../numeric/linalg.js';

export interface AlsParams {
  factors: number;
  /** λ in the objective. */
  regularization: number;
  /** α in the confidence c = 1 + α r. */
  alpha: number;
  iterations: number;
  /** Conjugate-gradient steps per half-step and row (fast solver only). */
  cgSteps: number;
  seed: number;
  /** confidence scaling: 'linear' c=1+alpha*r, or 'log' c=1+alpha*log(1+r/epsilon) */
  confidence?: 'linear' | 'log';
  epsilon?: number;
  /**
   * Fast-solver row strategy. 'auto' (default): rows light enough are solved exactly via the
   * Woodbury identity when that is cheaper than CG, the rest by CG. 'cg': pure CG as in
   * benfred/implicit. 'woodbury': every row exactly via Woodbury (for tests; slow for heavy rows).
   */
  solver?: 'auto' | 'cg' | 'woodbury';
}

/**
 * Defaults chosen by `npm run tune` on a validation split carved from MovieLens-100K training
 * data and checked on Dunnhumby under a temporal split (docs/tuning.md).
 */
export const DEFAULT_ALS_PARAMS: AlsParams = {
  factors: 64,
  regularization: 50,
  alpha: 5,
  iterations: 15,
  cgSteps: 3,
  seed: 42,
  confidence: 'linear',
  epsilon: 1,
};

/** Factor matrices, row-major: user u's vector is userFactors[u*f .. (u+1)*f). */
export interface AlsModel {
  factors: number;
  nUsers: number;
  nItems: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
}

function resolve(params?: Partial<AlsParams>): AlsParams {
  const p = { ...DEFAULT_ALS_PARAMS, ...(params ?? {}) };
  if (!(p.factors >= 1) || !Number.isInteger(p.factors)) throw new RangeError(`factors must be a positive integer, got ${p.factors}`);
  if (!(p.regularization >= 0)) throw new RangeError(`regularization must be ≥ 0, got ${p.regularization}`);
  if (!(p.alpha >= 0)) throw new RangeError(`alpha must be ≥ 0, got ${p.alpha}`);
  if (!(p.iterations >= 0)) throw new RangeError(`iterations must be ≥ 0, got ${p.iterations}`);
  if (!(p.cgSteps >= 1)) throw new RangeError(`cgSteps must be ≥ 1, got ${p.cgSteps}`);
  return p;
}

/** Confidence c_ui for an observation strength r_ui (> 0). */
export function confidence(r: number, params: Pick<AlsParams, 'alpha' | 'confidence' | 'epsilon'>): number {
  if (params.confidence === 'log') return 1 + params.alpha * Math.log(1 + r / (params.epsilon ?? 1));
  return 1 + params.alpha * r;
}

/** Same sparsity as R with data replaced by c_ui (Float64: used as accumulation weights). */
function confidenceMatrix(R: CsrMatrix, params: AlsParams): { indptr: Int32Array; indices: Int32Array; c: Float64Array; nRows: number } {
  const c = new Float64Array(R.data.length);
  for (let k = 0; k < c.length; k++) c[k] = confidence(R.data[k], params);
  return { indptr: R.indptr, indices: R.indices, c, nRows: R.nRows };
}

/** Stored zeros mean p_ui = 0 (no preference), which is what an absent entry means: drop them. */
function dropZeros(R: CsrMatrix): CsrMatrix {
  let zeros = 0;
  for (let k = 0; k < R.data.length; k++) if (R.data[k] === 0) zeros++;
  if (zeros === 0) return R;
  const indptr = new Int32Array(R.nRows + 1);
  const indices = new Int32Array(R.data.length - zeros);
  const data = new Float32Array(R.data.length - zeros);
  let n = 0;
  for (let r = 0; r < R.nRows; r++) {
    for (let k = R.indptr[r]; k < R.indptr[r + 1]; k++) {
      if (R.data[k] === 0) continue;
      indices[n] = R.indices[k];
      data[n++] = R.data[k];
    }
    indptr[r + 1] = n;
  }
  return { nRows: R.nRows, nCols: R.nCols, indptr, indices, data };
}

/**
 * YᵀY (f×f, Float64) for a row-major n×f factor matrix. Rows are taken four at a time so each
 * pass over the lower triangle of G does four rank-1 updates (G stays in L1 cache).
 */
export function gramian(factors: Float32Array, n: number, f: number): Float64Array {
  const g = new Float64Array(f * f);
  const r0 = new Float64Array(f);
  const r1 = new Float64Array(f);
  const r2 = new Float64Array(f);
  const r3 = new Float64Array(f);
  let r = 0;
  for (; r + 3 < n; r += 4) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      r0[a] = factors[o + a];
      r1[a] = factors[o + f + a];
      r2[a] = factors[o + 2 * f + a];
      r3[a] = factors[o + 3 * f + a];
    }
    for (let a = 0; a < f; a++) {
      const v0 = r0[a];
      const v1 = r1[a];
      const v2 = r2[a];
      const v3 = r3[a];
      const ga = a * f;
      for (let b = 0; b <= a; b++) g[ga + b] += v0 * r0[b] + v1 * r1[b] + v2 * r2[b] + v3 * r3[b];
    }
  }
  for (; r < n; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const va = factors[o + a];
      const ga = a * f;
      for (let b = 0; b <= a; b++) g[ga + b] += va * factors[o + b];
    }
  }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) g[b * f + a] = g[a * f + b];
  return g;
}

/**
 * Seeded init: uniform [0, 1/√f). benfred/implicit starts at [0, 0.01); with the strong λ this
 * engine uses, such tiny factors are first pulled further toward 0 and the alternation spends
 * its first ~20 iterations growing them (MovieLens validation NDCG@10 after 15 iterations:
 * 0.2738 from 0.01, 0.2757 from 1/√f; from 0.01 it takes 40 iterations to reach 0.2761).
 * Starting at the scale of a fitted factor (‖x‖ ≈ 1) makes 15 iterations converged.
 */
function initFactors(n: number, f: number, rng: () => number): Float32Array {
  const out = new Float32Array(n * f);
  const scale = 1 / Math.sqrt(f);
  for (let k = 0; k < out.length; k++) out[k] = rng() * scale;
  return out;
}

/**
 * out = G v for a dense f×f Float64 matrix. Four output rows per pass share each v[b] load: on V8
 * this runs ~2× faster than the plain double loop (measured in bench/retrain.ts).
 */
function matVec(G: Float64Array, v: Float64Array, out: Float64Array, f: number): void {
  let a = 0;
  for (; a + 3 < f; a += 4) {
    const g0 = a * f;
    const g1 = g0 + f;
    const g2 = g1 + f;
    const g3 = g2 + f;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let b = 0; b < f; b++) {
      const vb = v[b];
      s0 += G[g0 + b] * vb;
      s1 += G[g1 + b] * vb;
      s2 += G[g2 + b] * vb;
      s3 += G[g3 + b] * vb;
    }
    out[a] = s0;
    out[a + 1] = s1;
    out[a + 2] = s2;
    out[a + 3] = s3;
  }
  for (; a < f; a++) {
    const ga = a * f;
    let s = 0;
    for (let b = 0; b < f; b++) s += G[ga + b] * v[b];
    out[a] = s;
  }
}

/** y_iᵀ v for row i of a row-major factor matrix (4 accumulators for instruction-level parallelism). */
function rowDot(Y: Float32Array, yo: number, v: Float64Array, f: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let a = 0;
  for (; a + 3 < f; a += 4) {
    s0 += Y[yo + a] * v[a];
    s1 += Y[yo + a + 1] * v[a + 1];
    s2 += Y[yo + a + 2] * v[a + 2];
    s3 += Y[yo + a + 3] * v[a + 3];
  }
  for (; a < f; a++) s0 += Y[yo + a] * v[a];
  return s0 + s1 + s2 + s3;
}

/** Dot product of two Float32 rows (4 accumulators). */
function dot32(A: Float32Array, ao: number, B: Float32Array, bo: number, f: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let a = 0;
  for (; a + 3 < f; a += 4) {
    s0 += A[ao + a] * B[bo + a];
    s1 += A[ao + a + 1] * B[bo + a + 1];
    s2 += A[ao + a + 2] * B[bo + a + 2];
    s3 += A[ao + a + 3] * B[bo + a + 3];
  }
  for (; a < f; a++) s0 += A[ao + a] * B[bo + a];
  return s0 + s1 + s2 + s3;
}

/** out += w · y_i */
function rowAxpy(Y: Float32Array, yo: number, w: number, out: Float64Array, f: number): void {
  let a = 0;
  for (; a + 3 < f; a += 4) {
    out[a] += w * Y[yo + a];
    out[a + 1] += w * Y[yo + a + 1];
    out[a + 2] += w * Y[yo + a + 2];
    out[a + 3] += w * Y[yo + a + 3];
  }
  for (; a < f; a++) out[a] += w * Y[yo + a];
}

/**
 * CG solve for one row (Takács et al. 2011, Alg. 2; benfred/implicit `_least_squares_cg`),
 * warm-started from X[xo..]: A = YᵀY + λI + Σ (c−1) y yᵀ, b = Σ c y. Kept as its own function
 * (called once per row) so V8 optimises it fully rather than via on-stack replacement.
 */
function cgRow(
  indices: Int32Array,
  c: Float64Array,
  start: number,
  end: number,
  X: Float32Array,
  xo: number,
  Y: Float32Array,
  f: number,
  YtYreg: Float64Array,
  cgSteps: number,
  x: Float64Array,
  r: Float64Array,
  p: Float64Array,
  ap: Float64Array,
): void {
  for (let a = 0; a < f; a++) x[a] = X[xo + a];
  // r = b − A x = −(YᵀY + λI) x + Σ_i [c − (c − 1) y_iᵀx] y_i
  matVec(YtYreg, x, r, f);
  for (let a = 0; a < f; a++) r[a] = -r[a];
  for (let k = start; k < end; k++) {
    const yo = indices[k] * f;
    const ck = c[k];
    rowAxpy(Y, yo, ck - (ck - 1) * rowDot(Y, yo, x, f), r, f);
  }
  let rsold = 0;
  for (let a = 0; a < f; a++) {
    p[a] = r[a];
    rsold += r[a] * r[a];
  }
  if (rsold < 1e-20) return;
  for (let step = 0; step < cgSteps; step++) {
    // Ap = (YᵀY + λI) p + Σ_i (c − 1)(y_iᵀ p) y_i
    matVec(YtYreg, p, ap, f);
    for (let k = start; k < end; k++) {
      const yo = indices[k] * f;
      const w = (c[k] - 1) * rowDot(Y, yo, p, f);
      if (w !== 0) rowAxpy(Y, yo, w, ap, f);
    }
    let pap = 0;
    for (let a = 0; a < f; a++) pap += p[a] * ap[a];
    if (!(pap > 0)) break;
    const alpha = rsold / pap;
    let rsnew = 0;
    for (let a = 0; a < f; a++) {
      x[a] += alpha * p[a];
      r[a] -= alpha * ap[a];
      rsnew += r[a] * r[a];
    }
    if (rsnew < 1e-20) break;
    const beta = rsnew / rsold;
    for (let a = 0; a < f; a++) p[a] = r[a] + beta * p[a];
    rsold = rsnew;
  }
  for (let a = 0; a < f; a++) X[xo + a] = x[a];
}

/**
 * Exact solve for a row with few nonzeros by the Woodbury identity. With G = YᵀY + λI,
 * u_i = √(c_i − 1) y_i and w_i = G⁻¹ y_i precomputed for every item:
 *   A⁻¹ b = z − W S (I + S Yᵤ G⁻¹ Yᵤᵀ S)⁻¹ S Yᵤ z,   z = G⁻¹ b = Σ c_i w_i,
 * an n_u × n_u system instead of f × f — O(n_u² f) per row. Exact, so it agrees with the
 * reference solver; used where it is cheaper than CG (light rows in power-law data).
 */
function woodburyRow(
  indices: Int32Array,
  c: Float64Array,
  start: number,
  end: number,
  X: Float32Array,
  xo: number,
  Y: Float32Array,
  W: Float32Array,
  f: number,
  z: Float64Array,
  M: Float64Array,
  t: Float64Array,
  sq: Float64Array,
): void {
  const n = end - start;
  z.fill(0);
  for (let k = start; k < end; k++) rowAxpy(W, indices[k] * f, c[k], z, f);
  for (let a = 0; a < n; a++) {
    const ck = c[start + a] - 1;
    sq[a] = ck > 0 ? Math.sqrt(ck) : 0;
  }
  for (let a = 0; a < n; a++) {
    const ya = indices[start + a] * f;
    t[a] = sq[a] * rowDot(Y, ya, z, f);
    for (let b = 0; b <= a; b++) {
      const v = sq[a] * sq[b] * dot32(Y, ya, W, indices[start + b] * f, f) + (a === b ? 1 : 0);
      M[a * n + b] = v;
      M[b * n + a] = v;
    }
  }
  cholesky(M, n);
  choleskySolve(M, n, t);
  for (let a = 0; a < n; a++) {
    const w = sq[a] * t[a];
    if (w !== 0) rowAxpy(W, indices[start + a] * f, -w, z, f);
  }
  for (let a = 0; a < f; a++) X[xo + a] = z[a];
}

/** Y G⁻¹ for all rows of Y (G symmetric), Float32 like the factors. */
function solveAllRows(Y: Float32Array, nY: number, f: number, Ginv: Float64Array): Float32Array {
  const W = new Float32Array(nY * f);
  const y = new Float64Array(f);
  const out = new Float64Array(f);
  for (let r = 0; r < nY; r++) {
    for (let a = 0; a < f; a++) y[a] = Y[r * f + a];
    matVec(Ginv, y, out, f);
    for (let a = 0; a < f; a++) W[r * f + a] = out[a];
  }
  return W;
}

/**
 * Row-count threshold under which a row is solved exactly by {@link woodburyRow} instead of CG,
 * and whether that pays for the nY·f² precomputation of W. Costs in multiply-adds.
 */
function woodburyPlan(indptr: Int32Array, nRows: number, nY: number, f: number, cgSteps: number): number {
  // CG row: (1 + s) f² for the Gram products + 2 (1 + s) n f for the nonzeros.
  const cgCost = (n: number) => (1 + cgSteps) * f * f + 2 * (1 + cgSteps) * n * f;
  // Woodbury row: n² f / 2 for M + 3 n f + n³ / 6.
  const woodCost = (n: number) => (n * n * f) / 2 + 3 * n * f + (n * n * n) / 6;
  let threshold = 0;
  while (threshold < 256 && woodCost(threshold + 1) <= cgCost(threshold + 1)) threshold++;
  let saved = 0;
  for (let r = 0; r < nRows; r++) {
    const n = indptr[r + 1] - indptr[r];
    if (n === 0 || n > threshold) continue;
    saved += cgCost(n) - woodCost(n);
  }
  return saved > nY * f * f + f * f * f ? threshold : 0;
}

/**
 * One fast half-step: every row of C updated given fixed Y. Light rows are solved exactly with
 * Woodbury when that is cheaper overall, the rest by warm-started CG. Rows without evidence get 0.
 */
function cgHalfStep(
  C: { indptr: Int32Array; indices: Int32Array; c: Float64Array; nRows: number },
  X: Float32Array,
  Y: Float32Array,
  f: number,
  YtYreg: Float64Array,
  cgSteps: number,
  solver: 'auto' | 'cg' | 'woodbury',
): void {
  const x = new Float64Array(f);
  const r = new Float64Array(f);
  const p = new Float64Array(f);
  const ap = new Float64Array(f);
  const { indptr, indices, c } = C;
  const nY = Y.length / f;
  let threshold = solver === 'auto' ? woodburyPlan(indptr, C.nRows, nY, f, cgSteps) : 0;
  if (solver === 'woodbury') for (let u = 0; u < C.nRows; u++) threshold = Math.max(threshold, indptr[u + 1] - indptr[u]);
  const W = threshold > 0 ? solveAllRows(Y, nY, f, invertSpd(YtYreg, f)) : new Float32Array(0);
  const M = new Float64Array(threshold * threshold);
  const t = new Float64Array(threshold);
  const sq = new Float64Array(threshold);
  for (let u = 0; u < C.nRows; u++) {
    const start = indptr[u];
    const end = indptr[u + 1];
    // No evidence: b = 0, so the optimum is exactly 0 (keeps cold rows at zero).
    if (start === end) X.fill(0, u * f, (u + 1) * f);
    else if (end - start <= threshold) woodburyRow(indices, c, start, end, X, u * f, Y, W, f, x, M, t, sq);
    else cgRow(indices, c, start, end, X, u * f, Y, f, YtYreg, cgSteps, x, r, p, ap);
  }
}

/**
 * Exact half-step (reference): builds A = YᵀY + λI + Σ (c−1) y yᵀ and b = Σ c y for each row and
 * solves by Cholesky (Hu et al. 2008 eq. 4 verbatim).
 */
function exactHalfStep(
  C: { indptr: Int32Array; indices: Int32Array; c: Float64Array; nRows: number },
  X: Float32Array,
  Y: Float32Array,
  f: number,
  YtYreg: Float64Array,
): void {
  const A = new Float64Array(f * f);
  const b = new Float64Array(f);
  for (let u = 0; u < C.nRows; u++) {
    solveRowExact(Y, f, C.indices, C.c, C.indptr[u], C.indptr[u + 1], YtYreg, A, b);
    for (let a = 0; a < f; a++) X[u * f + a] = b[a];
  }
}

/** Writes the exact solution for one row into `b` (A is scratch). `cs` holds c_ui. */
function solveRowExact(
  Y: Float32Array,
  f: number,
  idx: ArrayLike<number>,
  cs: ArrayLike<number>,
  start: number,
  end: number,
  YtYreg: Float64Array,
  A: Float64Array,
  b: Float64Array,
): void {
  A.set(YtYreg);
  b.fill(0);
  if (start === end) return;
  for (let k = start; k < end; k++) {
    const yo = idx[k] * f;
    const ck = cs[k];
    for (let a = 0; a < f; a++) {
      const ya = Y[yo + a];
      b[a] += ck * ya;
      const w = (ck - 1) * ya;
      if (w === 0) continue;
      const ga = a * f;
      for (let bb = 0; bb <= a; bb++) A[ga + bb] += w * Y[yo + bb];
    }
  }
  for (let a = 0; a < f; a++) for (let bb = 0; bb < a; bb++) A[bb * f + a] = A[a * f + bb];
  cholesky(A, f);
  choleskySolve(A, f, b);
}

function regularizedGramian(Y: Float32Array, n: number, f: number, lambda: number): Float64Array {
  const g = gramian(Y, n, f);
  for (let a = 0; a < f; a++) g[a * f + a] += lambda;
  return g;
}

function assertFinite(m: AlsModel): void {
  for (const arr of [m.userFactors, m.itemFactors]) {
    for (let k = 0; k < arr.length; k++) {
      if (!Number.isFinite(arr[k])) {
        throw new Error('ALS produced non-finite factors: lower alpha or raise regularization');
      }
    }
  }
}

function fit(
  R: CsrMatrix,
  params: Partial<AlsParams> | undefined,
  exact: boolean,
  onIteration?: (it: number, secs: number) => void,
): AlsModel {
  const p = resolve(params);
  for (let k = 0; k < R.data.length; k++) {
    if (!(R.data[k] >= 0) || !Number.isFinite(R.data[k])) throw new RangeError(`R holds an invalid strength ${R.data[k]} (must be finite and ≥ 0)`);
  }
  const f = p.factors;
  const rng = mulberry32(p.seed);
  R = dropZeros(R);
  const Cu = confidenceMatrix(R, p);
  const Ci = confidenceMatrix(transpose(R), p);
  const userFactors = initFactors(R.nRows, f, rng);
  const itemFactors = initFactors(R.nCols, f, rng);
  const t0 = performance.now();
  for (let it = 0; it < p.iterations; it++) {
    const YtY = regularizedGramian(itemFactors, R.nCols, f, p.regularization);
    if (exact) exactHalfStep(Cu, userFactors, itemFactors, f, YtY);
    else cgHalfStep(Cu, userFactors, itemFactors, f, YtY, p.cgSteps, p.solver ?? 'auto');
    const XtX = regularizedGramian(userFactors, R.nRows, f, p.regularization);
    if (exact) exactHalfStep(Ci, itemFactors, userFactors, f, XtX);
    else cgHalfStep(Ci, itemFactors, userFactors, f, XtX, p.cgSteps, p.solver ?? 'auto');
    onIteration?.(it + 1, (performance.now() - t0) / 1000);
  }
  const model: AlsModel = { factors: f, nUsers: R.nRows, nItems: R.nCols, userFactors, itemFactors };
  assertFinite(model);
  return model;
}

/**
 * Fits implicit ALS with conjugate-gradient half-steps. Deterministic: the same R, params and seed
 * give identical bytes. Throws if any factor is NaN/∞ after the fit.
 */
export function fitImplicitAls(
  R: CsrMatrix,
  params?: Partial<AlsParams>,
  onIteration?: (it: number, secs: number) => void,
): AlsModel {
  return fit(R, params, false, onIteration);
}

/** Slow reference: the same alternating scheme with exact Cholesky solves of eq. 4 per row. */
export function fitImplicitAlsExact(R: CsrMatrix, params?: Partial<AlsParams>): AlsModel {
  return fit(R, params, true);
}

/**
 * Fold-in (Hu et al. eq. 4 for one user): solve x_u against fixed item factors from the user's
 * (item index, r_ui) pairs. Exact Cholesky solve (f×f), so it equals one exact half-step for that
 * user; pass a precomputed `YtY` = {@link gramian}(itemFactors) (without λ) to save O(n f²).
 * Duplicate item indices are summed first, as R would sum them.
 */
export function foldInUser(
  itemFactors: Float32Array,
  f: number,
  itemIdx: ArrayLike<number>,
  r: ArrayLike<number>,
  params: AlsParams,
  YtY?: Float64Array,
): Float32Array {
  const nItems = itemFactors.length / f;
  const G = Float64Array.from(YtY ?? gramian(itemFactors, nItems, f));
  for (let a = 0; a < f; a++) G[a * f + a] += params.regularization;
  const sums = new Map<number, number>();
  for (let k = 0; k < itemIdx.length; k++) {
    const i = itemIdx[k];
    if (i < 0 || i >= nItems) throw new RangeError(`foldInUser: item index ${i} out of range`);
    sums.set(i, (sums.get(i) ?? 0) + r[k]);
  }
  const idx: number[] = [];
  const cs: number[] = [];
  for (const [i, v] of [...sums.entries()].sort((a, b) => a[0] - b[0])) {
    if (!(v > 0)) continue;
    idx.push(i);
    cs.push(confidence(v, params));
  }
  const A = new Float64Array(f * f);
  const b = new Float64Array(f);
  solveRowExact(itemFactors, f, idx, cs, 0, idx.length, G, A, b);
  return Float32Array.from(b);
}

/**
 * The ALS objective Σ_{u,i} c_ui (p_ui − x_uᵀy_i)² + λ(‖X‖² + ‖Y‖²), computed in O(nnz f + n f²)
 * via Σ_all s² = Σ_u x_uᵀ(YᵀY)x_u plus a correction on the nonzeros.
 */
export function alsLoss(R: CsrMatrix, m: AlsModel, params?: Partial<AlsParams>): number {
  const p = resolve(params);
  const f = m.factors;
  const X = m.userFactors;
  const Y = m.itemFactors;
  const YtY = gramian(Y, m.nItems, f);
  let loss = 0;
  for (let u = 0; u < m.nUsers; u++) {
    const xo = u * f;
    for (let a = 0; a < f; a++) {
      let s = 0;
      for (let b = 0; b < f; b++) s += YtY[a * f + b] * X[xo + b];
      loss += X[xo + a] * s;
    }
    for (let k = R.indptr[u]; k < R.indptr[u + 1]; k++) {
      const yo = R.indices[k] * f;
      let s = 0;
      for (let a = 0; a < f; a++) s += X[xo + a] * Y[yo + a];
      const c = confidence(R.data[k], p);
      loss += c * (1 - s) * (1 - s) - s * s;
    }
  }
  let norm = 0;
  for (let k = 0; k < X.length; k++) norm += X[k] * X[k];
  for (let k = 0; k < Y.length; k++) norm += Y[k] * Y[k];
  return loss + p.regularization * norm;
}
