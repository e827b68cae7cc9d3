/**
 * Recommendation use case: receiver's history and profile → ranking over the serving snapshot
 * → the stored product objects (re-checked, since the catalog may have changed since the snapshot).
 */
import type { BusinessMetrics, CatalogStore, InteractionStore, UserStore } from '../core/domain/ports.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { isEligible, rankForReceiver, type RankingOptions } from '../core/ranking/recommend.js';
import { assertKnownFilters } from '../core/ranking/known-filter-values.js';
import { publicProduct } from '../core/domain/product-view.js';
import type { Product, RecommendationQuery, RecommendationResult } from '../core/domain/types.js';
import type { Impression } from '../core/domain/online-metrics.js';
import { shownProducts, type ViewProducts } from '../core/snapshot/view-products.js';

export interface RecommendDeps {
  catalog: CatalogStore;
  interactions: InteractionStore;
  users: UserStore;
  snapshot: () => Promise<ModelSnapshot>;
  /** Shown products kept until the live catalog sees a change (core/snapshot/view-products.ts); absent: read on every request. */
  viewProducts?: Pick<ViewProducts, 'get'>;
  historyLimit: number;
  ranking?: Partial<RankingOptions>;
  /** Counts cold-start answers and promoted shortfalls. */
  metrics?: BusinessMetrics;
}

/** The reasons the caller may see; `personalized` stands in when every reason was private. */
function redacted(reasons: readonly string[], visible: (reason: string) => boolean): string[] {
  const kept = reasons.filter(visible);
  return kept.length === 0 && reasons.length > 0 ? ['personalized'] : kept;
}

/** The snapshot's view of a product may be stale: re-check the filters on the stored object. */
function stillEligible(p: Product, query: RecommendationQuery, country: string | undefined): boolean {
  return isEligible({ ...p, createdAt: 0, interactionCount: 0 }, query, country, new Set());
}

/**
 * `canSee` (functions/http/auth.ts visibleReasons) drops the reasons the caller may not see about
 * this receiver: a gift-giver does not learn the receiver's cart, purchases or browsing.
 * `onRanked` receives the first ranking's list (ids and visible reasons) while the shown products
 * are read, so a write about it (the impression) overlaps that read; it must not reject.
 */
export async function recommendForReceiver(
  deps: RecommendDeps,
  query: RecommendationQuery,
  now = Date.now(),
  canSee: (wishlistPublic: boolean) => (reason: string) => boolean = () => () => true,
  onRanked?: (modelVersion: string, items: Impression['items']) => Promise<void>,
): Promise<RecommendationResult> {
  const [snapshot, history, profile] = await Promise.all([
    deps.snapshot(),
    deps.interactions.listForUser(query.userId, deps.historyLimit),
    deps.users.get(query.userId),
  ]);
  assertKnownFilters(snapshot, { categories: query.categories });
  const country = query.country ?? profile?.country;
  const visible = canSee(profile?.wishlistPublic ?? true);
  const stale = new Set<string>();
  // Two passes at most: a product changed since the snapshot is dropped and the ranking redone.
  for (let pass = 0; ; pass++) {
    const blacklist = [...(profile?.blacklist ?? []), ...stale];
    const ranking = await rankForReceiver(snapshot, { history, profile: { id: query.userId, country: profile?.country, blacklist }, now }, query, deps.ranking);
    const shown = ranking.items.map((r) => ({ id: r.id, reasons: redacted(r.reasons, visible) }));
    const [products] = await Promise.all([shownProducts(deps, shown.map((s) => s.id)), pass === 0 ? onRanked?.(snapshot.manifest.version, shown) : undefined]);
    const fresh = new Map(products.map((p) => [p.id, p]));
    const changed = ranking.items.filter((r) => {
      const p = fresh.get(r.id);
      return !p || !stillEligible(p, query, country);
    });
    if (changed.length === 0 || pass === 1) {
      if (!ranking.personalized) deps.metrics?.count('ColdStartAnswers');
      if (ranking.promotedShortfall > 0) deps.metrics?.count('PromotedShortfall', ranking.promotedShortfall);
      return {
        recommended_products: ranking.items.flatMap((r, k) =>
          fresh.has(r.id) && !changed.includes(r) ? [{ ...publicProduct(fresh.get(r.id)!), score: r.score, reasons: shown[k].reasons }] : [],
        ),
        model_version: snapshot.manifest.version,
        promoted_shortfall: ranking.promotedShortfall,
      };
    }
    for (const r of changed) stale.add(r.id);
  }
}
