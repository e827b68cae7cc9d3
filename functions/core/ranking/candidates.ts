/**
 * First stage (candidate retrieval): a few hundred candidates per request from
 * several cheap sources, each candidate remembering which sources proposed it:
 *   ALS top-N ∪ content neighbours of the user's items (image/text embeddings) ∪ wishlist/cart ∪
 *   popular in the user's country ∪ a slice of new items with few interactions (exposure for new
 *   products, with an age cut-off).
 * Items failing `exclude` (owned, blacklisted, ineligible) never become candidates.
 */
import { SOURCE, type CandidateInfo } from './features.js';
import { similarProducts, queryForProduct, type EmbeddingIndex, type SimilarProduct } from '../content/similarity.js';
import { topK, topKAllowed } from '../numeric/topk.js';

export interface Candidate extends CandidateInfo {
  /** For content candidates: the history item whose embedding is closest (reason `similar_image:<id>`). */
  similarTo?: number;
  /** Content similarity to `similarTo`. */
  similarity?: number;
}

export interface CandidateOptions {
  /** ALS top-N (default 200). */
  alsTopN: number;
  /** Neighbours per recent history item, and how many recent items are used. */
  contentPerItem: number;
  contentHistory: number;
  /** Minimum weighted cosine for a content neighbour. */
  contentMinSimilarity: number;
  popularN: number;
  newN: number;
}

export const DEFAULT_CANDIDATE_OPTIONS: CandidateOptions = {
  alsTopN: 200,
  contentPerItem: 10,
  contentHistory: 10,
  contentMinSimilarity: 0.3,
  popularN: 50,
  newN: 20,
};

export interface CandidateInput {
  nItems: number;
  /** Raw ALS scores over the catalog (undefined for a cold user). */
  alsScores?: Float32Array;
  /** The user's history, most recent first (dense indices). */
  recentItems: readonly number[];
  /** Wishlist / cart items. */
  wishlist: readonly number[];
  /** Popular items (in the user's country when known), best first. */
  popular: readonly number[];
  /** New items with few interactions (within the age cut-off), newest first. */
  newItems: readonly number[];
  /** The snapshot's embeddings and the dense-index ↔ id mapping for content neighbours. */
  embeddings?: EmbeddingIndex;
  itemIds?: readonly string[];
  itemIndex?: ReadonlyMap<string, number>;
  exclude: (i: number) => boolean;
  /** Optional: the same exclusion as a mask (1 = allowed), so the catalog-wide ALS pass needs no callback. */
  allowed?: Uint8Array;
}

/** What {@link contentNeighbours} needs: the user's recent items and the snapshot's embeddings. */
export type ContentInput = Pick<CandidateInput, 'nItems' | 'recentItems' | 'embeddings' | 'itemIds' | 'itemIndex' | 'exclude'>;

/**
 * An item's nearest content neighbours depend only on the embedding index (immutable: the live
 * catalog builds a new one when embeddings change), the item and k. Each request asks for those of
 * up to `contentHistory` items, a full scan each, so they are kept per index; an index with more
 * memoized items than NEIGHBOUR_MEMO_LIMIT starts over (bounded memory at any catalogue size).
 */
const neighbourMemo = new WeakMap<EmbeddingIndex, Map<string, SimilarProduct[]>>();
const NEIGHBOUR_MEMO_LIMIT = 20_000;

export function memoizedNeighbours(index: EmbeddingIndex, id: string, k: number): SimilarProduct[] {
  let byItem = neighbourMemo.get(index);
  if (!byItem) neighbourMemo.set(index, (byItem = new Map()));
  const key = `${k}\u0000${id}`;
  let hit = byItem.get(key);
  if (!hit) {
    const q = queryForProduct(index, id);
    hit = q ? similarProducts(q, index, k, id) : [];
    if (byItem.size >= NEIGHBOUR_MEMO_LIMIT) byItem.clear();
    byItem.set(key, hit);
  }
  return hit;
}

/**
 * Content neighbours of the user's most recent items (image/text embeddings): each eligible
 * neighbour with the history item it is most similar to, in discovery order. Empty without embeddings.
 */
export function contentNeighbours(input: ContentInput, options: Partial<CandidateOptions> = {}): Map<number, { similarTo: number; similarity: number }> {
  const opt = { ...DEFAULT_CANDIDATE_OPTIONS, ...options };
  const out = new Map<number, { similarTo: number; similarity: number }>();
  if (!input.embeddings || !input.itemIds || !input.itemIndex) return out;
  for (const h of input.recentItems.slice(0, opt.contentHistory)) {
    for (const nb of memoizedNeighbours(input.embeddings, input.itemIds[h], opt.contentPerItem)) {
      if (nb.score < opt.contentMinSimilarity) break;
      const i = input.itemIndex.get(nb.id);
      if (i === undefined || i < 0 || i >= input.nItems || input.exclude(i)) continue;
      const seen = out.get(i);
      if (!seen || seen.similarity < nb.score) out.set(i, { similarTo: h, similarity: nb.score });
    }
  }
  return out;
}

/**
 * Generates the candidate set. Order: ALS candidates by ALS rank, then the others in source order;
 * `alsRank` is each candidate's rank among the eligible items by ALS score (Infinity without ALS).
 */
export function generateCandidates(input: CandidateInput, options: Partial<CandidateOptions> = {}): Candidate[] {
  const opt = { ...DEFAULT_CANDIDATE_OPTIONS, ...options };
  const byIndex = new Map<number, Candidate>();
  const add = (i: number, source: number): Candidate | undefined => {
    if (i < 0 || i >= input.nItems || input.exclude(i)) return undefined;
    let c = byIndex.get(i);
    if (!c) byIndex.set(i, (c = { index: i, sources: 0, alsScore: input.alsScores?.[i] ?? 0, alsRank: Infinity }));
    c.sources |= source;
    return c;
  };
  if (input.alsScores) {
    const top = input.allowed
      ? topKAllowed(input.alsScores, opt.alsTopN, input.allowed).indices
      : topK(input.alsScores, opt.alsTopN, input.exclude).indices;
    top.forEach((i, r) => {
      const c = add(i, SOURCE.als)!;
      c.alsRank = r;
    });
  }
  for (const i of input.wishlist) add(i, SOURCE.wishlist);
  for (const [i, near] of contentNeighbours(input, opt)) Object.assign(add(i, SOURCE.content)!, near);
  for (const i of input.popular.slice(0, opt.popularN)) add(i, SOURCE.popular);
  for (const i of input.newItems.slice(0, opt.newN)) add(i, SOURCE.new);
  const out = [...byIndex.values()];
  if (input.alsScores) {
    // Rank of non-ALS candidates in the full ALS ordering: count of eligible items scoring higher.
    const s = input.alsScores;
    const late = out.filter((c) => !Number.isFinite(c.alsRank));
    if (late.length) {
      const sorted = Float32Array.from(late, (c) => s[c.index]).sort();
      const above = new Int32Array(late.length);
      const { allowed, exclude } = input;
      for (let i = 0; i < s.length; i++) {
        if (allowed ? allowed[i] === 0 : exclude(i)) continue;
        const below = lowerBound(sorted, s[i]); // late candidates scoring strictly below s[i]
        if (below > 0) above[below - 1]++;
      }
      // above[k] counts items beating exactly the k+1 smallest; suffix sums give "items above"
      for (let k = above.length - 2; k >= 0; k--) above[k] += above[k + 1];
      late.forEach((c) => (c.alsRank = above[lowerBound(sorted, s[c.index])] ?? 0));
    }
  }
  return out;
}

/** Number of entries of the ascending array strictly below x (binary search). */
function lowerBound(sorted: Float32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
