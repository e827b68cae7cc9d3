/**
 * Optional diversity re-rank: Maximal Marginal Relevance (Carbonell & Goldstein 1998, "The use of
 * MMR, diversity-based reranking for reordering documents and producing summaries"). Greedily picks
 *   argmax_{i ∉ S}  λ · rel(i) − (1 − λ) · max_{j ∈ S} sim(i, j)
 * with λ = 1 − diversity: diversity 0 keeps the relevance order exactly, 1 ignores relevance after
 * the first pick. Relevance is min-max normalised over the pool so λ weighs comparable scales.
 */

/**
 * Re-orders `pool` (item indices) by MMR. `similarity(a, b)` should lie in [0, 1]
 * (e.g. same category, or embedding cosine). Deterministic: ties go to the earlier pool position.
 */
export function mmrOrder(pool: readonly number[], relevance: (i: number) => number, similarity: (a: number, b: number) => number, diversity: number): number[] {
  if (!(diversity >= 0 && diversity <= 1)) throw new RangeError(`diversity must be in [0, 1], got ${diversity}`);
  if (diversity === 0 || pool.length <= 1) return [...pool];
  const lambda = 1 - diversity;
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of pool) {
    lo = Math.min(lo, relevance(i));
    hi = Math.max(hi, relevance(i));
  }
  const rel = (i: number) => (hi > lo ? (relevance(i) - lo) / (hi - lo) : 1);
  const left = [...pool];
  const maxSim = new Float64Array(left.length);
  const out: number[] = [];
  while (left.length) {
    let best = 0;
    let bestVal = -Infinity;
    for (let k = 0; k < left.length; k++) {
      const v = lambda * rel(left[k]) - (1 - lambda) * maxSim[k];
      if (v > bestVal) {
        bestVal = v;
        best = k;
      }
    }
    const chosen = left[best];
    out.push(chosen);
    left.splice(best, 1);
    maxSim.copyWithin(best, best + 1);
    for (let k = 0; k < left.length; k++) maxSim[k] = Math.max(maxSim[k], similarity(left[k], chosen));
  }
  return out;
}
