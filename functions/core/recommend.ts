/**
 * The recommendation use case over an in-memory model snapshot (DESIGN.md › Flows 1, Gifting):
 * fold-in of the receiver's current interactions → scores over the whole catalog → business
 * filters → selection with a guaranteed minimum of promoted items → reasons per item.
 *
 * Pure: the caller fetches the receiver's events and profile, and the fresh product objects.
 */
import { foldInUser } from './als.js';
import { summarizeUserEvents, type InteractionSettings, DEFAULT_INTERACTION_SETTINGS, type UserItemSummary } from './interactions.js';
import type { ModelSnapshot, SnapshotItem } from './model-snapshot.js';
import { dotScores, topK } from './topk.js';
import type { InteractionEvent, RecommendationQuery, UserProfile } from './types.js';

/** Scores every item for one user vector: the JS loop by default, ONNX Runtime MatMul in the Lambda. */
export type ScoreAll = (itemFactors: Float32Array, f: number, userVec: Float32Array) => Float32Array | Promise<Float32Array>;

export const jsScoreAll: ScoreAll = (itemFactors, f, userVec) => dotScores(itemFactors, f, userVec);

export interface RankingOptions {
  /** Added to the (max-normalised) score of wishlist / cart items: they are the best gifts. */
  wishlistBoost: number;
  /** Items created within this many days with few interactions get the `new_arrival` reason and a small boost. */
  newArrivalDays: number;
  newArrivalMaxInteractions: number;
  newArrivalBoost: number;
  interactions: InteractionSettings;
  scoreAll: ScoreAll;
}

export const DEFAULT_RANKING_OPTIONS: RankingOptions = {
  wishlistBoost: 0.5,
  newArrivalDays: 14,
  newArrivalMaxInteractions: 2,
  newArrivalBoost: 0.05,
  interactions: DEFAULT_INTERACTION_SETTINGS,
  scoreAll: jsScoreAll,
};

export interface RankedItem {
  index: number;
  id: string;
  score: number;
  reasons: string[];
}

export interface Ranking {
  items: RankedItem[];
  promotedShortfall: number;
  personalized: boolean;
}

export interface ReceiverContext {
  /** Events credited to the receiver (their own and gifts they received), any order. */
  history: readonly Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp'>[];
  profile?: UserProfile;
  now: number;
}

const DAY_MS = 86_400_000;

/** The business filters every returned item passes (moderation, budget, country, category, blacklist, owned). */
export function isEligible(
  item: SnapshotItem,
  query: Pick<RecommendationQuery, 'minPrice' | 'maxPrice' | 'category'>,
  country: string | undefined,
  blocked: ReadonlySet<string>,
): boolean {
  if (item.status !== 'active') return false;
  if (query.minPrice !== undefined && item.price < query.minPrice) return false;
  if (query.maxPrice !== undefined && item.price > query.maxPrice) return false;
  if (query.category !== undefined && item.category !== query.category) return false;
  if (country !== undefined && item.countries.length > 0 && !item.countries.includes(country)) return false;
  return !blocked.has(item.id);
}

/**
 * Chooses `num` items from a score vector so that at least `minPromoted` promoted items are in,
 * when that many are eligible: the best-scored promoted items replace the worst-scored others.
 * Returns indices in descending score order and the shortfall.
 */
export function selectWithPromotedMinimum(
  scores: Float32Array,
  num: number,
  minPromoted: number,
  eligible: (i: number) => boolean,
  promoted: (i: number) => boolean,
): { indices: number[]; promotedShortfall: number } {
  const best = Array.from(topK(scores, num, (i) => !eligible(i)).indices);
  const bestPromoted = Array.from(topK(scores, Math.max(minPromoted, 0), (i) => !(eligible(i) && promoted(i))).indices);
  const promotedShortfall = Math.max(0, minPromoted - bestPromoted.length);
  const chosen = new Set(best);
  let have = best.filter(promoted).length;
  // Walk the non-promoted picks from worst up, swapping in the best promoted ones not yet chosen.
  const drop = best.filter((i) => !promoted(i)).reverse();
  for (const p of bestPromoted) {
    if (have >= minPromoted) break;
    if (chosen.has(p)) continue;
    if (chosen.size >= num) {
      const out = drop.shift();
      if (out === undefined) break;
      chosen.delete(out);
    }
    chosen.add(p);
    have++;
  }
  const indices = [...chosen].sort((a, b) => scores[b] - scores[a] || a - b);
  return { indices, promotedShortfall };
}

function userVector(snapshot: ModelSnapshot, summaries: Map<string, UserItemSummary>): { vec?: Float32Array; known: number[] } {
  const idx: number[] = [];
  const r: number[] = [];
  for (const [id, s] of summaries) {
    const i = snapshot.itemIndex.get(id);
    if (i === undefined || !(s.strength > 0)) continue;
    idx.push(i);
    r.push(s.strength);
  }
  if (idx.length === 0) return { known: idx };
  return { vec: foldInUser(snapshot.itemFactors, snapshot.factors, idx, r, snapshot.manifest.als, snapshot.YtY), known: idx };
}

/** The history item whose factors are closest to item i: the "because you bought" explanation. */
function closestHistoryItem(snapshot: ModelSnapshot, i: number, historyIdx: readonly number[]): number | undefined {
  const f = snapshot.factors;
  const Y = snapshot.itemFactors;
  let best: number | undefined;
  let bestSim = 0;
  for (const h of historyIdx) {
    let dot = 0;
    for (let a = 0; a < f; a++) dot += Y[i * f + a] * Y[h * f + a];
    if (dot > bestSim) {
      bestSim = dot;
      best = h;
    }
  }
  return best;
}

/**
 * Ranks the catalog for one receiver. Known receivers are scored by fold-in against the serving
 * item factors (so events since the last retrain count at once); cold ones by popularity in their
 * country when known, else global popularity.
 */
export async function rankForReceiver(
  snapshot: ModelSnapshot,
  receiver: ReceiverContext,
  query: RecommendationQuery,
  options: Partial<RankingOptions> = {},
): Promise<Ranking> {
  const opt = { ...DEFAULT_RANKING_OPTIONS, ...options };
  const n = snapshot.items.length;
  const summaries = summarizeUserEvents(receiver.history, opt.interactions);
  const country = query.country ?? receiver.profile?.country;
  const blocked = new Set(receiver.profile?.blacklist ?? []);
  for (const [id, s] of summaries) if (s.owned) blocked.add(id);

  const { vec, known } = userVector(snapshot, summaries);
  const personalized = vec !== undefined;
  const scores = new Float32Array(n);
  const countryRank = country ? snapshot.popularByCountry[country] : undefined;
  if (personalized) {
    const raw = await opt.scoreAll(snapshot.itemFactors, snapshot.factors, vec);
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, raw[i]);
    const scale = max > 0 ? 1 / max : 1;
    // Popularity breaks ties among items the factors know nothing about (zero vectors).
    for (let i = 0; i < n; i++) scores[i] = raw[i] * scale + 1e-3 * snapshot.popularity[i];
  } else if (countryRank && countryRank.length > 0) {
    for (let i = 0; i < n; i++) scores[i] = 0.5 * snapshot.popularity[i];
    countryRank.forEach((i, r) => (scores[i] = 1 + 1 / (r + 1)));
  } else {
    scores.set(snapshot.popularity);
  }

  const boosted = new Map<number, string[]>();
  for (const [id, s] of summaries) {
    const i = snapshot.itemIndex.get(id);
    if (i === undefined || s.owned || !(s.wishlisted || s.inCart)) continue;
    scores[i] += opt.wishlistBoost + 1;
    boosted.set(i, [s.wishlisted ? 'on_wishlist' : 'in_cart']);
  }
  const newSince = receiver.now - opt.newArrivalDays * DAY_MS;
  const isNew = (it: SnapshotItem) => it.createdAt >= newSince && it.interactionCount <= opt.newArrivalMaxInteractions;
  for (let i = 0; i < n; i++) if (isNew(snapshot.items[i])) scores[i] += opt.newArrivalBoost;

  const eligible = (i: number) => isEligible(snapshot.items[i], query, country, blocked);
  const promoted = (i: number) => snapshot.items[i].promoted;
  const { indices, promotedShortfall } = selectWithPromotedMinimum(scores, query.num, query.minPromoted, eligible, promoted);

  const topPersonal = personalized ? new Set(topK(scores, Math.max(200, query.num), (i) => !eligible(i)).indices) : new Set<number>();
  const countrySet = new Set(countryRank ?? []);
  const items = indices.map((i): RankedItem => {
    const it = snapshot.items[i];
    const reasons: string[] = [...(boosted.get(i) ?? [])];
    if (personalized && topPersonal.has(i) && !boosted.has(i)) {
      const h = closestHistoryItem(snapshot, i, known);
      if (h !== undefined) reasons.push(`because_you_bought:${snapshot.items[h].id}`);
    }
    if (!personalized && countrySet.has(i)) reasons.push('popular_in_country');
    if (isNew(it)) reasons.push('new_arrival');
    if (reasons.length === 0) reasons.push('popular_backfill');
    if (it.promoted) reasons.push('promoted');
    return { index: i, id: it.id, score: Number(scores[i].toFixed(6)), reasons };
  });
  return { items, promotedShortfall, personalized };
}
