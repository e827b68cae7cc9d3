import { afterAll, describe, expect, it } from 'vitest';
import { createOnnxScoreAll, scoreModelBytes } from '../../functions/adapters/onnx-score-kernel.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { dotScores } from '../../functions/core/numeric/topk.js';

const rand = (n: number, seed: number): Float32Array => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

/** Slow reference: a float64 double loop. */
function reference(Y: Float32Array, f: number, u: Float32Array): Float64Array {
  const n = Y.length / f;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let a = 0; a < f; a++) out[i] += Y[i * f + a] * u[a];
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('dotScores, the JS fallback (4 rows per pass)', () => {
  it('equals the naive double loop bit for bit, for every n mod 4', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 41]) {
      const f = 7;
      const Y = rand(n * f, n + 1);
      const u = rand(f, 99);
      const naive = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let a = 0; a < f; a++) s += Y[i * f + a] * u[a];
        naive[i] = s;
      }
      expect(Array.from(dotScores(Y, f, u))).toEqual(Array.from(naive));
    }
  });
});

describe('ONNX Runtime ScoreAll', () => {
  const kernels = [createOnnxScoreAll({ minItems: 0 }), createOnnxScoreAll({ minItems: 0, mode: 'initializer', intraOpNumThreads: 2 })];
  afterAll(async () => Promise.all(kernels.map((k) => k.release())));

  it('scores a closed-form case exactly: identity rows pick out the user vector', async () => {
    const f = 4;
    const Y = Float32Array.of(1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1);
    const u = Float32Array.of(0.5, -2, 3, 0.25);
    for (const k of kernels) expect(Array.from(await k(Y, f, u))).toEqual([0.5, -2, 3, 0.25, 1.75]);
  });

  it.each([
    ['input', 0],
    ['initializer', 1],
  ])('equals dotScores and the float64 reference within 1e-4 (%s mode, 6000 × 64 and 300 × 16)', async (_mode, which) => {
    const k = kernels[which];
    for (const [n, f, seed] of [[6000, 64, 7], [300, 16, 8]]) {
      const Y = rand(n * f, seed);
      const u = rand(f, seed + 100);
      const got = await k(Y, f, u);
      expect(got).toHaveLength(n);
      expect(maxAbsDiff(got, dotScores(Y, f, u))).toBeLessThan(1e-4);
      expect(maxAbsDiff(got, reference(Y, f, u))).toBeLessThan(1e-4);
    }
  });

  it('reuses the cached items tensor per snapshot yet follows a new user vector and a new snapshot', async () => {
    const k = kernels[0];
    const f = 8;
    const Y1 = rand(50 * f, 11);
    const Y2 = rand(70 * f, 12);
    for (const [Y, seed] of [[Y1, 1], [Y1, 2], [Y2, 3], [Y1, 4]] as const) {
      const u = rand(f, seed);
      expect(maxAbsDiff(await k(Y, f, u), dotScores(Y, f, u))).toBeLessThan(1e-5);
    }
  });

  it('writes into a given out array of the right length (both modes, and the JS fallback), else returns its own', async () => {
    const f = 8;
    const Y = rand(40 * f, 31);
    const u = rand(f, 32);
    const small = createOnnxScoreAll({ minItems: 1000 });
    for (const k of [...kernels, small]) {
      const out = new Float32Array(40).fill(Number.NaN);
      const got = await k(Y, f, u, out);
      expect(got).toBe(out);
      expect(maxAbsDiff(out, dotScores(Y, f, u))).toBeLessThan(1e-5);
      const wrong = new Float32Array(39);
      const own = await k(Y, f, u, wrong);
      expect(own).not.toBe(wrong);
      expect(own).toHaveLength(40);
    }
    await small.release();
  });

  it('falls back to the JS loop below minItems (the very same numbers)', async () => {
    const k = createOnnxScoreAll({ minItems: 1000 });
    const Y = rand(100 * 8, 21);
    const u = rand(8, 22);
    expect(Array.from(await k(Y, 8, u))).toEqual(Array.from(dotScores(Y, 8, u)));
    await k.release();
  });

  it('builds a model whose items are a dynamic input, or a fixed initializer', () => {
    const dyn = scoreModelBytes(64);
    const fixed = scoreModelBytes(4, { data: new Float32Array(12), n: 3 });
    expect(dyn.length).toBeLessThan(300);
    expect(fixed.length).toBeGreaterThan(48); // the 12 floats are in the bytes
  });
});
