/**
 * What a model version says about its collaborative model: the family, its parameters and how the
 * retrain chose them. Read by serving (which family to rank with, the recency half-life of the
 * receiver's history, the popularity and category blends) and shown by `GET /model`.
 */
import type { AlsParams } from '../factorization/als.js';
import type { EaseParams } from '../factorization/ease.js';
import type { HalfLife } from '../domain/interactions.js';

export type ModelFamily = 'ease' | 'als' | 'popularity';

/** One point of the search space: what a model version is trained with. */
export interface ModelConfig {
  family: ModelFamily;
  /** Recency half-life of the interaction confidence (null: off). */
  halfLifeDays: HalfLife;
  ease?: EaseParams;
  als?: AlsParams;
  /** Weight β of the trending-popularity prior: score = model / max(model) + β · popularity. */
  popularityBlend: number;
  /** Weight γ of the category prior, added before the popularity blend (absent or 0: off; `ranking/category-prior.ts`). */
  categoryBlend?: number;
}

export interface CandidateResult {
  config: ModelConfig;
  ndcg10: number;
  seconds: number;
}

/** How the validation window was carved and what each candidate scored on it. */
export interface SelectionFacts {
  validationNdcg10: number;
  window: {
    fraction: number;
    carve: 'temporal' | 'random per user';
    cutoff: number;
    users: number;
    relevance: 'orders' | 'any event';
    /** Present when the candidates were fitted on a user sample of the fit events (large data). */
    sample?: { users: number; events: number; ofUsers: number; ofEvents: number };
  };
  candidates: CandidateResult[];
  seconds: number;
  notes: string[];
}

/** `manifest.model`. */
export interface ModelManifest extends ModelConfig {
  description: string;
  /** Reference time of the recency weights (newest training event, or as-of). */
  refTime: string;
  selection?: SelectionFacts;
  note?: string;
  /** Deployment settings that constrained the search. */
  overrides?: { als?: Partial<AlsParams>; families?: readonly ModelFamily[] };
}
