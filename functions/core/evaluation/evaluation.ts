/**
 * Offline evaluation harness (no I/O): fit each model factory on the training interactions, rank
 * every unseen item for each test user, and score the top-k with the Recommenders metrics.
 *
 * Protocol (Microsoft Recommenders' movielens benchmark): seen (train) items are removed from each
 * ranking, the ranking covers every other training item, every held-out interaction is relevant,
 * and users are averaged over those present in both train and test.
 */
import { csrFromTriplets, type CsrMatrix } from '../numeric/sparse.js';
import { IdIndex } from '../domain/interactions.js';
import { fitImplicitAls, DEFAULT_ALS_PARAMS, type AlsParams } from '../factorization/als.js';
import { dotScores, topK } from '../numeric/topk.js';
import { itemUserCounts } from '../ranking/popularity.js';
import { fitEase, easeScores } from '../factorization/ease.js';
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
  recommend(user: number, k: number, exclude: (item: number) => boolean): Int32Array;
}

/** A named model factory — the hook through which later models (the two-stage engine) join. */
export interface ModelFactory {
  name: string;
  /** One line on settings, shown in the report. */
  describe: string;
  /** Largest catalogue the model can handle (EASE is dense n×n); larger ones are skipped. */
  maxItems?: number;
  fit(train: TrainData): FittedModel;
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

/** Truncated SVD of the binary R (seed 003's scikit-learn TruncatedSVD model). */
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
export function evaluateModel(
  factory: ModelFactory,
  train: TrainData,
  relevant: Map<number, Set<string>>,
  k: number,
  onProgress?: (done: number, total: number) => void,
): ModelResult {
  const t0 = performance.now();
  const fitted = factory.fit(train);
  const t1 = performance.now();
  const seen = new Uint8Array(train.items.size);
  const cases: { rec: string[]; relevant: Set<string> }[] = [];
  const users = [...relevant.keys()].sort((a, b) => a - b);
  users.forEach((u, n) => {
    const s = train.R.indptr[u];
    const e = train.R.indptr[u + 1];
    for (let q = s; q < e; q++) seen[train.R.indices[q]] = 1;
    const rec = fitted.recommend(u, k, (i) => seen[i] === 1);
    for (let q = s; q < e; q++) seen[train.R.indices[q]] = 0;
    cases.push({ rec: Array.from(rec, (i) => train.items.ids[i]), relevant: relevant.get(u)! });
    onProgress?.(n + 1, users.length);
  });
  const t2 = performance.now();
  return {
    model: factory.name,
    describe: factory.describe,
    metrics: evaluateRanking(cases, k, train.items.size),
    fitSeconds: (t1 - t0) / 1000,
    recommendSeconds: (t2 - t1) / 1000,
  };
}
