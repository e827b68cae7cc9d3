/**
 * EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): an item–item weight
 * matrix with zero diagonal in closed form,
 *   P = (XᵀX + λI)⁻¹,  B = I − P · diag(1/diag(P))  i.e.  B_ij = −P_ij / P_jj (i ≠ j), B_jj = 0,
 * and scores s_u = x_u B. Dense in the number of items: O(n³) time and n² memory, so it is a
 * baseline for catalogues of a few thousand items.
 */
import type { CsrMatrix } from '../numeric/sparse.js';
import { invertSpd } from '../numeric/linalg.js';

export interface EaseModel {
  nItems: number;
  /** Row-major nItems × nItems, B[j*n + i] = weight of item j for item i. */
  B: Float32Array;
}

/** Gram matrix XᵀX + λI of the binary R (users × items; 1 for every stored entry) as dense Float64. */
export function itemGram(R: CsrMatrix, lambda: number): Float64Array {
  const n = R.nCols;
  const G = new Float64Array(n * n);
  for (let u = 0; u < R.nRows; u++) {
    const s = R.indptr[u];
    const e = R.indptr[u + 1];
    for (let a = s; a < e; a++) {
      const ra = R.indices[a] * n;
      for (let b = s; b < e; b++) G[ra + R.indices[b]] += 1;
    }
  }
  for (let i = 0; i < n; i++) G[i * n + i] += lambda;
  return G;
}

/** Fits EASE with regularisation λ (Steck uses a few hundred on ML-20M; tuned in docs/tuning.md). */
export function fitEase(R: CsrMatrix, lambda: number): EaseModel {
  if (!(lambda > 0)) throw new RangeError(`lambda must be > 0, got ${lambda}`);
  const n = R.nCols;
  const P = invertSpd(itemGram(R, lambda), n);
  const B = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) B[i * n + j] = i === j ? 0 : -P[i * n + j] / P[j * n + j];
  }
  return { nItems: n, B };
}

/** s = x_u B for a user's items (binary x_u). */
export function easeScores(m: EaseModel, items: ArrayLike<number>, out?: Float32Array): Float32Array {
  const n = m.nItems;
  const acc = new Float64Array(n);
  for (let k = 0; k < items.length; k++) {
    const o = items[k] * n;
    for (let i = 0; i < n; i++) acc[i] += m.B[o + i];
  }
  const res = out ?? new Float32Array(n);
  for (let i = 0; i < n; i++) res[i] = acc[i];
  return res;
}
