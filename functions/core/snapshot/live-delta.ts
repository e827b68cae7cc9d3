/**
 * The serving view of a model version plus the products changed since it was trained: what makes a
 * product created (or re-priced, blocked, embedded) after the last retrain count at once.
 *
 * - A product the version knows keeps its row (factors, popularity, interaction count); its
 *   business facts (price, category, status, promoted, countries) and embeddings are the fresh ones.
 * - A product the version does not know is appended as a new row: collaborative factors from the
 *   content-to-factor model when the caller has them (else zeros: ALS cannot place it), no
 *   popularity, zero interactions — so the new-arrival rules, the look-alike slots, wishlist/cart,
 *   owned, the filters and the promoted guarantee all apply to it like to any other row.
 * Appending keeps every existing index valid (per-country ranks, neighbour lists, feature store).
 * YᵀY is kept: fold-in solves against the version's item factors, which appended rows barely move.
 * Pure; the caller reads the changed products and caches the result.
 */
import { buildEmbeddingIndex, rowOf, type EmbeddingIndex } from '../content/similarity.js';
import type { ItemNeighbours } from '../factorization/ease.js';
import type { ItemFeatureStore } from '../ranking/features.js';
import type { Product } from '../domain/types.js';
import { buildItemColumns, snapshotItem, type ModelSnapshot, type SnapshotItem } from './model-snapshot.js';

/** The per-row facts of a changed product, as the ranking reads them. */
function liveItem(p: Product, before?: SnapshotItem): SnapshotItem {
  // The version's training facts stay; the product's own fields are the fresh ones.
  const item = snapshotItem(p, before?.interactionCount ?? 0, before?.lastSoldAt ?? 0);
  return before?.createdAt ? { ...item, createdAt: before.createdAt } : item;
}

function grow<T extends Float32Array | Float64Array | Int32Array | Uint8Array>(a: T, length: number, fill: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  if (fill !== 0) out.fill(fill, a.length);
  return out;
}

/** Embedding index with changed rows overwritten and new products appended (a copy: the version's stays intact). */
export function mergeEmbeddings(index: EmbeddingIndex, changed: readonly Product[]): EmbeddingIndex {
  const withVectors = changed.filter((p) => p.image_embedding?.length || p.text_embedding?.length);
  if (withVectors.length === 0) return index;
  // The version's dimensions rule; an index with none yet takes the delta's.
  const fresh = buildEmbeddingIndex(withVectors);
  const imageDim = index.imageDim || fresh.imageDim;
  const textDim = index.textDim || fresh.textDim;
  const appended = withVectors.filter((p) => rowOf(index, p.id) === undefined);
  const n = index.ids.length + appended.length;
  const image = new Float32Array(n * imageDim);
  const text = new Float32Array(n * textDim);
  if (imageDim === index.imageDim) image.set(index.image);
  if (textDim === index.textDim) text.set(index.text);
  const hasImage = grow(index.hasImage, n, 0);
  const hasText = grow(index.hasText, n, 0);
  if (imageDim !== index.imageDim) hasImage.fill(0);
  if (textDim !== index.textDim) hasText.fill(0);
  const ids = [...index.ids, ...appended.map((p) => p.id)];
  const rows = new Map<string, number>();
  appended.forEach((p, k) => rows.set(p.id, index.ids.length + k));
  for (const p of withVectors) {
    const r = rowOf(index, p.id) ?? rows.get(p.id)!;
    const one = buildEmbeddingIndex([p]);
    // A vector of another length than the index's (another model's) counts as missing.
    const img = one.imageDim === imageDim ? one.image : undefined;
    const txt = one.textDim === textDim ? one.text : undefined;
    image.fill(0, r * imageDim, (r + 1) * imageDim);
    text.fill(0, r * textDim, (r + 1) * textDim);
    hasImage[r] = img && one.hasImage[0] ? 1 : 0;
    hasText[r] = txt && one.hasText[0] ? 1 : 0;
    if (hasImage[r]) image.set(img!, r * imageDim);
    if (hasText[r]) text.set(txt!, r * textDim);
  }
  return { ids, imageDim, textDim, image, text, hasImage, hasText };
}

/** Feature-store rows for appended items: no interaction history, their own price/promoted/createdAt. */
function growFeatureStore(s: ItemFeatureStore, added: readonly SnapshotItem[], changedKnown: ReadonlyMap<number, string>, embeddings: EmbeddingIndex): ItemFeatureStore {
  const n = s.nItems + added.length;
  const price = grow(s.price, n, 0);
  const promoted = grow(s.promoted, n, 0);
  const createdAt = grow(s.createdAt, n, 0);
  const embeddingRow = grow(s.embeddingRow, n, -1);
  added.forEach((it, k) => {
    const i = s.nItems + k;
    price[i] = it.price;
    promoted[i] = it.promoted ? 1 : 0;
    createdAt[i] = it.createdAt;
    const r = rowOf(embeddings, it.id);
    if (r !== undefined && (embeddings.hasImage[r] || embeddings.hasText[r])) embeddingRow[i] = r;
  });
  // Known items re-embedded since the version: their (possibly new) row.
  for (const [i, id] of changedKnown) {
    const r = rowOf(embeddings, id);
    embeddingRow[i] = r !== undefined && (embeddings.hasImage[r] || embeddings.hasText[r]) ? r : -1;
  }
  return {
    ...s,
    nItems: n,
    itemTime: grow(s.itemTime, n * s.bins, 0),
    logCount: grow(s.logCount, n, 0),
    price,
    promoted,
    category: grow(s.category, n, -1),
    createdAt,
    knnIndex: grow(s.knnIndex, n * s.knnK, -1),
    knnSim: grow(s.knnSim, n * s.knnK, 0),
    embeddingRow,
  };
}

/** Neighbour lists with empty rows for appended items (they have no co-occurrence yet). */
function growNeighbours(nb: ItemNeighbours, n: number): ItemNeighbours {
  const indptr = grow(nb.indptr, n + 1, 0);
  indptr.fill(nb.indptr[nb.nItems], nb.nItems + 1);
  return { ...nb, nItems: n, indptr };
}

export interface DeltaOptions {
  /**
   * Collaborative factors for the products the version does not know (row k for `unknown[k]`,
   * `snapshot.factors` wide): the content-to-factor model's prediction. Absent: zero rows.
   */
  factorsFor?: (unknown: readonly Product[]) => Float32Array | undefined;
}

/** Products the version does not know (the ones that need predicted factors). */
export function unknownProducts(snapshot: Pick<ModelSnapshot, 'itemIndex'>, changed: readonly Product[]): Product[] {
  return changed.filter((p) => !snapshot.itemIndex.has(p.id));
}

/** The version with `changed` merged in (see the module comment); the version itself when nothing changed. */
export function withChangedProducts(snapshot: ModelSnapshot, changed: readonly Product[], options: DeltaOptions = {}): ModelSnapshot {
  if (changed.length === 0) return snapshot;
  const latest = new Map<string, Product>();
  for (const p of changed) latest.set(p.id, p); // one row per id
  const products = [...latest.values()];
  const unknown = unknownProducts(snapshot, products);
  const f = snapshot.factors;
  const n0 = snapshot.items.length;
  const n = n0 + unknown.length;
  const items = snapshot.items.slice();
  const changedKnown = new Map<number, string>();
  for (const p of products) {
    const i = snapshot.itemIndex.get(p.id);
    if (i === undefined) continue;
    items[i] = liveItem(p, snapshot.items[i]);
    changedKnown.set(i, p.id);
  }
  const added = unknown.map((p) => liveItem(p));
  items.push(...added);
  const itemIndex = new Map(snapshot.itemIndex);
  added.forEach((it, k) => itemIndex.set(it.id, n0 + k));

  const itemFactors = grow(snapshot.itemFactors, n * f, 0);
  const predicted = unknown.length > 0 ? options.factorsFor?.(unknown) : undefined;
  if (predicted && predicted.length === unknown.length * f && predicted.every(Number.isFinite)) itemFactors.set(predicted, n0 * f);
  const popularity = grow(snapshot.popularity, n, 0);
  const embeddings = mergeEmbeddings(snapshot.embeddings, products);
  const featureStore = snapshot.featureStore?.nItems === n0 ? growFeatureStore(snapshot.featureStore, added, changedKnown, embeddings) : snapshot.featureStore;
  const neighbours = snapshot.neighbours?.nItems === n0 ? growNeighbours(snapshot.neighbours, n) : snapshot.neighbours;
  return {
    ...snapshot,
    items,
    itemIndex,
    itemFactors,
    popularity,
    embeddings,
    featureStore,
    neighbours,
    columns: buildItemColumns(items, popularity),
  };
}
