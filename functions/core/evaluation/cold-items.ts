/**
 * Cold-item evaluation of the content-to-collaborative model: a share of the items is held out of
 * training entirely (every interaction with them goes to the test side), the rest is split per user
 * (stratified, 75/25). ALS is fitted on the warm training rows and the content model on the warm
 * items' factors, exactly as the retrain does.
 *
 * - Cold items: each test user's held-out cold items are ranked among all cold items (nDCG@10) by
 *   the hybrid (u · ŷ_i), by popularity within category (the popularity of the item's category in
 *   training, mean over its categories when several), by the user's own category share (a
 *   personalised category baseline), and at random.
 * - Warm items: the warm test rows ranked among warm items unseen in training, by ALS alone and by
 *   ALS with ŷ blended into the factors of items with few interactions (the served factors).
 */
import { fitImplicitAls, type AlsParams } from '../factorization/als.js';
import { csrFromTriplets } from '../numeric/sparse.js';
import { mulberry32, shuffle } from '../numeric/prng.js';
import { dotScores, topK } from '../numeric/topk.js';
import { encodeContent, forwardContent, type ContentInput } from '../content/content-to-cf.js';
import { blendFewInteractionFactors, trainContentModel, type ContentTrainParams } from '../training/train-content-model.js';
import { stratifiedSplit, type Interaction } from './split.js';
import { ndcgAtK } from './metrics.js';

export interface ColdEvalOptions {
  coldShare: number;
  seed: number;
  k: number;
  als: Partial<AlsParams>;
  content: Partial<ContentTrainParams>;
}

export const DEFAULT_COLD_EVAL_OPTIONS: ColdEvalOptions = { coldShare: 0.2, seed: 42, k: 10, als: {}, content: {} };

export interface ColdEvalResult {
  split: string;
  seed: number;
  items: { warm: number; cold: number };
  users: { cold: number; warm: number };
  cold: Record<'hybrid' | 'popularityWithinCategory' | 'userCategoryShare' | 'random', number>;
  warm: Record<'als' | 'alsWithBlend', number>;
  content: Record<string, number | string>;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

export function evaluateColdItems(rows: readonly Interaction[], content: ReadonlyMap<string, ContentInput>, options: Partial<ColdEvalOptions> = {}): ColdEvalResult {
  const opt = { ...DEFAULT_COLD_EVAL_OPTIONS, ...options };
  const rng = mulberry32(opt.seed);
  const allItems = [...new Set(rows.map((r) => r.item))].filter((i) => content.has(i)).sort();
  shuffle(allItems, rng);
  const nCold = Math.round(allItems.length * opt.coldShare);
  const coldSet = new Set(allItems.slice(0, nCold));
  const coldTest = rows.filter((r) => coldSet.has(r.item));
  const warmRows = rows.filter((r) => !coldSet.has(r.item) && content.has(r.item));
  const { train, test: warmTest } = stratifiedSplit(warmRows, { ratio: 0.75, filterBy: 'user', seed: opt.seed });

  const users = [...new Set(train.map((r) => r.user))].sort();
  const userIndex = new Map(users.map((u, k) => [u, k]));
  const warmItems = [...new Set(train.map((r) => r.item))].sort();
  const itemIndex = new Map(warmItems.map((it, k) => [it, k]));
  const R = csrFromTriplets(users.length, warmItems.length, train.map((r) => userIndex.get(r.user)!), train.map((r) => itemIndex.get(r.item)!), train.map(() => 1));
  // One event per (user, item) counts once, as the binary training matrix does.
  const binR = { ...R, data: new Float32Array(R.data.length).fill(1) };
  const als = fitImplicitAls(binR, opt.als);
  const f = als.factors;
  const counts = new Float64Array(warmItems.length);
  for (const c of binR.indices) counts[c]++;
  const warmContent = warmItems.map((id) => content.get(id)!);
  const model = trainContentModel({ items: warmContent, itemFactors: als.itemFactors, factors: f, interactionCount: counts, userFactors: als.userFactors }, opt.content);
  if (!model) throw new RangeError('too few warm items with interactions to train the content model');

  // Cold side.
  const coldItems = [...coldSet].sort();
  const coldIndex = new Map(coldItems.map((id, k) => [id, k]));
  const predicted = forwardContent(model, encodeContent(model, coldItems.map((id) => content.get(id)!)), coldItems.length);
  const catPop = new Map<string, number>();
  const userCat = new Map<string, Map<string, number>>();
  for (const r of train) {
    const cats = content.get(r.item)!.categories;
    const uc = userCat.get(r.user) ?? new Map<string, number>();
    for (const c of cats) {
      catPop.set(c, (catPop.get(c) ?? 0) + 1 / cats.length);
      uc.set(c, (uc.get(c) ?? 0) + 1 / cats.length);
    }
    userCat.set(r.user, uc);
  }
  const catScore = (cats: readonly string[], pop: ReadonlyMap<string, number>) => (cats.length ? cats.reduce((s, c) => s + (pop.get(c) ?? 0), 0) / cats.length : 0);
  const maxPop = Math.max(1, ...catPop.values());
  const categoryPopularity = Float32Array.from(coldItems, (id) => catScore(content.get(id)!.categories, catPop) / maxPop);
  const relevantCold = new Map<string, Set<number>>();
  for (const r of coldTest) {
    if (!userIndex.has(r.user)) continue;
    const s = relevantCold.get(r.user) ?? new Set<number>();
    s.add(coldIndex.get(r.item)!);
    relevantCold.set(r.user, s);
  }
  const K = opt.k;
  const cold = { hybrid: [] as number[], popularityWithinCategory: [] as number[], userCategoryShare: [] as number[], random: [] as number[] };
  const randRng = mulberry32(opt.seed + 1);
  for (const [user, relevant] of [...relevantCold].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const u = userIndex.get(user)!;
    const hybrid = dotScores(predicted, f, als.userFactors.subarray(u * f, (u + 1) * f));
    cold.hybrid.push(ndcgAtK(topK(hybrid, K).indices, relevant, K));
    cold.popularityWithinCategory.push(ndcgAtK(topK(categoryPopularity, K).indices, relevant, K));
    const uc = userCat.get(user) ?? new Map<string, number>();
    // Ties (items of the same categories) broken by the category's overall popularity.
    const share = Float32Array.from(coldItems, (id, k) => catScore(content.get(id)!.categories, uc) + 1e-3 * categoryPopularity[k]);
    cold.userCategoryShare.push(ndcgAtK(topK(share, K).indices, relevant, K));
    const random = Float32Array.from(coldItems, () => randRng());
    cold.random.push(ndcgAtK(topK(random, K).indices, relevant, K));
  }

  // Warm side: ALS factors as fitted vs with the content blend for few-interaction items.
  const blended = Float32Array.from(als.itemFactors);
  const blendedRows = blendFewInteractionFactors(model, warmContent, blended, counts);
  const relevantWarm = new Map<string, Set<number>>();
  for (const r of warmTest) {
    const i = itemIndex.get(r.item);
    if (i === undefined || !userIndex.has(r.user)) continue;
    const s = relevantWarm.get(r.user) ?? new Set<number>();
    s.add(i);
    relevantWarm.set(r.user, s);
  }
  const warm = { als: [] as number[], alsWithBlend: [] as number[] };
  for (const [user, relevant] of relevantWarm) {
    const u = userIndex.get(user)!;
    const seen = new Set(binR.indices.subarray(binR.indptr[u], binR.indptr[u + 1]));
    const uv = als.userFactors.subarray(u * f, (u + 1) * f);
    warm.als.push(ndcgAtK(topK(dotScores(als.itemFactors, f, uv), K, (i) => seen.has(i)).indices, relevant, K));
    warm.alsWithBlend.push(ndcgAtK(topK(dotScores(blended, f, uv), K, (i) => seen.has(i)).indices, relevant, K));
  }
  const r4 = (x: number) => Number(x.toFixed(4));
  return {
    split: `${Math.round(opt.coldShare * 100)} % of items held out entirely (cold test); the rest per user 75/25 (warm train/test)`,
    seed: opt.seed,
    items: { warm: warmItems.length, cold: coldItems.length },
    users: { cold: relevantCold.size, warm: relevantWarm.size },
    cold: { hybrid: r4(mean(cold.hybrid)), popularityWithinCategory: r4(mean(cold.popularityWithinCategory)), userCategoryShare: r4(mean(cold.userCategoryShare)), random: r4(mean(cold.random)) },
    warm: { als: r4(mean(warm.als)), alsWithBlend: r4(mean(warm.alsWithBlend)) },
    content: { ...model.training, inputDim: model.inputDim, hidden: model.hidden, factors: f, blendedItems: blendedRows },
  };
}
