/**
 * Wiring, in one place: builds the adapters once per container and hands them to handlers.
 * No handler calls `new` on an AWS client.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { config, type Config } from '../config.js';
import type { BusinessRulesStore, CatalogStore, ImageStore, InteractionStore, ModelStore, OnlineMetricsStore, UserStore } from '../core/domain/ports.js';
import { DynamoOnlineMetricsStore } from './dynamo-online-metrics.js';
import { documentClient, s3Client } from './aws-clients.js';
import { DynamoCatalogStore, DynamoInteractionStore, DynamoUserStore } from './dynamo-stores.js';
import { S3ImageStore, S3ModelStore } from './s3-stores.js';
import { S3BusinessRulesStore } from './s3-rules-store.js';
import { ServingModel, type ServingMetrics } from './model-cache.js';
import { LiveCatalog } from './live-catalog.js';
import { predictContentFactorsTs } from './live-catalog.js';
import { getTextEmbedder } from './text-vectors-file.js';
import { readImageModelsManifest } from './image-models-manifest.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';

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
   * Predicts new products' factors with the TS forward pass; the recommend Lambda (which has the
   * ONNX Runtime layer) switches it to `content_model.onnx`.
   */
  live: LiveCatalog;
  /** The snapshot to rank and search now: the live catalog's (`live.get`). */
  snapshot: () => Promise<ModelSnapshot>;
  /** The product-name embedder, built on first use. */
  readonly textEmbedder: TextEmbedder;
  /** Currency of a product saved without one. */
  defaultCurrency: string;
  imageModelsManifest: () => Promise<unknown>;
}

let deps: Deps | undefined;

/** `ModelFallback` (count; the versions as metadata, not dimensions), flushed at once: a fallback is rare and must not wait for a handler's flush. */
function fallbackMetric(): ServingMetrics {
  return {
    fallback(from: string, to: string) {
      const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'GiftRecommender', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gift-recommender' });
      metrics.addMetadata('pointerVersion', from);
      metrics.addMetadata('servingVersion', to);
      metrics.addMetric('ModelFallback', MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    },
  };
}

export function getDeps(): Deps {
  if (deps) return deps;
  const cfg = config();
  const ddb = documentClient();
  const s3 = s3Client();
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gift-recommender' });
  const models = new S3ModelStore(s3, cfg.MODELS_BUCKET, ddb, cfg.MODEL_REGISTRY_TABLE);
  const catalog = new DynamoCatalogStore(ddb, cfg.PRODUCTS_TABLE);
  const serving = new ServingModel(models, cfg.MODEL_POINTER_TTL_MS, logger, fallbackMetric());
  const live = new LiveCatalog(catalog, serving, { ttlMs: cfg.LIVE_CATALOG_TTL_MS, limit: cfg.LIVE_CATALOG_LIMIT, predict: predictContentFactorsTs }, logger);
  deps = {
    config: cfg,
    catalog,
    interactions: new DynamoInteractionStore(ddb, cfg.INTERACTIONS_TABLE, cfg.EVENT_IDS_TABLE),
    users: new DynamoUserStore(ddb, cfg.USERS_TABLE),
    models,
    rules: new S3BusinessRulesStore(s3, cfg.MODELS_BUCKET),
    images: new S3ImageStore(s3, cfg.IMAGES_BUCKET, cfg.PRESIGN_EXPIRES_S),
    logger,
    onlineMetrics: new DynamoOnlineMetricsStore(ddb, cfg.ONLINE_METRICS_TABLE, cfg.IMPRESSION_TTL_DAYS),
    serving,
    live,
    snapshot: () => live.get(),
    get textEmbedder() {
      return getTextEmbedder();
    },
    defaultCurrency: cfg.CURRENCY,
    imageModelsManifest: () => readImageModelsManifest(cfg.MODELS_DIR),
  };
  return deps;
}

/** Drops the cached wiring (tests that restart the embedded servers). */
export function resetDeps(): void {
  deps = undefined;
}
