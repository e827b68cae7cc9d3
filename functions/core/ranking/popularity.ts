/**
 * Popularity baseline and cold-start scorer: per-item counts, optionally recency-weighted
 * (exponential decay with a half-life) and restricted to one country.
 */
import type { CsrMatrix } from '../numeric/sparse.js';
import { decayedStrength, recencyWeight, type HalfLife, type InteractionSettings } from '../domain/interactions.js';
import type { InteractionEvent } from '../domain/types.js';

export interface PopularityEvent {
  /** Dense item index in [0, nItems). */
  item: number;
  /** Event strength (default 1). */
  weight?: number;
  /** Epoch ms; needed only with a half-life. */
  timestamp?: number;
  /** Country of the user who acted; needed only with a country filter. */
  country?: string;
}

export interface PopularityOptions {
  /** Exponential recency decay: an event halfLifeMs old counts half. Omit for plain counts. */
  halfLifeMs?: number;
  /** Reference time for the decay (default: the newest event's timestamp). */
  now?: number;
  /** Keep only events from this country (events without a country are dropped). */
  country?: string;
  /** Count each event as 1 regardless of its weight. */
  unweighted?: boolean;
}

/**
 * Item scores Σ_events w · 0.5^((now − t)/halfLife), over events passing the country filter.
 * Returns Float32Array(nItems); items without events score 0. Events with an item index outside
 * [0, nItems) are ignored.
 */
export function popularityScores(events: Iterable<PopularityEvent>, nItems: number, options: PopularityOptions = {}): Float32Array {
  const list = Array.isArray(events) ? (events as PopularityEvent[]) : [...events];
  const scores = new Float64Array(nItems);
  let now = options.now;
  if (options.halfLifeMs !== undefined && now === undefined) {
    now = -Infinity;
    for (const e of list) if (e.timestamp !== undefined && e.timestamp > now) now = e.timestamp;
  }
  const halfLifeDays = options.halfLifeMs !== undefined ? options.halfLifeMs / DAY_MS : null;
  for (const e of list) {
    if (e.item < 0 || e.item >= nItems) continue;
    if (options.country !== undefined && e.country !== options.country) continue;
    let w = options.unweighted ? 1 : (e.weight ?? 1);
    if (e.timestamp !== undefined && now !== undefined) w *= recencyWeight(e.timestamp, now, halfLifeDays);
    scores[e.item] += w;
  }
  return Float32Array.from(scores);
}

/** One score vector per country seen in the events (plus the global one under key `*`). */
export function popularityByCountry(
  events: Iterable<PopularityEvent>,
  nItems: number,
  options: Omit<PopularityOptions, 'country'> = {},
): Map<string, Float32Array> {
  const list = [...events];
  const out = new Map<string, Float32Array>();
  out.set('*', popularityScores(list, nItems, options));
  const countries = new Set(list.map((e) => e.country).filter((c): c is string => c !== undefined));
  for (const c of [...countries].sort()) out.set(c, popularityScores(list, nItems, { ...options, country: c }));
  return out;
}

const DAY_MS = 86_400_000;

/**
 * Recency-weighted popularity of app events, Σ strength · 2^(−age/h) at `refTime`, max-normalised
 * to [0, 1]: the version's popularity vector, the trending prior of the model selection, and the
 * cold-start list. `include` filters events (e.g. leaves a holdout out).
 */
export function recencyPopularity(
  events: readonly InteractionEvent[],
  itemIndex: ReadonlyMap<string, number>,
  nItems: number,
  refTime: number,
  halfLifeDays: HalfLife,
  settings: InteractionSettings,
  include: (e: InteractionEvent) => boolean = () => true,
): Float32Array {
  const pop = new Float64Array(nItems);
  for (const e of events) {
    const i = itemIndex.get(e.productId);
    if (i !== undefined && include(e)) pop[i] += decayedStrength(e, refTime, halfLifeDays, settings);
  }
  let max = 0;
  for (const v of pop) max = Math.max(max, v);
  return Float32Array.from(pop, (v) => (max > 0 ? v / max : 0));
}

/**
 * out[i] = raw[i] / max(raw) + β · popularity[i] (raw as is when no score is positive): the one blend
 * of a model's scores with the popularity prior, used by serving, the holdout and the selection.
 * `out` may be `raw` itself.
 */
export function blendWithPopularity(raw: Float32Array, popularity: Float32Array, beta: number, out: Float32Array): Float32Array {
  const n = out.length;
  const scale = blendScale(raw, n);
  for (let i = 0; i < n; i++) out[i] = raw[i] * scale + beta * popularity[i];
  return out;
}

/** The factor {@link blendWithPopularity} scales the first n raw scores by: 1 / max when one is positive, else 1. */
export function blendScale(raw: Float32Array, n: number): number {
  // Four independent maxima (the loop is latency-bound on one); Math.max is exact in any order, NaN included.
  let m0 = 0;
  let m1 = 0;
  let m2 = 0;
  let m3 = 0;
  const n4 = n - (n % 4);
  let i = 0;
  for (; i < n4; i += 4) {
    m0 = Math.max(m0, raw[i]);
    m1 = Math.max(m1, raw[i + 1]);
    m2 = Math.max(m2, raw[i + 2]);
    m3 = Math.max(m3, raw[i + 3]);
  }
  for (; i < n; i++) m0 = Math.max(m0, raw[i]);
  const max = Math.max(Math.max(m0, m1), Math.max(m2, m3));
  return max > 0 ? 1 / max : 1;
}

/** Item i's score in {@link blendWithPopularity}'s output (float32), given its {@link blendScale}. */
export function blendedScore(raw: Float32Array, popularity: Float32Array, beta: number, scale: number, i: number): number {
  return Math.fround(raw[i] * scale + beta * popularity[i]);
}

/** Takes scores in index order; only those above `threshold()` are offered, and `consider` returns the new threshold. */
export interface ScoreSink {
  threshold(): number;
  consider(s: number, i: number): number;
}

/**
 * {@link blendWithPopularity}'s first n scores handed to `sink` in index order (those above its
 * threshold) without being stored: serving selects from the blend in the pass that computes it.
 * Items marked in `bonus.mask` get `bonus.add` added first (float32, as `scores[i] += add` would).
 */
export function streamBlended(
  raw: Float32Array,
  popularity: Float32Array,
  beta: number,
  scale: number,
  n: number,
  sink: ScoreSink,
  bonus: { mask: Uint8Array; add: number },
): void {
  const { mask, add } = bonus;
  let thr = sink.threshold();
  for (let i = 0; i < n; i++) {
    let s = Math.fround(raw[i] * scale + beta * popularity[i]);
    if (mask[i] !== 0) s = Math.fround(s + add);
    if (s > thr) thr = sink.consider(s, i);
  }
}

/** Number of distinct users per item (column nonzeros of R): the classic popularity baseline. */
export function itemUserCounts(R: CsrMatrix): Float32Array {
  const out = new Float32Array(R.nCols);
  for (let k = 0; k < R.indices.length; k++) if (R.data[k] > 0) out[R.indices[k]] += 1;
  return out;
}
