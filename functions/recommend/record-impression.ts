/**
 * Gives a recommendation response its `recommendation_id` and, for a sampled share of responses,
 * records what was shown (online metrics). Recording never fails the response: a store error is logged.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusinessMetrics, OnlineMetricsStore } from '../core/domain/ports.js';
import type { RecommendationResult } from '../core/domain/types.js';

export const newRecommendationId = (): string => randomBytes(12).toString('base64url');

export async function withImpression(
  deps: { onlineMetrics: OnlineMetricsStore; logger: Logger; sampleRate: number; metrics?: BusinessMetrics },
  userId: string,
  result: RecommendationResult,
  now = Date.now(),
  random = Math.random,
): Promise<RecommendationResult & { recommendation_id: string }> {
  const recommendationId = newRecommendationId();
  if (result.recommended_products.length > 0 && random() < deps.sampleRate) {
    try {
      await deps.onlineMetrics.recordImpression({
        recommendationId,
        userId,
        modelVersion: result.model_version,
        shownAt: now,
        items: result.recommended_products.map((p) => ({ id: p.id, reasons: p.reasons })),
      });
      deps.metrics?.count('RecommendationImpressions', 1, undefined, { modelVersion: result.model_version });
    } catch (err) {
      deps.logger.warn('impression not recorded', { recommendationId, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { ...result, recommendation_id: recommendationId };
}
