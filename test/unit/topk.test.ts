import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dotScores, topK, topKAllowed, topKBySort, topKFilteredPair, TwoHeads } from '../../functions/core/numeric/topk.js';

/** The slow reference of both heads: two separate topKAllowed passes over precomputed masks. */
const twoTopKAllowed = (s: Float32Array, k: number, kAlso: number, allowed: Uint8Array, also: Uint8Array) => [topKAllowed(s, k, allowed), topKAllowed(s, kAlso, allowed, also)] as const;

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

  it('the slow reference without skip keeps every score but NaN', () => {
    const r = topKBySort(Float32Array.of(2, Number.NaN, 3, 2, -Infinity), 10);
    expect(Array.from(r.indices)).toEqual([2, 0, 3, 4]);
    expect(Array.from(r.scores)).toEqual([3, 2, 2, -Infinity]);
  });
});

describe('dotScores', () => {
  it('computes y_iᵀ u per row', () => {
    const Y = Float32Array.of(1, 2, 3, 4, 5, 6);
    expect(Array.from(dotScores(Y, 2, Float32Array.of(1, -1)))).toEqual([-1, -1, -1]);
    expect(Array.from(dotScores(Y, 3, Float32Array.of(1, 0, 1)))).toEqual([4, 10]);
  });

  it('writes only the first n entries of a longer out buffer (every n mod 4, a trailing partial row)', () => {
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      for (const f of [1, 3]) {
        // n whole rows and one partial row, which is not a row of the matrix.
        const Y = Float32Array.from({ length: n * f + f - 1 }, (_, j) => (j % 5) - 2);
        const u = Float32Array.from({ length: f }, (_, a) => a + 1);
        const out = new Float32Array(n + 5).fill(7);
        expect(dotScores(Y, f, u, out)).toBe(out);
        expect(Array.from(out.subarray(0, n))).toEqual(Array.from(dotScores(Y.subarray(0, n * f), f, u)));
        expect(Array.from(out.subarray(n))).toEqual([7, 7, 7, 7, 7]);
      }
    }
  });
});

describe('topKFilteredPair and TwoHeads', () => {
  const score = fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, 0, 1, 1), fc.float({ noNaN: true, min: -5, max: 5 }));
  const rowsArb = fc.array(fc.tuple(score, fc.boolean(), fc.boolean(), fc.boolean()), { maxLength: 60 });
  const masks = (rows: [number, boolean, boolean, boolean][]) => ({
    s: Float32Array.from(rows.map((r) => r[0])),
    allowed: Uint8Array.from(rows.map((r) => (r[1] ? 1 : 0))),
    also: Uint8Array.from(rows.map((r) => (r[2] ? 1 : 0))),
    late: Uint8Array.from(rows.map((r) => (r[3] ? 1 : 0))),
  });
  const runs = { numRuns: Number(process.env.FC_RUNS ?? 500), seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261124 };

  it('the per-item filter gives what two topKAllowed passes over the mask give (NaN, ±∞, ties)', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: -1, max: 70 }), fc.integer({ min: -1, max: 70 }), (rows, k, kAlso) => {
        const { s, allowed, also } = masks(rows);
        const asked: number[] = [];
        const filter = { has: (i: number) => (asked.push(i), allowed[i] === 1) };
        const [a, b] = topKFilteredPair(s, k, kAlso, filter, also);
        const [ra, rb] = twoTopKAllowed(s, k, kAlso, allowed, also);
        expect(Array.from(a.indices)).toEqual(Array.from(ra.indices));
        expect(Array.from(a.scores)).toEqual(Array.from(ra.scores));
        expect(Array.from(b.indices)).toEqual(Array.from(rb.indices));
        expect(Array.from(b.scores)).toEqual(Array.from(rb.scores));
        expect(new Set(asked).size).toBe(asked.length); // each item asked at most once
      }),
      runs,
    );
  });

  it('items left for later and offered in any order end where an in-order pass puts them', () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 70 }), fc.integer(), (rows, k, kAlso, shuffleSeed) => {
        const { s, allowed, also, late } = masks(rows);
        const filter = { has: (i: number) => allowed[i] === 1 };
        const heads = new TwoHeads(Math.min(k, s.length), Math.min(kAlso, s.length), filter, also, late);
        let thr = heads.threshold();
        for (let i = 0; i < s.length; i++) if (s[i] > thr) thr = heads.consider(s[i], i);
        const lateItems = [...late.keys()].filter((i) => late[i] === 1);
        // A deterministic shuffle of the late items.
        lateItems.sort((x, y) => ((x * 7919 + shuffleSeed) % 101) - ((y * 7919 + shuffleSeed) % 101) || x - y);
        for (const i of lateItems) heads.offerLate(s[i], i);
        const [ra, rb] = twoTopKAllowed(s, k, kAlso, allowed, also);
        expect(Array.from(heads.best().indices)).toEqual(Array.from(ra.indices));
        expect(Array.from(heads.bestAlso().indices)).toEqual(Array.from(rb.indices));
      }),
      runs,
    );
  });

  // The filter is the costly part (scattered column reads): it is asked of an item exactly when the
  // item would enter a head if allowed, in the pass and late alike. Small heads and few distinct
  // scores, so that heads fill and ties with the root are common.
  const tiedRows = fc.array(fc.tuple(fc.constantFrom(NaN, -Infinity, Infinity, 0, 1, 1, 2), fc.boolean(), fc.boolean(), fc.boolean()), { maxLength: 40 });
  const smallK = fc.integer({ min: 0, max: 6 });

  it('asks the filter of exactly the items that would enter a head, in the pass (model of both heads)', () => {
    fc.assert(
      fc.property(tiedRows, smallK, smallK, (rows, k, kAlso) => {
        const { s, allowed, also } = masks(rows);
        const asked: number[] = [];
        const [a, b] = topKFilteredPair(s, k, kAlso, { has: (i) => (asked.push(i), allowed[i] === 1) }, also);
        const model = new HeadsModel(Math.min(k, s.length), Math.min(kAlso, s.length), allowed, also);
        for (let i = 0; i < s.length; i++) model.offer(s[i], i);
        expect(asked).toEqual(model.asked);
        expect(Array.from(a.indices)).toEqual(model.a.map((e) => e[1]));
        expect(Array.from(b.indices)).toEqual(model.b.map((e) => e[1]));
      }),
      runs,
    );
  });

  it('asks the filter of exactly the items that would enter a head, late items in any order included', () => {
    fc.assert(
      fc.property(tiedRows, smallK, smallK, fc.integer(), (rows, k, kAlso, shuffleSeed) => {
        const { s, allowed, also, late } = masks(rows);
        const asked: number[] = [];
        const heads = new TwoHeads(Math.min(k, s.length), Math.min(kAlso, s.length), { has: (i) => (asked.push(i), allowed[i] === 1) }, also, late);
        const model = new HeadsModel(Math.min(k, s.length), Math.min(kAlso, s.length), allowed, also);
        let thr = heads.threshold();
        for (let i = 0; i < s.length; i++) {
          if (s[i] > thr) thr = heads.consider(s[i], i);
          if (late[i] === 0) model.offer(s[i], i);
        }
        const lateItems = [...late.keys()].filter((i) => late[i] === 1);
        lateItems.sort((x, y) => ((x * 7919 + shuffleSeed) % 101) - ((y * 7919 + shuffleSeed) % 101) || x - y);
        for (const i of lateItems) {
          heads.offerLate(s[i], i);
          model.offer(s[i], i);
        }
        expect(asked).toEqual(model.asked);
        expect(Array.from(heads.best().indices)).toEqual(model.a.map((e) => e[1]));
        expect(Array.from(heads.bestAlso().indices)).toEqual(model.b.map((e) => e[1]));
      }),
      runs,
    );
  });

  it('a late item tied with the root of a full head and of lower index takes its place', () => {
    const allowed = Uint8Array.of(1, 1, 1);
    const heads = new TwoHeads(1, 1, { has: (i) => allowed[i] === 1 }, Uint8Array.of(1, 1, 1), Uint8Array.of(1, 0, 0));
    let thr = heads.threshold();
    for (const [i, s] of [1, 1, 0].entries()) if (s > thr) thr = heads.consider(s, i);
    heads.offerLate(1, 0);
    expect(Array.from(heads.best().indices)).toEqual([0]);
    expect(Array.from(heads.bestAlso().indices)).toEqual([0]);
  });
});

/**
 * A slow model of {@link TwoHeads}: both heads as sorted arrays (score desc, index asc). An item is
 * asked of the filter when it would enter either head (a head of size 0 takes nothing; NaN and −∞
 * never enter), and enters the heads it beats when allowed.
 */
class HeadsModel {
  readonly a: [number, number][] = [];
  readonly b: [number, number][] = [];
  readonly asked: number[] = [];
  constructor(
    readonly k: number,
    readonly kAlso: number,
    readonly allowed: Uint8Array,
    readonly also: Uint8Array,
  ) {}

  private static enters(head: [number, number][], cap: number, s: number, i: number): boolean {
    if (!(s > -Infinity) || cap === 0) return false;
    if (head.length < cap) return true;
    const [ws, wi] = head[head.length - 1];
    return s > ws || (s === ws && i < wi);
  }

  private static insert(head: [number, number][], cap: number, s: number, i: number): void {
    head.push([s, i]);
    head.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    head.length = Math.min(head.length, cap);
  }

  offer(s: number, i: number): void {
    const toA = HeadsModel.enters(this.a, this.k, s, i);
    const toB = this.also[i] === 1 && HeadsModel.enters(this.b, this.kAlso, s, i);
    if (!(toA || toB)) return;
    this.asked.push(i);
    if (this.allowed[i] !== 1) return;
    if (toA) HeadsModel.insert(this.a, this.k, s, i);
    if (toB) HeadsModel.insert(this.b, this.kAlso, s, i);
  }
}
