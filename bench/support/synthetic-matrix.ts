/**
 * Synthetic power-law interaction data for benchmarks and scale checks (no real users).
 * Item popularity follows a Zipf-like law (p_i ∝ 1/(i+1)^s) and user activity a heavy tail, so the
 * matrix looks like retail data: a few hot items and many users with one or two events.
 */
import { mulberry32, shuffle } from '../../functions/core/numeric/prng.js';
import { csrFromTriplets, type CsrMatrix } from '../../functions/core/numeric/sparse.js';

export interface SyntheticOptions {
  nUsers: number;
  nItems: number;
  nnz: number;
  /** Zipf exponent of item popularity (default 1.0). */
  itemExponent?: number;
  seed?: number;
}

/** Cumulative Zipf table for inverse-CDF sampling by binary search. */
function zipfCdf(n: number, s: number): Float64Array {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += 1 / Math.pow(i + 1, s);
    cdf[i] = acc;
  }
  for (let i = 0; i < n; i++) cdf[i] /= acc;
  return cdf;
}

function sample(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Triplets (user, item, strength in {0.1, 0.3, 0.5, 1}) with power-law marginals. */
export function syntheticTriplets(o: SyntheticOptions): { rows: Int32Array; cols: Int32Array; vals: Float32Array } {
  const rng = mulberry32(o.seed ?? 1);
  const itemCdf = zipfCdf(o.nItems, o.itemExponent ?? 1.0);
  const userCdf = zipfCdf(o.nUsers, 0.6);
  // Shuffle ranks so index order does not correlate with popularity.
  const itemPerm = new Int32Array(o.nItems).map((_, i) => i);
  const userPerm = new Int32Array(o.nUsers).map((_, i) => i);
  shuffle(itemPerm, rng);
  shuffle(userPerm, rng);
  const weights = [1, 0.5, 0.3, 0.1];
  const rows = new Int32Array(o.nnz);
  const cols = new Int32Array(o.nnz);
  const vals = new Float32Array(o.nnz);
  for (let k = 0; k < o.nnz; k++) {
    rows[k] = userPerm[sample(userCdf, rng())];
    cols[k] = itemPerm[sample(itemCdf, rng())];
    vals[k] = weights[Math.floor(rng() * 4)];
  }
  return { rows, cols, vals };
}

/** {@link syntheticTriplets} as a CSR matrix (duplicates summed). */
export function syntheticMatrix(o: SyntheticOptions): CsrMatrix {
  const t = syntheticTriplets(o);
  return csrFromTriplets(o.nUsers, o.nItems, t.rows, t.cols, t.vals);
}
