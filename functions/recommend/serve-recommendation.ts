/** The recommendation as served: {@link recommendForReceiver}, then its `recommendation_id` and a sampled impression. */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { OnlineMetricsStore } from '../core/domain/ports.js';
import type { RecommendationQuery } from '../core/domain/types.js';
import { recommendForReceiver, type RecommendDeps } from './recommend-for-receiver.js';
import { withImpression } from './record-impression.js';

export interface ServeDeps extends RecommendDeps {
  onlineMetrics: OnlineMetricsStore;
  logger: Logger;
  /** Share of responses whose impressions are recorded. */
  sampleRate: number;
}

export async function serveRecommendation(deps: ServeDeps, query: RecommendationQuery, canSee: (wishlistPublic: boolean) => (reason: string) => boolean) {
  const served = await withImpression(deps, query.userId, await recommendForReceiver(deps, query, Date.now(), canSee));
  deps.metrics?.count('RecommendationsServed');
  return served;
}
