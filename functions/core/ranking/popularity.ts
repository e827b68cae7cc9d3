/**
 * Popularity baseline and cold-start scorer: per-item counts, optionally recency-weighted
 * (exponential decay with a half-life) and restricted to one country.
 */
import type { CsrMatrix } from '../numeric/sparse.js';

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
  const decay = options.halfLifeMs !== undefined ? Math.LN2 / options.halfLifeMs : 0;
  for (const e of list) {
    if (e.item < 0 || e.item >= nItems) continue;
    if (options.country !== undefined && e.country !== options.country) continue;
    let w = options.unweighted ? 1 : (e.weight ?? 1);
    if (decay > 0 && e.timestamp !== undefined && now !== undefined) w *= Math.exp(-decay * Math.max(0, now - e.timestamp));
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

/** Number of distinct users per item (column nonzeros of R): the classic popularity baseline. */
export function itemUserCounts(R: CsrMatrix): Float32Array {
  const out = new Float32Array(R.nCols);
  for (let k = 0; k < R.indices.length; k++) if (R.data[k] > 0) out[R.indices[k]] += 1;
  return out;
}
