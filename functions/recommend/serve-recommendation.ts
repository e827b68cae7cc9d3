/** The recommendation as served: {@link recommendForReceiver}, its `recommendation_id`, and a sampled impression written beside the products' read. */
import type { RecommendationQuery, RecommendationResult } from '../core/domain/types.js';
import { recommendForReceiver, type RecommendDeps } from './recommend-for-receiver.js';
import { ResponseImpression, type ImpressionDeps } from './record-impression.js';

export type ServeDeps = RecommendDeps & ImpressionDeps;

export async function serveRecommendation(
  deps: ServeDeps,
  query: RecommendationQuery,
  canSee: (wishlistPublic: boolean) => (reason: string) => boolean,
  random = Math.random,
): Promise<RecommendationResult & { recommendation_id: string }> {
  const now = Date.now();
  const impression = new ResponseImpression(deps, query.userId, now, random);
  const result = await recommendForReceiver(deps, query, now, canSee, (version, items) => impression.early(version, items));
  await impression.settle(
    result.model_version,
    result.recommended_products.map((p) => ({ id: p.id, reasons: p.reasons })),
  );
  deps.metrics?.count('RecommendationsServed');
  return { ...result, recommendation_id: impression.recommendationId };
}
