import { describe, expect, it } from 'vitest';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';
import { easeScores, fitEase } from '../../functions/core/factorization/ease.js';
import { invertGaussJordan, invertSpd, solveSpd } from '../../functions/core/numeric/linalg.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

describe('EASE (Steck 2019)', () => {
  it('matches the hand-computed 2-item case', () => {
    // X = [[1,1],[1,0]], λ = 1: G = [[3,1],[1,2]], P = G⁻¹ = [[2,−1],[−1,3]]/5,
    // B_01 = −P_01/P_11 = 1/3, B_10 = −P_10/P_00 = 1/2, zero diagonal.
    const R = csrFromTriplets(2, 2, [0, 0, 1], [0, 1, 0], [1, 1, 1]);
    const m = fitEase(R, 1);
    expect(m.B[0]).toBe(0);
    expect(m.B[3]).toBe(0);
    expect(m.B[1]).toBeCloseTo(1 / 3, 6);
    expect(m.B[2]).toBeCloseTo(1 / 2, 6);
    const s = easeScores(m, [0]);
    expect(s[1]).toBeCloseTo(1 / 3, 6);
  });

  it('Cholesky inverse agrees with Gauss–Jordan and solves', () => {
    const n = 12;
    const rng = mulberry32(5);
    const a = new Float64Array(n * n);
    const x = Array.from({ length: n * n }, () => rng() - 0.5);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 0.5 : 0;
        for (let k = 0; k < n; k++) s += x[i * n + k] * x[j * n + k];
        a[i * n + j] = s;
      }
    const inv = invertSpd(a, n);
    const ref = invertGaussJordan(a, n);
    for (let k = 0; k < n * n; k++) expect(inv[k]).toBeCloseTo(ref[k], 8);
    const b = Array.from({ length: n }, (_, i) => i + 1);
    const sol = solveSpd(a, n, b);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * sol[j];
      expect(s).toBeCloseTo(b[i], 8);
    }
    expect(() => invertSpd(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/positive definite/);
  });
});
