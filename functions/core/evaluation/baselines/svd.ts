/**
 * Truncated SVD of the interaction matrix, the baseline built with scikit-learn's
 * TruncatedSVD: randomized range finder with power iterations (Halko, Martinsson & Tropp 2011,
 * Alg. 4.4 + 5.1; sklearn's default algorithm="randomized", n_iter=5). R ≈ U Σ Vᵀ; a user's scores
 * are (U Σ)_u Vᵀ, i.e. the rank-k reconstruction of their row.
 */
import type { CsrMatrix } from '../../numeric/sparse.js';
import { mulberry32, gaussian } from '../../numeric/prng.js';
import { axpy } from '../../numeric/kernels.js';

export interface SvdModel {
  k: number;
  nUsers: number;
  nItems: number;
  /** U Σ, row-major nUsers × k (sklearn's `transform(R)`). */
  userFactors: Float32Array;
  /** V, row-major nItems × k (sklearn's `components_ᵀ`). */
  itemFactors: Float32Array;
  singularValues: Float64Array;
}

/** Y = R Ω for dense Ω (nCols × l), all row-major Float64. */
function spmm(R: CsrMatrix, omega: Float64Array, l: number): Float64Array {
  const y = new Float64Array(R.nRows * l);
  for (let r = 0; r < R.nRows; r++) {
    const yo = r * l;
    for (let k = R.indptr[r]; k < R.indptr[r + 1]; k++) {
      const v = R.data[k];
      const oo = R.indices[k] * l;
      axpy(v, omega, oo, y, yo, l);
    }
  }
  return y;
}

/** Z = Rᵀ Q for dense Q (nRows × l). */
function spmmT(R: CsrMatrix, q: Float64Array, l: number): Float64Array {
  const z = new Float64Array(R.nCols * l);
  for (let r = 0; r < R.nRows; r++) {
    const qo = r * l;
    for (let k = R.indptr[r]; k < R.indptr[r + 1]; k++) {
      const v = R.data[k];
      const zo = R.indices[k] * l;
      axpy(v, q, qo, z, zo, l);
    }
  }
  return z;
}

/** Orthonormalises the l columns of a row-major n × l matrix in place (modified Gram–Schmidt, twice). */
export function orthonormalizeColumns(m: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < l; j++) {
      for (let i = 0; i < j; i++) {
        let d = 0;
        for (let r = 0; r < n; r++) d += m[r * l + i] * m[r * l + j];
        for (let r = 0; r < n; r++) m[r * l + j] -= d * m[r * l + i];
      }
      let norm = 0;
      for (let r = 0; r < n; r++) norm += m[r * l + j] * m[r * l + j];
      norm = Math.sqrt(norm);
      // A rank-deficient column becomes zero rather than noise.
      const inv = norm > 1e-12 ? 1 / norm : 0;
      for (let r = 0; r < n; r++) m[r * l + j] *= inv;
    }
  }
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations (Golub & Van Loan §8.5).
 * Returns eigenvalues descending and eigenvectors as columns of a row-major n×n matrix.
 */
export function symmetricEigen(a0: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(a0);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x] || x - y);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}

/**
 * Rank-k truncated SVD by randomized subspace iteration. `oversample` extra columns (sklearn: 10)
 * and `powerIterations` (sklearn: 5 for small k) trade time for accuracy. Deterministic per seed.
 */
export function fitTruncatedSvd(
  R: CsrMatrix,
  k: number,
  options: { oversample?: number; powerIterations?: number; seed?: number } = {},
): SvdModel {
  const l = Math.min(k + (options.oversample ?? 10), R.nRows, R.nCols);
  const kk = Math.min(k, l);
  const rng = mulberry32(options.seed ?? 42);
  const omega = new Float64Array(R.nCols * l);
  for (let t = 0; t < omega.length; t++) omega[t] = gaussian(rng);
  let Q = spmm(R, omega, l);
  orthonormalizeColumns(Q, R.nRows, l);
  for (let it = 0; it < (options.powerIterations ?? 5); it++) {
    const Z = spmmT(R, Q, l);
    orthonormalizeColumns(Z, R.nCols, l);
    Q = spmm(R, Z, l);
    orthonormalizeColumns(Q, R.nRows, l);
  }
  // Bᵀ = Rᵀ Q (nCols × l); B Bᵀ = (Rᵀ Q)ᵀ (Rᵀ Q) is l × l.
  const Bt = spmmT(R, Q, l);
  const BBt = new Float64Array(l * l);
  for (let c = 0; c < R.nCols; c++) {
    const o = c * l;
    for (let a = 0; a < l; a++) {
      const va = Bt[o + a];
      if (va === 0) continue;
      for (let b = 0; b < l; b++) BBt[a * l + b] += va * Bt[o + b];
    }
  }
  const { values, vectors: Ub } = symmetricEigen(BBt, l);
  const sigma = new Float64Array(kk);
  for (let j = 0; j < kk; j++) sigma[j] = Math.sqrt(Math.max(0, values[j]));
  // U = Q U_b, scaled by Σ: (U Σ)[r, j] = Σ_a Q[r, a] Ub[a, j] σ_j.
  const userFactors = new Float32Array(R.nRows * kk);
  for (let r = 0; r < R.nRows; r++) {
    for (let j = 0; j < kk; j++) {
      let s = 0;
      for (let a = 0; a < l; a++) s += Q[r * l + a] * Ub[a * l + j];
      userFactors[r * kk + j] = s * sigma[j];
    }
  }
  // V = Bᵀ U_b Σ⁻¹.
  const itemFactors = new Float32Array(R.nCols * kk);
  for (let c = 0; c < R.nCols; c++) {
    for (let j = 0; j < kk; j++) {
      if (sigma[j] === 0) continue;
      let s = 0;
      for (let a = 0; a < l; a++) s += Bt[c * l + a] * Ub[a * l + j];
      itemFactors[c * kk + j] = s / sigma[j];
    }
  }
  return { k: kk, nUsers: R.nRows, nItems: R.nCols, userFactors, itemFactors, singularValues: sigma };
}
