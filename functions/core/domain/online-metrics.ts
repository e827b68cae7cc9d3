/**
 * Online quality of recommendations: what was shown (impressions, sampled) and which later events
 * followed from it (attribution within a window), counted per model version and per reason kind.
 * Counters are cohorts: an attributed event counts on the day and model version of the impression
 * it follows, so a rate is always "of the products shown then, the share acted on". Only the
 * funnel (view, cart, wishlist, order) is attributed: a review judges a product, it is not a
 * response to having been shown it.
 */
import { FUNNEL_EVENT_TYPES, type FunnelEventType } from './types.js';

export interface Impression {
  recommendationId: string;
  userId: string;
  modelVersion: string;
  /** Epoch ms. */
  shownAt: number;
  items: { id: string; reasons: string[] }[];
}

/** A reason's kind: `because_you_bought:p-1` → `because_you_bought` (ids would make counters unbounded). */
export const reasonKind = (reason: string): string => reason.split(':')[0];

/** UTC day of a time, the counters' bucket. */
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Counter increments for one impression. */
export function impressionCounters(imp: Impression): Record<string, number> {
  const c: Record<string, number> = { responses: 1, impressions: imp.items.length };
  for (const item of imp.items) {
    for (const kind of new Set(item.reasons.map(reasonKind))) c[`impressions:${kind}`] = (c[`impressions:${kind}`] ?? 0) + 1;
  }
  return c;
}

/** What turns `previous`'s counters into `next`'s (`next` undefined: the impression is withdrawn); zero changes left out. */
export function impressionCounterDelta(previous: Impression, next: Impression | undefined): Record<string, number> {
  const delta: Record<string, number> = next ? impressionCounters(next) : {};
  for (const [key, n] of Object.entries(impressionCounters(previous))) delta[key] = (delta[key] ?? 0) - n;
  for (const key of Object.keys(delta)) if (delta[key] === 0) delete delta[key];
  return delta;
}

/** Whether two impressions list the same items with the same reasons, in the same order. */
export function sameShownItems(a: Impression['items'], b: Impression['items']): boolean {
  return a.length === b.length && a.every((item, k) => item.id === b[k].id && item.reasons.length === b[k].reasons.length && item.reasons.every((r, j) => r === b[k].reasons[j]));
}

/** Counter increments for one attributed event about an item of the impression. */
export function attributionCounters(type: FunnelEventType, reasons: readonly string[]): Record<string, number> {
  const c: Record<string, number> = { [`attributed:${type}`]: 1 };
  for (const kind of new Set(reasons.map(reasonKind))) c[`attributed:${type}:${kind}`] = 1;
  return c;
}

/** Whether an event at `eventAt` about `productId` follows the impression within the window. */
export function attributable(imp: Impression, productId: string, eventAt: number, windowMs: number): { reasons: string[] } | undefined {
  if (eventAt < imp.shownAt || eventAt - imp.shownAt > windowMs) return undefined;
  const item = imp.items.find((i) => i.id === productId);
  return item ? { reasons: item.reasons } : undefined;
}

export interface CounterRow {
  day: string;
  modelVersion: string;
  counters: Record<string, number>;
}

type ByType = Record<FunnelEventType, number>;
const zeroByType = (): ByType => Object.fromEntries(FUNNEL_EVENT_TYPES.map((t) => [t, 0])) as ByType;
const rates = (attributed: ByType, impressions: number): ByType =>
  Object.fromEntries(FUNNEL_EVENT_TYPES.map((t) => [t, impressions > 0 ? Number((attributed[t] / impressions).toFixed(6)) : 0])) as ByType;

export interface OnlineSummary {
  responses: number;
  impressions: number;
  attributed: ByType;
  rates: ByType;
  by_model_version: { model_version: string; responses: number; impressions: number; attributed: ByType; rates: ByType }[];
  by_reason: { reason: string; impressions: number; attributed: ByType; rates: ByType }[];
}

/** Sums daily counter rows into rates (attributed events of a type ÷ products shown). */
export function summarize(rows: readonly CounterRow[]): OnlineSummary {
  const versions = new Map<string, { responses: number; impressions: number; attributed: ByType }>();
  const reasons = new Map<string, { impressions: number; attributed: ByType }>();
  const total = { responses: 0, impressions: 0, attributed: zeroByType() };
  for (const row of rows) {
    const v = versions.get(row.modelVersion) ?? { responses: 0, impressions: 0, attributed: zeroByType() };
    versions.set(row.modelVersion, v);
    for (const [key, n] of Object.entries(row.counters)) {
      const parts = key.split(':');
      if (key === 'responses') {
        v.responses += n;
        total.responses += n;
      } else if (key === 'impressions') {
        v.impressions += n;
        total.impressions += n;
      } else if (parts[0] === 'impressions' && parts.length === 2) {
        const r = reasons.get(parts[1]) ?? { impressions: 0, attributed: zeroByType() };
        r.impressions += n;
        reasons.set(parts[1], r);
      } else if (parts[0] === 'attributed' && (FUNNEL_EVENT_TYPES as readonly string[]).includes(parts[1])) {
        const type = parts[1] as FunnelEventType;
        if (parts.length === 2) {
          v.attributed[type] += n;
          total.attributed[type] += n;
        } else {
          const r = reasons.get(parts[2]) ?? { impressions: 0, attributed: zeroByType() };
          r.attributed[type] += n;
          reasons.set(parts[2], r);
        }
      }
    }
  }
  return {
    ...total,
    rates: rates(total.attributed, total.impressions),
    by_model_version: [...versions]
      .sort(([a], [b]) => (a < b ? 1 : -1))
      .map(([model_version, v]) => ({ model_version, ...v, rates: rates(v.attributed, v.impressions) })),
    by_reason: [...reasons]
      .sort(([, a], [, b]) => b.impressions - a.impressions)
      .map(([reason, r]) => ({ reason, ...r, rates: rates(r.attributed, r.impressions) })),
  };
}
