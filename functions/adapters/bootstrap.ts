/**
 * The container's composition root, the one place adapters are built: SDK clients, stores, the
 * serving model, the live catalog, text and image embedders, the ONNX Runtime kernels and the
 * business metrics — each on first use, from the config, once per container. Handlers call
 * {@link getDeps} inside a route (never at import) and hand what it returns to their use case.
 *
 * ONNX Runtime adapters come in through {@link OnnxAdapters} (functions/adapters/onnx-runtime.ts),
 * passed by the handlers of the containers that carry the onnxruntime-node layer, so the other
 * bundles never import it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { config as containerConfig, type Config } from '../config.js';
import type { BusinessMetrics, BusinessRulesStore, CatalogStore, ImageEmbedder, ImageStore, InteractionStore, ModelStore, OnlineMetricsStore, UserStore } from '../core/domain/ports.js';
import type { RankingOptions } from '../core/ranking/recommend.js';
import { S3BusinessRulesStore } from './s3-rules-store.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { DynamoOnlineMetricsStore } from './dynamo-online-metrics.js';
import { createDocumentClient, createS3Client } from './aws-clients.js';
import { DynamoCatalogStore, DynamoInteractionStore, DynamoUserStore } from './dynamo-stores.js';
import { S3ImageStore, S3ModelStore } from './s3-stores.js';
import { PointerCache, ServingModel } from './model-cache.js';
import { activeTextModel, contentModelLayout, loadImageVersion, VersionedImageEmbedder, type ImageEncoder, type LayerImageModels } from './content-models.js';
import type { ContentModelKind } from '../core/content/content-model-version.js';
import { FULL_READ_MS, LiveCatalog, predictContentFactorsTs, type PredictFactors } from './live-catalog.js';
import { ViewProducts } from '../core/snapshot/view-products.js';
import { createTextEmbedder } from './text-vectors-file.js';
import { readImageModelsManifest } from './image-models-manifest.js';
import { EmfBusinessMetrics, InMemoryBusinessMetrics, type CounterSnapshot } from './business-metrics.js';

/** What a container with the onnxruntime-node layer adds (functions/adapters/onnx-runtime.ts). */
export interface OnnxAdapters {
  scoreAll(intraOpNumThreads: number): NonNullable<RankingOptions['scoreAll']>;
  scoreRows(): NonNullable<RankingOptions['scoreRows']>;
  /** Factors of products the serving version does not know, on `content_model.onnx`. */
  predictContentFactors: PredictFactors;
  /** The layer's image models (backbone + default VAE encoder). */
  imageEmbedder(options: { modelsDir: string; intraOpNumThreads?: number }): LayerImageModels & ImageEmbedder & { readonly info: { backboneVersion?: string }; close?(): Promise<void> };
  /** A VAE encoder from an image-model version's ONNX bytes, checked (CorruptArtifact if it does not run). */
  openImageEncoder(bytes: Uint8Array, embeddingVersion: string, options: { intraOpNumThreads?: number }): Promise<ImageEncoder>;
}

export interface Deps {
  config: Config;
  catalog: CatalogStore;
  interactions: InteractionStore;
  users: UserStore;
  models: ModelStore;
  /** The business rules an admin stored (PUT /config), in the models bucket. */
  rules: BusinessRulesStore;
  images: ImageStore;
  logger: Logger;
  /** The serving model snapshot, reloaded when the pointer moves. */
  serving: ServingModel;
  onlineMetrics: OnlineMetricsStore;
  /**
   * The serving snapshot with the catalog's changes since its version merged in (recommend, similar).
   * New products' factors: `content_model.onnx` on ONNX Runtime in a container that handed in
   * {@link OnnxAdapters}, the TS forward pass elsewhere.
   */
  live: LiveCatalog;
  /** The snapshot to rank and search now: the live catalog's (`live.get`). */
  snapshot: () => Promise<ModelSnapshot>;
  /** Shown products kept until the live catalog sees a change; undefined when `VIEW_PRODUCTS_CACHE_SIZE` or `LIVE_CATALOG_LIMIT` is 0. */
  viewProducts: ViewProducts | undefined;
  /** The layer's product-name embedder (`TEXT_VECTORS_PATH`, else hashed n-grams): what serves while no text version is active. */
  textEmbedder: TextEmbedder;
  /** The active text version's embedder (cached, pointer re-read every `CONTENT_MODEL_TTL_MS`), else {@link Deps.textEmbedder}. */
  activeTextEmbedder: () => Promise<TextEmbedder>;
  /** The image and text models' versions and pointers (functions/adapters/content-models.ts). */
  contentModels: Record<ContentModelKind, S3ModelStore>;
  /**
   * The image embedder: the layer's backbone, then the active image version's VAE encoder (the
   * layer's while none is active); only in a container that handed in {@link OnnxAdapters}.
   */
  imageEmbedder: ImageEmbedder;
  /** The ranking's kernels: ONNX Runtime where handed in, else empty (the core's TS loops). */
  ranking: Partial<Pick<RankingOptions, 'scoreAll' | 'scoreRows'>>;
  /** Business counters (EMF on AWS, in-process counters locally: `METRICS_SINK`). */
  metrics: BusinessMetrics;
  /** The in-process counters GET /metrics shows; undefined when metrics go to CloudWatch. */
  counters: (() => CounterSnapshot) | undefined;
  /** Currency of a product saved without one. */
  defaultCurrency: string;
  imageModelsManifest: () => Promise<unknown>;
  /** The SDK clients (the local runtime uploads its demo photos with the same S3 client). */
  s3: S3Client;
  ddb: DynamoDBDocumentClient;
}

type Factories<T> = { [K in keyof T]: (self: T) => T[K] };

/** An object whose every property is built by its factory on first read, then kept. */
function lazyObject<T extends object>(factories: Factories<T>): T {
  const self = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(self, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = factories[key](self);
        Object.defineProperty(self, key, { value, enumerable: true, writable: false });
        return value;
      },
    });
  }
  return self;
}

/** The image embedder of a container without ONNX Runtime: it refuses every call. */
const NO_IMAGE_EMBEDDER: ImageEmbedder = {
  version: 'none',
  embed: () => Promise.reject(new Error('this container has no ONNX Runtime adapters: its handler must pass onnxAdapters to getDeps')),
};

/**
 * Builds the wiring for `cfg`; nothing is created until a property is read (spreading the object
 * reads them all, which builds clients and stores but opens nothing). The ONNX-backed properties
 * are built once the container's adapters are known, and read as absent until then.
 */
export function buildDeps(cfg: Config, onnx: () => OnnxAdapters | undefined = () => undefined): Deps {
  let kernels: Deps['ranking'] | undefined;
  let imageEmbedder: ImageEmbedder | undefined;
  const deps = lazyObject<Omit<Deps, 'ranking' | 'imageEmbedder'>>({
    config: () => cfg,
    ddb: () => createDocumentClient(),
    s3: () => createS3Client({ customEndpoint: Boolean(cfg.AWS_ENDPOINT_URL_S3) }),
    logger: () => new Logger({ serviceName: cfg.POWERTOOLS_SERVICE_NAME, ...(cfg.POWERTOOLS_LOG_LEVEL ? { logLevel: cfg.POWERTOOLS_LOG_LEVEL } : {}) }),
    models: (d) => new S3ModelStore(d.s3, cfg.MODELS_BUCKET, d.ddb, cfg.MODEL_REGISTRY_TABLE),
    rules: (d) => new S3BusinessRulesStore(d.s3, cfg.MODELS_BUCKET),
    catalog: (d) => new DynamoCatalogStore(d.ddb, cfg.PRODUCTS_TABLE),
    interactions: (d) => new DynamoInteractionStore(d.ddb, cfg.INTERACTIONS_TABLE, cfg.EVENT_IDS_TABLE),
    users: (d) => new DynamoUserStore(d.ddb, cfg.USERS_TABLE),
    images: (d) => new S3ImageStore(d.s3, cfg.IMAGES_BUCKET, cfg.PRESIGN_EXPIRES_S),
    onlineMetrics: (d) => new DynamoOnlineMetricsStore(d.ddb, cfg.ONLINE_METRICS_TABLE, cfg.IMPRESSION_TTL_DAYS),
    metrics: () =>
      cfg.METRICS_SINK === 'emf'
        ? new EmfBusinessMetrics(new Metrics({ namespace: cfg.POWERTOOLS_METRICS_NAMESPACE, serviceName: cfg.POWERTOOLS_SERVICE_NAME }))
        : new InMemoryBusinessMetrics(),
    counters: (d) => (d.metrics instanceof InMemoryBusinessMetrics ? () => (d.metrics as InMemoryBusinessMetrics).snapshot() : undefined),
    serving: (d) =>
      new ServingModel(d.models, cfg.MODEL_POINTER_TTL_MS, d.logger, {
        fallback: (from, to) => d.metrics.count('ModelFallback', 1, undefined, { pointerVersion: from, servingVersion: to }),
      }),
    live: (d) => new LiveCatalog(d.catalog, d.serving, { ttlMs: cfg.LIVE_CATALOG_TTL_MS, minFullReadMs: cfg.LIVE_CATALOG_REBUILD_MS, limit: cfg.LIVE_CATALOG_LIMIT, predict: onnx()?.predictContentFactors ?? predictContentFactorsTs }, d.logger),
    snapshot: (d) => () => d.live.get(),
    viewProducts: (d) =>
      cfg.VIEW_PRODUCTS_CACHE_SIZE > 0 && cfg.LIVE_CATALOG_LIMIT > 0
        ? new ViewProducts((ids) => d.catalog.batchGetPublic(ids), { generation: () => d.live.generation, maxEntries: cfg.VIEW_PRODUCTS_CACHE_SIZE, maxAgeMs: FULL_READ_MS })
        : undefined,
    textEmbedder: () => createTextEmbedder(cfg.TEXT_VECTORS_PATH),
    contentModels: (d) => ({
      image: new S3ModelStore(d.s3, cfg.MODELS_BUCKET, d.ddb, cfg.MODEL_REGISTRY_TABLE, contentModelLayout('image')),
      text: new S3ModelStore(d.s3, cfg.MODELS_BUCKET, d.ddb, cfg.MODEL_REGISTRY_TABLE, contentModelLayout('text')),
    }),
    activeTextEmbedder: (d) => activeTextModel(d.contentModels.text, cfg.CONTENT_MODEL_TTL_MS, d.logger, () => d.textEmbedder),
    defaultCurrency: () => cfg.CURRENCY,
    imageModelsManifest: () => () => readImageModelsManifest(cfg.MODELS_DIR),
  });
  return Object.defineProperties(deps as Deps, {
    ranking: {
      enumerable: true,
      get: () => {
        const adapters = onnx();
        return adapters ? (kernels ??= { scoreAll: adapters.scoreAll(cfg.ORT_SCORE_THREADS), scoreRows: adapters.scoreRows() }) : {};
      },
    },
    imageEmbedder: {
      enumerable: true,
      get: () => {
        const adapters = onnx();
        if (!adapters) return NO_IMAGE_EMBEDDER;
        if (imageEmbedder) return imageEmbedder;
        const layer = adapters.imageEmbedder({ modelsDir: cfg.MODELS_DIR, intraOpNumThreads: cfg.ORT_INTRA_OP_THREADS });
        const store = deps.contentModels.image;
        const cache = new PointerCache<ImageEncoder>(store, cfg.CONTENT_MODEL_TTL_MS, deps.logger, {
          label: 'image model',
          load: (version) =>
            loadImageVersion(store, version, (bytes, embeddingVersion) => adapters.openImageEncoder(bytes, embeddingVersion, { intraOpNumThreads: cfg.ORT_INTRA_OP_THREADS }), layer.info.backboneVersion),
          describe: (e) => ({ embedding_version: e.version }),
        });
        return (imageEmbedder = new VersionedImageEmbedder(layer, async () => (await cache.get())?.value));
      },
    },
  });
}

let deps: Deps | undefined;
let onnxAdapters: OnnxAdapters | undefined;

/**
 * The container's wiring, built on the first call from the container's config. A handler whose
 * container carries the onnxruntime-node layer passes `onnx` (the first such call registers it,
 * before anything that uses it is built).
 */
export function getDeps(onnx?: OnnxAdapters): Deps {
  if (onnx && !onnxAdapters) {
    onnxAdapters = onnx;
    // The live catalog may exist already (another route of a shared process read it first).
    if (deps && Object.getOwnPropertyDescriptor(deps, 'live')?.value) deps.live.usePredictor(onnx.predictContentFactors);
  }
  deps ??= buildDeps(containerConfig(), () => onnxAdapters);
  return deps;
}

/** Drops the container's wiring (tests that restart the embedded servers), closing its SDK clients. */
export function resetDeps(): void {
  if (deps) {
    for (const key of ['ddb', 's3'] as const) (Object.getOwnPropertyDescriptor(deps, key)?.value as { destroy(): void } | undefined)?.destroy();
  }
  deps = undefined;
  onnxAdapters = undefined;
}
