/**
 * Category prior: shoppers come back for more of what they browse and buy — another phone after
 * three phones, the store brand after the store brand. Collaborative scores know this only through
 * co-occurrence, which is thin on small or short logs; the catalogue knows it directly.
 *
 *   prior_u(i) = share_u(g(i)) · P(i | g(i))
 *
 * where g(i) is the item's group (its category, refined by its brand when products carry one),
 * share_u(g) is the receiver's decayed history strength in g over their whole decayed strength,
 * and P(i | g) = (pop_i + ε) / Σ_{j ∈ g} (pop_j + ε) is the item's share of its group's trending
 * popularity (ε keeps never-sold items of a liked group above zero): the two-level popularity model
 * P(item | user) ≈ P(group | user) · P(item | group). An item of a small, focused group (three
 * phones of one brand) gets more than one of three hundred yoghurts; scaling by the group's best
 * seller instead (a term in [0, 1] whatever the group size) scored nDCG@10 0.0705 vs 0.0745 on the
 * REES46 sample, so the γ grid spans the group sizes instead.
 *
 * It is added to the model's max-normalised scores with the weight γ the selection chose
 * (`manifest.model.categoryBlend`) before the popularity blend, by serving and the selection alike
 * ({@link addCategoryPrior}), so what was validated is what serves.
 */

/** One group index per item (−1: no category, no prior) and the number of groups. */
export interface ItemGroups {
  group: Int32Array;
  nGroups: number;
}

/** What the grouping reads of an item: its category, and its brand when the catalogue has one. */
export interface GroupedItem {
  category?: string;
  brand?: string;
}

/** Below this many groups (one category, or none) the prior would say nothing: callers skip it. */
export const MIN_GROUPS = 2;
/** ε of P(i | g), on popularity normalised to [0, 1]. */
const UNSOLD_SHARE = 0.01;

/** What the prior groups a product by: its category, refined by its `brand` attribute when it has one. */
export function groupedItem(p: { category: string; attributes?: Record<string, string> }): { category: string; brand?: string } {
  const brand = p.attributes?.brand;
  return brand ? { category: p.category, brand } : { category: p.category };
}

/** Groups by category, refined by brand when present; items without a category get −1. */
export function itemGroups(items: readonly GroupedItem[]): ItemGroups {
  const ids = new Map<string, number>();
  const group = new Int32Array(items.length);
  items.forEach((it, i) => {
    if (!it.category) {
      group[i] = -1;
      return;
    }
    const key = it.brand ? `${it.category}\u0000${it.brand}` : it.category;
    let g = ids.get(key);
    if (g === undefined) ids.set(key, (g = ids.size));
    group[i] = g;
  });
  return { group, nGroups: ids.size };
}

/** The groups and each item's share of its group's popularity: all a receiver's prior needs. */
export interface CategoryPrior extends ItemGroups {
  /** P(i | g(i)); 0 for items without a group. */
  shareInGroup: Float32Array;
}

export function categoryPrior(groups: ItemGroups, popularity: ArrayLike<number>): CategoryPrior {
  const { group, nGroups } = groups;
  const total = new Float64Array(nGroups);
  for (let i = 0; i < group.length; i++) if (group[i] >= 0) total[group[i]] += (popularity[i] ?? 0) + UNSOLD_SHARE;
  const shareInGroup = new Float32Array(group.length);
  for (let i = 0; i < group.length; i++) if (group[i] >= 0) shareInGroup[i] = ((popularity[i] ?? 0) + UNSOLD_SHARE) / total[group[i]];
  return { group, nGroups, shareInGroup };
}

/** share_u(g) for each group from a history (item indices and their decayed strengths). */
export function groupShares(prior: ItemGroups, history: ArrayLike<number>, weights: ArrayLike<number>, out = new Float64Array(prior.nGroups)): Float64Array {
  out.fill(0);
  let total = 0;
  for (let k = 0; k < history.length; k++) {
    const w = weights[k];
    if (!(w > 0)) continue;
    total += w;
    const g = prior.group[history[k]];
    if (g >= 0) out[g] += w;
  }
  if (total > 0) for (let g = 0; g < out.length; g++) out[g] /= total;
  return out;
}

/**
 * scores[i] ← scores[i] / max(scores) + γ · prior_u(i), in place, over the first n items (scores
 * as they are when none is positive, as in the popularity blend). Returns whether any item got a
 * prior (false when the history touches no group); `shares` receives share_u(g) (serving reads
 * it for the reasons instead of computing it again).
 */
export function addCategoryPrior(
  scores: Float32Array,
  n: number,
  prior: CategoryPrior,
  history: ArrayLike<number>,
  weights: ArrayLike<number>,
  gamma: number,
  shares = new Float64Array(prior.nGroups),
): boolean {
  groupShares(prior, history, weights, shares);
  let any = false;
  for (let g = 0; g < shares.length && !any; g++) any = shares[g] > 0;
  let max = 0;
  for (let i = 0; i < n; i++) if (scores[i] > max) max = scores[i];
  const scale = max > 0 ? 1 / max : 1;
  const { group, shareInGroup } = prior;
  for (let i = 0; i < n; i++) {
    const g = group[i];
    scores[i] = scores[i] * scale + (g >= 0 ? gamma * shares[g] * shareInGroup[i] : 0);
  }
  return any;
}
