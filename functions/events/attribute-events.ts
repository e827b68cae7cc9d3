/**
 * Online metrics attribution: an event that names the `recommendationId` of a response and is
 * about a product that response showed, within the attribution window, is counted for that
 * response's model version and for the reasons the product was shown with. Once per
 * (recommendation, product, type); funnel events only, not reviews. Failures are logged: the
 * events are already stored.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusinessMetrics, OnlineMetricsStore } from '../core/domain/ports.js';
import type { FunnelEventType, InteractionEvent } from '../core/domain/types.js';
import { attributable, type Impression } from '../core/domain/online-metrics.js';

export async function attributeEvents(
  deps: { onlineMetrics: OnlineMetricsStore; logger: Logger; windowMs: number; metrics?: BusinessMetrics },
  events: readonly InteractionEvent[],
): Promise<number> {
  // Reviews never cite a recommendation (the request schema refuses it); the funnel types do.
  const cited = events.filter((e): e is InteractionEvent & { type: FunnelEventType } => e.recommendationId !== undefined && e.type !== 'review');
  if (cited.length === 0) return 0;
  let attributed = 0;
  try {
    const impressions = new Map<string, Impression | undefined>();
    await Promise.all(
      [...new Set(cited.map((e) => e.recommendationId!))].map(async (id) => impressions.set(id, await deps.onlineMetrics.getImpression(id))),
    );
    for (const e of cited) {
      const imp = impressions.get(e.recommendationId!);
      const hit = imp && attributable(imp, e.productId, e.timestamp, deps.windowMs);
      if (imp && hit && (await deps.onlineMetrics.recordAttribution(imp, e.productId, e.type, hit.reasons))) {
        attributed++;
        deps.metrics?.count('AttributedEvents', 1, e.type, { modelVersion: imp.modelVersion });
      }
    }
  } catch (err) {
    deps.logger.warn('attribution failed', { error: err instanceof Error ? err.message : String(err) });
  }
  return attributed;
}
