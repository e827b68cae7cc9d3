/** functions/core/numeric/kernels.ts: the shared loops, checked against their definitions. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { axpy, dot, dotUnrolled, gramian } from '../../functions/core/numeric/kernels.js';

const vec = (n: number) => fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: n, maxLength: n });

describe('kernels', () => {
  it('dot sums left to right from init, exactly as the loop it replaces', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }).chain((n) => fc.tuple(vec(n + 3), vec(n + 1), fc.double({ min: -5, max: 5, noNaN: true }))), ([a, b, init]) => {
        const n = b.length - 1;
        let s = init;
        for (let k = 0; k < n; k++) s += a[2 + k] * b[1 + k];
        expect(dot(a, 2, b, 1, n, init)).toBe(s);
      }),
    );
    expect(dot(Float32Array.of(1, 2, 3), 0, Float64Array.of(4, 5, 6), 0, 3)).toBe(32);
  });

  it('dotUnrolled is the same sum in four accumulators (equal within rounding)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70 }).chain((n) => fc.tuple(vec(n), vec(n))), ([a, b]) => {
        expect(dotUnrolled(a, 0, b, 0, a.length)).toBeCloseTo(dot(a, 0, b, 0, a.length), 9);
      }),
    );
    expect(dotUnrolled([1, 2, 3, 4, 5], 0, [1, 1, 1, 1, 1], 0, 5)).toBe(15);
  });

  it('axpy adds alpha·x into a window of y and nothing else', () => {
    const y = [1, 1, 1, 1, 1];
    axpy(2, [9, 1, 2, 3], 1, y, 1, 3);
    expect(y).toEqual([1, 3, 5, 7, 1]);
  });

  it('gramian is YᵀY, symmetric, for any row count (the four-row blocks and the rest)', () => {
    for (const n of [1, 4, 7]) {
      const f = 3;
      const Y = Float32Array.from({ length: n * f }, (_, i) => ((i * 7) % 5) - 2);
      const g = gramian(Y, n, f);
      for (let a = 0; a < f; a++) {
        for (let b = 0; b < f; b++) {
          let s = 0;
          for (let r = 0; r < n; r++) s += Y[r * f + a] * Y[r * f + b];
          expect(g[a * f + b]).toBeCloseTo(s, 9);
        }
      }
    }
  });
});
