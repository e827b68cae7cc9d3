/**
 * Offline evaluation harness (no I/O): fit each model factory on the training interactions, rank
 * every unseen item for each test user, and score the top-k with the Recommenders metrics.
 *
 * Protocol (Microsoft Recommenders' movielens benchmark): seen (train) items are removed from each
 * ranking, the ranking covers every other training item, every held-out interaction is relevant,
 * and users are averaged over those present in both train and test.
 */
import { csrFromTriplets, type CsrMatrix } from '../numeric/sparse.js';
import { IdIndex, recencyWeight } from '../domain/interactions.js';
import { fitImplicitAls, DEFAULT_ALS_PARAMS, type AlsParams } from '../factorization/als.js';
import { dotScores, topK } from '../numeric/topk.js';
import { itemUserCounts } from '../ranking/popularity.js';
import { DEFAULT_EASE_PARAMS, fitEase, easeScores, fitEaseNeighbours, neighbourScores, type SpdInverter } from '../factorization/ease.js';
import { fitTruncatedSvd } from './baselines/svd.js';
import { evaluateRanking, type RankingMetrics } from './metrics.js';
import type { Interaction } from './split.js';

/** What a model sees at fit time. R sums duplicate (user, item) values. */
export interface TrainData {
  users: IdIndex;
  items: IdIndex;
  R: CsrMatrix;
  rows: readonly Interaction[];
}

/** A fitted model: best-first item indices for a known user, skipping `exclude`d items. */
export interface FittedModel {
  recommend(user: number, k: number, exclude: (item: number) => boolean): Int32Array | Promise<Int32Array>;
}

/** A named model factory — the hook through which later models (the two-stage engine) join. */
export interface ModelFactory {
  name: string;
  /** One line on settings, shown in the report. */
  describe: string;
  /** Largest catalogue the model can handle (EASE is dense n×n); larger ones are skipped. */
  maxItems?: number;
  fit(train: TrainData): FittedModel | Promise<FittedModel>;
}

/** Builds indices and R (summed strengths) from training rows; models binarise R themselves where they need to. */
export function buildTrainData(rows: readonly Interaction[]): TrainData {
  const users = new IdIndex();
  const items = new IdIndex();
  const r = new Int32Array(rows.length);
  const c = new Int32Array(rows.length);
  const v = new Float32Array(rows.length);
  rows.forEach((row, k) => {
    r[k] = users.add(row.user);
    c[k] = items.add(row.item);
    v[k] = row.value;
  });
  const R = csrFromTriplets(users.size, items.size, r, c, v);
  return { users, items, R, rows };
}

function binarize(R: CsrMatrix): CsrMatrix {
  return { ...R, data: new Float32Array(R.data.length).fill(1) };
}

function capValues(R: CsrMatrix, cap: number): CsrMatrix {
  return { ...R, data: R.data.map((x) => Math.min(cap, x)) };
}

/** Most-interacted items (distinct users), the same list for everyone. */
export function popularityFactory(): ModelFactory {
  return {
    name: 'popularity',
    describe: 'distinct users per item',
    fit(train) {
      const scores = itemUserCounts(train.R);
      return { recommend: (_u, k, exclude) => topK(scores, k, exclude).indices };
    },
  };
}

/** Implicit ALS (Hu et al. 2008). `binary` trains on 1[r>0]; otherwise on r capped at `cap`. */
export function alsFactory(params: Partial<AlsParams> = {}, options: { binary?: boolean; cap?: number; name?: string } = {}): ModelFactory {
  const p = { ...DEFAULT_ALS_PARAMS, ...params };
  const binary = options.binary ?? true;
  return {
    name: options.name ?? 'als',
    describe: `implicit ALS f=${p.factors} λ=${p.regularization} α=${p.alpha} it=${p.iterations} cg=${p.cgSteps} ${p.confidence}${binary ? ' binary' : ''}`,
    fit(train) {
      const R = binary ? binarize(train.R) : options.cap ? capValues(train.R, options.cap) : train.R;
      const m = fitImplicitAls(R, p);
      const f = m.factors;
      const scores = new Float32Array(m.nItems);
      return {
        recommend(u, k, exclude) {
          dotScores(m.itemFactors, f, m.userFactors.subarray(u * f, (u + 1) * f), scores);
          return topK(scores, k, exclude).indices;
        },
      };
    },
  };
}

/** Truncated SVD of the binary R (the scikit-learn TruncatedSVD baseline). */
export function svdFactory(k = 20, options: { seed?: number } = {}): ModelFactory {
  return {
    name: 'svd',
    describe: `truncated SVD k=${k} (randomized, 5 power iterations)`,
    fit(train) {
      const m = fitTruncatedSvd(binarize(train.R), k, { seed: options.seed ?? 42 });
      const scores = new Float32Array(m.nItems);
      return {
        recommend(u, kk, exclude) {
          dotScores(m.itemFactors, m.k, m.userFactors.subarray(u * m.k, (u + 1) * m.k), scores);
          return topK(scores, kk, exclude).indices;
        },
      };
    },
  };
}

/** Dense n×n inverse: 6000 items = 288 MB of Float64 and ~7·10¹⁰ flops — the practical limit here. */
export const EASE_MAX_ITEMS = 6000;

/** EASE (Steck 2019) on the binary R. */
export function easeFactory(lambda = 500): ModelFactory {
  return {
    name: 'ease',
    describe: `EASE λ=${lambda}`,
    maxItems: EASE_MAX_ITEMS,
    fit(train) {
      const R = binarize(train.R);
      const m = fitEase(R, lambda);
      const scores = new Float32Array(m.nItems);
      return {
        recommend(u, k, exclude) {
          const s = R.indptr[u];
          const e = R.indptr[u + 1];
          easeScores(m, R.indices.subarray(s, e), scores);
          return topK(scores, k, exclude).indices;
        },
      };
    },
  };
}

export interface ModelResult {
  model: string;
  describe: string;
  metrics: RankingMetrics;
  fitSeconds: number;
  recommendSeconds: number;
  /** Each evaluated user's NDCG@k, users in ascending index order (the same users for every row of one split): paired comparisons read it. */
  ndcgPerUser?: number[];
}

/** Test relevance per known user: held-out items they had not interacted with in train. */
export function relevantSets(train: TrainData, test: readonly Interaction[]): Map<number, Set<string>> {
  const out = new Map<number, Set<string>>();
  for (const row of test) {
    const u = train.users.get(row.user);
    if (u === undefined) continue; // cold user: no model can rank for them, as in Recommenders' merge
    const i = train.items.get(row.item);
    if (i !== undefined && hasEntry(train.R, u, i)) continue; // repeat of a seen item: excluded from rankings
    let set = out.get(u);
    if (!set) out.set(u, (set = new Set()));
    set.add(row.item);
  }
  return out;
}

function hasEntry(R: CsrMatrix, r: number, c: number): boolean {
  let lo = R.indptr[r];
  let hi = R.indptr[r + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = R.indices[mid];
    if (v === c) return true;
    if (v < c) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Fits one model and evaluates it; `onProgress(done, total)` after each user. */
export async function evaluateModel(
  factory: ModelFactory,
  train: TrainData,
  relevant: Map<number, Set<string>>,
  k: number,
  onProgress?: (done: number, total: number) => void,
): Promise<ModelResult> {
  const t0 = performance.now();
  const fitted = await factory.fit(train);
  const t1 = performance.now();
  const seen = new Uint8Array(train.items.size);
  const cases: { rec: string[]; relevant: Set<string> }[] = [];
  const users = [...relevant.keys()].sort((a, b) => a - b);
  for (let n = 0; n < users.length; n++) {
    const u = users[n];
    const s = train.R.indptr[u];
    const e = train.R.indptr[u + 1];
    for (let q = s; q < e; q++) seen[train.R.indices[q]] = 1;
    const rec = await fitted.recommend(u, k, (i) => seen[i] === 1);
    for (let q = s; q < e; q++) seen[train.R.indices[q]] = 0;
    cases.push({ rec: Array.from(rec, (i) => train.items.ids[i]), relevant: relevant.get(u)! });
    onProgress?.(n + 1, users.length);
  }
  const t2 = performance.now();
  const ndcgPerUser: number[] = [];
  const metrics = evaluateRanking(cases, k, train.items.size, ndcgPerUser);
  return {
    model: factory.name,
    describe: factory.describe,
    metrics,
    fitSeconds: (t1 - t0) / 1000,
    recommendSeconds: (t2 - t1) / 1000,
    // Six decimals: the JSON stays small and the mean moves by < 1e-6.
    ndcgPerUser: ndcgPerUser.map((x) => Math.round(x * 1e6) / 1e6),
  };
}

/** The newest training timestamp: the reference time of every recency-weighted baseline. */
function newestRow(train: TrainData): number {
  return train.rows.reduce((t, r) => Math.max(t, r.timestamp), 0);
}

/** R with each row's value × 2^(−age/h) at the newest training row (summed per user–item, capped). */
function recencyWeighted(train: TrainData, halfLifeDays: number, cap = 5): CsrMatrix {
  const ref = newestRow(train);
  const r = new Int32Array(train.rows.length);
  const c = new Int32Array(train.rows.length);
  const v = new Float32Array(train.rows.length);
  train.rows.forEach((row, k) => {
    r[k] = train.users.get(row.user)!;
    c[k] = train.items.get(row.item)!;
    v[k] = recencyWeight(row.timestamp, ref, halfLifeDays);
  });
  return capValues(csrFromTriplets(train.users.size, train.items.size, r, c, v), cap);
}

/** Recency-weighted popularity: Σ 2^(−age/h) per item at the newest training row, the same list for everyone. */
export function trendingPopularityFactory(halfLifeDays = 30): ModelFactory {
  return {
    name: 'trending',
    describe: `popularity weighted 2^(−age/${halfLifeDays} d) at the newest training row`,
    fit(train) {
      const R = recencyWeighted(train, halfLifeDays, Infinity);
      const scores = new Float32Array(train.items.size);
      for (let k = 0; k < R.indices.length; k++) scores[R.indices[k]] += R.data[k];
      return { recommend: (_u, k, exclude) => topK(scores, k, exclude).indices };
    },
  };
}

/**
 * EASE as the engine stores it (top-M neighbours per item, the `maxItems` most-interacted items
 * inverted), on binary inputs or inputs weighted 2^(−age/h): the two EASE baseline rows.
 */
export function easeNeighboursFactory(o: { lambda?: number; halfLifeDays?: number; invert?: SpdInverter; name?: string } = {}): ModelFactory {
  const lambda = o.lambda ?? DEFAULT_EASE_PARAMS.lambda;
  return {
    name: o.name ?? (o.halfLifeDays ? 'ease-recency' : 'ease-binary'),
    describe: `EASE λ=${lambda}, M=${DEFAULT_EASE_PARAMS.neighbours}, ${o.halfLifeDays ? `inputs weighted 2^(−age/${o.halfLifeDays} d)` : 'binary inputs'} (≤ ${DEFAULT_EASE_PARAMS.maxItems} most-interacted items)`,
    async fit(train) {
      const R = o.halfLifeDays ? recencyWeighted(train, o.halfLifeDays) : binarize(train.R);
      const nb = await fitEaseNeighbours(R, { lambda, binary: !o.halfLifeDays }, o.invert);
      const scores = new Float32Array(train.items.size);
      return {
        recommend(u, k, exclude) {
          const s = R.indptr[u];
          const e = R.indptr[u + 1];
          neighbourScores(nb, R.indices.subarray(s, e), R.data.subarray(s, e), scores);
          return topK(scores, k, exclude).indices;
        },
      };
    },
  };
}
