/** First stage: sources are unioned and remembered, exclusions hold, ranks of late candidates are exact. */
import { describe, expect, it } from 'vitest';
import { generateCandidates, memoizedNeighbours } from '../../functions/core/ranking/candidates.js';
import { SOURCE } from '../../functions/core/ranking/features.js';
import { buildEmbeddingIndex, queryForProduct, similarProducts } from '../../functions/core/content/similarity.js';

const ids = Array.from({ length: 12 }, (_, i) => `p${i}`);
const itemIndex = new Map(ids.map((id, i) => [id, i]));
// p0..p5 point along x, p6..p11 along y; p11 is a close look-alike of p0.
const vec = (i: number) => (i === 11 ? [1, 0.001, 0] : i < 6 ? [1, 0.01 * i, 0] : [0, 1, 0.01 * i]);
const embeddings = buildEmbeddingIndex(ids.map((id, i) => ({ id, image_embedding: vec(i) })));
const als = Float32Array.from({ length: 12 }, (_, i) => 12 - i); // p0 best … p11 worst

describe('generateCandidates', () => {
  const base = { nItems: 12, alsScores: als, recentItems: [0], wishlist: [9], popular: [8, 7], newItems: [10], embeddings, itemIds: ids, itemIndex };

  it('unions ALS top-N, content neighbours, wishlist, popular and new items, each with its sources', () => {
    const cands = generateCandidates({ ...base, exclude: (i) => i === 0 }, { alsTopN: 3, popularN: 1, contentPerItem: 2, contentMinSimilarity: 0.5 });
    const by = new Map(cands.map((c) => [c.index, c]));
    expect([...by.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 8, 9, 10, 11]);
    expect(by.get(1)!.sources).toBe(SOURCE.als | SOURCE.content); // top ALS and p0's neighbour
    expect(by.get(9)!.sources).toBe(SOURCE.wishlist);
    expect(by.get(8)!.sources).toBe(SOURCE.popular);
    expect(by.get(10)!.sources).toBe(SOURCE.new);
    expect(by.get(11)!.sources & SOURCE.content).toBeTruthy();
    expect(by.get(11)!.similarTo).toBe(0);
    expect(by.has(0)).toBe(false); // excluded (owned) even though it is the best ALS item
  });

  it('gives every candidate its exact rank in the eligible ALS ordering', () => {
    const exclude = (i: number) => i === 0 || i === 5;
    const cands = generateCandidates({ ...base, exclude }, { alsTopN: 2 });
    // ALS top-2 plus every other source's candidates, so ranks are checked beyond the ALS list.
    expect(cands.map((c) => c.index).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 7, 8, 9, 10, 11]);
    const eligible = ids.map((_, i) => i).filter((i) => !exclude(i)).sort((a, b) => als[b] - als[a]);
    for (const c of cands) expect(c.alsRank).toBe(eligible.indexOf(c.index));
  });

  it('works for a cold user (no ALS scores): no ALS source, rank Infinity', () => {
    const cands = generateCandidates({ ...base, alsScores: undefined, recentItems: [], exclude: () => false });
    expect(cands.every((c) => !(c.sources & SOURCE.als) && c.alsRank === Infinity)).toBe(true);
    expect(cands.map((c) => c.index).sort((a, b) => a - b)).toEqual([7, 8, 9, 10]);
  });
});

describe('memoizedNeighbours', () => {
  it('returns what a fresh scan returns, per k, and a new index is scanned afresh', () => {
    for (const k of [1, 3, 20]) {
      for (const id of ['p0', 'p7', 'p11']) {
        const fresh = similarProducts(queryForProduct(embeddings, id)!, embeddings, k, id);
        expect(memoizedNeighbours(embeddings, id, k)).toEqual(fresh);
        expect(memoizedNeighbours(embeddings, id, k)).toBe(memoizedNeighbours(embeddings, id, k)); // kept, not rescanned
      }
    }
    // The live catalog builds a new index when p3 is re-embedded next to p7: p7's neighbours change with it.
    const moved = buildEmbeddingIndex(ids.map((id, i) => ({ id, image_embedding: i === 3 ? [0, 1, 0.07] : vec(i) })));
    expect(memoizedNeighbours(embeddings, 'p7', 1)[0].id).not.toBe('p3');
    expect(memoizedNeighbours(moved, 'p7', 1)[0].id).toBe('p3');
    expect(memoizedNeighbours(embeddings, 'absent', 3)).toEqual([]);
  });
});
