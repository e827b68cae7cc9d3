/**
 * EASE^R (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data"): an item–item weight
 * matrix with zero diagonal in closed form,
 *   P = (XᵀX + λI)⁻¹,  B = I − P · diag(1/diag(P))  i.e.  B_ij = −P_ij / P_jj (i ≠ j), B_jj = 0,
 * and scores s_u = x_u B. Dense in the number of items: O(n³) time and n² memory.
 *
 * For serving, B is kept sparse: each item's M outgoing weights of largest magnitude ({@link ItemNeighbours}),
 * so a receiver's scores are their (recency-weighted) history times those rows. Catalogues larger
 * than the inversion budget are fitted on their `maxItems` most-interacted items; the rest get no
 * item-to-item scores (popularity and the other signals still reach them).
 */
import type { CsrMatrix } from '../numeric/sparse.js';
import { invertSpd } from '../numeric/linalg.js';
import { topK } from '../numeric/topk.js';

export interface EaseModel {
  nItems: number;
  /** Row-major nItems × nItems, B[j*n + i] = weight of item j for item i. */
  B: Float32Array;
}

/** Inverse of a symmetric positive-definite n×n matrix (row-major); ONNX Runtime's in the Lambda, JS by default. */
export type SpdInverter = (a: Float64Array, n: number) => Float64Array | Float32Array | Promise<Float64Array | Float32Array>;

/** Gram matrix XᵀX + λI of R (users × items; binary: 1 per stored entry, else the stored values) as dense Float64. */
export function itemGram(R: CsrMatrix, lambda: number, options: { binary?: boolean; columns?: Int32Array; nCols?: number } = {}): Float64Array {
  const binary = options.binary ?? true;
  const map = options.columns;
  const n = options.nCols ?? R.nCols;
  const G = new Float64Array(n * n);
  const idx: number[] = [];
  const val: number[] = [];
  for (let u = 0; u < R.nRows; u++) {
    idx.length = 0;
    val.length = 0;
    for (let a = R.indptr[u]; a < R.indptr[u + 1]; a++) {
      const c = map ? map[R.indices[a]] : R.indices[a];
      if (c < 0) continue;
      idx.push(c);
      val.push(binary ? 1 : R.data[a]);
    }
    for (let a = 0; a < idx.length; a++) {
      const ra = idx[a] * n;
      const va = val[a];
      for (let b = 0; b < idx.length; b++) G[ra + idx[b]] += va * val[b];
    }
  }
  for (let i = 0; i < n; i++) G[i * n + i] += lambda;
  return G;
}

/** Fits dense EASE with regularisation λ on the binary R (the baseline of the evaluation). */
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

/**
 * Sparse item-to-item weights in CSR: row j lists the items i that having j scores, with B_ji.
 * `nItems` is the full catalogue; rows of items outside the fitted set are empty.
 */
export interface ItemNeighbours {
  nItems: number;
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float32Array;
}

export interface EaseParams {
  lambda: number;
  /** Kept neighbours per item (M). */
  neighbours: number;
  /** Most items inverted (the most-interacted ones): the dense budget. */
  maxItems: number;
  /** true: X = 1[r > 0]; false: X = the stored (recency-weighted, capped) strengths. */
  binary: boolean;
}

/**
 * Defaults measured on the evaluation datasets (docs/evaluation.md): M = 200 keeps nDCG@10 within
 * 1 % of dense EASE there (MovieLens-100K 0.4798 vs 0.4844); 6000 items is ≈ 37 s of float64 inversion on a
 * 2-core machine (n³ from `npm run bench:inverse`: 4000 items 11.0 s).
 */
export const DEFAULT_EASE_PARAMS: EaseParams = { lambda: 500, neighbours: 200, maxItems: 6000, binary: false };

/**
 * The columns EASE inverts: items with at least `minUsers` users (an item one user touched
 * co-occurs with nothing else, so its weights are ≈ 1/(1+λ) and only cost n² memory), at most the
 * `maxItems` most-interacted, in index order; `map[c]` = their position or −1.
 */
export function easeColumns(R: CsrMatrix, maxItems: number, minUsers = 2): { columns: Int32Array; map: Int32Array } {
  const counts = new Float32Array(R.nCols);
  for (let k = 0; k < R.indices.length; k++) counts[R.indices[k]] += 1;
  const active = Math.min(maxItems, counts.reduce((a, c) => a + (c >= minUsers ? 1 : 0), 0));
  const columns = Int32Array.from(topK(counts, active, (i) => !(counts[i] >= minUsers)).indices).sort();
  const map = new Int32Array(R.nCols).fill(-1);
  columns.forEach((c, k) => (map[c] = k));
  return { columns, map };
}

/** Fits EASE on R's most-interacted items and keeps each row's M weights of largest magnitude. */
export async function fitEaseNeighbours(R: CsrMatrix, params: Partial<EaseParams> = {}, invert: SpdInverter = invertSpd): Promise<ItemNeighbours> {
  const p = { ...DEFAULT_EASE_PARAMS, ...params };
  if (!(p.lambda > 0)) throw new RangeError(`lambda must be > 0, got ${p.lambda}`);
  const { columns, map } = easeColumns(R, p.maxItems);
  const n = columns.length;
  const P = n > 0 ? await invert(itemGram(R, p.lambda, { binary: p.binary, columns: map, nCols: n }), n) : new Float64Array(0);
  const M = Math.min(p.neighbours, Math.max(0, n - 1));
  const indptr = new Int32Array(R.nCols + 1);
  const indices = new Int32Array(n * M);
  const weights = new Float32Array(n * M);
  const row = new Float32Array(n);
  const magnitude = new Float32Array(n);
  let nnz = 0;
  let next = 0;
  for (let c = 0; c < R.nCols; c++) {
    indptr[c] = nnz;
    if (map[c] < 0) continue;
    const j = next++;
    for (let i = 0; i < n; i++) {
      row[i] = i === j ? 0 : -P[j * n + i] / P[i * n + i];
      magnitude[i] = Math.abs(row[i]);
    }
    // The M weights of largest magnitude: EASE's negative weights (items that rarely go together) rank too.
    const best = topK(magnitude, M, (i) => i === j || !(magnitude[i] > 0));
    for (let r = 0; r < best.indices.length; r++) {
      indices[nnz] = columns[best.indices[r]];
      weights[nnz] = row[best.indices[r]];
      nnz++;
    }
  }
  indptr[R.nCols] = nnz;
  return { nItems: R.nCols, indptr, indices: indices.slice(0, nnz), weights: weights.slice(0, nnz) };
}

/** s_i = Σ_j x_j · B_ji over the user's history (item j with weight x_j). `out` is overwritten. */
export function neighbourScores(nb: ItemNeighbours, history: ArrayLike<number>, historyWeights: ArrayLike<number>, out?: Float32Array): Float32Array {
  const s = out?.length === nb.nItems ? out : new Float32Array(nb.nItems);
  s.fill(0);
  for (let k = 0; k < history.length; k++) {
    const j = history[k];
    const w = historyWeights[k];
    for (let q = nb.indptr[j]; q < nb.indptr[j + 1]; q++) s[nb.indices[q]] += w * nb.weights[q];
  }
  return s;
}

/** The history item that contributes most to item i's score: the explanation of an EASE recommendation. */
export function strongestContributor(nb: ItemNeighbours, i: number, history: ArrayLike<number>, historyWeights: ArrayLike<number>): number | undefined {
  let best: number | undefined;
  let bestW = 0;
  for (let k = 0; k < history.length; k++) {
    const j = history[k];
    for (let q = nb.indptr[j]; q < nb.indptr[j + 1]; q++) {
      if (nb.indices[q] !== i) continue;
      const w = historyWeights[k] * nb.weights[q];
      if (w > bestW) {
        bestW = w;
        best = j;
      }
      break;
    }
  }
  return best;
}

/** Bytes of a neighbour table: [nItems, nnz] as int32, then indptr, indices (int32), weights (float32). */
export function serializeNeighbours(nb: ItemNeighbours): Uint8Array {
  const nnz = nb.indices.length;
  const buf = new ArrayBuffer(8 + 4 * (nb.nItems + 1) + 8 * nnz);
  const head = new Int32Array(buf, 0, 2);
  head[0] = nb.nItems;
  head[1] = nnz;
  new Int32Array(buf, 8, nb.nItems + 1).set(nb.indptr);
  new Int32Array(buf, 8 + 4 * (nb.nItems + 1), nnz).set(nb.indices);
  new Float32Array(buf, 8 + 4 * (nb.nItems + 1) + 4 * nnz, nnz).set(nb.weights);
  return new Uint8Array(buf);
}

/** Inverse of {@link serializeNeighbours}; throws RangeError when the bytes do not describe a valid table. */
export function deserializeNeighbours(bytes: Uint8Array): ItemNeighbours {
  const copy = new Uint8Array(bytes).buffer;
  if (copy.byteLength < 8) throw new RangeError('neighbour table too short');
  const [nItems, nnz] = new Int32Array(copy, 0, 2);
  if (!(nItems >= 0 && nnz >= 0) || copy.byteLength !== 8 + 4 * (nItems + 1) + 8 * nnz) throw new RangeError('neighbour table size mismatch');
  const indptr = new Int32Array(copy, 8, nItems + 1);
  const indices = new Int32Array(copy, 8 + 4 * (nItems + 1), nnz);
  const weights = new Float32Array(copy, 8 + 4 * (nItems + 1) + 4 * nnz, nnz);
  if (indptr[0] !== 0 || indptr[nItems] !== nnz) throw new RangeError('neighbour table indptr mismatch');
  for (let j = 0; j < nItems; j++) if (indptr[j + 1] < indptr[j]) throw new RangeError('neighbour table indptr not monotone');
  for (let q = 0; q < nnz; q++) {
    if (!(indices[q] >= 0 && indices[q] < nItems)) throw new RangeError(`neighbour index out of range at ${q}`);
    if (!Number.isFinite(weights[q])) throw new RangeError(`non-finite neighbour weight at ${q}`);
  }
  return { nItems, indptr, indices, weights };
}
