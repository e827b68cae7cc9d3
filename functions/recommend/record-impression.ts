/**
 * Gives a recommendation response its `recommendation_id` and, for a sampled share of responses,
 * records what was shown (online metrics). Recording never fails the response: a store error is logged.
 *
 * The write runs beside the response's last read instead of after it: {@link ResponseImpression.early}
 * records the list the ranking chose while the products are re-read, and
 * {@link ResponseImpression.settle} corrects it in the rare response where a product changed since
 * the snapshot and the list was redone. One round trip fewer on every request; the stored
 * impression and the day's counters still describe exactly what was answered.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusinessMetrics, OnlineMetricsStore } from '../core/domain/ports.js';
import { sameShownItems, type Impression } from '../core/domain/online-metrics.js';

export const newRecommendationId = (): string => randomBytes(12).toString('base64url');

export type ShownItems = Impression['items'];

export interface ImpressionDeps {
  onlineMetrics: OnlineMetricsStore;
  logger: Logger;
  /** Share of responses whose impressions are recorded. */
  sampleRate: number;
  metrics?: BusinessMetrics;
}

/** The impression of one response: sampled once, written at most once, corrected at most once. */
export class ResponseImpression {
  readonly recommendationId = newRecommendationId();
  private readonly sampled: boolean;
  private attempted = false;
  private recorded?: Impression;

  constructor(
    private readonly deps: ImpressionDeps,
    private readonly userId: string,
    private readonly shownAt = Date.now(),
    random = Math.random,
  ) {
    this.sampled = random() < deps.sampleRate;
  }

  /** Records `items` as shown by `modelVersion` (the ranking's list, before the products' re-read). */
  async early(modelVersion: string, items: ShownItems): Promise<void> {
    if (!this.sampled || this.attempted || items.length === 0) return;
    this.attempted = true;
    const impression: Impression = { recommendationId: this.recommendationId, userId: this.userId, modelVersion, shownAt: this.shownAt, items };
    try {
      await this.deps.onlineMetrics.recordImpression(impression);
      this.recorded = impression;
      this.deps.metrics?.count('RecommendationImpressions', 1, undefined, { modelVersion });
    } catch (err) {
      this.warn('impression not recorded', err);
    }
  }

  /** The list answered: recorded now if nothing was yet, replaced if it differs from the early one. */
  async settle(modelVersion: string, items: ShownItems): Promise<void> {
    if (!this.attempted) return this.early(modelVersion, items);
    const recorded = this.recorded;
    if (!recorded || sameShownItems(recorded.items, items)) return;
    const next = items.length > 0 ? { ...recorded, items } : undefined;
    try {
      await this.deps.onlineMetrics.replaceImpression(recorded, next);
      this.recorded = next;
    } catch (err) {
      this.warn('impression not corrected', err);
    }
  }

  private warn(message: string, err: unknown): void {
    this.deps.logger.warn(message, { recommendationId: this.recommendationId, error: err instanceof Error ? err.message : String(err) });
  }
}
