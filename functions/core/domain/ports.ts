/**
 * What the core needs from the outside world. Adapters in functions/adapters/ implement these
 * with the AWS SDK (DynamoDB, S3) and ONNX Runtime; functions/adapters/bootstrap.ts builds them
 * once per container and hands them to the handlers.
 */
import type { FunnelEventType, InteractionEvent, Product, ProductStatus, UserProfile } from './types.js';
import type { CounterRow, Impression } from './online-metrics.js';
import type { PublicProduct } from './product-view.js';
import type { BusinessRules, StoredBusinessRules } from '../ranking/business-rules.js';

export interface CatalogStore {
  get(id: string): Promise<Product | undefined>;
  /** Missing ids are skipped; order of the result is unspecified. */
  batchGet(ids: readonly string[]): Promise<Product[]>;
  /**
   * batchGet without the embedding vectors, for answers that show products: a 1280-number image
   * vector is most of an item's bytes, and reading and decoding it was most of a recommend
   * request's DynamoDB cost.
   */
  batchGetPublic(ids: readonly string[]): Promise<PublicProduct[]>;
  put(product: Product): Promise<void>;
  /**
   * Sets the embeddings of a product that exists, atomically (conditional update), and with
   * `images` its image list too, only if the product was not replaced since it was read.
   * Throws NotFound when the product does not exist, ConflictError when it was replaced.
   */
  setEmbeddings(id: string, update: EmbeddingUpdate): Promise<void>;
  /** Every product, page by page (retrain, local tooling). */
  scanAll(): AsyncIterable<Product>;
  /**
   * One page of the catalog in storage order, optionally filtered. A page may hold fewer than
   * `limit` items even when more follow: continue while `cursor` is returned.
   * Throws InvalidInput for a cursor this store did not issue.
   */
  list(query: ProductListQuery): Promise<{ items: Product[]; cursor?: string }>;
  /** Marks a product deleted (status `deleted`, `deletedAt`); throws NotFound when it does not exist. */
  softDelete(id: string, at: string): Promise<Product>;
  /**
   * Products written (put) or embedded (setEmbeddings) at or after `sinceMs`, newest change first,
   * at most `limit`: what serving merges into the model version it has.
   */
  listChangedSince(sinceMs: number, limit: number): Promise<Product[]>;
  /**
   * The newest change at or after `sinceMs` (which product, when), or undefined when none: one
   * item read, so a reader can tell "nothing changed since my last listChangedSince" cheaply.
   */
  newestChangeSince(sinceMs: number): Promise<ChangeStamp | undefined>;
}

/** When a product was last written or embedded, as the store stamped it (epoch ms). */
export interface ChangeStamp {
  id: string;
  changedAt: number;
}

export interface EmbeddingUpdate {
  image_embedding?: number[];
  text_embedding?: number[];
  embedding_version: string;
  /** An accepted upload becomes the main image: the new list, written only if the product's `updatedAt` is still this one. */
  images?: { next: string[]; ifUpdatedAt: string };
}

export interface ProductListQuery {
  limit: number;
  cursor?: string;
  category?: string;
  /** Default: every status except `deleted`. */
  status?: ProductStatus;
}

export interface InteractionStore {
  /**
   * Writes events credited to their user (receiver for gift orders), idempotent by eventId:
   * an event already stored is counted in `duplicates`, not written twice.
   */
  putEvents(events: readonly InteractionEvent[]): Promise<{ accepted: number; duplicates: number }>;
  /** Events credited to one user, newest first, at most `limit`. */
  listForUser(userId: string, limit?: number): Promise<InteractionEvent[]>;
  countForUser(userId: string): Promise<number>;
  scanAll(): AsyncIterable<InteractionEvent>;
}

export interface UserStore {
  get(id: string): Promise<UserProfile | undefined>;
  put(user: UserProfile): Promise<void>;
  scanAll(): AsyncIterable<UserProfile>;
}

/** The serving pointer: the version to serve and the versions it named before. */
export interface ModelPointer {
  version: string;
  previous?: string;
  /** Versions the pointer named before, newest first (bounded): the cold-start fallback chain. */
  history?: string[];
  updatedAt: string;
}

export interface StoredVersion {
  version: string;
  /** `manifest.json` present (written last, so: the version is whole). */
  complete: boolean;
  /** Epoch ms of its newest file. */
  lastModified: number;
}

/** Immutable model versions (bytes) plus the serving pointer. */
export interface ModelStore {
  /**
   * Writes every file of a version, `manifest.json` last: a version without a manifest is one whose
   * writer died (half-written). Must complete before the pointer may point at it.
   */
  putVersion(version: string, files: Record<string, Uint8Array>): Promise<void>;
  /** Every stored version: whether its manifest exists, and when it was last written to. */
  listVersions(): Promise<StoredVersion[]>;
  /** Deletes every file of a version (retention; never the pointer's). */
  deleteVersion(version: string): Promise<void>;
  getFile(version: string, name: string): Promise<Uint8Array>;
  /** The serving version, or undefined before the first successful retrain. */
  readPointer(): Promise<ModelPointer | undefined>;
  /**
   * Conditional swap: succeeds only if the pointer still names `expected` (undefined = no pointer
   * yet). The replaced version heads the pointer's `history`.
   */
  swapPointer(expected: string | undefined, next: string): Promise<void>;
}

/** Image bytes → embedding vectors (EfficientNet-B0 features → VAE μ). */
export interface ImageEmbedder {
  /** Features, VAE μ, and the version (backbone + VAE) that made them: stored in the product's embedding_version. */
  embed(image: Uint8Array): Promise<{ features: Float32Array; mu: Float32Array; version: string }>;
  /** Identifies the backbone + VAE pair of the last embedding (the models' own before the first). */
  readonly version: string;
  /** The version the next embedding will carry (the active image model's), where versions can change. */
  activeVersion?(): Promise<string>;
}

/** A browser-style upload: POST `url` as multipart/form-data with `fields` first, the file (field `file`) last. */
export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
}

/** Images bucket access the catalog routes and the embed handler need. */
export interface ImageStore {
  /**
   * A presigned POST whose policy allows exactly this key, this content type and 1…`maxBytes`
   * bytes, for a short time: the bucket itself refuses anything else.
   */
  presignUpload(key: string, contentType: string, maxBytes: number): Promise<PresignedUpload>;
  /** Removes an object (a rejected upload); no error when it is already gone. */
  deleteObject(key: string): Promise<void>;
  presignDownload(key: string): Promise<string>;
  getObject(key: string): Promise<{ bytes: Uint8Array; size: number }>;
}

/** Impressions and attribution counters of the online metrics (functions/core/domain/online-metrics.ts). */
export interface OnlineMetricsStore {
  /** Stores a (sampled) impression and adds its counters to its day and model version. */
  recordImpression(impression: Impression): Promise<void>;
  /**
   * Replaces a recorded impression by what the response finally showed (same id, day and version),
   * moving its counters by the difference; `next` undefined withdraws it (the response showed nothing).
   */
  replaceImpression(previous: Impression, next: Impression | undefined): Promise<void>;
  getImpression(recommendationId: string): Promise<Impression | undefined>;
  /** Adds an attribution's counters once per (recommendation, product, type); false when already counted. */
  recordAttribution(impression: Impression, productId: string, type: FunnelEventType, reasons: readonly string[]): Promise<boolean>;
  /** Counter rows of the given UTC days. */
  readCounters(days: readonly string[]): Promise<CounterRow[]>;
}

/**
 * Business counters the use cases report (CloudWatch EMF on AWS, GET /metrics locally), with the one
 * dimension each may be split by. The CloudWatch dashboard (lib/operations-dashboard.ts) is drawn
 * from this table, so a counter added here shows up there with the dimensions it is emitted with.
 */
export const BUSINESS_METRICS = {
  RecommendationsServed: { description: 'recommendation responses answered' },
  ColdStartAnswers: { description: 'answers without personal signal (no history, no factors): popularity and content only' },
  PromotedShortfall: { description: 'promoted items asked for (min_promoted) that the eligible catalog could not supply; the value is how many' },
  ModelFallback: { description: 'a cold container served an earlier model version because the pointer\'s was refused' },
  EmbedRejected: { description: 'uploaded images that were not embedded', dimension: 'reason' },
  RecommendationImpressions: { description: 'sampled recommendation responses recorded as impressions (online metrics)' },
  AttributedEvents: { description: 'events that cite a shown recommendation within the attribution window', dimension: 'eventType' },
} as const satisfies Record<string, { description: string; dimension?: string }>;

export type BusinessMetricName = keyof typeof BUSINESS_METRICS;

export interface BusinessMetrics {
  /**
   * Adds `value` (default 1) to a counter. `dimensionValue` splits a counter that has a dimension in
   * {@link BUSINESS_METRICS} (its name comes from there, so every caller emits the same one);
   * `metadata` travels with the data point without splitting it.
   */
  count(name: BusinessMetricName, value?: number, dimensionValue?: string, metadata?: Record<string, string>): void;
}

/** Totals of the business counters one process has counted (what GET /metrics shows locally). */
export interface CounterSnapshot {
  /** When this process started counting (ISO 8601). */
  since: string;
  /** Counter → total; a dimensioned counter is keyed `Name{dimension=value}`. */
  values: Record<string, number>;
}

/** The business rules an admin stored (`PUT /config`), kept beside the model versions. */
export interface BusinessRulesStore {
  /** Undefined when none were stored; a stored set that no longer validates is an error, not "none". */
  read(): Promise<StoredBusinessRules | undefined>;
  write(rules: BusinessRules, updatedBy?: string): Promise<StoredBusinessRules>;
}
