import { describe, expect, it } from 'vitest';
import { pairedBootstrapRatio, quantileSorted } from '../../functions/core/evaluation/bootstrap.js';
import { mulberry32, randInt } from '../../functions/core/numeric/prng.js';

/** Per-user nDCG-like values: mostly 0, sometimes a hit in (0, 1]. */
function sparseScores(n: number, hitRate: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (rng() < hitRate ? 0.2 + 0.8 * rng() : 0));
}

/** The bootstrap written out the slow way: explicit resampled arrays, then their means. */
function slowReference(a: number[], b: number[], resamples: number, seed: number) {
  const rng = mulberry32(seed);
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const draw = a.map(() => randInt(rng, a.length));
    const mean = (xs: number[]) => draw.reduce((s, u) => s + xs[u], 0) / draw.length;
    ratios.push(mean(a) / mean(b));
  }
  ratios.sort((x, y) => x - y);
  const at = (q: number) => {
    const pos = (ratios.length - 1) * q;
    return ratios[Math.floor(pos)] + (ratios[Math.ceil(pos)] - ratios[Math.floor(pos)]) * (pos - Math.floor(pos));
  };
  return { lo: at(0.025), hi: at(0.975) };
}

describe('paired bootstrap of a ratio of means', () => {
  it('is exactly c when every user of a scores c times their b', () => {
    const b = sparseScores(500, 0.3, 1);
    const a = b.map((x) => 1.5 * x);
    const ci = pairedBootstrapRatio(a, b)!;
    expect(ci.ratio).toBeCloseTo(1.5, 12);
    expect(ci.lo).toBeCloseTo(1.5, 12);
    expect(ci.hi).toBeCloseTo(1.5, 12);
  });

  it('equals the slow reference (explicit resamples, the same draws)', () => {
    const a = Array.from(sparseScores(300, 0.25, 2));
    const b = Array.from(sparseScores(300, 0.25, 3));
    const ci = pairedBootstrapRatio(a, b, { resamples: 400, seed: 9 })!;
    const ref = slowReference(a, b, 400, 9);
    expect(ci.lo).toBeCloseTo(ref.lo, 10);
    expect(ci.hi).toBeCloseTo(ref.hi, 10);
    expect(ci.ratio).toBeCloseTo(a.reduce((s, x) => s + x, 0) / b.reduce((s, x) => s + x, 0), 12);
  });

  it('matches the delta-method interval on many users (closed form: Var(R) ≈ Var(a − R·b) / (n · mean(b)²))', () => {
    const n = 4000;
    const b = sparseScores(n, 0.3, 4);
    const rng = mulberry32(5);
    // a = b with some users' hits moved: a paired difference with a known spread.
    const a = b.map((x) => (rng() < 0.1 ? (rng() < 0.5 ? 0 : 0.6) : x));
    const ci = pairedBootstrapRatio(a, b, { resamples: 3000 })!;
    const ma = a.reduce((s, x) => s + x, 0) / n;
    const mb = b.reduce((s, x) => s + x, 0) / n;
    const R = ma / mb;
    let v = 0;
    for (let u = 0; u < n; u++) v += (a[u] - R * b[u] - (ma - R * mb)) ** 2;
    const se = Math.sqrt(v / (n - 1) / n) / mb;
    expect(ci.hi - ci.lo).toBeGreaterThan(2 * 1.96 * se * 0.85);
    expect(ci.hi - ci.lo).toBeLessThan(2 * 1.96 * se * 1.15);
    expect(ci.lo).toBeLessThan(R);
    expect(ci.hi).toBeGreaterThan(R);
  });

  it('pairs users: the same draw for both models is narrower than the users’ own spread', () => {
    // Two models that agree on most users: paired, the interval is tight around their small difference.
    const b = sparseScores(1000, 0.3, 6);
    const a = Float64Array.from(b, (x, u) => (u % 50 === 0 ? 0 : x));
    const ci = pairedBootstrapRatio(a, b)!;
    expect(ci.hi).toBeLessThanOrEqual(1);
    expect(ci.hi - ci.lo).toBeLessThan(0.1);
  });

  it('is seeded: the same seed gives the same bounds, another seed other bounds and the same ratio', () => {
    const a = sparseScores(400, 0.3, 7);
    const b = sparseScores(400, 0.3, 8);
    const x = pairedBootstrapRatio(a, b, { seed: 11 })!;
    expect(pairedBootstrapRatio(a, b, { seed: 11 })).toEqual(x);
    const y = pairedBootstrapRatio(a, b, { seed: 12 })!;
    expect(y.ratio).toBe(x.ratio);
    expect([y.lo, y.hi]).not.toEqual([x.lo, x.hi]);
    expect(x).toMatchObject({ level: 0.95, resamples: 2000, seed: 11, users: 400 });
  });

  it('counts a resample in which the baseline scores nothing as +∞, never as 0', () => {
    // One user of five carries the baseline: a third of the resamples miss them ((4/5)^5).
    const ci = pairedBootstrapRatio([1, 1, 1, 1, 1], [0, 0, 0, 0, 1])!;
    expect(ci.ratio).toBe(5);
    expect(ci.hi).toBe(Infinity);
    expect(ci.lo).toBeGreaterThanOrEqual(1);
  });

  it('has no ratio when the baseline never scores, and refuses unpaired inputs', () => {
    expect(pairedBootstrapRatio([0.5, 0], [0, 0])).toBeUndefined();
    expect(pairedBootstrapRatio([], [])).toBeUndefined();
    expect(() => pairedBootstrapRatio([1, 2], [1])).toThrow(/paired/);
  });

  it('quantiles interpolate between order statistics', () => {
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(quantileSorted([1, 2, 3, 4, 5], 1)).toBe(5);
    expect(quantileSorted([1, Infinity, Infinity], 0.9)).toBe(Infinity);
    expect(quantileSorted([1, Infinity], 0.5)).toBe(Infinity);
    expect(quantileSorted([1, 3, Infinity], 0.25)).toBe(2);
  });
});
