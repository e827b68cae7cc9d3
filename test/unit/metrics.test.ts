import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  averagePrecisionAtK,
  catalogCoverage,
  evaluateRanking,
  ndcgAtK,
  precisionAtK,
  recallAtK,
} from '../../functions/core/evaluation/metrics.js';

describe('ranking metrics (Microsoft Recommenders definitions)', () => {
  it('are 1 for a perfect list', () => {
    const rel = new Set([3, 1, 2]);
    const rec = [1, 2, 3];
    expect(precisionAtK(rec, rel, 3)).toBe(1);
    expect(recallAtK(rec, rel, 3)).toBe(1);
    expect(ndcgAtK(rec, rel, 3)).toBeCloseTo(1, 12);
    expect(averagePrecisionAtK(rec, rel, 3)).toBeCloseTo(1, 12);
    expect(averagePrecision(rec, rel, 3)).toBeCloseTo(1, 12);
    // More relevant items than k: NDCG and MAP@K still reach 1, MAP (÷|rel|) does not.
    const big = new Set([1, 2, 3, 4, 5]);
    expect(ndcgAtK(rec, big, 3)).toBeCloseTo(1, 12);
    expect(averagePrecisionAtK(rec, big, 3)).toBeCloseTo(1, 12);
    expect(averagePrecision(rec, big, 3)).toBeCloseTo(3 / 5, 12);
  });

  it('are 0 for empty lists, no hits, or no relevant items', () => {
    const rel = new Set(['a']);
    for (const fn of [precisionAtK, recallAtK, ndcgAtK, averagePrecisionAtK, averagePrecision]) {
      expect(fn([], rel, 10)).toBe(0);
      expect(fn(['b', 'c'], rel, 10)).toBe(0);
      expect(fn(['a'], new Set(), 10)).toBe(0);
    }
    const m = evaluateRanking([], 10, 5);
    expect(m.users).toBe(0);
    expect(m.ndcg).toBe(0);
    expect(catalogCoverage([], 0)).toBe(0);
  });

  it('match a hand-computed list', () => {
    // rec = [1, 7, 3, 8, 4], rel = {1, 3, 4, 9}, k = 5: hits at ranks 1, 3, 5.
    const rec = [1, 7, 3, 8, 4];
    const rel = new Set([1, 3, 4, 9]);
    expect(precisionAtK(rec, rel, 5)).toBeCloseTo(3 / 5, 12);
    expect(recallAtK(rec, rel, 5)).toBeCloseTo(3 / 4, 12);
    const dcg = 1 / Math.log(2) + 1 / Math.log(4) + 1 / Math.log(6);
    const idcg = 1 / Math.log(2) + 1 / Math.log(3) + 1 / Math.log(4) + 1 / Math.log(5);
    expect(ndcgAtK(rec, rel, 5)).toBeCloseTo(dcg / idcg, 12);
    const psum = 1 / 1 + 2 / 3 + 3 / 5;
    expect(averagePrecisionAtK(rec, rel, 5)).toBeCloseTo(psum / 4, 12);
    expect(averagePrecisionAtK(rec, rel, 3)).toBeCloseTo((1 + 2 / 3) / 3, 12);
    expect(averagePrecision(rec, rel, 3)).toBeCloseTo((1 + 2 / 3) / 4, 12);
    // Averaging over users skips users without relevant items.
    const m = evaluateRanking(
      [
        { rec, relevant: rel },
        { rec: [2], relevant: new Set([2]) },
        { rec: [5], relevant: new Set() },
      ],
      5,
      10,
    );
    expect(m.users).toBe(2);
    expect(m.precision).toBeCloseTo((3 / 5 + 1 / 5) / 2, 12);
    expect(m.recall).toBeCloseTo((3 / 4 + 1) / 2, 12);
    expect(m.coverage).toBeCloseTo(7 / 10, 12); // {1,7,3,8,4,2,5}
  });
});
