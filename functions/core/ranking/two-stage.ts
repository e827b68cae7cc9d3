/**
 * The two-stage pipeline shared by the retrain job, the serving path and the offline evaluation:
 * candidates (candidates.ts) → feature vectors (features.ts) → learned scorer (scorer.ts). The gate
 * that promotes a scorer lives with training (training/scorer-gate.ts).
 */
import { generateCandidates, type Candidate, type CandidateOptions } from './candidates.js';
import { buildFeatureVector, buildUserContext, FEATURE_COUNT, type ItemFeatureStore } from './features.js';
import { scorerLogit, type ScorerModel } from './scorer.js';
import type { EmbeddingIndex } from '../content/similarity.js';

/** One user as the pipeline sees them (dense item indices). */
export interface UserCase {
  alsScores?: Float32Array;
  /** Visible history (any order, duplicates allowed). */
  history: readonly { item: number; timestamp: number }[];
  refTime: number;
  exclude: (i: number) => boolean;
  /** Optional mask form of `exclude` (1 = allowed), for the catalog-wide pass. */
  allowed?: Uint8Array;
  popular: readonly number[];
  newItems?: readonly number[];
  wishlist?: readonly number[];
}

export interface ContentSource {
  embeddings: EmbeddingIndex;
  itemIds: readonly string[];
  itemIndex: ReadonlyMap<string, number>;
}

export interface FeaturizedCandidates {
  candidates: Candidate[];
  /** candidates.length × FEATURE_COUNT. */
  x: Float32Array;
}

/** Candidates and their feature rows for one user: the same code at training and serving. */
export function featurize(
  store: ItemFeatureStore,
  user: UserCase,
  candidateOptions: Partial<CandidateOptions> = {},
  content?: ContentSource,
): FeaturizedCandidates {
  const ctx = buildUserContext(store, user.history, user.refTime);
  const candidates = generateCandidates(
    {
      nItems: store.nItems,
      alsScores: user.alsScores,
      recentItems: ctx.history.map((h) => h.item),
      wishlist: user.wishlist ?? [],
      popular: user.popular,
      newItems: user.newItems ?? [],
      embeddings: content?.embeddings,
      itemIds: content?.itemIds,
      itemIndex: content?.itemIndex,
      exclude: user.exclude,
      allowed: user.allowed,
    },
    candidateOptions,
  );
  let maxAls = 0;
  for (const c of candidates) maxAls = Math.max(maxAls, c.alsScore);
  const x = new Float32Array(candidates.length * FEATURE_COUNT);
  candidates.forEach((c, r) => buildFeatureVector(store, ctx, c, maxAls, x, r * FEATURE_COUNT, content?.embeddings));
  return { candidates, x };
}

/** Candidates ordered by ALS (rank, then index): the order the engine keeps when no scorer passed the gate. */
export function alsOrder(candidates: readonly Candidate[]): number[] {
  return candidates
    .map((c, r) => [r, c.alsRank, c.index] as const)
    .sort((a, b) => a[1] - b[1] || a[2] - b[2])
    .map(([r]) => r);
}

/** Candidate rows ordered by scorer logit, best first (ties: ALS rank, then index). */
export function scorerOrder(m: ScorerModel, f: FeaturizedCandidates): { order: number[]; logits: Float64Array } {
  const logits = new Float64Array(f.candidates.length);
  for (let r = 0; r < logits.length; r++) logits[r] = scorerLogit(m, f.x, r * FEATURE_COUNT);
  const order = f.candidates
    .map((_, r) => r)
    .sort((a, b) => logits[b] - logits[a] || f.candidates[a].alsRank - f.candidates[b].alsRank || f.candidates[a].index - f.candidates[b].index);
  return { order, logits };
}

