/**
 * The recommendation use case over an in-memory model snapshot:
 * fold-in of the receiver's current interactions → scores over the whole catalog → business
 * filters → selection with a guaranteed minimum of promoted items → reasons per item.
 *
 * Two stages when the version carries a feature store: candidates (ALS top-N ∪ content
 * neighbours ∪ wishlist ∪ popular in country ∪ new items) → features → the scorer, if the retrain
 * gate promoted it (`manifest.ranking.mode`), else ALS order with the business boosts → business
 * rules (eligibility, the deployment's business rules, optional MMR diversity, promoted guarantee) → reasons.
 *
 * Pure: the caller fetches the receiver's events and profile, and the fresh product objects.
 */
import { foldInUser } from '../factorization/als.js';
import { neighbourScores, strongestContributor } from '../factorization/ease.js';
import { decayedStrengths, summarizeUserEvents, type InteractionSettings, type UserItemSummary, DEFAULT_INTERACTION_SETTINGS } from '../domain/interactions.js';
import type { ItemColumns, ModelSnapshot, SnapshotItem } from '../snapshot/model-snapshot.js';
import { dotAt, dotScores, topK, topKFilteredPair, TwoHeads, type IndexFilter } from '../numeric/topk.js';
import type { InteractionEvent, RecommendationQuery, UserProfile } from '../domain/types.js';
import { contentNeighbours, DEFAULT_CANDIDATE_OPTIONS, type CandidateOptions } from './candidates.js';
import { contentCosine, distinctRecentFirst, SOURCE } from './features.js';
import { scoreRows as tsScoreRows } from './scorer.js';
import { featurize } from './two-stage.js';
import { mmrOrder } from './diversity.js';
import { blendedScore, blendScale, blendWithPopularity, streamBlended } from './popularity.js';
import { explorationSlots, reserveExplorationSlots } from './new-arrivals.js';
import { cachedBusinessRules, type BusinessRules } from './business-rules.js';
import { addCategoryPrior, categoryPrior, itemGroups, MIN_GROUPS, type CategoryPrior } from './category-prior.js';
import { candidateBase, candidatePrices, promotedMask, restrictMask, type SelectBlendedCandidates } from './blended-candidates.js';

/**
 * Scores every item for one user vector: the JS loop by default, ONNX Runtime MatMul in the Lambda.
 * `out` (one float per item), when given, may be filled and returned instead of a new array: the
 * ranking passes a reused buffer, so a request allocates no catalog-sized array. A kernel may ignore it.
 */
export type ScoreAll = ((itemFactors: Float32Array, f: number, userVec: Float32Array, out?: Float32Array) => Float32Array | Promise<Float32Array>) & {
  /** The common request's candidates selected inside the kernel (blended-candidates.ts), when it can. */
  selectBlended?: SelectBlendedCandidates;
};

export const jsScoreAll: ScoreAll = (itemFactors, f, userVec, out) =>
  dotScores(itemFactors, f, userVec, out?.length === ((itemFactors.length / f) | 0) ? out : undefined);

/** Scores a rows × FEATURE_COUNT matrix with the second-stage scorer: ONNX Runtime in the Lambda, the TS forward pass by default. */
export type ScoreRows = (x: Float32Array, rows: number, snapshot: ModelSnapshot) => Float32Array | Promise<Float32Array>;

export interface RankingOptions {
  /**
   * Half-life of the time decay on the receiver's events when their history is scored, for versions
   * that do not record their own (versions with model selection use the half-life they were trained with).
   */
  foldInHalfLifeDays: number;
  /** Added to the (max-normalised) score of wishlist / cart items: they are the best gifts. */
  wishlistBoost: number;
  /** Items created within this many days with few interactions get the `new_arrival` reason and a small boost. */
  newArrivalDays: number;
  newArrivalMaxInteractions: number;
  newArrivalBoost: number;
  /** Share of the returned slots reserved for new arrivals (exploration, reason `new_arrival`), 0 = off. */
  explorationShare: number;
  interactions: InteractionSettings;
  scoreAll: ScoreAll;
  /** The second-stage scorer; default: the TS forward pass of `snapshot.scorer`. */
  scoreRows?: ScoreRows;
  /** In ALS order (no promoted scorer), content neighbours that have interactions get this × similarity added. */
  contentBoost: number;
  /**
   * In ALS order, never-interacted look-alikes (content neighbours with zero factors, which ALS cannot
   * place) are slotted into the receiver's list: the most similar at this 0-based position, the next
   * `lookAlikeGap` places further, and so on. They enter the list without pushing out its head.
   */
  lookAlikeSlot: number;
  lookAlikeGap: number;
  /** MMR diversity over category / embedding, 0 (off) .. 1. */
  diversity: number;
  /** The business rules (business-rules.ts); default: those the version was trained with (`manifest.rules`). */
  rules?: BusinessRules;
  candidates: Partial<CandidateOptions>;
}

export const DEFAULT_RANKING_OPTIONS: RankingOptions = {
  foldInHalfLifeDays: 14,
  wishlistBoost: 0.5,
  newArrivalDays: 14,
  newArrivalMaxInteractions: 2,
  newArrivalBoost: 0.05,
  explorationShare: 0,
  interactions: DEFAULT_INTERACTION_SETTINGS,
  scoreAll: jsScoreAll,
  contentBoost: 0.1,
  lookAlikeSlot: 3,
  lookAlikeGap: 3,
  diversity: 0,
  candidates: DEFAULT_CANDIDATE_OPTIONS,
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
  /** `two-stage` when the scorer ordered the candidates; `als` otherwise. */
  mode: 'two-stage' | 'als';
}

export interface ReceiverContext {
  /** Events credited to the receiver (their own and gifts they received), any order. */
  history: readonly Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp' | 'rating'>[];
  profile?: UserProfile;
  now: number;
}

const DAY_MS = 86_400_000;

/**
 * The reason naming the history item that contributed most, true to what the receiver did with
 * it: `because_you_bought` only for orders, `because_you_liked` for wishlist, cart and reviews
 * that count as interest (3★ and up), `because_you_viewed` for views alone.
 */
export function historyReason(summary: Pick<UserItemSummary, 'owned' | 'wishlisted' | 'inCart' | 'likedInReview'> | undefined, id: string): string {
  if (summary?.owned) return `because_you_bought:${id}`;
  if (summary?.wishlisted || summary?.inCart || summary?.likedInReview) return `because_you_liked:${id}`;
  return `because_you_viewed:${id}`;
}

/** The business filters every returned item passes (moderation, budget, country, category, blacklist, owned). */
export function isEligible(
  item: SnapshotItem,
  query: Pick<RecommendationQuery, 'minPrice' | 'maxPrice' | 'categories'>,
  country: string | undefined,
  blocked: ReadonlySet<string>,
): boolean {
  if (item.status !== 'active') return false;
  if (query.minPrice !== undefined && item.price < query.minPrice) return false;
  if (query.maxPrice !== undefined && item.price > query.maxPrice) return false;
  if (query.categories !== undefined && !query.categories.includes(item.category)) return false;
  // A country-restricted product only for a receiver whose country is known and listed.
  if (item.countries.length > 0 && (country === undefined || !item.countries.includes(country))) return false;
  return !blocked.has(item.id);
}

/** Items sold in `country` (unrestricted or listing it; unrestricted only when it is unknown), cached per snapshot and country. */
function countryMask(snapshot: Pick<ModelSnapshot, 'items' | 'columns'>, country: string | undefined): Uint8Array {
  const key = country ?? '';
  const cached = snapshot.columns.countryAllowed.get(key);
  if (cached) return cached;
  const { restricted } = snapshot.columns;
  const ok = Uint8Array.from(restricted, (r, i) => (r === 0 || (country !== undefined && snapshot.items[i].countries.includes(country)) ? 1 : 0));
  snapshot.columns.countryAllowed.set(key, ok);
  return ok;
}

/**
 * {@link isEligible} for the whole catalog in one pass over the snapshot's
 * typed columns: the per-request filter cost at 100k items. Tested equal to isEligible.
 * `out` (same length as the catalog), when given, is overwritten and returned instead of a new array.
 */
export function eligibilityMask(
  snapshot: Pick<ModelSnapshot, 'items' | 'itemIndex' | 'columns'>,
  query: Pick<RecommendationQuery, 'minPrice' | 'maxPrice' | 'categories'>,
  country: string | undefined,
  blocked: ReadonlySet<string>,
  out?: Uint8Array,
): Uint8Array {
  const c = snapshot.columns;
  const n = c.price.length;
  const mask = out?.length === n ? out : new Uint8Array(n);
  const lo = query.minPrice ?? -Infinity;
  const hi = query.maxPrice ?? Infinity;
  const { active, price } = c;
  const countryOk = countryMask(snapshot, country);
  if (query.categories === undefined) {
    // The common case, branch-free (random prices defeat the branch predictor): 0/1 columns ANDed.
    // `1 − (p < lo | p > hi)` keeps the branchy test's semantics (a NaN price passes).
    for (let i = 0; i < n; i++) {
      const p = price[i];
      mask[i] = active[i] & countryOk[i] & (1 - (Number(p < lo) | Number(p > hi)));
    }
  } else {
    if (mask === out) mask.fill(0);
    for (let i = 0; i < n; i++) {
      const p = price[i];
      if (active[i] === 0 || p < lo || p > hi || countryOk[i] === 0) continue;
      // Object reads only where a rarer filter needs them.
      if (!query.categories.includes(snapshot.items[i].category)) continue;
      mask[i] = 1;
    }
  }
  for (const id of blocked) {
    const i = snapshot.itemIndex.get(id);
    if (i !== undefined) mask[i] = 0;
  }
  return mask;
}

/**
 * {@link eligibilityMask} asked item by item: the fused selection tests only the items whose score
 * would enter the result (a few hundred of 100k), so a request builds no catalog-wide mask unless a
 * stage reads one as an array ({@link mask}). Tested equal to the mask.
 */
export class EligibilityFilter implements IndexFilter {
  private readonly lo: number;
  private readonly hi: number;
  private readonly countryOk: Uint8Array;
  private readonly blockedIdx = new Set<number>();
  private built: Uint8Array | undefined;

  constructor(
    private readonly snapshot: Pick<ModelSnapshot, 'items' | 'itemIndex' | 'columns'>,
    private readonly query: Pick<RecommendationQuery, 'minPrice' | 'maxPrice' | 'categories'>,
    private readonly country: string | undefined,
    private readonly blocked: ReadonlySet<string>,
    /** The business rules' verdict per item (1 = allowed); undefined = no rule excludes anything. */
    private readonly allowed?: Uint8Array,
  ) {
    this.lo = query.minPrice ?? -Infinity;
    this.hi = query.maxPrice ?? Infinity;
    this.countryOk = countryMask(snapshot, country);
    for (const id of blocked) {
      const i = snapshot.itemIndex.get(id);
      if (i !== undefined) this.blockedIdx.add(i);
    }
  }

  has(i: number): boolean {
    const c = this.snapshot.columns;
    if (c.active[i] === 0) return false;
    const p = c.price[i];
    if (p < this.lo || p > this.hi) return false; // a NaN price passes, as in the mask
    if (this.countryOk[i] === 0) return false;
    if (this.query.categories !== undefined && !this.query.categories.includes(this.snapshot.items[i].category)) return false;
    if (this.allowed !== undefined && this.allowed[i] === 0) return false;
    return this.blockedIdx.size === 0 || !this.blockedIdx.has(i);
  }

  /** The whole mask (built on first call, into `out` when its length fits), for stages that read an array. */
  mask(out?: Uint8Array): Uint8Array {
    if (this.built) return this.built;
    const mask = eligibilityMask(this.snapshot, this.query, this.country, this.blocked, out);
    if (this.allowed) for (let i = 0; i < mask.length; i++) mask[i] &= this.allowed[i];
    return (this.built = mask);
  }
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
  eligible: ((i: number) => boolean) | Uint8Array | IndexFilter,
  promoted: ((i: number) => boolean) | Uint8Array,
): { indices: number[]; promotedShortfall: number } {
  const promotedMask = promoted instanceof Uint8Array ? promoted : Uint8Array.from({ length: scores.length }, (_, i) => (promoted(i) ? 1 : 0));
  const filter: IndexFilter =
    eligible instanceof Uint8Array ? { has: (i) => eligible[i] !== 0 } : typeof eligible === 'function' ? { has: eligible } : eligible;
  // Both heads (overall, promoted) in one catalog-wide pass; eligibility is asked only about
  // items whose score would enter a head.
  const [bestTop, promotedTop] = topKFilteredPair(scores, num, Math.max(minPromoted, 0), filter, promotedMask);
  return withPromotedMinimum(scores, num, minPromoted, bestTop, promotedTop, promotedMask);
}

/**
 * The promoted guarantee over the two heads of a selection (the `num` best eligible items, the
 * `minPromoted` best eligible promoted ones): the best promoted items replace the worst-scored others.
 */
export function withPromotedMinimum(
  scores: Float32Array,
  num: number,
  minPromoted: number,
  bestTop: { indices: Int32Array },
  promotedTop: { indices: Int32Array },
  promotedMask: Uint8Array,
): { indices: number[]; promotedShortfall: number } {
  const isPromoted = (i: number) => promotedMask[i] === 1;
  const best = Array.from(bestTop.indices);
  const bestPromoted = Array.from(promotedTop.indices);
  const promotedShortfall = Math.max(0, minPromoted - bestPromoted.length);
  const chosen = new Set(best);
  let have = best.filter(isPromoted).length;
  // Walk the non-promoted picks from worst up, swapping in the best promoted ones not yet chosen.
  const drop = best.filter((i) => !isPromoted(i)).reverse();
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

function userVector(snapshot: ModelSnapshot, strengths: ReadonlyMap<string, number>): { vec?: Float32Array; known: number[] } {
  const { idx, weights } = indexedHistory(snapshot, strengths);
  if (idx.length === 0) return { known: idx };
  return { vec: foldInUser(snapshot.itemFactors, snapshot.factors, idx, weights, snapshot.manifest.als, snapshot.YtY), known: idx };
}

/**
 * Gives each never-interacted look-alike (most similar first) a score that puts it at least at
 * position `slot`, then `gap` places further among the others, … of the eligible list ordered by
 * `scores`: between its neighbours' scores (a floor: a higher score is kept).
 * ALS cannot score an item without interactions, and its image similarity is on another scale than
 * ALS scores, so a rank, not a score, is what can be chosen for it.
 */
export function slotLookAlikes(scores: Float32Array, cold: readonly { index: number; similarity?: number }[], eligible: (i: number) => boolean, slot: number, gap: number): void {
  if (cold.length === 0) return;
  const ordered = [...cold].sort((a, b) => (b.similarity ?? 0) - (a.similarity ?? 0) || a.index - b.index);
  const isCold = new Set(ordered.map((c) => c.index));
  const need = slot + gap * (ordered.length - 1) + 1;
  const head = topK(scores, need, (i) => isCold.has(i) || !eligible(i)).indices;
  const at = (p: number) => scores[head[p]];
  ordered.forEach((c, j) => {
    const p = slot + j * gap;
    let s: number;
    if (head.length === 0) s = 0;
    else if (p <= 0) s = at(0) + Math.max(1e-3, Math.abs(at(0)) * 1e-3);
    else if (p >= head.length) s = at(head.length - 1) - Math.max(1e-3, Math.abs(at(head.length - 1)) * 1e-3) * (p - head.length + 1);
    else s = (at(p - 1) + at(p)) / 2;
    // A reserved slot is a floor: a look-alike already ranked higher (by the scorer) stays there.
    scores[c.index] = Math.max(scores[c.index], s);
  });
}

/** ‖y_h‖² of each history item's factors (once per request, for {@link closestHistoryItem}). */
function squaredNorms(snapshot: ModelSnapshot, historyIdx: readonly number[]): Float64Array {
  const f = snapshot.factors;
  const Y = snapshot.itemFactors;
  return Float64Array.from(historyIdx, (h) => {
    let nh = 0;
    for (let a = 0; a < f; a++) nh += Y[h * f + a] * Y[h * f + a];
    return nh;
  });
}

/** The history item whose factors are closest to item i: the "because you bought" explanation. */
function closestHistoryItem(snapshot: ModelSnapshot, i: number, historyIdx: readonly number[], norms: Float64Array): number | undefined {
  const f = snapshot.factors;
  const Y = snapshot.itemFactors;
  // Cosine, not the raw dot product: a popular item's long vector would otherwise explain everything.
  let best: number | undefined;
  let bestSim = 0;
  for (let k = 0; k < historyIdx.length; k++) {
    const h = historyIdx[k];
    let dot = 0;
    for (let a = 0; a < f; a++) dot += Y[i * f + a] * Y[h * f + a];
    const nh = norms[k];
    const sim = nh > 0 ? dot / Math.sqrt(nh) : 0; // |y_i| is the same for every h
    if (sim > bestSim) {
      bestSim = sim;
      best = h;
    }
  }
  return best;
}

/** A content neighbour of the receiver's history: the reason `similar_image:<id>` and the look-alike slots. */
interface ContentCandidate {
  index: number;
  similarTo: number;
  similarity: number;
}

/**
 * createdAt and interactionCount in newest-first order, per snapshot: the new-arrival scan then reads
 * them in sequence (thousands of random reads into the catalog-order columns cost ~0.2 ms at 100k).
 */
const byAgeColumns = new WeakMap<ItemColumns, { createdAt: Float64Array; interactionCount: Int32Array }>();
function newestFirstColumns(cols: ItemColumns): { createdAt: Float64Array; interactionCount: Int32Array } {
  let c = byAgeColumns.get(cols);
  if (!c) {
    const order = cols.newestFirst;
    c = { createdAt: new Float64Array(order.length), interactionCount: new Int32Array(order.length) };
    for (let k = 0; k < order.length; k++) {
      c.createdAt[k] = cols.createdAt[order[k]];
      c.interactionCount[k] = cols.interactionCount[order[k]];
    }
    byAgeColumns.set(cols, c);
  }
  return c;
}

/**
 * The new arrivals as a mask (1 = new), for the fused pass. The list changes only when the age
 * cut-off passes an item's creation time, so one mask per snapshot is kept for the latest list and
 * rebuilt (a new array: a request still holding the old one keeps it) when the list differs.
 */
const newArrivalMasks = new WeakMap<ItemColumns, { items: readonly number[]; mask: Uint8Array }>();
function newArrivalMask(cols: ItemColumns, newItems: readonly number[]): Uint8Array {
  const cached = newArrivalMasks.get(cols);
  if (cached && cached.items.length === newItems.length && cached.items.every((v, k) => v === newItems[k])) return cached.mask;
  const mask = new Uint8Array(cols.newestFirst.length);
  for (const i of newItems) mask[i] = 1;
  newArrivalMasks.set(cols, { items: [...newItems], mask });
  return mask;
}

/**
 * One request's catalog-wide buffers: the kernel's raw scores, the ranked scores, the eligibility
 * mask, and the marks of the items the fused pass leaves for later (all zeros between requests).
 */
interface RequestBuffers {
  raw: Float32Array;
  scores: Float32Array;
  mask: Uint8Array;
  late: Uint8Array;
}

/**
 * Free request buffers per snapshot: allocating (and later collecting) 100k-item arrays per request
 * costs about as much as a pass over them. A request takes a set for its whole run, awaits included,
 * so concurrent requests on one snapshot never share one; the pool keeps at most a few sets.
 */
const bufferPools = new WeakMap<ModelSnapshot, RequestBuffers[]>();
const MAX_POOLED_BUFFERS = 4;

function takeBuffers(snapshot: ModelSnapshot, n: number): RequestBuffers {
  const b = bufferPools.get(snapshot)?.pop();
  return b && b.scores.length === n ? b : { raw: new Float32Array(n), scores: new Float32Array(n), mask: new Uint8Array(n), late: new Uint8Array(n) };
}

function returnBuffers(snapshot: ModelSnapshot, b: RequestBuffers): void {
  let pool = bufferPools.get(snapshot);
  if (!pool) bufferPools.set(snapshot, (pool = []));
  if (pool.length < MAX_POOLED_BUFFERS) pool.push(b);
}

const categoryPriors = new WeakMap<ModelSnapshot, CategoryPrior | null>();

/** The snapshot's category prior, built once per snapshot; undefined when its catalogue has fewer than two groups. */
function snapshotCategoryPrior(snapshot: ModelSnapshot): CategoryPrior | undefined {
  let p = categoryPriors.get(snapshot);
  if (p === undefined) {
    const groups = itemGroups(snapshot.items);
    p = groups.nGroups >= MIN_GROUPS ? categoryPrior(groups, snapshot.popularity) : null;
    categoryPriors.set(snapshot, p);
  }
  return p ?? undefined;
}

/** History as item indices and decayed strengths (items the version does not know are skipped). */
function indexedHistory(snapshot: ModelSnapshot, strengths: ReadonlyMap<string, number>): { idx: number[]; weights: number[] } {
  const idx: number[] = [];
  const weights: number[] = [];
  for (const [id, strength] of strengths) {
    const i = snapshot.itemIndex.get(id);
    if (i === undefined || !(strength > 0)) continue;
    idx.push(i);
    weights.push(strength);
  }
  return { idx, weights };
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
  const buffers = takeBuffers(snapshot, snapshot.items.length);
  const ranking = await rankWithBuffers(snapshot, receiver, query, options, buffers);
  // Only after a completed request: a failed one may leave marks in `late`, so its set is dropped.
  returnBuffers(snapshot, buffers);
  return ranking;
}

async function rankWithBuffers(
  snapshot: ModelSnapshot,
  receiver: ReceiverContext,
  query: RecommendationQuery,
  options: Partial<RankingOptions>,
  buffers: RequestBuffers,
): Promise<Ranking> {
  const opt = { ...DEFAULT_RANKING_OPTIONS, ...options };
  const n = snapshot.items.length;
  const summaries = summarizeUserEvents(receiver.history, opt.interactions);
  const country = query.country ?? receiver.profile?.country;
  const blocked = new Set(receiver.profile?.blacklist ?? []);
  // Owned items, and items the receiver reviewed (they have had it; after 1★, never again).
  for (const [id, s] of summaries) if (s.owned || s.reviewed) blocked.add(id);

  // The version's own family and recency: EASE neighbours sum the decayed history, ALS folds it in.
  const family = snapshot.manifest.model?.family ?? 'als';
  const halfLife = snapshot.manifest.model ? snapshot.manifest.model.halfLifeDays : opt.foldInHalfLifeDays;
  const strengths = decayedStrengths(receiver.history, receiver.now, halfLife, opt.interactions);
  const nb = family === 'ease' ? snapshot.neighbours : undefined;
  const hist = nb ? indexedHistory(snapshot, strengths) : undefined;
  const { vec, known } = nb || family === 'popularity' ? { vec: undefined, known: hist?.idx ?? [] } : userVector(snapshot, strengths);
  let personalized = vec !== undefined || (hist !== undefined && hist.idx.length > 0);
  // The second stage runs when the version carries a feature store; the scorer serves only when
  // it passed the gate.
  const store = snapshot.featureStore?.nItems === n ? snapshot.featureStore : undefined;
  const scorer = store && snapshot.manifest.ranking?.mode === 'two-stage' ? snapshot.scorer : undefined;
  // The category prior the selection may have chosen (γ), applied further down.
  const gamma = snapshot.manifest.model?.categoryBlend ?? 0;
  const prior = gamma > 0 ? snapshotCategoryPrior(snapshot) : undefined;
  // Factor scores no stage reads as an array (no scorer, no category prior) are left to the kernel's
  // own selection when it has one, should the request take the fused pass below.
  const deferred = vec !== undefined && opt.scoreAll.selectBlended !== undefined && scorer === undefined && prior === undefined;
  let raw: Float32Array | undefined;
  if (nb && hist && hist.idx.length > 0) raw = neighbourScores(nb, hist.idx, hist.weights);
  else if (vec && !deferred) raw = await opt.scoreAll(snapshot.itemFactors, snapshot.factors, vec, buffers.raw);
  const countryRank = country ? snapshot.popularByCountry[country] : undefined;

  // Everything that decides which items get boosts is known before any score is computed: the
  // common request can then blend and select in one pass (see `fused` below).
  const boosted = new Map<number, string[]>();
  for (const [id, s] of summaries) {
    const i = snapshot.itemIndex.get(id);
    if (i === undefined || s.owned || !(s.wishlisted || s.inCart)) continue;
    boosted.set(i, [s.wishlisted ? 'on_wishlist' : 'in_cart']);
  }
  const cols = snapshot.columns;
  const newSince = receiver.now - opt.newArrivalDays * DAY_MS;
  // New arrivals, newest first, read off the per-snapshot order instead of scanning the catalog.
  const newItems: number[] = [];
  const { newestFirst } = cols;
  const byAge = newestFirstColumns(cols);
  for (let k = 0; k < newestFirst.length; k++) {
    if (byAge.createdAt[k] < newSince) break;
    if (byAge.interactionCount[k] <= opt.newArrivalMaxInteractions) newItems.push(newestFirst[k]);
  }
  // Asked only for the returned items: a linear scan beats building a Set of thousands of new arrivals.
  const isNew = (i: number) => newItems.includes(i);

  // Business rules before the candidates are drawn: no candidate source can bring an excluded item back.
  const rules = cachedBusinessRules(snapshot, opt.rules ?? snapshot.manifest.rules?.settings, receiver.now);
  // Asked per item; the catalog-wide mask is built only for the stages that read one (scorer, exploration).
  const eligibility = new EligibilityFilter(snapshot, query, country, blocked, rules?.allowed);
  const eligible = (i: number) => eligibility.has(i);

  // Second stage: candidates → features → scorer, or ALS order with boosts plus content neighbours
  // when no scorer passed the gate (then no feature vector is built: only the neighbours are used).
  let mode: 'two-stage' | 'als' = 'als';
  const content = new Map<number, ContentCandidate>();
  let f: ReturnType<typeof featurize> | undefined;
  if (store) {
    const history: { item: number; timestamp: number }[] = [];
    for (const [id, s] of summaries) {
      const i = snapshot.itemIndex.get(id);
      if (i !== undefined && s.strength > 0) history.push({ item: i, timestamp: s.lastTimestamp });
    }
    const exclude = (i: number) => !eligible(i);
    const embeddings = { embeddings: snapshot.embeddings, itemIds: cols.ids, itemIndex: snapshot.itemIndex };
    f = scorer
      ? featurize(
          store,
          { alsScores: raw, history, refTime: receiver.now, exclude, allowed: eligibility.mask(buffers.mask), popular: countryRank && countryRank.length ? countryRank : cols.popularTop, newItems, wishlist: [...boosted.keys()] },
          opt.candidates,
          embeddings,
        )
      : undefined;
    if (f) {
      for (const c of f.candidates) if (c.sources & SOURCE.content && c.similarTo !== undefined) content.set(c.index, { index: c.index, similarTo: c.similarTo, similarity: c.similarity! });
    } else {
      const recentItems = distinctRecentFirst(history, n).map((h) => h.item);
      for (const [i, near] of contentNeighbours({ nItems: n, recentItems, exclude, ...embeddings }, opt.candidates)) content.set(i, { index: i, ...near });
    }
  }
  const twoStage = scorer !== undefined && f !== undefined && f.candidates.length > 0;
  // Never-interacted look-alikes: ALS cannot place them, so they get reserved slots.
  const cold = [...content.values()].filter((c) => snapshot.items[c.index].interactionCount === 0);
  const exploring = explorationSlots(query.num, opt.explorationShare) > 0 && newItems.length > 0;

  // The category prior: more of the categories (and brands) the receiver's decayed history is in.
  // Added after the features are built (the scorer was trained on the model's own scores) and
  // before the popularity blend, in the selection's order.
  let likedGroups: Float64Array | undefined;
  if (prior) {
    const h = hist ?? indexedHistory(snapshot, strengths);
    if (h.idx.length > 0) {
      if (raw === undefined && family === 'popularity') (raw = buffers.raw).set(snapshot.popularity);
      const shares = new Float64Array(prior.nGroups);
      if (raw !== undefined && addCategoryPrior(raw, n, prior, h.idx, h.weights, gamma, shares)) {
        likedGroups = shares;
        personalized = true;
      }
    }
  }
  const inLikedGroup = (i: number) => likedGroups !== undefined && prior!.group[i] >= 0 && likedGroups[prior!.group[i]] > 0;

  const scores = buffers.scores;
  const beta = Math.max(1e-3, snapshot.manifest.model?.popularityBlend ?? 0);
  // The boosts, always in this order (their float32 sums depend on it): wishlist / cart, new
  // arrivals, and in ALS order the content neighbours that have interactions.
  const addBoosts = (): void => {
    for (const i of boosted.keys()) scores[i] += opt.wishlistBoost + 1;
    for (const i of newItems) scores[i] += opt.newArrivalBoost;
    if (!twoStage) for (const c of content.values()) if (snapshot.items[c.index].interactionCount > 0) scores[c.index] += opt.contentBoost * c.similarity;
  };
  // The common request (model scores, ALS order, no look-alike slots, exploration or diversity)
  // blends and selects in one pass over the catalog that stores no score: only the boosted items
  // are scored ahead (blend, then boosts), skipped by the pass and offered after it. The other
  // stages reorder the whole score vector first.
  const fused = (raw !== undefined || deferred) && !twoStage && cold.length === 0 && !exploring && !(opt.diversity > 0) && !rules?.boost;
  if (deferred && !fused) raw = await opt.scoreAll(snapshot.itemFactors, snapshot.factors, vec!, buffers.raw);
  let selection: { indices: number[]; promotedShortfall: number };
  if (fused) {
    const pop = snapshot.popularity;
    const isNewArrival = newArrivalMask(cols, newItems);
    const late = buffers.late;
    const lateIds = [...new Set([...boosted.keys(), ...content.keys()])];
    const capBest = Math.min(query.num, n);
    const capPromoted = Math.min(Math.max(query.minPromoted, 0), n);
    // Wishlist / cart items and content neighbours are scored ahead (blend, then their boosts in
    // the order above), skipped by the pass and offered after it; new arrivals get their boost in the pass.
    const scoreLate = (scale: number): void => {
      for (const i of lateIds) {
        late[i] = 1;
        scores[i] = blendedScore(raw!, pop, beta, scale, i);
        if (boosted.has(i)) scores[i] += opt.wishlistBoost + 1;
        if (isNewArrival[i] === 1) scores[i] += opt.newArrivalBoost;
        const c = content.get(i);
        if (c && snapshot.items[i].interactionCount > 0) scores[i] += opt.contentBoost * c.similarity;
      }
    };
    const offerLate = (heads: TwoHeads): void => {
      for (const i of lateIds) {
        late[i] = 0; // back to all zeros for the next request
        heads.offerLate(scores[i], i);
      }
    };
    let heads: TwoHeads | undefined;
    if (deferred) {
      // The kernel's filter knows the columns, not the blocked or late items: it is asked for that
      // many more per head, and its candidates are re-scored and re-filtered here as the pass would.
      const extra = blocked.size + lateIds.length;
      const k = Math.min(n, capBest + extra);
      const kPromoted = Math.min(n, capPromoted + extra);
      const got = await opt.scoreAll.selectBlended!({
        itemFactors: snapshot.itemFactors,
        f: snapshot.factors,
        userVec: vec!,
        base: candidateBase(cols, pop, beta, newItems, opt.newArrivalBoost),
        restrict: restrictMask(cols, (i) => snapshot.items[i].category, country ?? '', countryMask(snapshot, country), query.categories, rules?.allowed),
        promoted: promotedMask(cols),
        price: candidatePrices(cols),
        minPrice: query.minPrice ?? -Infinity,
        maxPrice: query.maxPrice ?? Infinity,
        k,
        kPromoted,
      });
      if (got) {
        // Only the candidates' and the late items' raw scores exist (the rest of `raw` is stale, never read).
        raw = buffers.raw;
        const f = snapshot.factors;
        const candidates = [...new Set([...got.top, ...got.topPromoted])].sort((a, b) => a - b);
        for (const i of candidates) raw[i] = dotAt(snapshot.itemFactors, f, vec!, i);
        for (const i of lateIds) raw[i] = dotAt(snapshot.itemFactors, f, vec!, i);
        const scale = got.max > 0 ? 1 / got.max : 1;
        scoreLate(scale);
        const h = new TwoHeads(capBest, capPromoted, eligibility, cols.promoted, late);
        let thr = h.threshold();
        for (const i of candidates) {
          let s = blendedScore(raw, pop, beta, scale, i);
          if (isNewArrival[i] === 1) s = Math.fround(s + opt.newArrivalBoost);
          if (s > thr) thr = h.consider(s, i);
        }
        offerLate(h);
        // A head left short while the kernel had more to give: the full pass decides.
        if ((h.sizeBest() < capBest && got.top.length === k) || (h.sizePromoted() < capPromoted && got.topPromoted.length === kPromoted)) raw = undefined;
        else heads = h;
      }
      if (!heads) raw = await opt.scoreAll(snapshot.itemFactors, snapshot.factors, vec!, buffers.raw);
    }
    if (!heads) {
      const scale = blendScale(raw!, n);
      scoreLate(scale);
      heads = new TwoHeads(capBest, capPromoted, eligibility, cols.promoted, late);
      // Popularity breaks ties among items the model knows nothing about (β ≥ 1e-3), and is the
      // trending prior the selection may have chosen (β, `manifest.model.popularityBlend`).
      streamBlended(raw!, pop, beta, scale, n, heads, { mask: isNewArrival, add: opt.newArrivalBoost });
      offerLate(heads);
    }
    const best = heads.best();
    const bestPromoted = heads.bestAlso();
    // Only the heads' scores are stored: the rest of `scores` is stale and never read.
    best.indices.forEach((i, k) => (scores[i] = best.scores[k]));
    bestPromoted.indices.forEach((i, k) => (scores[i] = bestPromoted.scores[k]));
    selection = withPromotedMinimum(scores, query.num, query.minPromoted, best, bestPromoted, cols.promoted);
  } else {
    if (raw !== undefined) {
      blendWithPopularity(raw, snapshot.popularity, beta, scores);
    } else if (countryRank && countryRank.length > 0) {
      for (let i = 0; i < n; i++) scores[i] = 0.5 * snapshot.popularity[i];
      countryRank.forEach((i, r) => (scores[i] = 1 + 1 / (r + 1)));
    } else {
      if (snapshot.popularity.length < n) scores.fill(0);
      scores.set(snapshot.popularity);
    }
    addBoosts();
    if (twoStage) {
      mode = 'two-stage';
      const probs = await (opt.scoreRows ?? ((x: Float32Array) => tsScoreRows(scorer!, x)))(f!.x, f!.candidates.length, snapshot);
      // Non-candidates stay below every candidate but keep their order (promoted backfill); the
      // candidates' scores are then overwritten.
      for (let i = 0; i < n; i++) scores[i] -= 10;
      f!.candidates.forEach((c, r) => (scores[c.index] = 3 + probs[r] + (boosted.has(c.index) ? opt.wishlistBoost : 0)));
    }
    // The reserved slots hold for never-interacted look-alikes the scorer ranks lower.
    slotLookAlikes(scores, cold, eligible, opt.lookAlikeSlot, opt.lookAlikeGap);
    // The promoted boost after the scorer, which rewrites candidates' scores.
    if (rules?.boost) for (let i = 0; i < n; i++) scores[i] += rules.boost[i];
    if (exploring) reserveExplorationSlots(scores, newItems, eligibility.mask(buffers.mask), query.num, opt.explorationShare);
    let selectScores = scores;
    if (opt.diversity > 0) {
      const pool = Array.from(topK(scores, Math.max(3 * query.num, 30), (i) => !eligible(i)).indices);
      const emb = snapshot.embeddings;
      const row = store?.embeddingRow;
      const sim = (a: number, b: number): number => {
        const ia = snapshot.items[a];
        const ib = snapshot.items[b];
        let s = ia.category && ia.category === ib.category ? 1 : 0;
        if (row && row[a] >= 0 && row[b] >= 0) s = Math.max(s, contentCosine(emb, row[a], row[b]));
        return s;
      };
      const order = mmrOrder(pool, (i) => scores[i], sim, opt.diversity);
      selectScores = Float32Array.from(scores, (v) => v - 1e6);
      order.forEach((i, pos) => (selectScores[i] = order.length - pos));
    }
    selection = selectWithPromotedMinimum(selectScores, query.num, query.minPromoted, eligibility, cols.promoted);
  }
  const { indices, promotedShortfall } = selection;

  const countrySet = new Set(countryRank ?? []);
  let knownNorms: Float64Array | undefined;
  const items = indices.map((i): RankedItem => {
    const it = snapshot.items[i];
    const reasons: string[] = [...(boosted.get(i) ?? [])];
    const similar = content.get(i);
    if (similar?.similarTo !== undefined && !boosted.has(i)) reasons.push(`similar_image:${snapshot.items[similar.similarTo].id}`);
    if (personalized && raw !== undefined && raw[i] > 0 && !boosted.has(i) && !similar) {
      const h = nb && hist ? strongestContributor(nb, i, hist.idx, hist.weights) : closestHistoryItem(snapshot, i, known, (knownNorms ??= squaredNorms(snapshot, known)));
      if (h !== undefined) reasons.push(historyReason(summaries.get(snapshot.items[h].id), snapshot.items[h].id));
    }
    if (inLikedGroup(i) && !boosted.has(i)) reasons.push(`in_your_category:${it.category}`);
    if (!personalized && countrySet.has(i)) reasons.push('popular_in_country');
    if (isNew(i)) reasons.push('new_arrival');
    if (reasons.length === 0) reasons.push('popular_backfill');
    if (it.promoted) reasons.push('promoted');
    return { index: i, id: it.id, score: Number(scores[i].toFixed(6)), reasons };
  });
  return { items, promotedShortfall, personalized, mode };
}
