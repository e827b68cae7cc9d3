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
import os from 'node:os';
import { transpose, type CsrMatrix } from '../numeric/sparse.js';
import { mulberry32 } from '../numeric/prng.js';
import { cholesky, choleskySolve, invertSpd } from '../numeric/linalg.js';
import { gramian, GRAM_BLOCK, Phase, runTask, scratchFor, taskCount, woodburyPlan, type AlsBuffers, type ConfidenceRows, type Scratch, type Side } from './als-solve.js';
import { AlsThreadPool, shared } from './als-threads.js';
import { dot } from '../numeric/kernels.js';

export { gramian } from './als-solve.js';

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

/** How a fit uses the machine; never changes the result (als-solve.ts). */
export interface AlsRunOptions {
  /** Threads including the calling one (default {@link alsThreads}). */
  threads?: number;
  /** Below this many non-zeros the fit stays on the calling thread (starting workers costs ~0.1 s each). */
  minNonZerosForThreads?: number;
  /**
   * Start from these factors instead of the seeded random ones (a refit on nearly the same data
   * continues from the last fit). The state of ALS is its two factor matrices, so k iterations
   * from a model that had n give the same bytes as n + k iterations from scratch on the same R.
   */
  warmStart?: { userFactors: Float32Array; itemFactors: Float32Array };
}

/** Non-zeros under which worker threads are not worth their start-up. */
export const MIN_NONZEROS_FOR_THREADS = 50_000;

let defaultThreads: number | undefined;

/**
 * The process's thread count for every fit that does not pass one (the retrain's ALS_THREADS, a
 * CLI's --threads); undefined restores os.availableParallelism(). Results never depend on it.
 */
export function configureAlsThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`ALS threads must be a positive integer, got ${threads}`);
  defaultThreads = threads;
}

/** Threads a fit uses when its options name none. */
export function alsThreads(): number {
  return defaultThreads ?? os.availableParallelism();
}

function checkStrengths(R: CsrMatrix): void {
  for (let k = 0; k < R.data.length; k++) {
    if (!(R.data[k] >= 0) || !Number.isFinite(R.data[k])) throw new RangeError(`R holds an invalid strength ${R.data[k]} (must be finite and ≥ 0)`);
  }
}

function fitExact(R: CsrMatrix, params: Partial<AlsParams> | undefined): AlsModel {
  const p = resolve(params);
  checkStrengths(R);
  const f = p.factors;
  const rng = mulberry32(p.seed);
  R = dropZeros(R);
  const Cu = confidenceMatrix(R, p);
  const Ci = confidenceMatrix(transpose(R), p);
  const userFactors = initFactors(R.nRows, f, rng);
  const itemFactors = initFactors(R.nCols, f, rng);
  for (let it = 0; it < p.iterations; it++) {
    exactHalfStep(Cu, userFactors, itemFactors, f, regularizedGramian(itemFactors, R.nCols, f, p.regularization));
    exactHalfStep(Ci, itemFactors, userFactors, f, regularizedGramian(userFactors, R.nRows, f, p.regularization));
  }
  const model: AlsModel = { factors: f, nUsers: R.nRows, nItems: R.nCols, userFactors, itemFactors };
  assertFinite(model);
  return model;
}

/** Woodbury row limit for one side under the chosen solver. */
function thresholdFor(rows: ConfidenceRows, nY: number, p: AlsParams): number {
  const solver = p.solver ?? 'auto';
  if (solver === 'cg') return 0;
  if (solver === 'auto') return woodburyPlan(rows.indptr, rows.nRows, nY, p.factors, p.cgSteps);
  let max = 0;
  for (let u = 0; u < rows.nRows; u++) max = Math.max(max, rows.indptr[u + 1] - rows.indptr[u]);
  return max;
}

/**
 * One fast half-step (side 0: users against fixed items; 1: items against users): Gram partials in
 * block order → YᵀY + λI; W = Y G⁻¹ if any row is light enough for Woodbury; then every row, light
 * ones exactly by Woodbury and the rest by warm-started CG. `run` executes a phase's tasks.
 */
function halfStep(b: AlsBuffers, side: Side, threshold: number, lambda: number, run: (phase: Phase, nTasks: number) => void): void {
  const f = b.f;
  const nParts = taskCount(b, Phase.Gram, side);
  run(Phase.Gram, nParts);
  b.G.fill(0);
  for (let t = 0; t < nParts; t++) {
    const o = t * f * f;
    for (let k = 0; k < f * f; k++) b.G[k] += b.gramParts[o + k];
  }
  for (let a = 0; a < f; a++) b.G[a * f + a] += lambda;
  if (threshold > 0) {
    b.Ginv.set(invertSpd(b.G, f));
    run(Phase.Woodbury, taskCount(b, Phase.Woodbury, side));
  }
  run(Phase.Solve, taskCount(b, Phase.Solve, side));
}

function fitFast(R: CsrMatrix, params: Partial<AlsParams> | undefined, onIteration: ((it: number, secs: number) => void) | undefined, run: AlsRunOptions): AlsModel {
  const p = resolve(params);
  checkStrengths(R);
  const f = p.factors;
  const rng = mulberry32(p.seed);
  R = dropZeros(R);
  const threads = Math.max(1, Math.floor(run.threads ?? alsThreads()));
  const parallel = threads > 1 && R.data.length >= (run.minNonZerosForThreads ?? MIN_NONZEROS_FOR_THREADS);
  // Workers see the data through SharedArrayBuffers; one thread keeps ordinary arrays (same bytes out).
  const f32 = (x: ArrayLike<number> | number) => (parallel ? shared(Float32Array, x) : typeof x === 'number' ? new Float32Array(x) : Float32Array.from(x));
  const f64 = (x: ArrayLike<number> | number) => (parallel ? shared(Float64Array, x) : typeof x === 'number' ? new Float64Array(x) : Float64Array.from(x));
  const i32 = (x: ArrayLike<number>) => (parallel ? shared(Int32Array, x) : Int32Array.from(x));
  const side = (m: CsrMatrix): ConfidenceRows => {
    const c = confidenceMatrix(m, p);
    return { nRows: m.nRows, indptr: i32(c.indptr), indices: i32(c.indices), c: f64(c.c) };
  };
  const users = side(R);
  const items = side(transpose(R));
  const warm = run.warmStart;
  if (warm && (warm.userFactors.length !== R.nRows * f || warm.itemFactors.length !== R.nCols * f)) {
    throw new RangeError(`warm start: factors for ${warm.userFactors.length / f}×${warm.itemFactors.length / f} rows, the matrix is ${R.nRows}×${R.nCols} at f = ${f}`);
  }
  const userFactors = f32(warm?.userFactors ?? initFactors(R.nRows, f, rng));
  const itemFactors = f32(warm?.itemFactors ?? initFactors(R.nCols, f, rng));
  const thresholds = [thresholdFor(users, items.nRows, p), thresholdFor(items, users.nRows, p)];
  const maxRows = Math.max(R.nRows, R.nCols);
  const b: AlsBuffers = {
    f, cgSteps: p.cgSteps, maxThreshold: Math.max(thresholds[0], thresholds[1], 1),
    users, items, userFactors, itemFactors,
    W: f32(thresholds[0] + thresholds[1] > 0 ? maxRows * f : 0),
    G: f64(f * f), Ginv: f64(f * f),
    gramParts: f64(Math.ceil(Math.max(1, maxRows) / GRAM_BLOCK) * f * f),
  };
  const scratch: Scratch = scratchFor(b);
  const pool = parallel ? new AlsThreadPool(b, threads - 1) : undefined;
  try {
    const t0 = performance.now();
    for (let it = 0; it < p.iterations; it++) {
      for (const s of [0, 1] as const) {
        halfStep(b, s, thresholds[s], p.regularization, (phase, nTasks) => {
          if (pool) pool.run(phase, s, thresholds[s], nTasks, scratch);
          else for (let t = 0; t < nTasks; t++) runTask(b, phase, s, thresholds[s], t, scratch);
        });
      }
      onIteration?.(it + 1, (performance.now() - t0) / 1000);
    }
  } finally {
    pool?.close();
  }
  // Ordinary (non-shared) arrays out: callers serialise and slice them freely.
  const model: AlsModel = { factors: f, nUsers: R.nRows, nItems: R.nCols, userFactors: new Float32Array(userFactors), itemFactors: new Float32Array(itemFactors) };
  assertFinite(model);
  return model;
}

/**
 * Fits implicit ALS with conjugate-gradient half-steps, on `run.threads` threads (default: every
 * core). Deterministic: the same R, params and seed give identical bytes, whatever the thread
 * count. Throws if any factor is NaN/∞ after the fit.
 */
export function fitImplicitAls(
  R: CsrMatrix,
  params?: Partial<AlsParams>,
  onIteration?: (it: number, secs: number) => void,
  run: AlsRunOptions = {},
): AlsModel {
  return fitFast(R, params, onIteration, run);
}

/** Slow reference: the same alternating scheme with exact Cholesky solves of eq. 4 per row. */
export function fitImplicitAlsExact(R: CsrMatrix, params?: Partial<AlsParams>): AlsModel {
  return fitExact(R, params);
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
      loss += X[xo + a] * dot(YtY, a * f, X, xo, f);
    }
    for (let k = R.indptr[u]; k < R.indptr[u + 1]; k++) {
      const yo = R.indices[k] * f;
      const s = dot(X, xo, Y, yo, f);
      const c = confidence(R.data[k], p);
      loss += c * (1 - s) * (1 - s) - s * s;
    }
  }
  let norm = 0;
  for (let k = 0; k < X.length; k++) norm += X[k] * X[k];
  for (let k = 0; k < Y.length; k++) norm += Y[k] * Y[k];
  return loss + p.regularization * norm;
}
