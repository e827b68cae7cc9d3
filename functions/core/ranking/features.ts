/**
 * Second-stage features (a user and item feature store, the
 * level-2 features). ONE function, {@link buildFeatureVector}, turns a (user, candidate) pair into
 * the scorer's input; the retrain job calls it to build training rows and `recommend` calls it at
 * request time, so training and serving see the same vector by construction (tested for parity).
 *
 * The item side comes from an {@link ItemFeatureStore} written by the retrain job with the model
 * version (it is part of the snapshot); the user side, {@link UserFeatureContext}, is rebuilt from the
 * user's own history at request time (so events since the last retrain count at once), and from the
 * older window's history at training time.
 */
import { DEFAULT_SIMILARITY_WEIGHTS, rowOf, type EmbeddingIndex } from '../content/similarity.js';
import { dot } from '../numeric/kernels.js';

/** Candidate-source bit flags (a candidate may come from several sources). */
export const SOURCE = { als: 1, content: 2, wishlist: 4, popular: 8, new: 16 } as const;
export type CandidateSourceName = keyof typeof SOURCE;

/** What the feature function needs to know about one candidate (see candidates.ts). */
export interface CandidateInfo {
  /** Dense item index. */
  index: number;
  /** OR of {@link SOURCE} flags. */
  sources: number;
  /** Raw ALS score x_uᵀy_i (0 for a cold user). */
  alsScore: number;
  /** 0-based rank of the item in the user's full ALS ordering (eligible items); Infinity if unknown. */
  alsRank: number;
}

/**
 * Names of the vector's components, in order. Stored in the manifest with the scorer, and checked
 * when a scorer is loaded: a scorer trained on another layout is refused.
 */
export const FEATURE_NAMES = [
  'als_score', // x_uᵀy_i
  'als_score_rel', // x_uᵀy_i / max over the user's candidates
  'als_log_rank', // log(1 + rank) in the user's ALS ordering
  'knn_score', // Σ_{j∈H} sim(j, i) / √|H| over stored co-occurrence neighbours (item-kNN, cosine)
  'content_sim', // max cosine (image+text) between the item and the user's recent items
  'pop_recent', // log(1 + n·share) of recency-weighted popularity at the user's reference time
  'pop_user_time', // the same at the median time of the user's history (their "season")
  'pop_log_count', // log(1 + distinct users) / log(1 + max)
  'price_rel', // log(price / median price of the user's purchases), 0 when unknown
  'promoted', // 1 if promoted
  'category_affinity', // recency-weighted share of the user's history in the item's category
  'item_age', // log(1 + days since creation / first interaction) at the reference time
  'user_activity', // log(1 + distinct items in the user's history)
  'src_als',
  'src_content',
  'src_wishlist',
  'src_popular',
  'src_new',
] as const;
export const FEATURE_COUNT = FEATURE_NAMES.length;
/** Bumped whenever the meaning of a component changes. */
export const FEATURE_LAYOUT_VERSION = 2;

/**
 * Item features written by the retrain job (serialised with the model version). All arrays are
 * indexed by the snapshot's dense item index.
 */
export interface ItemFeatureStore {
  nItems: number;
  /** Time histogram of each item's interactions: nItems × bins (event strength per bin). */
  timeStart: number;
  binMs: number;
  bins: number;
  itemTime: Float32Array;
  /** Σ over items per bin (normaliser: share of all activity at that time). */
  binTotal: Float64Array;
  /** Half-life of the recency weighting, days. */
  halfLifeDays: number;
  /** log(1 + distinct users) / log(1 + max). */
  logCount: Float32Array;
  /** Price (NaN when unknown), promoted flag, category id (−1 unknown), createdAt (ms, NaN unknown). */
  price: Float32Array;
  promoted: Uint8Array;
  category: Int32Array;
  createdAt: Float64Array;
  /** Item-kNN: for each item its `knnK` nearest items by co-occurrence cosine (−1 = none). */
  knnK: number;
  knnIndex: Int32Array;
  knnSim: Float32Array;
  /** Row of each item in the embedding index (−1 when it has no embedding). */
  embeddingRow: Int32Array;
}

/** One interaction as the store builder reads it (dense indices). */
export interface IndexedInteraction {
  user: number;
  item: number;
  weight: number;
  timestamp: number;
}

export interface ItemMeta {
  price?: number;
  promoted?: boolean;
  category?: string;
  createdAt?: number;
}

export interface FeatureStoreOptions {
  halfLifeDays: number;
  bins: number;
  knnK: number;
  /** Per user, only the most recent this-many items enter the co-occurrence counts (bounds O(Σ|H|²)). */
  knnMaxHistory: number;
}

export const DEFAULT_FEATURE_STORE_OPTIONS: FeatureStoreOptions = { halfLifeDays: 30, bins: 64, knnK: 50, knnMaxHistory: 200 };

const DAY_MS = 86_400_000;

/**
 * Builds the item feature store from interactions (dense user/item indices) and item metadata.
 * Deterministic. `embeddingIds` is the id order of the snapshot's EmbeddingIndex (if any).
 */
export function buildItemFeatureStore(
  nItems: number,
  interactions: readonly IndexedInteraction[],
  meta: (i: number) => ItemMeta,
  options: Partial<FeatureStoreOptions> = {},
  embedding?: { itemIds: readonly string[]; index: EmbeddingIndex },
): ItemFeatureStore {
  const opt = { ...DEFAULT_FEATURE_STORE_OPTIONS, ...options };
  const { tMin, bins, binMs, itemTime, binTotal, firstSeen, logCount } = interactionColumns(nItems, interactions, opt.bins);
  const { price, promoted, category, createdAt } = catalogColumns(nItems, meta, firstSeen);
  const { knnIndex, knnSim } = itemKnn(nItems, interactions, opt.knnK, opt.knnMaxHistory);
  const embeddingRow = embeddingRows(nItems, embedding);
  return {
    nItems,
    timeStart: tMin,
    binMs,
    bins,
    itemTime,
    binTotal,
    halfLifeDays: opt.halfLifeDays,
    logCount,
    price,
    promoted,
    category,
    createdAt,
    knnK: opt.knnK,
    knnIndex,
    knnSim,
    embeddingRow,
  };
}

/** Per item: weighted interactions per time bin (and their totals), first interaction, log distinct users (scaled to the max). */
function interactionColumns(nItems: number, interactions: readonly IndexedInteraction[], binCount: number) {
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const e of interactions) {
    if (e.timestamp < tMin) tMin = e.timestamp;
    if (e.timestamp > tMax) tMax = e.timestamp;
  }
  if (!Number.isFinite(tMin)) tMin = tMax = 0;
  const bins = Math.max(1, binCount);
  const binMs = Math.max(1, (tMax - tMin + 1) / bins);
  const itemTime = new Float32Array(nItems * bins);
  const binTotal = new Float64Array(bins);
  const firstSeen = new Float64Array(nItems).fill(Infinity);
  const usersPerItem = new Map<number, Set<number>>();
  for (const e of interactions) {
    const b = Math.min(bins - 1, Math.floor((e.timestamp - tMin) / binMs));
    itemTime[e.item * bins + b] += e.weight;
    binTotal[b] += e.weight;
    if (e.timestamp < firstSeen[e.item]) firstSeen[e.item] = e.timestamp;
    let s = usersPerItem.get(e.item);
    if (!s) usersPerItem.set(e.item, (s = new Set()));
    s.add(e.user);
  }
  const counts = new Float64Array(nItems);
  for (const [i, s] of usersPerItem) counts[i] = s.size;
  let maxCount = 0;
  for (const c of counts) maxCount = Math.max(maxCount, c);
  const logCount = Float32Array.from(counts, (c) => (maxCount > 0 ? Math.log1p(c) / Math.log1p(maxCount) : 0));
  return { tMin, bins, binMs, itemTime, binTotal, firstSeen, logCount };
}

/** Per item: price (NaN when unknown), promoted flag, category index (-1 none), creation time (else first interaction, else NaN). */
function catalogColumns(nItems: number, meta: (i: number) => ItemMeta, firstSeen: Float64Array) {
  const price = new Float32Array(nItems);
  const promoted = new Uint8Array(nItems);
  const category = new Int32Array(nItems);
  const createdAt = new Float64Array(nItems);
  const categoryIds = new Map<string, number>();
  for (let i = 0; i < nItems; i++) {
    const m = meta(i);
    price[i] = m.price !== undefined && m.price > 0 ? m.price : NaN;
    promoted[i] = m.promoted ? 1 : 0;
    if (m.category) {
      let c = categoryIds.get(m.category);
      if (c === undefined) categoryIds.set(m.category, (c = categoryIds.size));
      category[i] = c;
    } else category[i] = -1;
    const created = m.createdAt !== undefined && m.createdAt > 0 ? m.createdAt : Infinity;
    const t = Math.min(created, firstSeen[i]);
    createdAt[i] = Number.isFinite(t) ? t : NaN;
  }
  return { price, promoted, category, createdAt };
}

/** Per item: its row in the embedding index when it has an image or text embedding there, else -1. */
function embeddingRows(nItems: number, embedding: { itemIds: readonly string[]; index: EmbeddingIndex } | undefined): Int32Array {
  const embeddingRow = new Int32Array(nItems).fill(-1);
  if (embedding) {
    embedding.itemIds.forEach((id, i) => {
      const r = rowOf(embedding.index, id);
      if (r !== undefined && (embedding.index.hasImage[r] || embedding.index.hasText[r])) embeddingRow[i] = r;
    });
  }
  return embeddingRow;
}

/**
 * Item-based kNN (Sarwar et al. 2001, "Item-based collaborative filtering recommendation
 * algorithms"): cosine between binary item columns, sim(i, j) = |U_i ∩ U_j| / √(|U_i| |U_j|),
 * keeping each item's k best neighbours. Co-occurrences are counted over each user's most recent
 * `maxHistory` items, so the cost is bounded by Σ_u min(|H_u|, maxHistory)².
 */
export function itemKnn(
  nItems: number,
  interactions: readonly IndexedInteraction[],
  k: number,
  maxHistory: number,
): { knnIndex: Int32Array; knnSim: Float32Array } {
  // Typed arrays throughout (counting sorts, dense per-item counters): the same counts and order as
  // maps of maps, at a fraction of the cost on a million interactions.
  let nUsers = 0;
  for (const e of interactions) nUsers = Math.max(nUsers, e.user + 1);
  const byUser = new Int32Array(nUsers + 1);
  for (const e of interactions) byUser[e.user + 1]++;
  for (let u = 0; u < nUsers; u++) byUser[u + 1] += byUser[u];
  const next = byUser.slice(0, nUsers);
  const eventItem = new Int32Array(interactions.length);
  const eventTime = new Float64Array(interactions.length);
  for (const e of interactions) {
    const q = next[e.user]++;
    eventItem[q] = e.item;
    eventTime[q] = e.timestamp;
  }
  // Each user's distinct items at their latest time, most recent first (ties: lower index), at most maxHistory.
  const histPtr = new Int32Array(nUsers + 1);
  const histItems = new Int32Array(interactions.length);
  const last = new Float64Array(nItems);
  const seen = new Uint8Array(nItems);
  let nHist = 0;
  for (let u = 0; u < nUsers; u++) {
    const items: number[] = [];
    for (let q = byUser[u]; q < byUser[u + 1]; q++) {
      const i = eventItem[q];
      if (!seen[i]) (seen[i] = 1), (last[i] = -Infinity), items.push(i);
      last[i] = Math.max(last[i], eventTime[q]);
    }
    items.sort((a, b) => last[b] - last[a] || a - b);
    for (let r = 0; r < items.length; r++) {
      seen[items[r]] = 0;
      if (r < maxHistory) histItems[nHist++] = items[r];
    }
    histPtr[u + 1] = nHist;
  }
  // Item → the users whose kept history holds it.
  const colCount = new Float64Array(nItems);
  for (let q = 0; q < nHist; q++) colCount[histItems[q]]++;
  const usersPtr = new Int32Array(nItems + 1);
  for (let i = 0; i < nItems; i++) usersPtr[i + 1] = usersPtr[i] + colCount[i];
  const fillAt = usersPtr.slice(0, nItems);
  const usersOf = new Int32Array(nHist);
  for (let u = 0; u < nUsers; u++) for (let q = histPtr[u]; q < histPtr[u + 1]; q++) usersOf[fillAt[histItems[q]]++] = u;
  const knnIndex = new Int32Array(nItems * k).fill(-1);
  const knnSim = new Float32Array(nItems * k);
  const co = new Int32Array(nItems);
  const sim = new Float64Array(nItems);
  for (let a = 0; a < nItems; a++) {
    const touched: number[] = [];
    for (let p = usersPtr[a]; p < usersPtr[a + 1]; p++) {
      const u = usersOf[p];
      for (let q = histPtr[u]; q < histPtr[u + 1]; q++) {
        const b = histItems[q];
        if (b !== a && co[b]++ === 0) touched.push(b);
      }
    }
    for (const b of touched) sim[b] = co[b] / Math.sqrt(colCount[a] * colCount[b]);
    touched.sort((x, y) => sim[y] - sim[x] || x - y);
    for (let r = 0; r < Math.min(k, touched.length); r++) {
      knnIndex[a * k + r] = touched[r];
      knnSim[a * k + r] = sim[touched[r]];
    }
    for (const b of touched) co[b] = 0;
  }
  return { knnIndex, knnSim };
}

/** The user side of the features, rebuilt per request (serving) or per user (training). */
export interface UserFeatureContext {
  /** Distinct items in the history, most recent first, with their last timestamp. */
  history: { item: number; timestamp: number }[];
  /** The "now" the features are computed at (request time; the split time in training). */
  refTime: number;
  /** Median timestamp of the history (NaN when empty). */
  medianTime: number;
  /** Median log-price of priced history items (NaN when none). */
  medianLogPrice: number;
  /** Category id → recency-weighted share of the history (weights 2^(−age / halfLife)). */
  categoryShare: Map<number, number>;
  /** item → Σ_{j∈H} sim(j, item) / √|H| (sparse: only items that are some history item's neighbour). */
  knn: Map<number, number>;
  /** Embedding rows of the most recent embedded history items (for content_sim). */
  contentRows: number[];
  /** Popularity time weights at `refTime` and at `medianTime` (see {@link timeWeights}). */
  refWeights?: TimeWeights;
  medianWeights?: TimeWeights;
}

/** How many recent history items take part in content_sim (bounds the per-request cost). */
export const CONTENT_HISTORY = 20;

/** Distinct items of a history with their last timestamp, most recent first (ties: lower index); indices outside [0, nItems) dropped. */
export function distinctRecentFirst(history: readonly { item: number; timestamp: number }[], nItems: number): { item: number; timestamp: number }[] {
  const last = new Map<number, number>();
  for (const h of history) if (h.item >= 0 && h.item < nItems) last.set(h.item, Math.max(last.get(h.item) ?? -Infinity, h.timestamp));
  return [...last.entries()].map(([item, timestamp]) => ({ item, timestamp })).sort((a, b) => b.timestamp - a.timestamp || a.item - b.item);
}

/** Builds the user context from their history (dense item indices; duplicates allowed). */
export function buildUserContext(
  store: ItemFeatureStore,
  history: readonly { item: number; timestamp: number }[],
  refTime: number,
): UserFeatureContext {
  const hist = distinctRecentFirst(history, store.nItems);
  const times = hist.map((h) => h.timestamp).sort((a, b) => a - b);
  const medianTime = times.length ? times[(times.length - 1) >> 1] : NaN;
  const logPrices = hist.map((h) => store.price[h.item]).filter((p) => p > 0).map(Math.log).sort((a, b) => a - b);
  const medianLogPrice = logPrices.length ? logPrices[(logPrices.length - 1) >> 1] : NaN;
  // Recency-weighted: a category the user turned to this week outweighs last season's browsing.
  const categoryShare = new Map<number, number>();
  const halfLifeMs = store.halfLifeDays * DAY_MS;
  const recency = hist.map((h) => (Number.isFinite(refTime) ? 2 ** (-Math.max(0, refTime - h.timestamp) / halfLifeMs) : 1));
  const totalRecency = recency.reduce((a, b) => a + b, 0);
  hist.forEach((h, k) => {
    const c = store.category[h.item];
    if (c >= 0 && totalRecency > 0) categoryShare.set(c, (categoryShare.get(c) ?? 0) + recency[k] / totalRecency);
  });
  const knn = new Map<number, number>();
  const norm = hist.length ? 1 / Math.sqrt(hist.length) : 0;
  const k = store.knnK;
  for (const h of hist) {
    for (let r = 0; r < k; r++) {
      const j = store.knnIndex[h.item * k + r];
      if (j < 0) break;
      knn.set(j, (knn.get(j) ?? 0) + store.knnSim[h.item * k + r] * norm);
    }
  }
  const contentRows: number[] = [];
  for (const h of hist) {
    if (contentRows.length >= CONTENT_HISTORY) break;
    const r = store.embeddingRow[h.item];
    if (r >= 0) contentRows.push(r);
  }
  return { history: hist, refTime, medianTime, medianLogPrice, categoryShare, knn, contentRows, refWeights: timeWeights(store, refTime), medianWeights: timeWeights(store, medianTime) };
}

/**
 * The item-independent half of {@link popularityAt} at time t: the decay weight of every time bin,
 * w_b = 2^(−|t−c_b|/T), and the normaliser Σ_b H_b w_b. Computed once per user, not per candidate.
 */
export interface TimeWeights {
  w: Float64Array;
  den: number;
}

export function timeWeights(store: ItemFeatureStore, t: number): TimeWeights | undefined {
  if (!Number.isFinite(t)) return undefined;
  const T = store.halfLifeDays * DAY_MS;
  const w = new Float64Array(store.bins);
  let den = 0;
  for (let b = 0; b < store.bins; b++) {
    const c = store.timeStart + (b + 0.5) * store.binMs;
    w[b] = 2 ** (-Math.abs(t - c) / T);
    den += store.binTotal[b] * w[b];
  }
  return { w, den };
}

/** Σ_b h_ib w_b / Σ_b H_b w_b for precomputed weights (0 when t was not finite). */
export function popularityWith(store: ItemFeatureStore, i: number, tw: TimeWeights | undefined): number {
  if (!tw) return 0;
  let num = 0;
  const o = i * store.bins;
  for (let b = 0; b < store.bins; b++) num += store.itemTime[o + b] * tw.w[b];
  return tw.den > 0 ? num / tw.den : 0;
}

/** Recency-weighted popularity share of item i at time t: Σ_b h_ib 2^(−|t−c_b|/T) / Σ_b H_b 2^(−|t−c_b|/T). */
export function popularityAt(store: ItemFeatureStore, i: number, t: number): number {
  return popularityWith(store, i, timeWeights(store, t));
}

/** Dot product of rows a and b of a row-major matrix with `dim` columns. */
const rowDot = (m: Float32Array, dim: number, a: number, b: number): number => dot(m, a * dim, m, b * dim, dim);

/**
 * Weighted image+text cosine between two rows of the embedding index, over the modalities BOTH rows
 * have (weights {@link DEFAULT_SIMILARITY_WEIGHTS}). Unlike `similarProducts`, a modality only one
 * side has is left out rather than counted as cosine 0: this compares two catalogue items, not a
 * query against the catalogue.
 */
export function contentCosine(index: EmbeddingIndex, a: number, b: number): number {
  const { image: wImage, text: wText } = DEFAULT_SIMILARITY_WEIGHTS;
  let s = 0;
  let w = 0;
  if (index.hasImage[a] && index.hasImage[b]) {
    s += wImage * rowDot(index.image, index.imageDim, a, b);
    w += wImage;
  }
  if (index.hasText[a] && index.hasText[b]) {
    s += wText * rowDot(index.text, index.textDim, a, b);
    w += wText;
  }
  return w > 0 ? s / w : 0;
}

/**
 * THE feature function (training and serving): writes the {@link FEATURE_COUNT} components named
 * in {@link FEATURE_NAMES} for (user, candidate) into `out` at `offset`. `maxAls` is the user's
 * largest candidate ALS score (for `als_score_rel`); `embeddings` is the snapshot's index, if any.
 * Every component is finite; unknown quantities are 0.
 */
export function buildFeatureVector(
  store: ItemFeatureStore,
  user: UserFeatureContext,
  cand: CandidateInfo,
  maxAls: number,
  out: Float32Array,
  offset = 0,
  embeddings?: EmbeddingIndex,
): void {
  const i = cand.index;
  const n = store.nItems;
  let contentSim = 0;
  const row = store.embeddingRow[i];
  if (embeddings && row >= 0) {
    for (const r of user.contentRows) if (r !== row) contentSim = Math.max(contentSim, contentCosine(embeddings, row, r));
  }
  const price = store.price[i];
  const created = store.createdAt[i];
  const cat = store.category[i];
  const v = [
    cand.alsScore,
    maxAls > 0 ? cand.alsScore / maxAls : 0,
    Number.isFinite(cand.alsRank) ? Math.log1p(cand.alsRank) : Math.log1p(n),
    user.knn.get(i) ?? 0,
    contentSim,
    Math.log1p(n * popularityWith(store, i, user.refWeights)),
    Math.log1p(n * popularityWith(store, i, user.medianWeights)),
    store.logCount[i],
    price > 0 && Number.isFinite(user.medianLogPrice) ? Math.log(price) - user.medianLogPrice : 0,
    store.promoted[i],
    cat >= 0 ? (user.categoryShare.get(cat) ?? 0) : 0,
    Number.isFinite(created) ? Math.log1p(Math.max(0, user.refTime - created) / DAY_MS) : 0,
    Math.log1p(user.history.length),
    cand.sources & SOURCE.als ? 1 : 0,
    cand.sources & SOURCE.content ? 1 : 0,
    cand.sources & SOURCE.wishlist ? 1 : 0,
    cand.sources & SOURCE.popular ? 1 : 0,
    cand.sources & SOURCE.new ? 1 : 0,
  ];
  for (let k = 0; k < FEATURE_COUNT; k++) out[offset + k] = Number.isFinite(v[k]) ? v[k] : 0;
}

/** Typed-array fields of the store, in file order. */
const STORE_ARRAYS = ['itemTime', 'binTotal', 'logCount', 'price', 'promoted', 'category', 'createdAt', 'knnIndex', 'knnSim', 'embeddingRow'] as const;
type StoreArrayName = (typeof STORE_ARRAYS)[number];
const STORE_CTORS: Record<StoreArrayName, Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor> = {
  itemTime: Float32Array,
  binTotal: Float64Array,
  logCount: Float32Array,
  price: Float32Array,
  promoted: Uint8Array,
  category: Int32Array,
  createdAt: Float64Array,
  knnIndex: Int32Array,
  knnSim: Float32Array,
  embeddingRow: Int32Array,
};

/**
 * `feature_store.bin`: a 4-byte little-endian header length, a JSON header (scalars and each
 * array's byte offset/length), then the arrays, each 8-byte aligned. NaN (unknown price/age) is
 * kept as is: the feature function maps it to 0.
 */
export function serializeFeatureStore(s: ItemFeatureStore): Uint8Array {
  const scalars = { nItems: s.nItems, timeStart: s.timeStart, binMs: s.binMs, bins: s.bins, halfLifeDays: s.halfLifeDays, knnK: s.knnK, layout: FEATURE_LAYOUT_VERSION };
  const parts: { name: StoreArrayName; bytes: Uint8Array }[] = STORE_ARRAYS.map((name) => {
    const a = s[name];
    return { name, bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) };
  });
  const offsets: Record<string, [number, number]> = {};
  let pos = 0;
  for (const p of parts) {
    offsets[p.name] = [pos, p.bytes.byteLength];
    pos += Math.ceil(p.bytes.byteLength / 8) * 8;
  }
  const header = new TextEncoder().encode(JSON.stringify({ ...scalars, offsets }));
  const headPad = Math.ceil((4 + header.byteLength) / 8) * 8;
  const out = new Uint8Array(headPad + pos);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  for (const p of parts) out.set(p.bytes, headPad + offsets[p.name][0]);
  return out;
}

/** Inverse of {@link serializeFeatureStore}; throws RangeError on a malformed or mismatched file. */
export function deserializeFeatureStore(bytes: Uint8Array): ItemFeatureStore {
  const copy = new Uint8Array(bytes); // aligned copy
  const hl = new DataView(copy.buffer).getUint32(0, true);
  const head = JSON.parse(new TextDecoder().decode(copy.subarray(4, 4 + hl))) as Record<string, number> & { offsets: Record<string, [number, number]> };
  if (head.layout !== FEATURE_LAYOUT_VERSION) throw new RangeError(`feature store layout ${head.layout} ≠ ${FEATURE_LAYOUT_VERSION}`);
  const headPad = Math.ceil((4 + hl) / 8) * 8;
  const arrays = {} as Record<StoreArrayName, ArrayLike<number>>;
  for (const name of STORE_ARRAYS) {
    const [off, len] = head.offsets[name] ?? [];
    const C = STORE_CTORS[name];
    if (off === undefined || headPad + off + len > copy.byteLength || len % C.BYTES_PER_ELEMENT !== 0) throw new RangeError(`feature store: bad ${name}`);
    arrays[name] = new C(copy.buffer, headPad + off, len / C.BYTES_PER_ELEMENT);
  }
  const s = { nItems: head.nItems, timeStart: head.timeStart, binMs: head.binMs, bins: head.bins, halfLifeDays: head.halfLifeDays, knnK: head.knnK, ...arrays } as ItemFeatureStore;
  if (s.logCount.length !== s.nItems || s.itemTime.length !== s.nItems * s.bins || s.knnIndex.length !== s.nItems * s.knnK) throw new RangeError('feature store: shapes do not match');
  return s;
}
