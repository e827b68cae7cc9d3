/**
 * Offline ranking metrics, defined exactly as Microsoft Recommenders'
 * `recommenders/evaluation/python_evaluation.py` (binary relevance: every held-out interaction is
 * relevant). Per-list functions take the ranked recommendation list (best first) and the set of
 * relevant items; {@link evaluateRanking} averages them over users the way the library does
 * (over users that have at least one relevant item and a recommendation list).
 */

/** Hits among the first k recommendations. */
function hits(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  let h = 0;
  const n = Math.min(k, rec.length);
  for (let r = 0; r < n; r++) if (relevant.has(rec[r])) h++;
  return h;
}

/**
 * Precision@K = |rec[:k] ∩ rel| / k. Range [0, 1]; note a user with fewer than k relevant items
 * cannot reach 1 (Recommenders `precision_at_k`, which also divides by k, not by the list length).
 */
export function precisionAtK(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  return k > 0 ? hits(rec, relevant, k) / k : 0;
}

/** Recall@K = |rec[:k] ∩ rel| / |rel|. Range [0, 1]; 0 when rel is empty (Recommenders `recall_at_k`). */
export function recallAtK(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  return relevant.size > 0 ? hits(rec, relevant, k) / relevant.size : 0;
}

/**
 * NDCG@K with binary gains: DCG = Σ_{r ≤ k, rec[r] ∈ rel} 1/log(1 + r) (rank r from 1), IDCG = the
 * same sum over r = 1..min(|rel|, k). Range [0, 1] (Recommenders `ndcg_at_k`, score_type="binary";
 * the log base cancels in the ratio).
 */
export function ndcgAtK(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  if (relevant.size === 0 || k <= 0) return 0;
  let dcg = 0;
  const n = Math.min(k, rec.length);
  for (let r = 0; r < n; r++) if (relevant.has(rec[r])) dcg += 1 / Math.log(2 + r);
  let idcg = 0;
  const m = Math.min(k, relevant.size);
  for (let r = 0; r < m; r++) idcg += 1 / Math.log(2 + r);
  return dcg / idcg;
}

/** Σ over hits at rank r ≤ k of (hits so far)/r: the numerator shared by both MAP variants. */
function precisionSumAtHits(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  let h = 0;
  let s = 0;
  const n = Math.min(k, rec.length);
  for (let r = 0; r < n; r++) {
    if (relevant.has(rec[r])) {
      h++;
      s += h / (r + 1);
    }
  }
  return s;
}

/**
 * AP@K as in Recommenders `map_at_k` (after Spark MLlib `meanAveragePrecisionAt`):
 * Σ_{hits at r ≤ k} precision@r / min(|rel|, k). Range [0, 1]; 1 for a perfect list.
 */
export function averagePrecisionAtK(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  if (relevant.size === 0 || k <= 0) return 0;
  return precisionSumAtHits(rec, relevant, k) / Math.min(relevant.size, k);
}

/**
 * AP as in Recommenders `map` (the older definition): the same sum over the top-k list divided by
 * |rel| rather than min(|rel|, k). Range [0, 1]; below 1 whenever |rel| > k.
 */
export function averagePrecision(rec: ArrayLike<number | string>, relevant: ReadonlySet<number | string>, k: number): number {
  if (relevant.size === 0 || k <= 0) return 0;
  return precisionSumAtHits(rec, relevant, k) / relevant.size;
}

/**
 * Catalogue coverage = |∪ recommended items| / |catalogue| (Recommenders `catalog_coverage`, whose
 * catalogue is the set of training items). Range [0, 1].
 */
export function catalogCoverage(lists: Iterable<ArrayLike<number | string>>, catalogSize: number, k = Infinity): number {
  if (catalogSize <= 0) return 0;
  const seen = new Set<number | string>();
  for (const l of lists) {
    const n = Math.min(k, l.length);
    for (let r = 0; r < n; r++) seen.add(l[r]);
  }
  return seen.size / catalogSize;
}

export interface RankingMetrics {
  k: number;
  /** Users averaged over: those with ≥ 1 relevant item. */
  users: number;
  precision: number;
  recall: number;
  ndcg: number;
  /** Recommenders `map_at_k` (normalised by min(|rel|, k)). */
  mapAtK: number;
  /** Recommenders `map` (normalised by |rel|). */
  map: number;
  /** Distinct recommended items / catalogue size. */
  coverage: number;
}

/**
 * Averages the metrics over users: `cases` pairs each user's ranked list with their relevant set.
 * Users with an empty relevant set are skipped (they are not in the test data); a user with a
 * relevant set but an empty list counts as all-zero. `ndcgPerUser`, when given, receives each
 * counted user's NDCG@k in the order of `cases` (what a paired comparison of two rows resamples).
 */
export function evaluateRanking(
  cases: Iterable<{ rec: ArrayLike<number | string>; relevant: ReadonlySet<number | string> }>,
  k: number,
  catalogSize: number,
  ndcgPerUser?: number[],
): RankingMetrics {
  let users = 0;
  let p = 0;
  let r = 0;
  let n = 0;
  let mk = 0;
  let m = 0;
  const lists: ArrayLike<number | string>[] = [];
  for (const c of cases) {
    lists.push(c.rec);
    if (c.relevant.size === 0) continue;
    users++;
    p += precisionAtK(c.rec, c.relevant, k);
    r += recallAtK(c.rec, c.relevant, k);
    const ndcg = ndcgAtK(c.rec, c.relevant, k);
    n += ndcg;
    ndcgPerUser?.push(ndcg);
    mk += averagePrecisionAtK(c.rec, c.relevant, k);
    m += averagePrecision(c.rec, c.relevant, k);
  }
  const d = users || 1;
  return {
    k,
    users,
    precision: p / d,
    recall: r / d,
    ndcg: n / d,
    mapAtK: mk / d,
    map: m / d,
    coverage: catalogCoverage(lists, catalogSize, k),
  };
}
