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
import { fitImplicitAls, DEFAULT_ALS_PARAMS, type AlsModel, type AlsParams } from '../factorization/als.js';
import { buildInteractionMatrix, creditedUser, decayedStrength, eventStrength, isSignal, newestTimestamp, DEFAULT_INTERACTION_SETTINGS, type IdIndex, type InteractionSettings } from '../domain/interactions.js';
import { DEFAULT_EASE_PARAMS, fitEaseNeighbours, neighbourScores, type SpdInverter } from '../factorization/ease.js';
import { blendWithPopularity, recencyPopularity } from '../ranking/popularity.js';
import { addCategoryPrior, categoryPrior, groupedItem, itemGroups, MIN_GROUPS, type CategoryPrior, type ItemGroups } from '../ranking/category-prior.js';
import { defaultConfig, describeConfig, selectionSample, selectModel, TRENDING_HALF_LIFE_DAYS, type Selection } from './select-model.js';
import type { ModelConfig, ModelFamily, ModelManifest, SelectionFacts } from '../snapshot/model-config.js';
import { snapshotItem, type SnapshotItem, type SnapshotParts, type SnapshotEmbeddingRow } from '../snapshot/model-snapshot.js';
import { row } from '../numeric/sparse.js';
import { dotScores, topK } from '../numeric/topk.js';
import type { InteractionEvent, Product } from '../domain/types.js';
import { buildItemFeatureStore, FEATURE_NAMES, type FeatureStoreOptions, type IndexedInteraction } from '../ranking/features.js';
import type { ScorerModel } from '../ranking/scorer.js';
import type { ScorerParams } from './train-scorer.js';
import { buildEmbeddingIndex, type EmbeddingIndex } from '../content/similarity.js';
import { featurize } from '../ranking/two-stage.js';
import { trainAndGate, type LabelledUser, type ScorerDecision } from './scorer-gate.js';
import type { RankingManifest } from '../snapshot/model-snapshot.js';
import { ndcgAtK, precisionAtK } from '../evaluation/metrics.js';
import type { ContentTrainParams } from './train-content-model.js';
import { fitContentToFactorAside } from './content-model-thread.js';
import { HashedNgramEmbedder, type TextEmbedder } from '../content/text-embedding.js';
import { reviewTextMeans } from '../content/review-text.js';
import { DEFAULT_BUSINESS_RULES, rulesRecord, type BusinessRules, type RulesSource } from '../ranking/business-rules.js';

export interface TrainInput {
  events: readonly InteractionEvent[];
  products: readonly Product[];
  /** userId → country, for per-country popularity. */
  userCountries: ReadonlyMap<string, string>;
  /** Wall-clock time of the job (the version's createdAt); training itself never reads the clock. */
  now: number;
  /** Reference time of recency weighting and popularity; default the newest event. */
  asOf?: number;
  version: string;
  /** ALS parameters set by the deployment (environment): used by every ALS candidate, reported as overrides. */
  als?: Partial<AlsParams>;
  /** Families the selection may choose from (default all); a deployment override. */
  families?: readonly ModelFamily[];
  /** Skip the search and train this config (tests, pinned deployments). */
  model?: ModelConfig;
  /** Configs always scored (the serving and recent versions'): the winner is never worse on the same window. */
  includeModels?: readonly ModelConfig[];
  /** Budget of the selection search, seconds. */
  selectionBudgetSeconds?: number;
  /** Fit events above which the selection fits its candidates on a sample (tests lower it). */
  selectionSampleEvents?: number;
  /** Dense inverse for EASE (ONNX Runtime in the retrain job; the JS Cholesky by default). */
  invert?: SpdInverter;
  interactions?: InteractionSettings;
  holdoutUsers?: number;
  holdoutMinItems?: number;
  /** Popularity half-life: recent interest counts more than last year's. */
  popularityHalfLifeDays?: number | null;
  onProgress?: (stage: string, fraction: number) => void;
  /** The content-to-collaborative model (trained on the final ALS factors): off only when false. */
  contentModel?: false | Partial<ContentTrainParams>;
  /**
   * Embeds review texts for the content model: the catalog's text embedder (deps.textEmbedder), so
   * reviews and names live in one space. Default: the hashed n-gram embedder, the catalog's default.
   */
  reviewTextEmbedder?: TextEmbedder;
  /** Second stage: off only when false. */
  secondStage?: false | SecondStageOptions;
  /** The deployment's business rules, recorded in the manifest (serving applies them); default none. */
  rules?: { settings: BusinessRules; source: RulesSource; updatedAt?: string };
}

/** Settings of the scorer's training (a temporal split: older window → features, newer → labels). */
export interface SecondStageOptions {
  /** Share of the events (by time) forming the label window. */
  labelFraction?: number;
  scorer?: Partial<ScorerParams>;
  store?: Partial<FeatureStoreOptions>;
  /** ALS of the older window (defaults: the main ALS params). */
  als?: Partial<AlsParams>;
  /** Most users featurized for training (deterministic choice; default {@link secondStageUsers}). */
  maxUsers?: number;
  /** Older-window events above which its ALS is fitted on a user sample (default {@link STAGE2_SAMPLE_EVENTS}). */
  sampleEvents?: number;
}

/**
 * An ALS fit that already exists on an older window: the selection's candidate of the served
 * config, fitted on the events before `cutoff` (the selection's sample). The scorer then takes
 * its stage 1 from it instead of fitting its own (see {@link trainSecondStage}).
 */
export interface Stage1Fit {
  model: AlsModel;
  users: ReadonlyMap<string, number>;
  R: import('../numeric/sparse.js').CsrMatrix;
  cutoff: number;
  describe: string;
}

/**
 * Most labelled users featurized for the scorer (scored over the whole catalogue each, as the
 * selection's validation users are): 5000 up to 8000 items, fewer on larger catalogues, never
 * fewer than 1500 (3-fold cross-validation then still gates on every one of them).
 */
export function secondStageUsers(nItems: number): number {
  return Math.min(5000, Math.max(1500, Math.floor(40_000_000 / Math.max(1, nItems))));
}

/**
 * Older-window events above which the scorer's stage-1 ALS is fitted on a user sample: every
 * labelled user featurized, whole, then a seeded sample of the others (selectionSample). The
 * scorer is trained and gated on that model's candidates, so the gate compares it with the ALS
 * order it actually reorders; the older window still precedes every label.
 */
export const STAGE2_SAMPLE_EVENTS = 100_000;

export interface HoldoutFigures {
  users: number;
  /** NDCG@10 of the served family (EASE neighbours or ALS) on the holdout. */
  holdoutNdcg10?: number;
  alsHitRate10: number;
  alsNdcg10: number;
  popularityHitRate10: number;
  popularityNdcg10: number;
}

const K = 10;

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
    out.push({ user: ui, item: i, weight: eventStrength(e.type, e.quantity, settings.weights, e.rating), timestamp: e.timestamp });
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
  stage1?: Stage1Fit,
): { scorer?: ScorerModel; decision: ScorerDecision | { promoted: false; reason: string } } {
  const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
  if (sorted.length < 50) return { decision: { promoted: false, reason: `too few events (${sorted.length}) to train a scorer; ALS order kept` } };
  const cutoff = stage1?.cutoff ?? sorted[Math.floor(sorted.length * (1 - (opt.labelFraction ?? 0.2)))].timestamp;
  const older = sorted.filter((e) => e.timestamp < cutoff);
  const newer = sorted.filter((e) => e.timestamp >= cutoff);
  const catalogIds = products.map((p) => p.id);
  const labelledIds = new Set<string>();
  for (const e of newer) if (itemIndex.has(e.productId)) labelledIds.add(creditedUser(e));
  const chosen = new Set<string>();
  const maxUsers = opt.maxUsers ?? secondStageUsers(catalogIds.length);
  let model: AlsModel;
  let R: import('../numeric/sparse.js').CsrMatrix;
  let userMap: Map<string, number>;
  if (stage1) {
    // Reused fit: the users featurized are the labelled ones it holds, in its row order. It was
    // fitted only on events before the cutoff and the labels are after it, so the gate stays
    // forward-chained; it compares the scorer with the order of the ALS it actually reorders.
    for (const [u] of [...stage1.users].sort((a, b) => a[1] - b[1])) {
      if (chosen.size >= maxUsers) break;
      if (labelledIds.has(u)) chosen.add(u);
    }
    ({ model, R } = stage1);
    userMap = new Map(stage1.users);
  } else {
    // The users featurized: those with a label, in order of their first older event (as the matrix indexes them).
    for (const e of older) {
      if (chosen.size >= maxUsers) break;
      const u = creditedUser(e);
      if (itemIndex.has(e.productId) && labelledIds.has(u)) chosen.add(u);
    }
    const fitEvents = selectionSample(older, chosen, opt.sampleEvents ?? STAGE2_SAMPLE_EVENTS);
    const built = buildInteractionMatrix(fitEvents, { settings, catalogItemIds: catalogIds, restrictToCatalog: true });
    if (built.users.size === 0) return { decision: { promoted: false, reason: 'no users in the older window; ALS order kept' } };
    R = built.R;
    model = fitImplicitAls(R, { ...als, ...(opt.als ?? {}) });
    userMap = new Map(built.users.ids.map((id, k) => [id, k]));
  }
  // Features over every older event; users outside the ALS sample get indices after its rows.
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
    if (!chosen.has(creditedUser(e))) continue;
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
  for (const u of [...labels.keys()].sort((a, b) => a - b)) {
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

/** Leave-last-out holdout: each eligible user's most recent item, by a stable order of user ids. */
function chooseHoldout(events: readonly InteractionEvent[], maxUsers: number, minItems: number): Map<string, string> {
  const lastItem = new Map<string, { productId: string; ts: number; distinct: Set<string> }>();
  for (const e of events) {
    const u = creditedUser(e);
    const s = lastItem.get(u) ?? { productId: e.productId, ts: -Infinity, distinct: new Set<string>() };
    s.distinct.add(e.productId);
    if (e.timestamp > s.ts || (e.timestamp === s.ts && e.productId > s.productId)) {
      s.ts = e.timestamp;
      s.productId = e.productId;
    }
    lastItem.set(u, s);
  }
  const held = new Map<string, string>();
  for (const u of [...lastItem.keys()].sort()) {
    if (held.size >= maxUsers) break;
    const s = lastItem.get(u)!;
    if (s.distinct.size >= minItems) held.set(u, s.productId);
  }
  return held;
}

/** The search, or the pinned/default config when it is off or the data are too few. */
async function chooseModel(
  input: TrainInput,
  trainEvents: readonly InteractionEvent[],
  catalogIds: string[],
  settings: InteractionSettings,
  groups: ItemGroups,
): Promise<{ config: ModelConfig; selection?: Selection; note?: string; alsFits?: Map<string, Omit<Stage1Fit, 'cutoff'>> }> {
  const withOverrides = (c: ModelConfig): ModelConfig => (c.family === 'als' && input.als ? { ...c, als: { ...c.als!, ...input.als } } : c);
  if (input.model) {
    const pinned = { ...input.model, ...(input.model.family === 'ease' ? { ease: { ...DEFAULT_EASE_PARAMS, ...(input.model.ease ?? {}) } } : {}), ...(input.model.family === 'als' ? { als: { ...DEFAULT_ALS_PARAMS, ...(input.model.als ?? {}) } } : {}) };
    return { config: withOverrides(pinned), note: 'config pinned by the caller' };
  }
  const families = input.families ?? (input.als && Object.keys(input.als).length ? (['als'] as const) : undefined);
  const alsFits = new Map<string, Omit<Stage1Fit, 'cutoff'>>();
  const selection = await selectModel({
    events: trainEvents,
    catalogIds,
    settings,
    invert: input.invert,
    budgetSeconds: input.selectionBudgetSeconds,
    families,
    include: input.includeModels ?? [],
    itemGroups: groups,
    onProgress: (step) => input.onProgress?.(`select: ${step}`, 0),
    sampleEvents: input.selectionSampleEvents,
    alsOverrides: input.als,
    onFitted: (c, fitted, users, R) => {
      if (fitted.als) alsFits.set(alsFitKey(c.halfLifeDays, c.als!), { model: fitted.als, users, R, describe: describeConfig(c) });
    },
  });
  if (selection && input.als) {
    for (const c of selection.candidates) if (c.config.als) c.config = withOverrides(c.config);
    selection.chosen = withOverrides(selection.chosen);
  }
  // The fits are kept for reuse only when the candidates were fitted on a sample (large data).
  if (selection) return { config: selection.chosen, selection, alsFits: selection.window.sample ? alsFits : undefined };
  const fallback = defaultConfig(catalogIds.length);
  const config = families && !families.includes(fallback.family) ? withOverrides({ family: 'als', halfLifeDays: null, als: { ...DEFAULT_ALS_PARAMS }, popularityBlend: 0 }) : fallback;
  return { config, note: 'too few events for a validation window; default config' };
}

/** Holdout NDCG@10 / HR@10 of a score function vs popularity, on the same users and exclusions. */
function holdoutFor(
  held: ReadonlyMap<string, string>,
  users: { get(id: string): number | undefined },
  items: { get(id: string): number | undefined },
  R: import('../numeric/sparse.js').CsrMatrix,
  scoresOf: { als: (u: number) => Float32Array; served: (u: number, als: Float32Array) => Float32Array },
  popularity: Float32Array,
): HoldoutFigures {
  let n = 0;
  const sum = { alsHits: 0, alsNdcg: 0, popHits: 0, popNdcg: 0, served: 0 };
  for (const [u, productId] of held) {
    const ui = users.get(u);
    const target = items.get(productId);
    if (ui === undefined || target === undefined) continue;
    const seen = row(R, ui).indices;
    if (seen.includes(target)) continue; // also reached through another event type: not a fair test
    n++;
    const als = scoresOf.als(ui);
    const a = holdoutFigures(als, target, seen);
    sum.alsHits += a.hit;
    sum.alsNdcg += a.ndcg;
    sum.served += holdoutFigures(scoresOf.served(ui, als), target, seen).ndcg;
    const p = holdoutFigures(popularity, target, seen);
    sum.popHits += p.hit;
    sum.popNdcg += p.ndcg;
  }
  const avg = (x: number) => (n ? x / n : 0);
  return {
    users: n,
    holdoutNdcg10: avg(sum.served),
    alsHitRate10: avg(sum.alsHits),
    alsNdcg10: avg(sum.alsNdcg),
    popularityHitRate10: avg(sum.popHits),
    popularityNdcg10: avg(sum.popNdcg),
  };
}

/** Per-country popularity over all events, for cold users whose country is known. */
function countryPopularity(input: TrainInput, itemIndex: ReadonlyMap<string, number>, nItems: number, refTime: number, halfLife: number | null, settings: InteractionSettings): Record<string, number[]> {
  const byCountry = new Map<string, Float64Array>();
  for (const e of input.events) {
    const c = input.userCountries.get(creditedUser(e));
    const i = itemIndex.get(e.productId);
    if (!c || i === undefined) continue;
    let v = byCountry.get(c);
    if (!v) byCountry.set(c, (v = new Float64Array(nItems)));
    v[i] += decayedStrength(e, refTime, halfLife, settings);
  }
  const out: Record<string, number[]> = {};
  for (const [c, v] of [...byCountry.entries()].sort()) out[c] = Array.from(topK(Float32Array.from(v), 200, (i) => !(v[i] > 0)).indices);
  return out;
}

/** Distinct users and last order time per item. */
function itemStats(events: readonly InteractionEvent[], itemIndex: ReadonlyMap<string, number>, nItems: number): { interactionCount: Int32Array; lastSoldAt: Float64Array } {
  const interactionCount = new Int32Array(nItems);
  const lastSoldAt = new Float64Array(nItems);
  const usersOf = new Map<number, Set<string>>();
  for (const e of events) {
    const i = itemIndex.get(e.productId);
    if (i === undefined) continue;
    let s = usersOf.get(i);
    if (!s) usersOf.set(i, (s = new Set()));
    s.add(creditedUser(e));
    if (e.type === 'order') lastSoldAt[i] = Math.max(lastSoldAt[i], e.timestamp);
  }
  for (const [i, s] of usersOf) interactionCount[i] = s.size;
  return { interactionCount, lastSoldAt };
}

/** Iterations of the serving refit, which starts from the holdout fit (see `fitOn`). */
export const REFIT_ITERATIONS = 3;

/**
 * The first fit's factors in the second matrix's user order, or undefined when the two matrices
 * do not have the same users (then the refit starts from scratch). Items are the catalogue's
 * columns in both.
 */
function alignedFactors(warm: { users: IdIndex; model: AlsModel }, users: IdIndex, f: number): { userFactors: Float32Array; itemFactors: Float32Array } | undefined {
  if (users.size !== warm.users.size || warm.model.factors !== f) return undefined;
  const userFactors = new Float32Array(users.size * f);
  for (let k = 0; k < users.size; k++) {
    const j = warm.users.get(users.ids[k]);
    if (j === undefined) return undefined;
    userFactors.set(warm.model.userFactors.subarray(j * f, (j + 1) * f), k * f);
  }
  return { userFactors, itemFactors: warm.model.itemFactors };
}

function alsFitKey(halfLife: ModelConfig['halfLifeDays'], p: Partial<AlsParams>): string {
  const q = { ...DEFAULT_ALS_PARAMS, ...p };
  return JSON.stringify([halfLife, q.factors, q.regularization, q.alpha, q.iterations, q.cgSteps, q.seed, q.confidence, q.epsilon, q.solver ?? 'auto']);
}

/**
 * The selection's fit the scorer's stage 1 can reuse: on large data (the selection fitted its
 * candidates on a sample) with a forward-chained window, the candidate with exactly the served
 * ALS parameters and half-life. Its data are the scorer's older window (the events before the
 * selection's cutoff, sampled by user), so a second fit of it would repeat the work.
 */
function stage1Of(fits: Map<string, Omit<Stage1Fit, 'cutoff'>> | undefined, selection: Selection | undefined, config: ModelConfig, als: AlsParams): Stage1Fit | undefined {
  if (!fits || !selection || selection.window.carve !== 'temporal' || config.family !== 'als') return undefined;
  const fit = fits.get(alsFitKey(config.halfLifeDays, als));
  return fit ? { ...fit, cutoff: selection.window.cutoff } : undefined;
}

/** The second stage: the feature store over all events (served with this version) and the gated scorer. */
function secondStage(input: TrainInput, products: Product[], itemIndex: Map<string, number>, embeddings: SnapshotEmbeddingRow[], settings: InteractionSettings, als: AlsParams, family: ModelFamily, stage1?: Stage1Fit) {
  if (input.secondStage === false) return { ranking: { mode: 'als', reason: 'second stage disabled' } as RankingManifest };
  const catalogIds = products.map((p) => p.id);
  const opt = input.secondStage ?? {};
  const emb = buildEmbeddingIndex(embeddings);
  const featureStore = buildItemFeatureStore(catalogIds.length, indexed(input.events, new Map(), itemIndex, settings), (i) => productMeta(products[i]), opt.store ?? {}, {
    itemIds: catalogIds,
    index: emb,
  });
  // The scorer learns to reorder ALS candidates and its gate compares it with ALS order: for a
  // version serving another family it could not serve (servingRanking), so it is not trained.
  if (family !== 'als') {
    return { featureStore, ranking: { mode: 'als', reason: `scorer not trained: it is trained and gated against ALS order, and the version serves ${family}`, features: [...FEATURE_NAMES] } as RankingManifest };
  }
  const { scorer, decision: d } = trainSecondStage(input.events, products, itemIndex, emb, settings, als, opt, opt.als ? undefined : stage1);
  const ranking: RankingManifest = {
    mode: d.promoted && scorer ? 'two-stage' : 'als',
    reason: stage1 && !opt.als ? `${d.reason} (stage 1: the selection's fit of ${stage1.describe} on its sample, before ${new Date(stage1.cutoff).toISOString()})` : d.reason,
    figures: 'figures' in d ? { ...d.figures } : undefined,
    features: [...FEATURE_NAMES],
    scorer: scorer
      ? { kind: scorer.hidden ? `${scorer.hidden}-unit MLP` : 'logistic ranker', objective: 'pairwise (RankNet)', hidden: scorer.hidden, layoutVersion: scorer.layoutVersion, serving: d.promoted }
      : undefined,
  };
  return { featureStore, scorer, ranking };
}

/** Per product, in catalog order: its snapshot row and interaction count; the embeddings of the products that have one. */
function catalogRows(products: readonly Product[], events: readonly InteractionEvent[], itemIndex: ReadonlyMap<string, number>) {
  const { interactionCount, lastSoldAt } = itemStats(events, itemIndex, products.length);
  const snapshotItems: SnapshotItem[] = products.map((p, i) => snapshotItem(p, interactionCount[i], lastSoldAt[i]));
  const embeddings: SnapshotEmbeddingRow[] = products
    .filter((p) => p.image_embedding || p.text_embedding)
    .map((p) => ({ id: p.id, image_embedding: p.image_embedding, text_embedding: p.text_embedding }));
  return { interactionCount, snapshotItems, embeddings };
}

/** The scorer's gate verdict, overruled where its evidence does not apply to the version being served. */
function servingRanking(ranking: RankingManifest, config: ModelConfig, selection: Selection | undefined): RankingManifest {
  // The scorer's gate compares it with ALS order; for another family that comparison says nothing.
  if (config.family !== 'als' && ranking.mode === 'two-stage') {
    ranking = { ...ranking, mode: 'als', reason: `scorer gated against ALS order, but the version serves ${config.family}: stage-1 order kept (${ranking.reason})` };
  }
  // The scorer is trained and gated on the newest events; when that window was too thin for the
  // model selection too (it fell back to a random carve), the scorer's win there is not evidence.
  if (selection?.window.carve === 'random per user' && ranking.mode === 'two-stage') {
    ranking = { ...ranking, mode: 'als', reason: `newest window too thin to judge a scorer (${selection.window.users} users validated at random): stage-1 order kept (${ranking.reason})` };
  }
  return ranking;
}

/** What the manifest says about the model: its config, how it was chosen, and the caller's overrides. */
function modelManifestOf(input: TrainInput, config: ModelConfig, als: AlsParams, refTime: number, selection: Selection | undefined, note: string | undefined): ModelManifest {
  const { chosen: _chosen, ...selectionFacts } = selection ?? { chosen: undefined };
  return {
    ...config,
    ...(config.family === 'als' ? { als } : {}),
    description: describeConfig(config.family === 'als' ? { ...config, als } : config),
    refTime: new Date(refTime).toISOString(),
    ...(selection ? { selection: selectionFacts as SelectionFacts } : {}),
    ...(note ? { note } : {}),
    ...(input.als || input.families ? { overrides: { ...(input.als ? { als: input.als } : {}), ...(input.families ? { families: input.families } : {}) } } : {}),
  };
}

/** The training's inputs with their defaults: settings, popularity half-life, the events up to `asOf`, the catalog by id. */
function trainingInputs(input: TrainInput) {
  // An empty override object (no ALS_* set) is no override.
  if (input.als && Object.keys(input.als).length === 0) input = { ...input, als: undefined };
  const refTime = input.asOf ?? newestTimestamp(input.events);
  // Deterministic catalog order: by id.
  const products = [...input.products].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const catalogIds = products.map((p) => p.id);
  const settings = input.interactions ?? DEFAULT_INTERACTION_SETTINGS;
  const upToAsOf = input.asOf === undefined ? input.events : input.events.filter((e) => e.timestamp <= input.asOf!);
  return {
    input,
    settings,
    halfLife: input.popularityHalfLifeDays === undefined ? TRENDING_HALF_LIFE_DAYS : input.popularityHalfLifeDays,
    progress: input.onProgress ?? (() => undefined),
    refTime,
    // Events with no strength (1★, 2★ reviews) are no evidence of interest: out of the matrix, the
    // holdout, popularity, the interaction counts and the scorer's labels alike.
    events: upToAsOf.filter((e) => isSignal(e, settings.weights)),
    /** Every review up to asOf, whatever its rating: their text is content (the content model's input). */
    reviews: upToAsOf.filter((e) => e.type === 'review'),
    products,
    catalogIds,
    itemIndex: new Map(catalogIds.map((id, i) => [id, i])),
  };
}

export async function trainModelVersion(raw: TrainInput): Promise<{ parts: SnapshotParts; holdout: HoldoutFigures; scorer?: ScorerModel; model: ModelManifest }> {
  const { input, settings, halfLife, progress, refTime, events, reviews, products, catalogIds, itemIndex } = trainingInputs(raw);
  const held = chooseHoldout(events, input.holdoutUsers ?? 1000, input.holdoutMinItems ?? 3);
  const isHeld = (e: InteractionEvent) => held.get(creditedUser(e)) === e.productId;
  const trainEvents = events.filter((e) => !isHeld(e));

  progress('select', 0);
  const groups = itemGroups(products.map(groupedItem));
  const { config, selection, note, alsFits } = await chooseModel(input, trainEvents, catalogIds, settings, groups);
  const als: AlsParams = { ...DEFAULT_ALS_PARAMS, ...(config.als ?? selection?.candidates.find((c) => c.config.family === 'als')?.config.als ?? {}), ...(input.als ?? {}) };

  // Fitted without the holdout for its figures, then (when anything was held out) on every event
  // for serving: the holdout measures the recipe, the served model should not miss users' newest items.
  // The serving fit continues from the holdout fit's factors (at most one event per user differs)
  // for REFIT_ITERATIONS more iterations instead of starting over: the served model is the measured
  // one plus a few iterations on the held-out events, at a fraction of a second fit's time.
  const fitOn = async (on: readonly InteractionEvent[], warm?: { users: IdIndex; model: AlsModel }) => {
    progress('matrix', 0);
    const m = buildInteractionMatrix(on, { settings, catalogItemIds: catalogIds, restrictToCatalog: true, recency: { refTime, halfLifeDays: config.halfLifeDays } });
    // ALS factors are fitted whatever the family: candidates, features and explanations use them.
    progress('als', 0);
    const warmStart = warm ? alignedFactors(warm, m.users, als.factors) : undefined;
    const params = warmStart ? { ...als, iterations: Math.min(als.iterations, REFIT_ITERATIONS) } : als;
    const model = fitImplicitAls(m.R, params, (it) => progress('als', (it + 1) / params.iterations), { warmStart });
    progress('ease', 0);
    const neighbours = config.family === 'ease' ? await fitEaseNeighbours(m.R, config.ease, input.invert) : undefined;
    return { ...m, model, neighbours };
  };
  const { users, items, R, model, neighbours } = await fitOn(trainEvents);

  const popularity = recencyPopularity(events, itemIndex, catalogIds.length, refTime, halfLife, settings);
  const f = als.factors;
  const alsScores = (u: number) => dotScores(model.itemFactors, f, model.userFactors.subarray(u * f, (u + 1) * f));
  let prior: CategoryPrior | undefined;
  // `als`: the user's ALS scores, already computed for the ALS figures (not modified here).
  const served = (u: number, als: Float32Array): Float32Array => {
    if (config.family === 'popularity' && !config.categoryBlend) return popularity;
    const history = { items: R.indices.subarray(R.indptr[u], R.indptr[u + 1]), weights: R.data.subarray(R.indptr[u], R.indptr[u + 1]) };
    const s = config.family === 'popularity' ? Float32Array.from(popularity) : neighbours ? neighbourScores(neighbours, history.items, history.weights) : Float32Array.from(als);
    if (config.categoryBlend && groups.nGroups >= MIN_GROUPS) addCategoryPrior(s, s.length, (prior ??= categoryPrior(groups, popularity)), history.items, history.weights, config.categoryBlend);
    // β floored at 1e-3 as serving does: popularity breaks ties among items the model knows nothing about.
    return blendWithPopularity(s, popularity, Math.max(1e-3, config.popularityBlend), new Float32Array(s.length));
  };
  const holdoutPopularity = recencyPopularity(events, itemIndex, catalogIds.length, refTime, halfLife, settings, (e) => !isHeld(e));
  const holdout = holdoutFor(held, users, items, R, { als: alsScores, served }, holdoutPopularity);
  const final = held.size > 0 ? await fitOn(events, { users, model }) : { users, model, neighbours };

  const { interactionCount, snapshotItems, embeddings } = catalogRows(products, events, itemIndex);

  // Content → ALS factors for products the version does not know; blended into few-interaction items.
  progress('content model', 0);
  const reviewEmbedder = input.reviewTextEmbedder ?? new HashedNgramEmbedder();
  const reviewContent = { means: reviewTextMeans(reviews, reviewEmbedder), dim: reviewEmbedder.dim, embedder: reviewEmbedder.version };
  // On a second core while this thread builds the second stage (independent of each other); the
  // final factors are read only after it resolves, since it blends into them.
  const contentJob = input.contentModel === false ? undefined : fitContentToFactorAside([products, final.model, interactionCount, input.contentModel, reviewContent]);
  void contentJob?.catch(() => undefined); // awaited below; not unhandled should the second stage throw first
  progress('second stage', 0);
  const stage2: { featureStore?: ReturnType<typeof buildItemFeatureStore>; scorer?: ScorerModel; ranking: RankingManifest } = secondStage({ ...input, events }, products, itemIndex, embeddings, settings, als, config.family, stage1Of(alsFits, selection, config, als));
  stage2.ranking = servingRanking(stage2.ranking, config, selection);
  progress('content model (waiting)', 0);
  const contentModel = await contentJob;
  progress('done', 1);
  const modelManifest = modelManifestOf(input, config, als, refTime, selection, note);
  return {
    holdout,
    scorer: stage2.scorer,
    model: modelManifest,
    parts: {
      featureStore: stage2.featureStore,
      scorer: stage2.scorer,
      neighbours: final.neighbours,
      contentModel,
      manifest: {
        version: input.version,
        createdAt: new Date(input.now).toISOString(),
        als,
        model: modelManifest,
        counts: { users: final.users.size, items: catalogIds.length, interactions: events.length },
        metrics: { ...holdout, ...(selection ? { validationNdcg10: selection.validationNdcg10 } : {}) },
        ranking: stage2.ranking,
        rules: rulesRecord({ items: snapshotItems, popularity }, input.rules?.settings ?? DEFAULT_BUSINESS_RULES, input.rules?.source ?? 'default', refTime, input.rules?.updatedAt),
      },
      userIds: final.users.ids,
      items: snapshotItems,
      userFactors: final.model.userFactors,
      itemFactors: final.model.itemFactors,
      popularity,
      popularByCountry: countryPopularity({ ...input, events }, itemIndex, catalogIds.length, refTime, halfLife, settings),
      embeddings,
    },
  };
}
