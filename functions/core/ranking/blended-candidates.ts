/**
 * Candidates for the fused selection drawn inside the scoring kernel.
 *
 * The common request ranks by `raw · scale + β · popularity` (+ the new-arrival boost) under the
 * business filters, and keeps the best `num` items and the best `minPromoted` promoted ones. A
 * kernel that can select in its own graph (ONNX Runtime: MatMul → blend → filter → TopK) returns
 * only the indices of those few items and the largest raw score, instead of a catalog-sized score
 * array: onnxruntime-node copies every output into a fresh ArrayBuffer, and 400 kB of garbage per
 * request at 100k items is what made the ranking's tail (major collections) several times its median.
 *
 * The kernel's filter is a superset of the ranking's: it knows the per-item columns (active,
 * price, country, category, business rules), not the receiver's blocked items or the items the
 * fused pass offers late. So it is asked for `num + blocked + late` items per head, and the ranking
 * re-scores and re-filters the candidates exactly as the full pass would. When a head still comes
 * back short while the kernel had more items to give, the ranking falls back to the full pass.
 *
 * Domain code: the masks and a slow reference live here; the ONNX graph is an adapter.
 */
import type { ItemColumns } from '../snapshot/model-snapshot.js';

/** What the kernel needs: per-item vectors are cached per snapshot (and query shape), not built per request. */
export interface BlendedCandidatesRequest {
  itemFactors: Float32Array;
  f: number;
  userVec: Float32Array;
  /** Per item: float32(β · popularity) + the new-arrival boost, or −∞ for an inactive item. */
  base: Float32Array;
  /** Per item: 0, or −∞ where the country, category or business-rule filter excludes it. */
  restrict: Float32Array;
  /** Per item: 0 for a promoted item, −∞ otherwise. */
  promoted: Float32Array;
  /** The items' prices in float32 (rounding is monotone, so no item inside the range falls out of it). */
  price: Float32Array;
  /** The query's price range; ±∞ when open. */
  minPrice: number;
  maxPrice: number;
  /** How many of the best filtered items, and of the best filtered promoted items. */
  k: number;
  kPromoted: number;
}

export interface BlendedCandidates {
  /** max(0, the largest raw score): the blend's scale is 1 / max when it is positive. */
  max: number;
  /** The best `k` filtered items, best first (fewer when fewer pass the filter). */
  top: Int32Array;
  /** The best `kPromoted` filtered promoted items, best first (fewer when fewer pass). */
  topPromoted: Int32Array;
}

/** A kernel's in-graph selection; undefined when it cannot (e.g. a small catalog scored by the JS loop). */
export type SelectBlendedCandidates = (req: BlendedCandidatesRequest) => Promise<BlendedCandidates | undefined>;

const NEG = -Infinity;

interface CandidateMasks {
  price: Float32Array;
  promoted: Float32Array;
  /** base per new-arrival list (it changes only as items age in or out). */
  base?: { beta: number; add: number; newItems: number[]; data: Float32Array };
  /** restrict per country / categories / business rules, a few kept. */
  restrict: Map<string, Float32Array>;
  allowedIds: WeakMap<Uint8Array, number>;
}

const masks = new WeakMap<ItemColumns, CandidateMasks>();
export const MAX_RESTRICT_MASKS = 32;

function masksOf(cols: ItemColumns): CandidateMasks {
  let m = masks.get(cols);
  if (!m) {
    m = {
      // An unknown (NaN) price stays NaN: neither below nor above a bound, it passes, as in the ranking.
      price: Float32Array.from(cols.price),
      promoted: Float32Array.from(cols.promoted, (p) => (p === 1 ? 0 : NEG)),
      restrict: new Map(),
      allowedIds: new WeakMap(),
    };
    masks.set(cols, m);
  }
  return m;
}

/** The items' prices in float32 (NaN where unknown), once per snapshot. */
export const candidatePrices = (cols: ItemColumns): Float32Array => masksOf(cols).price;

/** 0 for promoted items, −∞ otherwise, once per snapshot. */
export const promotedMask = (cols: ItemColumns): Float32Array => masksOf(cols).promoted;

/** float32(β · popularity[i]) plus `add` for the new arrivals, −∞ for inactive items; rebuilt only when the new arrivals change. */
export function candidateBase(cols: ItemColumns, popularity: Float32Array, beta: number, newItems: readonly number[], add: number): Float32Array {
  const m = masksOf(cols);
  const b = m.base;
  if (b && b.beta === beta && b.add === add && b.newItems.length === newItems.length && b.newItems.every((v, k) => v === newItems[k])) return b.data;
  const n = cols.active.length;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = cols.active[i] === 1 ? beta * (popularity[i] ?? 0) : NEG;
  for (const i of newItems) if (cols.active[i] === 1) data[i] += add;
  m.base = { beta, add, newItems: [...newItems], data };
  return data;
}

let nextAllowedId = 1;

/**
 * 0 where the item is sold in the country (`countryOk`), is in one of the categories, and the
 * business rules allow it; −∞ elsewhere. Cached per snapshot for a few query shapes.
 */
export function restrictMask(
  cols: ItemColumns,
  categoryOf: (i: number) => string,
  countryKey: string,
  countryOk: Uint8Array,
  categories: readonly string[] | undefined,
  allowed: Uint8Array | undefined,
): Float32Array {
  const m = masksOf(cols);
  let allowedId = 0;
  if (allowed) {
    allowedId = m.allowedIds.get(allowed) ?? 0;
    if (allowedId === 0) m.allowedIds.set(allowed, (allowedId = nextAllowedId++));
  }
  const key = JSON.stringify([countryKey, categories ? [...categories].sort() : null, allowedId]);
  const hit = m.restrict.get(key);
  if (hit) return hit;
  const n = cols.active.length;
  const data = new Float32Array(n);
  const wanted = categories ? new Set(categories) : undefined;
  for (let i = 0; i < n; i++) {
    const ok = countryOk[i] === 1 && (wanted === undefined || wanted.has(categoryOf(i))) && (allowed === undefined || allowed[i] === 1);
    data[i] = ok ? 0 : NEG;
  }
  if (m.restrict.size >= MAX_RESTRICT_MASKS) m.restrict.delete(m.restrict.keys().next().value!);
  m.restrict.set(key, data);
  return data;
}

/** How many restrict masks a snapshot keeps now (at most MAX_RESTRICT_MASKS): for tests. */
export const cachedRestrictMasks = (cols: ItemColumns): number => masksOf(cols).restrict.size;

/**
 * The slow reference of what a kernel returns: every score, the filter applied per item, a full
 * sort (ties to the lower index). Tests compare the ONNX graph with it.
 */
export function referenceBlendedCandidates(req: BlendedCandidatesRequest): BlendedCandidates {
  const { itemFactors, f, userVec } = req;
  const n = (itemFactors.length / f) | 0;
  // Raw scores in float32, as a float32 kernel returns them; the blend and the sort in float64.
  const raw = new Float64Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < f; j++) s += itemFactors[i * f + j] * userVec[j];
    raw[i] = Math.fround(s);
    if (raw[i] > max) max = raw[i];
  }
  const scale = max > 0 ? 1 / max : 1;
  const scored: { i: number; s: number }[] = [];
  for (let i = 0; i < n; i++) {
    const p = req.price[i];
    if (p < req.minPrice || p > req.maxPrice) continue;
    const s = raw[i] * scale + req.base[i] + req.restrict[i];
    if (s > NEG) scored.push({ i, s });
  }
  scored.sort((a, b) => b.s - a.s || a.i - b.i);
  const top = Int32Array.from(scored.slice(0, req.k), (x) => x.i);
  const topPromoted = Int32Array.from(scored.filter((x) => req.promoted[x.i] === 0).slice(0, req.kPromoted), (x) => x.i);
  return { max, top, topPromoted };
}
