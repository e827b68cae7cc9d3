import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dotScores, topK, topKAllowed, topKAllowedPair, topKBySort } from '../../functions/core/numeric/topk.js';

describe('topK', () => {
  it('returns descending scores with ties broken by lower index', () => {
    const s = Float32Array.of(1, 3, 3, 2, 3, Number.NaN);
    const r = topK(s, 4);
    expect(Array.from(r.indices)).toEqual([1, 2, 4, 3]);
    expect(Array.from(r.scores)).toEqual([3, 3, 3, 2]);
  });

  it('honours skip and returns fewer when fewer are eligible', () => {
    const s = Float32Array.of(5, 4, 3);
    expect(Array.from(topK(s, 5, (i) => i === 0).indices)).toEqual([1, 2]);
    expect(topK(s, 0).indices.length).toBe(0);
    expect(topK(new Float32Array(0), 3).indices.length).toBe(0);
  });

  it('matches a full sort (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 7 }),
        (vals, k, mod) => {
          const s = Float32Array.from(vals.map((v) => v / 2));
          const skip = (i: number) => i % mod === 0 && mod > 3;
          const a = topK(s, k, skip);
          const b = topKBySort(s, k, skip);
          expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
          expect(Array.from(a.scores)).toEqual(Array.from(b.scores));
        },
      ),
      { numRuns: 300, seed: 20261123 },
    );
  });
});

describe('dotScores', () => {
  it('computes y_iᵀ u per row', () => {
    const Y = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect(Array.from(dotScores(Y, 2, Float32Array.of(1, -1)))).toEqual([-1, -1, -1]);
    expect(Array.from(dotScores(Y, 3, Float32Array.of(1, 0, 1)))).toEqual([4, 10]);
  });
});

describe('topKAllowedPair', () => {
  it('equals two topKAllowed calls (NaN, ±∞, ties, masks)', () => {
    const score = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, 0, 1, 1), fc.float({ noNaN: true, min: -5, max: 5 }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(score, fc.boolean(), fc.boolean()), { maxLength: 60 }),
        fc.integer({ min: -1, max: 70 }),
        fc.integer({ min: -1, max: 70 }),
        (rows, k, kAlso) => {
          const s = Float32Array.from(rows.map((r) => r[0]));
          const allowed = Uint8Array.from(rows.map((r) => (r[1] ? 1 : 0)));
          const also = Uint8Array.from(rows.map((r) => (r[2] ? 1 : 0)));
          const [a, b] = topKAllowedPair(s, k, kAlso, allowed, also);
          const ra = topKAllowed(s, k, allowed);
          const rb = topKAllowed(s, kAlso, allowed, also);
          expect(Array.from(a.indices)).toEqual(Array.from(ra.indices));
          expect(Array.from(a.scores)).toEqual(Array.from(ra.scores));
          expect(Array.from(b.indices)).toEqual(Array.from(rb.indices));
          expect(Array.from(b.scores)).toEqual(Array.from(rb.scores));
        },
      ),
      { numRuns: Number(process.env.FC_RUNS ?? 500), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261123 },
    );
  });
});
