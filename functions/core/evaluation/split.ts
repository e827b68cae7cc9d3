/**
 * Train/test splitters for offline evaluation.
 *
 * `stratifiedSplit` follows Microsoft Recommenders' `python_stratified_split`
 * (recommenders/datasets/python_splitters.py): within each group (user or item) the rows are put in
 * random order and the first round(ratio · count) go to train, the rest to test, with numpy's
 * round-half-to-even. The random order comes from our seeded PRNG (mulberry32), not numpy's
 * Mersenne Twister, so it is the same protocol with different rows.
 */
import { mulberry32 } from '../numeric/prng.js';

export interface Interaction {
  user: string;
  item: string;
  /** Strength / rating (all positive). */
  value: number;
  /** Epoch ms (or any monotone clock). */
  timestamp: number;
  /** The app event behind the row, when the dataset has one (default: an order). */
  type?: import('../domain/types.js').EventType;
  /** Review rows: their stars (the engine weighs a review by them). */
  rating?: number;
}

/** numpy/Python 3 `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Per-group random split. `minRating` drops groups with fewer rows first (Recommenders' min_rating).
 * Deterministic for a given input order and seed.
 */
export function stratifiedSplit<T extends Interaction>(
  rows: readonly T[],
  options: { ratio?: number; filterBy?: 'user' | 'item'; seed?: number; minRating?: number } = {},
): { train: T[]; test: T[] } {
  const ratio = options.ratio ?? 0.75;
  if (!(ratio > 0 && ratio < 1)) throw new RangeError(`ratio must be in (0, 1), got ${ratio}`);
  const by = options.filterBy ?? 'user';
  const rng = mulberry32(options.seed ?? 42);
  const key = by === 'user' ? (r: T) => r.user : (r: T) => r.item;
  // One random number per row in input order (like data["random"] = np.random.rand(n)).
  const rand = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) rand[k] = rng();
  const groups = new Map<string, number[]>();
  rows.forEach((r, k) => {
    const g = key(r);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(k);
  });
  const train: T[] = [];
  const test: T[] = [];
  const minRating = options.minRating ?? 1;
  for (const list of groups.values()) {
    if (list.length < minRating) continue;
    list.sort((a, b) => rand[a] - rand[b] || a - b);
    const cut = roundHalfEven(ratio * list.length);
    list.forEach((k, pos) => (pos < cut ? train : test).push(rows[k]));
  }
  return { train, test };
}

/**
 * Global temporal split: rows at or after the time quantile `1 − testFraction` go to test. Ties at
 * the boundary go to test, so a day's events are not split. Test rows whose user or item never
 * appears in train stay in test (a caller decides whether to drop cold users).
 */
export function temporalSplit<T extends Interaction>(rows: readonly T[], testFraction = 0.2): { train: T[]; test: T[]; cutoff: number } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  if (rows.length === 0) return { train: [], test: [], cutoff: 0 };
  const times = Float64Array.from(rows, (r) => r.timestamp).sort();
  const cutoff = times[Math.min(times.length - 1, Math.floor(times.length * (1 - testFraction)))];
  const train: T[] = [];
  const test: T[] = [];
  for (const r of rows) (r.timestamp >= cutoff ? test : train).push(r);
  return { train, test, cutoff };
}
