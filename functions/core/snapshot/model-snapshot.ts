/**
 * A model version: everything `recommend` keeps in memory, trained by the retrain job and stored
 * as immutable bytes (models serialize to bytes; storage is someone else's job).
 * Files: `manifest.json` (params, counts, metrics, sha256 of every other file), `user_factors.f32`,
 * `item_factors.f32`, `users.json`, `items.json`, `popularity.f32`, `embeddings.json`.
 * Optional: `neighbours.bin` (EASE item-to-item weights, when the family is `ease`); for the two-stage ranking, `feature_store.bin` (item features), `scorer.json` (weights)
 * and `scorer.onnx` (the same scorer for onnxruntime); `manifest.ranking` says whether the scorer
 * is used and why. A loader fetches exactly the files listed in `manifest.files`.
 * Loading verifies sizes, checksums and finiteness, so a corrupt version is refused whole.
 */
import { createHash } from 'node:crypto';
import type { AlsParams } from '../factorization/als.js';
import { gramian } from '../factorization/als.js';
import { ArtifactMissing, CorruptArtifact } from '../domain/errors.js';
import { buildEmbeddingIndex, type EmbeddingIndex } from '../content/similarity.js';
import type { Product, ProductStatus } from '../domain/types.js';
import { topK } from '../numeric/topk.js';
import { deserializeFeatureStore, serializeFeatureStore, type ItemFeatureStore } from '../ranking/features.js';
import type { ScorerModel } from '../ranking/scorer.js';
import { groupedItem } from '../ranking/category-prior.js';
import type { ModelStore } from '../domain/ports.js';
import { deserializeNeighbours, serializeNeighbours, type ItemNeighbours } from '../factorization/ease.js';
import type { ModelManifest } from './model-config.js';
import type { RulesRecord } from '../ranking/business-rules.js';
import { isValidContentModel, type ContentModel } from '../content/content-to-cf.js';

/** The slice of a product the ranking needs, kept in memory for the whole catalog. */
export interface SnapshotItem {
  id: string;
  price: number;
  category: string;
  /** The product's `brand` attribute, when it has one (the category prior groups by category and brand). */
  brand?: string;
  promoted: boolean;
  status: ProductStatus;
  countries: string[];
  createdAt: number;
  /** Distinct users who interacted with it in the training data. */
  interactionCount: number;
  /** Time of the last order in the training data (absent: never sold); for the "not sold in N months" prefilter. */
  lastSoldAt?: number;
}

/** The slice of a product the ranking keeps in memory, from the product and its training facts. */
export function snapshotItem(p: Product, interactionCount: number, lastSoldAt = 0): SnapshotItem {
  // The category prior's grouping: training groups the products by the same rule.
  const { brand } = groupedItem(p);
  return {
    id: p.id,
    price: p.price,
    category: p.category,
    ...(brand ? { brand } : {}),
    promoted: p.promoted,
    status: p.status,
    countries: p.countries,
    createdAt: Date.parse(p.createdAt) || 0,
    interactionCount,
    ...(lastSoldAt > 0 ? { lastSoldAt } : {}),
  };
}

export interface SnapshotManifest {
  version: string;
  createdAt: string;
  als: AlsParams;
  /** The collaborative family served and how it was chosen (absent in versions before model selection: ALS). */
  model?: ModelManifest;
  counts: { users: number; items: number; interactions: number };
  /** Training and gate figures (holdout NDCG@10 etc.), as recorded by the retrain job. */
  metrics: Record<string, number | string | boolean | null>;
  gate?: { passed: boolean; reason: string };
  files: Record<string, { bytes: number; sha256: string }>;
  /** Further facts (e.g. the scorer, image models) recorded by the retrain job. */
  extra?: Record<string, unknown>;
  /** The second stage: which order is served and why (the scorer gate's decision and figures). */
  ranking?: RankingManifest;
  /** The business rules this version serves with (absent: none, as in versions before rules). */
  rules?: RulesRecord;
}

/** `manifest.ranking`: what `GET /model` shows about the two-stage ranking. */
export interface RankingManifest {
  /** `two-stage`: candidates re-ordered by the scorer; `als`: ALS order (scorer absent or not promoted). */
  mode: 'two-stage' | 'als';
  reason: string;
  figures?: Record<string, number>;
  features?: string[];
  scorer?: Record<string, unknown>;
}

export interface ModelSnapshot {
  manifest: SnapshotManifest;
  factors: number;
  userIds: string[];
  userIndex: Map<string, number>;
  items: SnapshotItem[];
  itemIndex: Map<string, number>;
  /** nUsers × f and nItems × f, row-major. */
  userFactors: Float32Array;
  itemFactors: Float32Array;
  /** YᵀY, precomputed once per load for fold-in. */
  YtY: Float64Array;
  /** Recency-weighted popularity per item, max-normalised to [0, 1]. */
  popularity: Float32Array;
  /** Per country: item indices by country popularity, best first (cold users with a known country). */
  popularByCountry: Record<string, number[]>;
  /** Image (VAE μ) and name embeddings of the catalog, for content candidates and `similar`. */
  embeddings: EmbeddingIndex;
  /** Item feature store of the second stage (absent in versions trained before it). */
  featureStore?: ItemFeatureStore;
  /** EASE item-to-item weights (`neighbours.bin`), when the version's family is `ease`. */
  neighbours?: ItemNeighbours;
  /** The trained scorer (served only when `manifest.ranking.mode` is `two-stage`). */
  scorer?: ScorerModel;
  /** `scorer.onnx` bytes, for the ONNX Runtime session. */
  scorerOnnx?: Uint8Array;
  /** The content-to-collaborative model (`content_model.json`) and its ONNX export (`content_model.onnx`). */
  contentModel?: ContentModel;
  contentModelOnnx?: Uint8Array;
  /** Item attributes as typed columns, built once per load: the per-request filters read these. */
  columns: ItemColumns;
}

/** Column layout of the per-item facts the hot path reads (one pass per request, no object access). */
export interface ItemColumns {
  ids: string[];
  price: Float64Array;
  /** 1 when status is `active`. */
  active: Uint8Array;
  promoted: Uint8Array;
  /** 1 when the item is sold only in listed countries. */
  restricted: Uint8Array;
  createdAt: Float64Array;
  interactionCount: Int32Array;
  /** Item indices by createdAt, newest first (new arrivals without a full scan). */
  newestFirst: Int32Array;
  /** The 200 most popular items (cold candidates without a per-request top-K). */
  popularTop: number[];
  /** Per country, 1 where the item is sold there; filled on first use by the ranking. */
  countryAllowed: Map<string, Uint8Array>;
}

export function buildItemColumns(items: readonly SnapshotItem[], popularity: Float32Array): ItemColumns {
  const n = items.length;
  const c: ItemColumns = {
    ids: items.map((it) => it.id),
    price: new Float64Array(n),
    active: new Uint8Array(n),
    promoted: new Uint8Array(n),
    restricted: new Uint8Array(n),
    createdAt: new Float64Array(n),
    interactionCount: new Int32Array(n),
    newestFirst: new Int32Array(n),
    popularTop: [],
    countryAllowed: new Map(),
  };
  items.forEach((it, i) => {
    c.price[i] = it.price;
    c.active[i] = it.status === 'active' ? 1 : 0;
    c.promoted[i] = it.promoted ? 1 : 0;
    c.restricted[i] = it.countries.length > 0 ? 1 : 0;
    c.createdAt[i] = it.createdAt;
    c.interactionCount[i] = it.interactionCount;
  });
  c.newestFirst = Int32Array.from(items.keys()).sort((a, b) => c.createdAt[b] - c.createdAt[a] || a - b);
  c.popularTop = Array.from(topK(popularity, 200).indices); // best first, ties by lower index
  return c;
}

export interface SnapshotEmbeddingRow {
  id: string;
  image_embedding?: number[];
  text_embedding?: number[];
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const f32Bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const jsonBytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

export interface SnapshotParts {
  manifest: Omit<SnapshotManifest, 'files'>;
  userIds: string[];
  items: SnapshotItem[];
  userFactors: Float32Array;
  itemFactors: Float32Array;
  popularity: Float32Array;
  popularByCountry: Record<string, number[]>;
  embeddings: SnapshotEmbeddingRow[];
  featureStore?: ItemFeatureStore;
  neighbours?: ItemNeighbours;
  scorer?: ScorerModel;
  contentModel?: ContentModel;
  /** Further files stored as is (e.g. `scorer.onnx`, exported by the retrain adapter). */
  extraFiles?: Record<string, Uint8Array>;
}

/** Serializes a version to named files; the manifest carries every other file's sha256. */
export function serializeSnapshot(parts: SnapshotParts): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {
    'user_factors.f32': f32Bytes(parts.userFactors),
    'item_factors.f32': f32Bytes(parts.itemFactors),
    'users.json': jsonBytes(parts.userIds),
    'items.json': jsonBytes({ items: parts.items, popularByCountry: parts.popularByCountry }),
    'popularity.f32': f32Bytes(parts.popularity),
    'embeddings.json': jsonBytes(parts.embeddings),
    ...(parts.featureStore ? { 'feature_store.bin': serializeFeatureStore(parts.featureStore) } : {}),
    ...(parts.scorer ? { 'scorer.json': jsonBytes(parts.scorer) } : {}),
    ...(parts.neighbours ? { 'neighbours.bin': serializeNeighbours(parts.neighbours) } : {}),
    ...(parts.contentModel ? { 'content_model.json': jsonBytes(parts.contentModel) } : {}),
    ...(parts.extraFiles ?? {}),
  };
  const manifest: SnapshotManifest = {
    ...parts.manifest,
    files: Object.fromEntries(Object.entries(files).map(([n, b]) => [n, { bytes: b.byteLength, sha256: sha256(b) }])),
  };
  return { ...files, 'manifest.json': jsonBytes(manifest) };
}

/** A version's manifest from its bytes (plain JSON: what a malformed one means is the caller's call). */
export function parseManifest(bytes: Uint8Array): SnapshotManifest {
  return JSON.parse(new TextDecoder().decode(bytes)) as SnapshotManifest;
}

/** Reads and parses the manifest of a stored version. */
export async function readManifest(store: Pick<ModelStore, 'getFile'>, version: string): Promise<SnapshotManifest> {
  return parseManifest(await store.getFile(version, 'manifest.json'));
}

export const SNAPSHOT_FILES = ['manifest.json', 'user_factors.f32', 'item_factors.f32', 'users.json', 'items.json', 'popularity.f32', 'embeddings.json'] as const;

function toF32(b: Uint8Array, name: string): Float32Array {
  if (b.byteLength % 4 !== 0) throw new CorruptArtifact(`${name}: ${b.byteLength} bytes is not a float32 array`);
  const copy = new Uint8Array(b); // aligned copy: the source may be a view at any offset
  const out = new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new CorruptArtifact(`${name}: non-finite value at ${i}`);
  return out;
}

function parseJson<T>(b: Uint8Array, name: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(b)) as T;
  } catch (err) {
    throw new CorruptArtifact(`${name}: invalid JSON`, { cause: err });
  }
}

/** Rebuilds a snapshot from its files; throws CorruptArtifact on any mismatch. */
export function deserializeSnapshot(files: Record<string, Uint8Array>): ModelSnapshot {
  for (const name of SNAPSHOT_FILES) if (!files[name]) throw new ArtifactMissing(`model file ${name} is missing`);
  const manifest = parseJson<SnapshotManifest>(files['manifest.json'], 'manifest.json');
  for (const [name, meta] of Object.entries(manifest.files ?? {})) {
    const b = files[name];
    if (!b || b.byteLength !== meta.bytes || sha256(b) !== meta.sha256) throw new CorruptArtifact(`${name}: checksum mismatch`);
  }
  const f = manifest.als?.factors;
  const userIds = parseJson<string[]>(files['users.json'], 'users.json');
  const { items, popularByCountry } = parseJson<{ items: SnapshotItem[]; popularByCountry: Record<string, number[]> }>(files['items.json'], 'items.json');
  const userFactors = toF32(files['user_factors.f32'], 'user_factors.f32');
  const itemFactors = toF32(files['item_factors.f32'], 'item_factors.f32');
  const popularity = toF32(files['popularity.f32'], 'popularity.f32');
  if (!(f >= 1) || userFactors.length !== userIds.length * f || itemFactors.length !== items.length * f || popularity.length !== items.length) {
    throw new CorruptArtifact('factor shapes do not match the id lists');
  }
  const embeddingRows = parseJson<SnapshotEmbeddingRow[]>(files['embeddings.json'], 'embeddings.json');
  let featureStore: ItemFeatureStore | undefined;
  if (files['feature_store.bin']) {
    try {
      featureStore = deserializeFeatureStore(files['feature_store.bin']);
    } catch (err) {
      throw new CorruptArtifact('feature_store.bin: unreadable', { cause: err });
    }
    if (featureStore.nItems !== items.length) throw new CorruptArtifact('feature_store.bin: item count does not match items.json');
  }
  let neighbours: ItemNeighbours | undefined;
  if (files['neighbours.bin']) {
    try {
      neighbours = deserializeNeighbours(files['neighbours.bin']);
    } catch (err) {
      throw new CorruptArtifact('neighbours.bin: unreadable', { cause: err });
    }
    if (neighbours.nItems !== items.length) throw new CorruptArtifact('neighbours.bin: item count does not match items.json');
  }
  if (manifest.model?.family === 'ease' && !neighbours) throw new CorruptArtifact('an EASE version without neighbours.bin');
  const scorer = files['scorer.json'] ? parseJson<ScorerModel>(files['scorer.json'], 'scorer.json') : undefined;
  if (scorer && ![scorer.mean, scorer.std, scorer.W1, scorer.b1, scorer.w2, [scorer.b2]].every((a) => Array.isArray(a) && a.every(Number.isFinite))) {
    throw new CorruptArtifact('scorer.json: non-finite or missing weights');
  }
  const contentModel = files['content_model.json'] ? parseJson<ContentModel>(files['content_model.json'], 'content_model.json') : undefined;
  if (contentModel && (!isValidContentModel(contentModel) || contentModel.factors !== f)) throw new CorruptArtifact('content_model.json: shapes do not match or weights are not finite');
  return {
    featureStore,
    neighbours,
    contentModel,
    contentModelOnnx: files['content_model.onnx'],
    scorer,
    scorerOnnx: files['scorer.onnx'],
    manifest,
    factors: f,
    userIds,
    userIndex: new Map(userIds.map((id, i) => [id, i])),
    items,
    itemIndex: new Map(items.map((it, i) => [it.id, i])),
    userFactors,
    itemFactors,
    YtY: gramian(itemFactors, items.length, f),
    popularity,
    popularByCountry,
    embeddings: buildEmbeddingIndex(embeddingRows),
    columns: buildItemColumns(items, popularity),
  };
}
