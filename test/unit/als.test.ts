import { describe, expect, it } from 'vitest';
import { csrFromTriplets, type CsrMatrix } from '../../functions/core/numeric/sparse.js';
import {
  DEFAULT_ALS_PARAMS,
  alsLoss,
  alsThreads,
  configureAlsThreads,
  confidence,
  fitImplicitAls,
  fitImplicitAlsExact,
  foldInUser,
  gramian,
  type AlsParams,
} from '../../functions/core/factorization/als.js';
import { dotScores, topK } from '../../functions/core/numeric/topk.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

/** benfred/implicit tests/recommender_base_test.py: even users like even items, odd like odd, diagonal withheld. */
function checkerboard(n: number): CsrMatrix {
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let u = 0; u < n; u++) {
    for (let i = u % 2; i < n; i += 2) {
      if (i === u) continue;
      rows.push(u);
      cols.push(i);
      vals.push(1);
    }
  }
  return csrFromTriplets(n, n, rows, cols, vals);
}

function randomSparse(nUsers: number, nItems: number, nnz: number, seed: number): CsrMatrix {
  const rng = mulberry32(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let k = 0; k < nnz; k++) {
    rows.push(Math.floor(rng() * nUsers));
    cols.push(Math.floor(rng() * nItems));
    vals.push(1 + Math.floor(rng() * 3));
  }
  return csrFromTriplets(nUsers, nItems, rows, cols, vals);
}

const rowsOf = (m: Float32Array, f: number, r: number) => m.subarray(r * f, (r + 1) * f);

describe('implicit ALS', () => {
  it('solves the 1×1 rank-1 case in closed form', () => {
    // One user, one item, r = 1, α = 1 → c = 2, f = 1. Given y, x = c·y / (c·y² + λ) (Hu eq. 4).
    const R = csrFromTriplets(1, 1, [0], [0], [1]);
    const params: Partial<AlsParams> = { factors: 1, regularization: 0.1, alpha: 1, iterations: 1, cgSteps: 1, seed: 7 };
    const y = 0.5;
    const x = foldInUser(Float32Array.of(y), 1, [0], [1], { ...DEFAULT_ALS_PARAMS, ...params });
    expect(x[0]).toBeCloseTo((2 * y) / (2 * y * y + 0.1), 6);
    // At the fixed point of alternating updates: x = y and 2x² − 2 + 0.1... x = c y/(c y² + λ) with x=y → y² = (c − λ)/c.
    const m = fitImplicitAlsExact(R, { ...params, iterations: 200 });
    const fixed = Math.sqrt((2 - 0.1) / 2);
    expect(Math.abs(m.userFactors[0])).toBeCloseTo(fixed, 4);
    expect(Math.abs(m.itemFactors[0])).toBeCloseTo(fixed, 4);
  });

  it('recommends the withheld diagonal item on the checkerboard (benfred/implicit fixture)', () => {
    const n = 50;
    const R = checkerboard(n);
    // Rank 2 like implicit's fixture: the data is exactly two blocks, so each user's withheld item scores like its block.
    const m = fitImplicitAls(R, { factors: 2, regularization: 0.01, alpha: 1, iterations: 15, cgSteps: 3, seed: 1 });
    const f = m.factors;
    for (let u = 0; u < n; u++) {
      const scores = dotScores(m.itemFactors, f, rowsOf(m.userFactors, f, u));
      const seen = new Set(R.indices.subarray(R.indptr[u], R.indptr[u + 1]));
      const top = topK(scores, 1, (i) => seen.has(i));
      expect(top.indices[0]).toBe(u);
    }
  });

  it('CG solver converges to the exact solver with enough CG steps', () => {
    const R = randomSparse(40, 30, 300, 3);
    const base = { factors: 5, regularization: 0.1, alpha: 2, iterations: 6, seed: 11 };
    const exact = fitImplicitAlsExact(R, base);
    const cg = fitImplicitAls(R, { ...base, cgSteps: 40, solver: 'cg' });
    // The Woodbury path (light rows solved exactly) must match the exact solver too.
    const wood = fitImplicitAls(R, { ...base, cgSteps: 1, solver: 'woodbury' });
    for (let k = 0; k < exact.userFactors.length; k++) expect(wood.userFactors[k]).toBeCloseTo(exact.userFactors[k], 3);
    let maxDiff = 0;
    for (let k = 0; k < exact.userFactors.length; k++) maxDiff = Math.max(maxDiff, Math.abs(exact.userFactors[k] - cg.userFactors[k]));
    for (let k = 0; k < exact.itemFactors.length; k++) maxDiff = Math.max(maxDiff, Math.abs(exact.itemFactors[k] - cg.itemFactors[k]));
    expect(maxDiff).toBeLessThan(1e-3);
    // With the default 3 steps the loss is close to the exact one after a few iterations.
    const cg3 = fitImplicitAls(R, { ...base, cgSteps: 3, iterations: 15, solver: 'cg' });
    const ex15 = fitImplicitAlsExact(R, { ...base, iterations: 15 });
    const l3 = alsLoss(R, cg3, base);
    const lx = alsLoss(R, ex15, base);
    expect(Math.abs(l3 - lx) / lx).toBeLessThan(0.02);
  });

  it('loss decreases monotonically with exact solves', () => {
    const R = randomSparse(30, 20, 150, 5);
    const base = { factors: 4, regularization: 0.05, alpha: 3, seed: 2 };
    let prev = Infinity;
    for (let it = 1; it <= 5; it++) {
      const l = alsLoss(R, fitImplicitAlsExact(R, { ...base, iterations: it }), base);
      expect(l).toBeLessThanOrEqual(prev + 1e-9);
      prev = l;
    }
  });

  it('fold-in equals the exact half-step a refit computes for that user', () => {
    const R = randomSparse(25, 20, 160, 9);
    const params: AlsParams = { ...DEFAULT_ALS_PARAMS, factors: 6, regularization: 0.2, alpha: 4, iterations: 3, seed: 4 };
    const m = fitImplicitAlsExact(R, params);
    // Fold-in must satisfy the normal equations of Hu et al. eq. 4 for that user.
    const f = params.factors;
    const YtY = gramian(m.itemFactors, m.nItems, f);
    for (const u of [0, 7, 13]) {
      const idx = R.indices.subarray(R.indptr[u], R.indptr[u + 1]);
      const val = R.data.subarray(R.indptr[u], R.indptr[u + 1]);
      const x = foldInUser(m.itemFactors, f, idx, val, params, YtY);
      // Residual of (YᵀY + λI + Σ(c−1) y yᵀ) x − Σ c y.
      const res = new Float64Array(f);
      for (let a = 0; a < f; a++) {
        let s = params.regularization * x[a];
        for (let b = 0; b < f; b++) s += YtY[a * f + b] * x[b];
        res[a] = s;
      }
      for (let k = 0; k < idx.length; k++) {
        const y = rowsOf(m.itemFactors, f, idx[k]);
        const c = confidence(val[k], params);
        let yx = 0;
        for (let a = 0; a < f; a++) yx += y[a] * x[a];
        for (let a = 0; a < f; a++) res[a] += (c - 1) * yx * y[a] - c * y[a];
      }
      for (let a = 0; a < f; a++) expect(Math.abs(res[a])).toBeLessThan(1e-4);
    }
    // At convergence of the exact fit, every user vector is a fixed point of its own half-step,
    // i.e. it equals what fold-in computes from the same item factors.
    const conv = fitImplicitAlsExact(R, { ...params, iterations: 300 });
    const YtYc = gramian(conv.itemFactors, conv.nItems, f);
    for (const u of [1, 5]) {
      const idx = R.indices.subarray(R.indptr[u], R.indptr[u + 1]);
      const val = R.data.subarray(R.indptr[u], R.indptr[u + 1]);
      const x = foldInUser(conv.itemFactors, f, idx, val, params, YtYc);
      const ref = rowsOf(conv.userFactors, f, u);
      for (let a = 0; a < f; a++) expect(x[a]).toBeCloseTo(ref[a], 3);
    }
  });

  it('is deterministic: same seed gives identical bytes; another seed differs', () => {
    const R = randomSparse(60, 40, 500, 12);
    const p = { factors: 8, iterations: 4, seed: 99 };
    const a = fitImplicitAls(R, p);
    const b = fitImplicitAls(R, p);
    expect(Buffer.from(a.userFactors.buffer).equals(Buffer.from(b.userFactors.buffer))).toBe(true);
    expect(Buffer.from(a.itemFactors.buffer).equals(Buffer.from(b.itemFactors.buffer))).toBe(true);
    const c = fitImplicitAls(R, { ...p, seed: 100 });
    expect(Buffer.from(a.itemFactors.buffer).equals(Buffer.from(c.itemFactors.buffer))).toBe(false);
  });

  it('keeps rows without interactions at zero and supports log confidence', () => {
    const R = csrFromTriplets(3, 4, [0, 0, 2], [0, 1, 1], [1, 2, 1]);
    const m = fitImplicitAls(R, { factors: 3, iterations: 3, confidence: 'log', epsilon: 0.5 });
    expect(Array.from(rowsOf(m.userFactors, 3, 1))).toEqual([0, 0, 0]);
    expect(Array.from(rowsOf(m.itemFactors, 3, 3))).toEqual([0, 0, 0]);
    expect(confidence(1, { alpha: 2, confidence: 'log', epsilon: 0.5 })).toBeCloseTo(1 + 2 * Math.log(3), 12);
  });

  it('rejects invalid params and NaN input', () => {
    const R = csrFromTriplets(1, 1, [0], [0], [Number.NaN]);
    expect(() => fitImplicitAls(R, { factors: 2, iterations: 1 })).toThrow(RangeError);
    expect(() => fitImplicitAls(R, { factors: 0 })).toThrow(RangeError);
  });
});

describe('implicit ALS warm start', () => {
  const R = randomSparse(300, 120, 3000, 5);
  const p: Partial<AlsParams> = { factors: 8, regularization: 5, alpha: 3, cgSteps: 3, seed: 11 };

  it('k iterations from a model of n give the bytes of n + k from scratch (the factors are the whole state)', () => {
    const first = fitImplicitAls(R, { ...p, iterations: 6 }, undefined, { threads: 1 });
    const continued = fitImplicitAls(R, { ...p, iterations: 3 }, undefined, { threads: 1, warmStart: first });
    const straight = fitImplicitAls(R, { ...p, iterations: 9 }, undefined, { threads: 1 });
    expect(continued.userFactors).toEqual(straight.userFactors);
    expect(continued.itemFactors).toEqual(straight.itemFactors);
    // Without the warm start, 3 iterations are another model.
    expect(fitImplicitAls(R, { ...p, iterations: 3 }, undefined, { threads: 1 }).itemFactors).not.toEqual(straight.itemFactors);
  });

  it('refuses factors of another shape', () => {
    const m = fitImplicitAls(R, { ...p, iterations: 1 }, undefined, { threads: 1 });
    const wider = randomSparse(300, 121, 3000, 5);
    expect(() => fitImplicitAls(wider, { ...p, iterations: 1 }, undefined, { threads: 1, warmStart: m })).toThrow(/warm start/);
  });
});

describe('implicit ALS on worker threads', () => {
  const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  // Over 2048 rows, so the Gram matrix is summed from several partials, and rows heavy and light
  // enough that both the Woodbury and the CG solves run.
  const R = randomSparse(5000, 300, 30_000, 21);

  it.each(['auto', 'cg', 'woodbury'] as const)('gives identical bytes on 1, 2 and 3 threads (%s solver)', (solver) => {
    const p = { factors: 16, iterations: 3, seed: 5, solver };
    const one = fitImplicitAls(R, p, undefined, { threads: 1 });
    for (const threads of [2, 3]) {
      let iterations = 0;
      const many = fitImplicitAls(R, p, () => iterations++, { threads, minNonZerosForThreads: 0 });
      expect(iterations).toBe(3);
      expect(bytes(many.userFactors).equals(bytes(one.userFactors))).toBe(true);
      expect(bytes(many.itemFactors).equals(bytes(one.itemFactors))).toBe(true);
      // Ordinary arrays come back, not views of the threads' shared memory.
      expect(many.userFactors.buffer).toBeInstanceOf(ArrayBuffer);
    }
    // And the fit is a real one: loss well below the start (same objective the reference minimises).
    expect(alsLoss(R, one, p)).toBeLessThan(alsLoss(R, fitImplicitAls(R, { ...p, iterations: 1 }, undefined, { threads: 1 }), p));
  });

  it('takes its thread count from configureAlsThreads when a fit names none, and rejects bad counts', () => {
    const p = { factors: 8, iterations: 2, seed: 9 };
    const one = fitImplicitAls(R, p, undefined, { threads: 1 });
    configureAlsThreads(2);
    try {
      expect(alsThreads()).toBe(2);
      expect(bytes(fitImplicitAls(R, p, undefined, { minNonZerosForThreads: 0 }).itemFactors).equals(bytes(one.itemFactors))).toBe(true);
    } finally {
      configureAlsThreads(undefined);
    }
    expect(alsThreads()).toBeGreaterThanOrEqual(1);
    expect(() => configureAlsThreads(0)).toThrow(RangeError);
    expect(() => configureAlsThreads(1.5)).toThrow(RangeError);
  });

  it('an error mid-fit surfaces and ends the threads (the fit returns, no hang)', () => {
    const bad = csrFromTriplets(3000, 50, Array.from({ length: 3000 }, (_, k) => k), Array.from({ length: 3000 }, (_, k) => k % 50), Array.from({ length: 3000 }, () => 1));
    // factors too large for λ = 0 and tiny data make G singular: invertSpd/cholesky throws on the calling thread.
    expect(() => fitImplicitAls(bad, { factors: 64, regularization: 0, iterations: 2, solver: 'woodbury' }, undefined, { threads: 2, minNonZerosForThreads: 0 })).toThrow();
  });
});
