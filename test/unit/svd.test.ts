import { describe, expect, it } from 'vitest';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';
import { fitTruncatedSvd, symmetricEigen } from '../../functions/core/evaluation/baselines/svd.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

describe('truncated SVD (randomized, Halko et al. 2011)', () => {
  it('reconstructs an exactly rank-3 matrix', () => {
    const rng = mulberry32(3);
    const nU = 30;
    const nI = 20;
    const r = 3;
    const A = Array.from({ length: nU * r }, () => rng());
    const B = Array.from({ length: nI * r }, () => rng());
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    const dense: number[] = [];
    for (let u = 0; u < nU; u++)
      for (let i = 0; i < nI; i++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += A[u * r + k] * B[i * r + k];
        rows.push(u);
        cols.push(i);
        vals.push(s);
        dense.push(s);
      }
    const R = csrFromTriplets(nU, nI, rows, cols, vals);
    const m = fitTruncatedSvd(R, 3, { seed: 1 });
    let maxErr = 0;
    for (let u = 0; u < nU; u++)
      for (let i = 0; i < nI; i++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += m.userFactors[u * 3 + k] * m.itemFactors[i * 3 + k];
        maxErr = Math.max(maxErr, Math.abs(s - dense[u * nI + i]));
      }
    expect(maxErr).toBeLessThan(1e-4);
    expect(m.singularValues[0]).toBeGreaterThanOrEqual(m.singularValues[1]);
    // Item factors are orthonormal (V).
    let dot01 = 0;
    let n0 = 0;
    for (let i = 0; i < nI; i++) {
      dot01 += m.itemFactors[i * 3] * m.itemFactors[i * 3 + 1];
      n0 += m.itemFactors[i * 3] ** 2;
    }
    expect(Math.abs(dot01)).toBeLessThan(1e-5);
    expect(n0).toBeCloseTo(1, 5);
  });

  it('Jacobi eigen-decomposition of a known 2×2', () => {
    const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0])).toBeCloseTo(Math.SQRT1_2, 10);
  });
});
