/**
 * The retrain use case's pure part: interactions + catalog → implicit ALS → a model version
 * (SnapshotParts) with its holdout figures. The gate and the pointer swap live in
 * functions/retrain/, which only moves bytes.
 *
 * Holdout: for users with at least `holdoutMinItems` distinct items, the most recent item is held
 * out (leave-last-out, at most `holdoutUsers` users, chosen deterministically). The model is fitted
 * without those interactions and scored on them (HR@10, NDCG@10 with one relevant item), beside
 * popularity on the same holdout. The fitted model is the one served: at request time fold-in
 * re-solves user vectors from every current interaction anyway.
 */
import { fitImplicitAls, DEFAULT_ALS_PARAMS, type AlsParams } from '../factorization/als.js';
import { buildInteractionMatrix, creditedUser, eventStrength, DEFAULT_INTERACTION_SETTINGS, type InteractionSettings } from '../domain/interactions.js';
import type { SnapshotItem, SnapshotParts, SnapshotEmbeddingRow } from '../snapshot/model-snapshot.js';
import { row } from '../numeric/sparse.js';
import { dotScores, topK } from '../numeric/topk.js';
import type { InteractionEvent, Product } from '../domain/types.js';
import { buildItemFeatureStore, FEATURE_NAMES, type FeatureStoreOptions, type IndexedInteraction, type ItemFeatureStore } from '../ranking/features.js';
import type { ScorerModel } from '../ranking/scorer.js';
import type { ScorerParams } from './train-scorer.js';
import { buildEmbeddingIndex, type EmbeddingIndex } from '../content/similarity.js';
import { featurize } from '../ranking/two-stage.js';
import { trainAndGate, type LabelledUser, type ScorerDecision } from './scorer-gate.js';
import type { RankingManifest } from '../snapshot/model-snapshot.js';
import { ndcgAtK, precisionAtK } from '../evaluation/metrics.js';

export interface TrainInput {
  events: readonly InteractionEvent[];
  products: readonly Product[];
  /** userId → country, for per-country popularity. */
  userCountries: ReadonlyMap<string, string>;
  now: number;
  version: string;
  als?: Partial<AlsParams>;
  interactions?: InteractionSettings;
  holdoutUsers?: number;
  holdoutMinItems?: number;
  /** Popularity half-life: recent interest counts more than last year's. */
  popularityHalfLifeDays?: number;
  onProgress?: (stage: string, fraction: number) => void;
  /** Second stage (issue 5): off only when false. */
  secondStage?: false | SecondStageOptions;
}

/** Settings of the scorer's training (seed 004's temporal split: older window → features, newer → labels). */
export interface SecondStageOptions {
  /** Share of the events (by time) forming the label window. */
  labelFraction?: number;
  scorer?: Partial<ScorerParams>;
  store?: Partial<FeatureStoreOptions>;
  /** ALS of the older window (defaults: the main ALS params). */
  als?: Partial<AlsParams>;
  /** Most users featurized for training (deterministic choice by id). */
  maxUsers?: number;
}

export interface HoldoutFigures {
  users: number;
  alsHitRate10: number;
  alsNdcg10: number;
  popularityHitRate10: number;
  popularityNdcg10: number;
}

const DAY_MS = 86_400_000;
const K = 10;

/** Recency-weighted popularity: Σ strength · 2^(−age / halfLife), max-normalised. */
export function recencyPopularity(
  events: readonly InteractionEvent[],
  itemIndex: ReadonlyMap<string, number>,
  nItems: number,
  now: number,
  halfLifeDays: number,
  settings: InteractionSettings,
  include: (e: InteractionEvent) => boolean = () => true,
): Float32Array {
  const pop = new Float64Array(nItems);
  for (const e of events) {
    const i = itemIndex.get(e.productId);
    if (i === undefined || !include(e)) continue;
    pop[i] += decayedWeight(e, now, halfLifeDays, settings);
  }
  let max = 0;
  for (const v of pop) max = Math.max(max, v);
  return Float32Array.from(pop, (v) => (max > 0 ? v / max : 0));
}

/** An event's strength, halved every `halfLifeDays` of age at `now`. */
function decayedWeight(e: InteractionEvent, now: number, halfLifeDays: number, settings: InteractionSettings): number {
  const ageDays = Math.max(0, now - e.timestamp) / DAY_MS;
  return eventStrength(e.type, e.quantity, settings.weights) * 2 ** (-ageDays / halfLifeDays);
}

/** Top-K of `scores` without the user's seen items, scored against the one held-out item. */
function holdoutFigures(scores: Float32Array, target: number, seen: Int32Array): { hit: number; ndcg: number } {
  const seenSet = new Set(seen);
  const best = topK(scores, K, (i) => seenSet.has(i)).indices;
  const relevant = new Set([target]);
  return { hit: precisionAtK(best, relevant, K) * K, ndcg: ndcgAtK(best, relevant, K) };
}

function indexed(events: readonly InteractionEvent[], users: Map<string, number>, itemIndex: ReadonlyMap<string, number>, settings: InteractionSettings): IndexedInteraction[] {
  const out: IndexedInteraction[] = [];
  for (const e of events) {
    const i = itemIndex.get(e.productId);
    if (i === undefined) continue;
    const u = creditedUser(e);
    let ui = users.get(u);
    if (ui === undefined) users.set(u, (ui = users.size));
    out.push({ user: ui, item: i, weight: eventStrength(e.type, e.quantity, settings.weights), timestamp: e.timestamp });
  }
  return out;
}

/**
 * Trains the second-stage scorer on a temporal split and gates it against ALS order on held-out
 * users (two-stage.ts). Pure; deterministic.
 */
export function trainSecondStage(
  events: readonly InteractionEvent[],
  products: readonly Product[],
  itemIndex: ReadonlyMap<string, number>,
  embeddings: EmbeddingIndex,
  settings: InteractionSettings,
  als: AlsParams,
  opt: SecondStageOptions,
): { scorer?: ScorerModel; decision: ScorerDecision | { promoted: false; reason: string } } {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  if (sorted.length < 50) return { decision: { promoted: false, reason: `too few events (${sorted.length}) to train a scorer; ALS order kept` } };
  const cutoff = sorted[Math.floor(sorted.length * (1 - (opt.labelFraction ?? 0.2)))].timestamp;
  const older = sorted.filter((e) => e.timestamp < cutoff);
  const newer = sorted.filter((e) => e.timestamp >= cutoff);
  const catalogIds = products.map((p) => p.id);
  const { users, R } = buildInteractionMatrix(older, { settings, catalogItemIds: catalogIds, restrictToCatalog: true });
  if (users.size === 0) return { decision: { promoted: false, reason: 'no users in the older window; ALS order kept' } };
  const model = fitImplicitAls(R, { ...als, ...(opt.als ?? {}) });
  const userMap = new Map(users.ids.map((id, k) => [id, k]));
  const inter = indexed(older, userMap, itemIndex, settings);
  const store = buildItemFeatureStore(catalogIds.length, inter, (i) => productMeta(products[i]), opt.store ?? {}, { itemIds: catalogIds, index: embeddings });
  const history = new Map<number, { item: number; timestamp: number }[]>();
  for (const e of inter) {
    let h = history.get(e.user);
    if (!h) history.set(e.user, (h = []));
    h.push({ item: e.item, timestamp: e.timestamp });
  }
  const counts = new Float32Array(catalogIds.length);
  for (const e of inter) counts[e.item] += e.weight;
  const popular = Array.from(topK(counts, 200, (i) => !(counts[i] > 0)).indices);
  const labels = new Map<number, Set<number>>();
  for (const e of newer) {
    const u = userMap.get(creditedUser(e));
    const i = itemIndex.get(e.productId);
    if (u === undefined || i === undefined) continue;
    let set = labels.get(u);
    if (!set) labels.set(u, (set = new Set()));
    set.add(i);
  }
  const f = model.factors;
  const labelled: LabelledUser[] = [];
  const content = { embeddings, itemIds: catalogIds, itemIndex };
  for (const u of [...labels.keys()].sort((a, b) => a - b).slice(0, opt.maxUsers ?? 5000)) {
    const seen = new Set(row(R, u).indices);
    const relevant = new Set([...labels.get(u)!].filter((i) => !seen.has(i)));
    if (relevant.size === 0) continue;
    const f1 = featurize(
      store,
      {
        alsScores: dotScores(model.itemFactors, f, model.userFactors.subarray(u * f, (u + 1) * f)),
        history: history.get(u) ?? [],
        refTime: cutoff,
        exclude: (i) => seen.has(i) || products[i].status !== 'active',
        popular,
      },
      {},
      content,
    );
    labelled.push({ f: f1, relevant });
  }
  return trainAndGate(labelled, opt.scorer ?? {});
}

function productMeta(p: Product): { price: number; promoted: boolean; category: string; createdAt: number } {
  return { price: p.price, promoted: p.promoted, category: p.category, createdAt: Date.parse(p.createdAt) || 0 };
}

/** The slice of a product the ranking keeps in memory (model-snapshot.ts › SnapshotItem). */
export function snapshotItem(p: Product, interactionCount: number, lastSoldAt = 0): SnapshotItem {
  return {
    id: p.id,
    price: p.price,
    category: p.category,
    promoted: p.promoted,
    status: p.status,
    countries: p.countries,
    createdAt: Date.parse(p.createdAt) || 0,
    interactionCount,
    ...(lastSoldAt > 0 ? { lastSoldAt } : {}),
  };
}

export function trainModelVersion(input: TrainInput): { parts: SnapshotParts; holdout: HoldoutFigures; scorer?: ScorerModel } {
  const settings = input.interactions ?? DEFAULT_INTERACTION_SETTINGS;
  const als: AlsParams = { ...DEFAULT_ALS_PARAMS, ...(input.als ?? {}) };
  const halfLife = input.popularityHalfLifeDays ?? 30;
  const progress = input.onProgress ?? (() => undefined);

  // Deterministic catalog order: by id.
  const products = [...input.products].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const catalogIds = products.map((p) => p.id);

  // Leave-last-out holdout per eligible user, chosen by a stable order of user ids.
  const lastItem = new Map<string, { productId: string; ts: number; distinct: Set<string> }>();
  for (const e of input.events) {
    const u = creditedUser(e);
    const s = lastItem.get(u) ?? { productId: e.productId, ts: -Infinity, distinct: new Set<string>() };
    s.distinct.add(e.productId);
    if (e.timestamp > s.ts || (e.timestamp === s.ts && e.productId > s.productId)) {
      s.ts = e.timestamp;
      s.productId = e.productId;
    }
    lastItem.set(u, s);
  }
  const minItems = input.holdoutMinItems ?? 3;
  const held = new Map<string, string>();
  for (const u of [...lastItem.keys()].sort()) {
    if (held.size >= (input.holdoutUsers ?? 1000)) break;
    const s = lastItem.get(u)!;
    if (s.distinct.size >= minItems) held.set(u, s.productId);
  }
  const isHeld = (e: InteractionEvent) => held.get(creditedUser(e)) === e.productId;
  const trainEvents = input.events.filter((e) => !isHeld(e));

  progress('matrix', 0);
  const { users, items, R } = buildInteractionMatrix(trainEvents, { settings, catalogItemIds: catalogIds, restrictToCatalog: true });
  progress('als', 0);
  const model = fitImplicitAls(R, als, (it) => progress('als', (it + 1) / als.iterations));

  // Holdout figures, ALS vs popularity, on exactly the same users and exclusions.
  const itemIndex = new Map(catalogIds.map((id, i) => [id, i]));
  const popularity = recencyPopularity(input.events, itemIndex, catalogIds.length, input.now, halfLife, settings, (e) => !isHeld(e));
  let n = 0;
  let alsHits = 0;
  let alsNdcg = 0;
  let popHits = 0;
  let popNdcg = 0;
  const f = als.factors;
  for (const [u, productId] of held) {
    const ui = users.get(u);
    const target = items.get(productId);
    if (ui === undefined || target === undefined) continue;
    const seen = row(R, ui).indices;
    if (seen.includes(target)) continue; // also reached through another event type: not a fair test
    n++;
    const scores = dotScores(model.itemFactors, f, model.userFactors.subarray(ui * f, (ui + 1) * f));
    const a = holdoutFigures(scores, target, seen);
    alsHits += a.hit;
    alsNdcg += a.ndcg;
    const p = holdoutFigures(popularity, target, seen);
    popHits += p.hit;
    popNdcg += p.ndcg;
  }
  const holdout: HoldoutFigures = {
    users: n,
    alsHitRate10: n ? alsHits / n : 0,
    alsNdcg10: n ? alsNdcg / n : 0,
    popularityHitRate10: n ? popHits / n : 0,
    popularityNdcg10: n ? popNdcg / n : 0,
  };

  // Per-country popularity over all events, for cold users whose country is known.
  const byCountry = new Map<string, Float64Array>();
  for (const e of input.events) {
    const c = input.userCountries.get(creditedUser(e));
    const i = itemIndex.get(e.productId);
    if (!c || i === undefined) continue;
    let v = byCountry.get(c);
    if (!v) byCountry.set(c, (v = new Float64Array(catalogIds.length)));
    v[i] += decayedWeight(e, input.now, halfLife, settings);
  }
  const popularByCountry: Record<string, number[]> = {};
  for (const [c, v] of [...byCountry.entries()].sort()) {
    popularByCountry[c] = Array.from(topK(Float32Array.from(v), 200, (i) => !(v[i] > 0)).indices);
  }

  const interactionCount = new Int32Array(catalogIds.length);
  const itemsT = new Map<number, Set<string>>();
  for (const e of input.events) {
    const i = itemIndex.get(e.productId);
    if (i === undefined) continue;
    let s = itemsT.get(i);
    if (!s) itemsT.set(i, (s = new Set()));
    s.add(creditedUser(e));
  }
  for (const [i, s] of itemsT) interactionCount[i] = s.size;
  const lastSoldAt = new Float64Array(catalogIds.length);
  for (const e of input.events) {
    const i = itemIndex.get(e.productId);
    if (i !== undefined && e.type === 'order') lastSoldAt[i] = Math.max(lastSoldAt[i], e.timestamp);
  }

  const snapshotItems: SnapshotItem[] = products.map((p, i) => snapshotItem(p, interactionCount[i], lastSoldAt[i]));
  const embeddings: SnapshotEmbeddingRow[] = products
    .filter((p) => p.image_embedding || p.text_embedding)
    .map((p) => ({ id: p.id, image_embedding: p.image_embedding, text_embedding: p.text_embedding }));

  // Second stage: the feature store over all events (served with this version) and the gated scorer.
  let featureStore: ItemFeatureStore | undefined;
  let scorer: ScorerModel | undefined;
  let ranking: RankingManifest = { mode: 'als', reason: 'second stage disabled' };
  if (input.secondStage !== false) {
    progress('second stage', 0);
    const opt = input.secondStage ?? {};
    const emb = buildEmbeddingIndex(embeddings);
    featureStore = buildItemFeatureStore(catalogIds.length, indexed(input.events, new Map(), itemIndex, settings), (i) => productMeta(products[i]), opt.store ?? {}, {
      itemIds: catalogIds,
      index: emb,
    });
    const trained = trainSecondStage(input.events, products, itemIndex, emb, settings, als, opt);
    scorer = trained.scorer;
    const d = trained.decision;
    ranking = {
      mode: d.promoted && scorer ? 'two-stage' : 'als',
      reason: d.reason,
      figures: 'figures' in d ? { ...d.figures } : undefined,
      features: [...FEATURE_NAMES],
      scorer: scorer
        ? { kind: scorer.hidden ? `${scorer.hidden}-unit MLP` : 'logistic ranker', objective: 'pairwise (RankNet)', hidden: scorer.hidden, layoutVersion: scorer.layoutVersion, serving: d.promoted }
        : undefined,
    };
    progress('second stage', 1);
  }

  progress('done', 1);
  return {
    holdout,
    scorer,
    parts: {
      featureStore,
      scorer,
      manifest: {
        version: input.version,
        createdAt: new Date(input.now).toISOString(),
        als,
        counts: { users: users.size, items: catalogIds.length, interactions: input.events.length },
        metrics: { ...holdout },
        ranking,
      },
      userIds: users.ids,
      items: snapshotItems,
      userFactors: model.userFactors,
      itemFactors: model.itemFactors,
      popularity: recencyPopularity(input.events, itemIndex, catalogIds.length, input.now, halfLife, settings),
      popularByCountry,
      embeddings,
    },
  };
}
