/**
 * Business rules: the retail prefilters and the promoted boost, set per deployment (environment
 * `BUSINESS_RULES`, or an admin's `PUT /config`), recorded in each version's manifest by the retrain
 * and applied by ONE function, {@link applyBusinessRules}, wherever a list is ranked: serving
 * (`rankForReceiver`, before candidates are drawn, so no candidate source can bring an excluded
 * item back), `npm run batch`, `npm run eval` and the retrain's record of what the rules exclude.
 *
 * Every default is "off" and equals the behaviour without rules: nothing excluded, nothing boosted.
 */
import { z } from 'zod';
import type { SnapshotItem } from '../snapshot/model-snapshot.js';

const DAY_MS = 86_400_000;
/** A rule month is 30 days (the same length whatever the calendar month). */
export const RULE_MONTH_DAYS = 30;

const share = (what: string) =>
  z
    .number()
    .min(0, 'must be ≥ 0')
    .lt(1, 'must be < 1')
    .describe(`share of the active catalog, by the version's recency-weighted popularity, dropped as ${what} (0 = off)`);

/** The rule fields; each has its "off" value as default. */
const RuleFields = z.strictObject({
  excludeNotSoldForMonths: z
    .number()
    .positive('must be > 0 (null = off)')
    .max(120, 'must be ≤ 120')
    .nullable()
    .default(null)
    .describe('drop items with no order in the last N × 30 days, unless created within that window (null = off)'),
  minPrice: z.number().min(0, 'must be ≥ 0').nullable().default(null).describe('drop items priced below this (null = off)'),
  maxPrice: z.number().min(0, 'must be ≥ 0').nullable().default(null).describe('drop items priced above this (null = off)'),
  excludeMostPopularShare: share('the most popular').default(0),
  excludeLeastPopularShare: share('the least popular').default(0),
  minItemsPerCategory: z
    .number()
    .int('must be an integer')
    .min(0, 'must be ≥ 0')
    .max(1_000_000)
    .default(0)
    .describe('drop items of categories with fewer active items than this; items without a category are kept (0 = off)'),
  promotedBoost: z
    .number()
    .min(0, 'must be ≥ 0')
    .max(10, 'must be ≤ 10')
    .default(0)
    .describe("added to promoted items' ranking score, on the scale where the best model score is 1 (0 = off)"),
});

/** A rule set as given (missing fields take their off value) and checked across fields. */
export const BusinessRulesSchema = RuleFields.superRefine((r, ctx) => {
  if (r.minPrice !== null && r.maxPrice !== null && r.minPrice > r.maxPrice) {
    ctx.addIssue({ code: 'custom', path: ['minPrice'], message: `must not exceed maxPrice (${r.maxPrice})` });
  }
  if (r.excludeMostPopularShare + r.excludeLeastPopularShare >= 1) {
    ctx.addIssue({ code: 'custom', path: ['excludeLeastPopularShare'], message: 'excludeMostPopularShare + excludeLeastPopularShare must be < 1 (something must be left)' });
  }
});

export type BusinessRules = z.output<typeof BusinessRulesSchema>;

/** No rule: today's behaviour without configuration. */
export const DEFAULT_BUSINESS_RULES: BusinessRules = Object.freeze(BusinessRulesSchema.parse({}));

/** Where a rule set came from: an admin's `PUT /config`, the environment, nothing set, or an offline CLI's `--rules`. */
export type RulesSource = 'stored' | 'environment' | 'default' | 'command-line';

/** `manifest.rules`: the rules a version was trained with, where they came from, what they dropped then. */
export interface RulesRecord {
  settings: BusinessRules;
  source: RulesSource;
  /** When an admin stored them (source `stored`). */
  updatedAt?: string;
  /** Items each rule excluded from the version's catalog at its reference time (an item may count under several). */
  excluded?: RuleExclusions;
  /** Active items no rule excluded, at the version's reference time. */
  allowed?: number;
}

export type RuleName = 'notSold' | 'minPrice' | 'maxPrice' | 'mostPopular' | 'leastPopular' | 'thinCategory';
export type RuleExclusions = Record<RuleName, number>;

/** Whether the rule set excludes or boosts anything at all. */
export function rulesActive(r: BusinessRules): boolean {
  return (
    r.excludeNotSoldForMonths !== null ||
    r.minPrice !== null ||
    r.maxPrice !== null ||
    r.excludeMostPopularShare > 0 ||
    r.excludeLeastPopularShare > 0 ||
    r.minItemsPerCategory > 0 ||
    r.promotedBoost > 0
  );
}

export interface RuleCatalog {
  items: readonly Pick<SnapshotItem, 'price' | 'category' | 'promoted' | 'status' | 'createdAt' | 'lastSoldAt'>[];
  /** Recency-weighted popularity per item (items past its end count 0: products added since the version). */
  popularity: ArrayLike<number>;
}

export interface RuleOutcome {
  /** 1 where the item passes every exclusion rule (inactive items are 0: never recommendable). */
  allowed: Uint8Array;
  /** Per item, what to add to its ranking score (the promoted boost); undefined when the boost is off. */
  boost?: Float32Array;
  excluded: RuleExclusions;
  /** Active items that pass. */
  allowedCount: number;
}

/**
 * THE business-rule function: which items of a catalog the rules let through at time `now`, and the
 * score boost of each. Only active items are ranked for the popularity shares and counted for the
 * category sizes (a blocked or deleted product is never recommended, so it neither takes a share nor
 * props up a category). Precisely:
 * - `excludeNotSoldForMonths` N: excluded when the last order is before `now − N·30 days` (or there
 *   was none) and the item was created before that too; an order exactly at the boundary keeps it.
 * - `minPrice` / `maxPrice`: excluded when price < min or price > max (equal passes; an unknown,
 *   NaN price passes, as in the request's own price filter).
 * - `excludeMostPopularShare` s: the ⌊s·n⌋ most popular of the n active items (popularity high to low,
 *   ties by catalog order) are excluded; `excludeLeastPopularShare`: the ⌊s·n⌋ at the other end.
 * - `minItemsPerCategory` M: excluded when its category has fewer than M active items.
 * - `promotedBoost` b: b added to each promoted item's score (no exclusion).
 */
export function applyBusinessRules(catalog: RuleCatalog, rules: BusinessRules, now: number): RuleOutcome {
  const { items, popularity } = catalog;
  const n = items.length;
  const allowed = new Uint8Array(n);
  const excluded: RuleExclusions = { notSold: 0, minPrice: 0, maxPrice: 0, mostPopular: 0, leastPopular: 0, thinCategory: 0 };
  const active: number[] = [];
  for (let i = 0; i < n; i++) if (items[i].status === 'active') active.push(i);

  const popularityOut = new Uint8Array(n);
  const most = Math.floor(rules.excludeMostPopularShare * active.length);
  const least = Math.floor(rules.excludeLeastPopularShare * active.length);
  if (most > 0 || least > 0) {
    const pop = (i: number) => (i < popularity.length ? popularity[i] : 0);
    const order = [...active].sort((a, b) => pop(b) - pop(a) || a - b);
    for (let r = 0; r < most; r++) popularityOut[order[r]] = 1;
    for (let r = order.length - least; r < order.length; r++) popularityOut[order[r]] = 2;
  }
  const categorySize = new Map<string, number>();
  if (rules.minItemsPerCategory > 0) for (const i of active) if (items[i].category) categorySize.set(items[i].category, (categorySize.get(items[i].category) ?? 0) + 1);
  const since = rules.excludeNotSoldForMonths === null ? undefined : now - rules.excludeNotSoldForMonths * RULE_MONTH_DAYS * DAY_MS;

  let allowedCount = 0;
  for (const i of active) {
    const it = items[i];
    let ok = true;
    const drop = (rule: RuleName) => {
      excluded[rule]++;
      ok = false;
    };
    if (since !== undefined && !((it.lastSoldAt ?? -Infinity) >= since) && it.createdAt < since) drop('notSold');
    if (rules.minPrice !== null && it.price < rules.minPrice) drop('minPrice');
    if (rules.maxPrice !== null && it.price > rules.maxPrice) drop('maxPrice');
    if (popularityOut[i] === 1) drop('mostPopular');
    if (popularityOut[i] === 2) drop('leastPopular');
    if (rules.minItemsPerCategory > 0 && it.category && (categorySize.get(it.category) ?? 0) < rules.minItemsPerCategory) drop('thinCategory');
    if (ok) {
      allowed[i] = 1;
      allowedCount++;
    }
  }
  let boost: Float32Array | undefined;
  if (rules.promotedBoost > 0) {
    boost = new Float32Array(n);
    for (let i = 0; i < n; i++) if (items[i].promoted) boost[i] = rules.promotedBoost;
  }
  return { allowed, boost, excluded, allowedCount };
}

/** The rules' outcome over a served catalog, recomputed at most once a minute (the not-sold window moves with time). */
const RULES_REFRESH_MS = 60_000;
const cache = new WeakMap<object, { key: string; at: number; outcome: RuleOutcome }>();

/**
 * {@link applyBusinessRules} for the hot path: kept per catalog object (a served snapshot) and rule
 * set, evaluated again when a minute has passed since; undefined when no rule is on.
 */
export function cachedBusinessRules(catalog: RuleCatalog, rules: BusinessRules | undefined, now: number): RuleOutcome | undefined {
  if (!rules || !rulesActive(rules)) return undefined;
  const key = JSON.stringify(rules);
  const hit = cache.get(catalog);
  if (hit && hit.key === key && hit.outcome.allowed.length === catalog.items.length && now >= hit.at && now - hit.at < RULES_REFRESH_MS) return hit.outcome;
  const outcome = applyBusinessRules(catalog, rules, now);
  cache.set(catalog, { key, at: now, outcome });
  return outcome;
}

/** The record a version carries: the rules, their source, and what they excluded at `now`. */
export function rulesRecord(catalog: RuleCatalog, rules: BusinessRules, source: RulesSource, now: number, updatedAt?: string): RulesRecord {
  const { excluded, allowedCount } = applyBusinessRules(catalog, rules, now);
  return { settings: rules, source, ...(updatedAt ? { updatedAt } : {}), excluded, allowed: allowedCount };
}

/** What an admin stored with `PUT /config`. */
export interface StoredBusinessRules {
  rules: BusinessRules;
  updatedAt: string;
  /** The token subject of the admin who stored them (absent without auth). */
  updatedBy?: string;
}

/** The rules the next retrain uses: an admin's stored set, else the environment's, else none. */
export function activeRules(stored: StoredBusinessRules | undefined, environment: BusinessRules | undefined): { settings: BusinessRules; source: RulesSource; updatedAt?: string } {
  if (stored) return { settings: stored.rules, source: 'stored', updatedAt: stored.updatedAt };
  if (environment) return { settings: environment, source: 'environment' };
  return { settings: DEFAULT_BUSINESS_RULES, source: 'default' };
}
