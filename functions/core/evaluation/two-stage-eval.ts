/**
 * The two-stage engine as an offline-evaluation model (bin/eval.ts › modelFactories): the same
 * candidates → features → scorer → gate code as the retrain job, on a dataset's training rows.
 *
 * fit(train): a validation split is carved from the TRAINING rows only (never the test split):
 * `stratified` (per item, 75/25, like the MovieLens protocol) or `temporal` (older window → features, newer → labels).
 * Stage 1 (ALS, feature store) is fitted on the visible part, candidates and features are built from
 * it, labels come from the carved part. Stratified: the scorer is gated by 3-fold cross-validation
 * over users. Temporal: forward-chained — trained on the second-to-last 20 % window, gated on the
 * last 20 %. Then stage 1 is refitted on all training rows and, if the gate passed, the scorer
 * re-orders each user's candidates; otherwise the model is ALS order.
 */
import { fitImplicitAls, DEFAULT_ALS_PARAMS, type AlsParams } from '../factorization/als.js';
import { DEFAULT_CANDIDATE_OPTIONS, type CandidateOptions } from '../ranking/candidates.js';
import type { ModelFactory, TrainData } from './evaluation.js';
import { buildItemFeatureStore, type FeatureStoreOptions, type IndexedInteraction } from '../ranking/features.js';
import type { ScorerModel } from '../ranking/scorer.js';
import type { ScorerParams } from '../training/train-scorer.js';
import { csrFromTriplets } from '../numeric/sparse.js';
import { stratifiedSplit, temporalSplit, type Interaction } from './split.js';
import { dotScores, topK } from '../numeric/topk.js';
import { alsOrder, featurize, scorerOrder, type UserCase } from '../ranking/two-stage.js';
import { trainAndGate, trainAndGateForward, type LabelledUser, type ScorerDecision } from '../training/scorer-gate.js';

/**
 * Stage-1 ALS of the two-stage engine: the pure-ALS defaults chosen by `npm run tune` on a validation
 * split of the training rows (docs/tuning.md), pinned here so the engine's figure does not move
 * silently. On the engine's own validation carve (MovieLens-100K train, per-item 75/25, seed 4242)
 * NDCG@10: f=64 λ=50 α=5 0.2728 > f=24 λ=15 α=2 0.2669 (docs/tuning.md › Two-stage engine).
 */
export const TWO_STAGE_ALS: Partial<AlsParams> = { factors: 64, regularization: 50, alpha: 5, iterations: 15 };

/**
 * Scorer and candidate settings chosen on that validation carve (docs/tuning.md › Two-stage engine):
 * a pairwise logistic ranker over ALS top-100 ∪ popular 50 beat ALS order (0.2774 vs 0.2728); MLPs
 * overfit (16 units 0.262, 32 units 0.249), top-200 candidates dilute (0.2699), and EASE scores as
 * features added nothing (0.2763 with and without), so EASE's n×n matrix is not part of the engine.
 */
export const TWO_STAGE_SCORER: Partial<ScorerParams> = { hidden: 0, epochs: 40 };
export const TWO_STAGE_CANDIDATES: Partial<CandidateOptions> = { alsTopN: 100, popularN: 50 };

export interface TwoStageEvalOptions {
  name?: string;
  als?: Partial<AlsParams>;
  carve?: 'stratified' | 'temporal';
  /** Reference time of a user's features: their last visible event (random splits) or the split time. */
  refTime?: 'user-last' | 'global-last';
  scorer?: Partial<ScorerParams>;
  candidates?: Partial<CandidateOptions>;
  store?: Partial<FeatureStoreOptions>;
  seed?: number;
  /** Receives the gate decision (for the report). */
  onDecision?: (d: ScorerDecision) => void;
  onProgress?: (stage: string) => void;
}

interface Stage {
  users: number;
  f: number;
  userFactors: Float32Array;
  itemFactors: Float32Array;
  store: ReturnType<typeof buildItemFeatureStore>;
  history: { item: number; timestamp: number }[][];
  seen: Set<number>[];
  popular: number[];
  maxTime: number;
}

function fitStage(train: TrainData, rows: readonly Interaction[], als: AlsParams, storeOpt: Partial<FeatureStoreOptions>): Stage {
  const nU = train.users.size;
  const nI = train.items.size;
  const inter: IndexedInteraction[] = rows.map((r) => ({ user: train.users.get(r.user)!, item: train.items.get(r.item)!, weight: 1, timestamp: r.timestamp }));
  const R = csrFromTriplets(nU, nI, Int32Array.from(inter, (e) => e.user), Int32Array.from(inter, (e) => e.item), new Float32Array(inter.length).fill(1));
  R.data.fill(1);
  const m = fitImplicitAls(R, als);
  const store = buildItemFeatureStore(nI, inter, () => ({}), storeOpt);
  const history: { item: number; timestamp: number }[][] = Array.from({ length: nU }, () => []);
  const seen: Set<number>[] = Array.from({ length: nU }, () => new Set());
  const counts = new Float32Array(nI);
  let maxTime = -Infinity;
  for (const e of inter) {
    history[e.user].push({ item: e.item, timestamp: e.timestamp });
    if (!seen[e.user].has(e.item)) counts[e.item]++;
    seen[e.user].add(e.item);
    maxTime = Math.max(maxTime, e.timestamp);
  }
  const popular = Array.from(topK(counts, 200).indices);
  return { users: nU, f: m.factors, userFactors: m.userFactors, itemFactors: m.itemFactors, store, history, seen, popular, maxTime };
}

function userCase(s: Stage, u: number, refTime: 'user-last' | 'global-last', exclude: (i: number) => boolean): UserCase {
  const h = s.history[u];
  let last = -Infinity;
  for (const e of h) last = Math.max(last, e.timestamp);
  return {
    alsScores: h.length ? dotScores(s.itemFactors, s.f, s.userFactors.subarray(u * s.f, (u + 1) * s.f)) : undefined,
    history: h,
    refTime: refTime === 'user-last' && h.length ? last : s.maxTime,
    exclude,
    popular: s.popular,
  };
}

/** The two-stage engine as a {@link ModelFactory}. */
export function twoStageFactory(options: TwoStageEvalOptions = {}): ModelFactory {
  const als = { ...DEFAULT_ALS_PARAMS, ...TWO_STAGE_ALS, ...(options.als ?? {}) };
  const carve = options.carve ?? 'stratified';
  const refTime = options.refTime ?? (carve === 'temporal' ? 'global-last' : 'user-last');
  const cand = { ...DEFAULT_CANDIDATE_OPTIONS, ...TWO_STAGE_CANDIDATES, ...(options.candidates ?? {}) };
  const scorerParams = { ...TWO_STAGE_SCORER, ...(options.scorer ?? {}) };
  const progress = options.onProgress ?? (() => undefined);
  const ranker = scorerParams.hidden ? `${scorerParams.hidden}-unit MLP` : 'logistic ranker';
  const base = `ALS f=${als.factors} λ=${als.regularization} α=${als.alpha} top-${cand.alsTopN} ∪ popular ${cand.popularN} → pairwise ${ranker}, ${carve} validation carve, gated vs ALS order`;
  const factory: ModelFactory = {
    name: options.name ?? 'two-stage',
    describe: base,
    fit(train) {
      const rows = train.rows;
      // Labelled users for one (visible → label window) cut: stage 1 on the visible rows, features
      // from it, labels = the user's items in the label window they had not seen.
      const labelledFor = (older: readonly Interaction[], newer: readonly Interaction[]): LabelledUser[] => {
        progress('stage 1 on the visible part');
        const s1 = fitStage(train, older, als, options.store ?? {});
        const labels = new Map<number, Set<number>>();
        for (const r of newer) {
          const u = train.users.get(r.user)!;
          const i = train.items.get(r.item)!;
          if (s1.seen[u].has(i)) continue;
          let set = labels.get(u);
          if (!set) labels.set(u, (set = new Set()));
          set.add(i);
        }
        progress('features');
        const out: LabelledUser[] = [];
        for (const u of [...labels.keys()].sort((a, b) => a - b)) {
          if (s1.history[u].length === 0) continue;
          const seen = s1.seen[u];
          out.push({ f: featurize(s1.store, userCase(s1, u, refTime, (i) => seen.has(i)), cand), relevant: labels.get(u)! });
        }
        return out;
      };
      progress('scorer');
      let fitted: { scorer?: ScorerModel; decision: ScorerDecision };
      if (carve === 'temporal') {
        // Forward-chained: scorer trained on the second-to-last 20 % window, gated on the last 20 %.
        const { train: older, test: last } = temporalSplit(rows, 0.2);
        const { train: oldest, test: previous } = temporalSplit(older, 0.2);
        fitted = trainAndGateForward(labelledFor(oldest, previous), labelledFor(older, last), scorerParams);
      } else {
        const { train: older, test: newer } = stratifiedSplit(rows, { ratio: 0.75, filterBy: 'item', seed: options.seed ?? 4242 });
        fitted = trainAndGate(labelledFor(older, newer), scorerParams);
      }
      const { scorer, decision } = fitted;
      options.onDecision?.(decision);
      // The report shows which order was evaluated and why (describe is read after fit).
      factory.describe = `${base}; gate: ${decision.promoted ? 'scorer promoted' : 'ALS order kept'} (${decision.reason})`;
      progress('stage 1 on all training rows');
      const s2 = fitStage(train, rows, als, options.store ?? {});
      const use: ScorerModel | undefined = decision.promoted ? scorer : undefined;
      const scores = new Float32Array(train.items.size);
      return {
        recommend(u, k, exclude) {
          const c = userCase(s2, u, refTime, exclude);
          if (!use || !c.alsScores) {
            if (c.alsScores) return topK(c.alsScores, k, exclude).indices;
            scores.fill(0);
            s2.popular.forEach((i, r) => (scores[i] = s2.popular.length - r));
            return topK(scores, k, exclude).indices;
          }
          const f = featurize(s2.store, c, cand);
          const order = scorerOrder(use, f).order;
          const out = order.slice(0, k).map((r) => f.candidates[r].index);
          if (out.length < k) for (const r of alsOrder(f.candidates)) if (out.length < k && !out.includes(f.candidates[r].index)) out.push(f.candidates[r].index);
          return Int32Array.from(out);
        },
      };
    },
  };
  return factory;
}
