/**
 * From app events to the implicit-feedback matrix R (Hu, Koren & Volinsky 2008: r_ui is an
 * observation strength, not a rating). Gifting rule: an order with a
 * `receiverId` is evidence about the receiver and makes the item owned by the receiver.
 */
import type { EventType, InteractionEvent, Rating } from './types.js';
import { csrFromTriplets, type CsrMatrix } from '../numeric/sparse.js';

/** Interaction strength of a review by its stars. */
export type ReviewWeights = Readonly<Record<Rating, number>>;

export interface EventWeights {
  order: number;
  cart: number;
  wishlist: number;
  view: number;
  review: ReviewWeights;
}

/**
 * A review by its rating. 5★ is explicit, considered praise, as strong as an order; 4★ a bit above
 * a cart; 3★ lukewarm, a little more than a view. 1★ and 2★ add nothing: r_ui is an observation
 * strength in implicit ALS, it cannot go negative, so a dislike is no positive — such reviews stay
 * out of the matrix, popularity, the holdout and the scorer's labels ({@link isSignal}), and the
 * item is not recommended to its reviewer again (any review: they have had it).
 */
export const DEFAULT_REVIEW_WEIGHTS: ReviewWeights = { 1: 0, 2: 0, 3: 0.2, 4: 0.6, 5: 1.0 };

export const DEFAULT_EVENT_WEIGHTS: EventWeights = { order: 1.0, cart: 0.5, wishlist: 0.3, view: 0.1, review: DEFAULT_REVIEW_WEIGHTS };

/** Repeats accumulate, up to this cap per (user, item), so one obsessive clicker can't dominate. */
export const DEFAULT_WEIGHT_CAP = 5;

export interface InteractionSettings {
  weights: EventWeights;
  cap: number;
}

export const DEFAULT_INTERACTION_SETTINGS: InteractionSettings = {
  weights: DEFAULT_EVENT_WEIGHTS,
  cap: DEFAULT_WEIGHT_CAP,
};

/** The user an event is evidence about: the receiver of a gift, else the actor. */
export function creditedUser(e: Pick<InteractionEvent, 'userId' | 'receiverId' | 'type'>): string {
  return e.type === 'order' && e.receiverId ? e.receiverId : e.userId;
}

/**
 * Strength of one event: type weight × quantity (quantity only multiplies orders and carts); a
 * review's strength is its rating's weight (0 without a valid rating).
 */
export function eventStrength(type: EventType, quantity: number, weights: EventWeights, rating?: number): number {
  if (type === 'review') return weights.review[rating as Rating] ?? 0;
  const q = type === 'order' || type === 'cart' ? Math.max(1, quantity) : 1;
  return weights[type] * q;
}

/** Whether an event is evidence of interest (strength > 0): a 1★ or 2★ review is not. */
export function isSignal(e: Pick<InteractionEvent, 'type' | 'quantity' | 'rating'>, weights: EventWeights = DEFAULT_EVENT_WEIGHTS): boolean {
  return eventStrength(e.type, e.quantity, weights, e.rating) > 0;
}

/** What one user has done to one item, aggregated. */
export interface UserItemSummary {
  strength: number;
  owned: boolean;
  wishlisted: boolean;
  inCart: boolean;
  /** The user reviewed it (any rating): not recommended to them again. */
  reviewed: boolean;
  /** A review of theirs counts as interest (a rating with a weight > 0). */
  likedInReview: boolean;
  lastTimestamp: number;
}

/**
 * Aggregates the events credited to one user into per-item summaries (capped strengths).
 * Used at serving time for owned-item exclusion, wishlist/cart boosts and the second stage's
 * history (fold-in uses {@link decayedStrengths}).
 */
export function summarizeUserEvents(
  events: Iterable<Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp' | 'rating'>>,
  settings: InteractionSettings = DEFAULT_INTERACTION_SETTINGS,
): Map<string, UserItemSummary> {
  const out = new Map<string, UserItemSummary>();
  for (const e of events) {
    let s = out.get(e.productId);
    if (!s) {
      s = { strength: 0, owned: false, wishlisted: false, inCart: false, reviewed: false, likedInReview: false, lastTimestamp: 0 };
      out.set(e.productId, s);
    }
    const strength = eventStrength(e.type, e.quantity, settings.weights, e.rating);
    s.strength = Math.min(settings.cap, s.strength + strength);
    if (e.type === 'order') s.owned = true;
    if (e.type === 'wishlist') s.wishlisted = true;
    if (e.type === 'cart') s.inCart = true;
    if (e.type === 'review') {
      s.reviewed = true;
      if (strength > 0) s.likedInReview = true;
    }
    s.lastTimestamp = Math.max(s.lastTimestamp, e.timestamp);
  }
  return out;
}

/** A half-life in days, or `null` for no decay ("off"). */
export type HalfLife = number | null;

const DAY_MS = 86_400_000;

/**
 * The one time-decay rule of the engine: an event's weight halves every `halfLifeDays` of age at
 * `refTime` (1 when the half-life is off; events after `refTime` count as fresh). Training uses the
 * newest training event (or an explicit as-of time) as `refTime`, never the wall clock, so the same
 * data always gives the same model; serving uses the request time. Time-decayed implicit feedback,
 * cf. Koren 2009, "Collaborative filtering with temporal dynamics".
 */
export function recencyWeight(timestamp: number, refTime: number, halfLifeDays: HalfLife): number {
  if (halfLifeDays === null || !(halfLifeDays > 0)) return 1;
  return 2 ** (-Math.max(0, refTime - timestamp) / (halfLifeDays * DAY_MS));
}

/** One event's strength × its {@link recencyWeight} at `refTime`. */
export function decayedStrength(
  e: Pick<InteractionEvent, 'type' | 'quantity' | 'timestamp' | 'rating'>,
  refTime: number,
  halfLifeDays: HalfLife,
  settings: InteractionSettings = DEFAULT_INTERACTION_SETTINGS,
): number {
  return eventStrength(e.type, e.quantity, settings.weights, e.rating) * recencyWeight(e.timestamp, refTime, halfLifeDays);
}

/**
 * Per-item strengths with {@link recencyWeight} decay, Σ strength · 2^(−age / halfLife), capped:
 * the receiver's fresh intent (this week's orders) outweighs last quarter's browsing when their
 * history is scored (fold-in for ALS, the neighbour sum for EASE).
 */
export function decayedStrengths(
  events: Iterable<Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp' | 'rating'>>,
  now: number,
  halfLifeDays: HalfLife,
  settings: InteractionSettings = DEFAULT_INTERACTION_SETTINGS,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) {
    const w = decayedStrength(e, now, halfLifeDays, settings);
    // No signal, no history item: a 1★ review alone must not fold in as a (zero-weight) observation.
    if (!(w > 0) && !out.has(e.productId)) continue;
    out.set(e.productId, Math.min(settings.cap, (out.get(e.productId) ?? 0) + w));
  }
  return out;
}

/** The newest timestamp of `events` (0 when empty): the training reference time. */
export function newestTimestamp(events: Iterable<{ timestamp: number }>): number {
  let t = 0;
  for (const e of events) if (e.timestamp > t) t = e.timestamp;
  return t;
}

/** Dense index for string ids, in first-seen order (deterministic for a deterministic input). */
export class IdIndex {
  readonly ids: string[] = [];
  private readonly map = new Map<string, number>();

  static from(ids: Iterable<string>): IdIndex {
    const index = new IdIndex();
    for (const id of ids) index.add(id);
    return index;
  }

  add(id: string): number {
    let i = this.map.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.ids.push(id);
      this.map.set(id, i);
    }
    return i;
  }

  get(id: string): number | undefined {
    return this.map.get(id);
  }

  get size(): number {
    return this.ids.length;
  }
}

export interface InteractionMatrix {
  users: IdIndex;
  items: IdIndex;
  /** users × items, capped accumulated strengths r_ui. */
  R: CsrMatrix;
}

/**
 * Builds R from events credited to users. Items listed in `catalogItemIds` get a column even
 * with no events (so cold items exist in the model with zero factors); events on unknown
 * items get a column too unless `restrictToCatalog` is set.
 */
export function buildInteractionMatrix(
  events: Iterable<Pick<InteractionEvent, 'userId' | 'receiverId' | 'productId' | 'type' | 'quantity' | 'rating'> & { timestamp?: number }>,
  options: {
    settings?: InteractionSettings;
    catalogItemIds?: Iterable<string>;
    restrictToCatalog?: boolean;
    /** Recency-weighted confidence: each event's strength × {@link recencyWeight} at `refTime`. Default off. */
    recency?: { refTime: number; halfLifeDays: HalfLife };
  } = {},
): InteractionMatrix {
  const recency = options.recency;
  const settings = options.settings ?? DEFAULT_INTERACTION_SETTINGS;
  const users = new IdIndex();
  const items = IdIndex.from(options.catalogItemIds ?? []);
  const restrict = options.restrictToCatalog === true && options.catalogItemIds !== undefined;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (const e of events) {
    if (restrict && items.get(e.productId) === undefined) continue;
    const strength = eventStrength(e.type, e.quantity, settings.weights, e.rating);
    // A stored zero would be an observation to implicit ALS (preference 1); a 1★ review is none.
    if (!(strength > 0)) continue;
    rows.push(users.add(creditedUser(e)));
    cols.push(items.add(e.productId));
    const w = recency ? recencyWeight(e.timestamp ?? recency.refTime, recency.refTime, recency.halfLifeDays) : 1;
    vals.push(strength * w);
  }
  const R = csrFromTriplets(users.size, items.size, rows, cols, vals);
  const cap = settings.cap;
  for (let k = 0; k < R.data.length; k++) if (R.data[k] > cap) R.data[k] = cap;
  return { users, items, R };
}
