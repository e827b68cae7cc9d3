/**
 * The fast ALS solver's kernels and its work split into tasks. A half-step is three phases over
 * fixed-size blocks: the Gram matrix of the fixed side (one partial per block of rows, summed in
 * block order), Woodbury's W = Y G⁻¹ rows, and the row solves. Every task writes only its own rows
 * (or its own partial), and the blocks do not depend on how many threads run them, so one thread
 * and N threads produce identical bytes. Used in-process (als.ts) and by the worker threads
 * (als-worker.ts) over the same SharedArrayBuffers.
 */
import { cholesky, choleskySolve } from '../numeric/linalg.js';
import { axpy, dotUnrolled, gramianRows } from '../numeric/kernels.js';

/** Rows per Gram partial: fixed, so the summation order (and so the bytes) is thread-count independent. */
export const GRAM_BLOCK = 2048;
/** Rows per solve / W task: small enough to balance heavy and light rows across threads. */
export const ROW_BLOCK = 256;
/** Largest Woodbury row length the scratch is sized for (woodburyPlan caps 'auto' at 256). */
export const MAX_WOODBURY = 256;

/** What the threads do next; Exit ends a worker. */
export const Phase = { Gram: 1, Woodbury: 2, Solve: 3, Exit: 4 } as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** One side of R in CSR with confidences c_ui (users: R, items: Rᵀ). */
export interface ConfidenceRows {
  nRows: number;
  indptr: Int32Array;
  indices: Int32Array;
  c: Float64Array;
}

/** Everything a half-step reads or writes; over SharedArrayBuffers when threads share it. */
export interface AlsBuffers {
  f: number;
  cgSteps: number;
  /** Scratch size for Woodbury rows (≥ every side's threshold). */
  maxThreshold: number;
  users: ConfidenceRows;
  items: ConfidenceRows;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** Fixed side × G⁻¹ (Woodbury), max(nUsers, nItems) × f. */
  W: Float32Array;
  /** YᵀY + λI of the fixed side, and its inverse. */
  G: Float64Array;
  Ginv: Float64Array;
  /** One f×f Gram partial per GRAM_BLOCK rows of the larger side. */
  gramParts: Float64Array;
}

/** Side 0 solves users against fixed items; side 1 items against fixed users. */
export type Side = 0 | 1;

export function sideOf(b: AlsBuffers, side: Side): { rows: ConfidenceRows; X: Float32Array; Y: Float32Array; nY: number } {
  return side === 0
    ? { rows: b.users, X: b.userFactors, Y: b.itemFactors, nY: b.items.nRows }
    : { rows: b.items, X: b.itemFactors, Y: b.userFactors, nY: b.users.nRows };
}

/** How many tasks a phase has (the same on every thread). */
export function taskCount(b: AlsBuffers, phase: Phase, side: Side): number {
  const { rows, nY } = sideOf(b, side);
  if (phase === Phase.Gram) return Math.ceil(nY / GRAM_BLOCK);
  if (phase === Phase.Woodbury) return Math.ceil(nY / ROW_BLOCK);
  if (phase === Phase.Solve) return Math.ceil(rows.nRows / ROW_BLOCK);
  return 0;
}

/** Per-thread scratch (allocated once per thread, reused by every row). */
export interface Scratch {
  x: Float64Array;
  r: Float64Array;
  p: Float64Array;
  ap: Float64Array;
  M: Float64Array;
  t: Float64Array;
  sq: Float64Array;
}

export function scratchFor(b: AlsBuffers): Scratch {
  const f = b.f;
  const n = b.maxThreshold;
  return {
    x: new Float64Array(f), r: new Float64Array(f), p: new Float64Array(f), ap: new Float64Array(f),
    M: new Float64Array(n * n), t: new Float64Array(n), sq: new Float64Array(n),
  };
}

/** Runs task `task` of `phase` (threshold: Woodbury row limit of this half-step, 0 = CG only). */
export function runTask(b: AlsBuffers, phase: Phase, side: Side, threshold: number, task: number, s: Scratch): void {
  const f = b.f;
  const { rows, X, Y, nY } = sideOf(b, side);
  if (phase === Phase.Gram) {
    const go = task * f * f;
    b.gramParts.fill(0, go, go + f * f);
    gramianRows(Y, task * GRAM_BLOCK, Math.min(nY, (task + 1) * GRAM_BLOCK), f, b.gramParts, go);
  } else if (phase === Phase.Woodbury) {
    const end = Math.min(nY, (task + 1) * ROW_BLOCK);
    for (let r = task * ROW_BLOCK; r < end; r++) {
      const o = r * f;
      for (let a = 0; a < f; a++) s.x[a] = Y[o + a];
      matVec(b.Ginv, s.x, s.r, f);
      for (let a = 0; a < f; a++) b.W[o + a] = s.r[a];
    }
  } else if (phase === Phase.Solve) {
    const { indptr, indices, c } = rows;
    const end = Math.min(rows.nRows, (task + 1) * ROW_BLOCK);
    for (let u = task * ROW_BLOCK; u < end; u++) {
      const start = indptr[u];
      const stop = indptr[u + 1];
      // No evidence: b = 0, so the optimum is exactly 0 (keeps cold rows at zero).
      if (start === stop) X.fill(0, u * f, (u + 1) * f);
      else if (stop - start <= threshold) woodburyRow(indices, c, start, stop, X, u * f, Y, b.W, f, s.x, s.M, s.t, s.sq);
      else cgRow(indices, c, start, stop, X, u * f, Y, f, b.G, b.cgSteps, s.x, s.r, s.p, s.ap);
    }
  }
}

export { gramian, gramianRows } from '../numeric/kernels.js';

/**
 * out = G v for a dense f×f Float64 matrix. Four output rows per pass share each v[b] load: on V8
 * this runs ~2× faster than the plain double loop (measured in bench/retrain.ts).
 */
export function matVec(G: Float64Array, v: Float64Array, out: Float64Array, f: number): void {
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
const rowDot = (Y: Float32Array, yo: number, v: Float64Array, f: number): number => dotUnrolled(Y, yo, v, 0, f);

/** Dot product of two Float32 rows (4 accumulators). */
const dot32 = (A: Float32Array, ao: number, B: Float32Array, bo: number, f: number): number => dotUnrolled(A, ao, B, bo, f);

/** out += w · y_i */
const rowAxpy = (Y: Float32Array, yo: number, w: number, out: Float64Array, f: number): void => axpy(w, Y, yo, out, 0, f);

/**
 * CG solve for one row (Takács et al. 2011, Alg. 2; benfred/implicit `_least_squares_cg`),
 * warm-started from X[xo..]: A = YᵀY + λI + Σ (c−1) y yᵀ, b = Σ c y. Kept as its own function
 * (called once per row) so V8 optimises it fully rather than via on-stack replacement.
 */
export function cgRow(
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
export function woodburyRow(
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

/**
 * Row-count threshold under which a row is solved exactly by {@link woodburyRow} instead of CG,
 * and whether that pays for the nY·f² precomputation of W. Costs in multiply-adds.
 */
export function woodburyPlan(indptr: Int32Array, nRows: number, nY: number, f: number, cgSteps: number): number {
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

