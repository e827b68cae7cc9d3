/**
 * Wiring, in one place: builds the adapters once per container and hands them to handlers.
 * No handler calls `new` on an AWS client.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { config, type Config } from '../config.js';
import type { CatalogStore, ImageStore, InteractionStore, ModelStore, UserStore } from '../core/domain/ports.js';
import { documentClient, s3Client } from './aws-clients.js';
import { DynamoCatalogStore, DynamoInteractionStore, DynamoUserStore } from './dynamo-stores.js';
import { S3ImageStore, S3ModelStore } from './s3-stores.js';
import { ServingModel } from './model-cache.js';

export interface Deps {
  config: Config;
  catalog: CatalogStore;
  interactions: InteractionStore;
  users: UserStore;
  models: ModelStore;
  images: ImageStore;
  logger: Logger;
  /** The serving model snapshot, reloaded when the pointer moves. */
  serving: ServingModel;
}

let deps: Deps | undefined;

export function getDeps(): Deps {
  if (deps) return deps;
  const cfg = config();
  const ddb = documentClient();
  const s3 = s3Client();
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'gift-recommender' });
  const models = new S3ModelStore(s3, cfg.MODELS_BUCKET, ddb, cfg.MODEL_REGISTRY_TABLE);
  deps = {
    config: cfg,
    catalog: new DynamoCatalogStore(ddb, cfg.PRODUCTS_TABLE),
    interactions: new DynamoInteractionStore(ddb, cfg.INTERACTIONS_TABLE, cfg.EVENT_IDS_TABLE),
    users: new DynamoUserStore(ddb, cfg.USERS_TABLE),
    models,
    images: new S3ImageStore(s3, cfg.IMAGES_BUCKET, cfg.PRESIGN_EXPIRES_S),
    logger,
    serving: new ServingModel(models, cfg.MODEL_POINTER_TTL_MS, logger),
  };
  return deps;
}

/** Drops the cached wiring (tests that restart the embedded servers). */
export function resetDeps(): void {
  deps = undefined;
}
