/**
 * From app events to the implicit-feedback matrix R (Hu, Koren & Volinsky 2008: r_ui is an
 * observation strength, not a rating). Gifting rule (DESIGN.md › Gifting): an order with a
 * `receiverId` is evidence about the receiver and makes the item owned by the receiver.
 */
import type { EventType, InteractionEvent } from './types.js';
import { csrFromTriplets, type CsrMatrix } from '../numeric/sparse.js';

export interface EventWeights {
  order: number;
  cart: number;
  wishlist: number;
  view: number;
}

export const DEFAULT_EVENT_WEIGHTS: EventWeights = { order: 1.0, cart: 0.5, wishlist: 0.3, view: 0.1 };

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

/** Strength of one event: type weight × quantity (quantity only multiplies orders and carts). */
export function eventStrength(type: EventType, quantity: number, weights: EventWeights): number {
  const q = type === 'order' || type === 'cart' ? Math.max(1, quantity) : 1;
  return weights[type] * q;
}

/** What one user has done to one item, aggregated. */
export interface UserItemSummary {
  strength: number;
  owned: boolean;
  wishlisted: boolean;
  inCart: boolean;
  lastTimestamp: number;
}

/**
 * Aggregates the events credited to one user into per-item summaries (capped strengths).
 * Used at serving time for owned-item exclusion, wishlist/cart boosts and the second stage's
 * history (fold-in uses {@link decayedStrengths}).
 */
export function summarizeUserEvents(
  events: Iterable<Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp'>>,
  settings: InteractionSettings = DEFAULT_INTERACTION_SETTINGS,
): Map<string, UserItemSummary> {
  const out = new Map<string, UserItemSummary>();
  for (const e of events) {
    let s = out.get(e.productId);
    if (!s) {
      s = { strength: 0, owned: false, wishlisted: false, inCart: false, lastTimestamp: 0 };
      out.set(e.productId, s);
    }
    s.strength = Math.min(settings.cap, s.strength + eventStrength(e.type, e.quantity, settings.weights));
    if (e.type === 'order') s.owned = true;
    if (e.type === 'wishlist') s.wishlisted = true;
    if (e.type === 'cart') s.inCart = true;
    s.lastTimestamp = Math.max(s.lastTimestamp, e.timestamp);
  }
  return out;
}

/**
 * Per-item strengths with exponential time decay, Σ strength · 2^(−age / halfLife), capped: the
 * receiver's fresh intent (this week's orders) outweighs last quarter's browsing when their vector
 * is folded in (time-decayed implicit feedback, cf. Koren 2009, "Collaborative filtering with
 * temporal dynamics"). The trained factors are untouched; only the fold-in sees the decay.
 */
export function decayedStrengths(
  events: Iterable<Pick<InteractionEvent, 'productId' | 'type' | 'quantity' | 'timestamp'>>,
  now: number,
  halfLifeDays: number,
  settings: InteractionSettings = DEFAULT_INTERACTION_SETTINGS,
): Map<string, number> {
  const out = new Map<string, number>();
  const halfLifeMs = halfLifeDays * 86_400_000;
  for (const e of events) {
    const age = Math.max(0, now - e.timestamp);
    const w = eventStrength(e.type, e.quantity, settings.weights) * 2 ** (-age / halfLifeMs);
    out.set(e.productId, Math.min(settings.cap, (out.get(e.productId) ?? 0) + w));
  }
  return out;
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
  events: Iterable<Pick<InteractionEvent, 'userId' | 'receiverId' | 'productId' | 'type' | 'quantity'>>,
  options: { settings?: InteractionSettings; catalogItemIds?: Iterable<string>; restrictToCatalog?: boolean } = {},
): InteractionMatrix {
  const settings = options.settings ?? DEFAULT_INTERACTION_SETTINGS;
  const users = new IdIndex();
  const items = IdIndex.from(options.catalogItemIds ?? []);
  const restrict = options.restrictToCatalog === true && options.catalogItemIds !== undefined;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (const e of events) {
    if (restrict && items.get(e.productId) === undefined) continue;
    rows.push(users.add(creditedUser(e)));
    cols.push(items.add(e.productId));
    vals.push(eventStrength(e.type, e.quantity, settings.weights));
  }
  const R = csrFromTriplets(users.size, items.size, rows, cols, vals);
  const cap = settings.cap;
  for (let k = 0; k < R.data.length; k++) if (R.data[k] > cap) R.data[k] = cap;
  return { users, items, R };
}
