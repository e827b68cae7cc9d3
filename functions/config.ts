/**
 * Configuration read once per container from the environment and validated with zod:
 * bad config fails the cold start loudly (naming the variable) instead of failing requests later.
 * This is the only module of functions/ that reads `process.env`; everything else is handed a
 * {@link Config} (functions/adapters/bootstrap.ts builds the adapters from it).
 */
import { z } from 'zod';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { BusinessRulesSchema } from './core/ranking/business-rules.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The ONNX models dir: env `MODELS_DIR`; else `/opt/models` inside Lambda (the layer); else
 * `<repo>/models/artifacts`. The one rule, used by the config and by the image embedder.
 */
export function resolveModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MODELS_DIR) return path.resolve(env.MODELS_DIR);
  if (env.AWS_LAMBDA_FUNCTION_NAME) return '/opt/models';
  return path.join(repoRoot, 'models', 'artifacts');
}

const ConfigSchema = z.object({
  PRODUCTS_TABLE: z.string().min(1).default('gift-products'),
  INTERACTIONS_TABLE: z.string().min(1).default('gift-interactions'),
  /** One claim per eventId: what makes an eventId one event globally (the interactions table is keyed by user). */
  EVENT_IDS_TABLE: z.string().min(1).default('gift-event-ids'),
  /** Impressions and online-metrics counters (items expire through the `expiresAt` TTL attribute). */
  ONLINE_METRICS_TABLE: z.string().min(1).default('gift-online-metrics'),
  /** Share of recommendation responses whose impressions are recorded (rates are estimated on them). */
  IMPRESSION_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1),
  /** How long after an impression a view/cart/wishlist/order counts as following from it. */
  ATTRIBUTION_WINDOW_HOURS: z.coerce.number().min(1).max(24 * 30).default(72),
  /** Impressions and counters are kept this long (DynamoDB TTL), which bounds their storage. */
  IMPRESSION_TTL_DAYS: z.coerce.number().int().min(1).max(400).default(30),
  USERS_TABLE: z.string().min(1).default('gift-users'),
  MODEL_REGISTRY_TABLE: z.string().min(1).default('gift-model-registry'),
  IMAGES_BUCKET: z.string().min(1).default('gift-images'),
  MODELS_BUCKET: z.string().min(1).default('gift-models'),
  /** Directory holding the ONNX artifacts (see {@link resolveModelsDir}; loadConfig fills it in). */
  MODELS_DIR: z.string().min(1),
  CURRENCY: z.string().length(3).default('EUR'),
  /** How long a container trusts its cached model pointer before re-reading it. */
  MODEL_POINTER_TTL_MS: z.coerce.number().int().min(0).default(5000),
  /**
   * How long a container trusts its read of the catalog's newest change (one item). 0: every
   * recommend/similar request reads it, so a product written or deleted counts in the next response.
   */
  LIVE_CATALOG_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** Least time between two full reads of the changed products (a change is merged into the ranking's view after at most this). */
  LIVE_CATALOG_REBUILD_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** Most changed products one read merges into the serving version (newest change first). */
  LIVE_CATALOG_LIMIT: z.coerce.number().int().min(0).max(20_000).default(2000),
  /**
   * Shown products a container keeps between catalog changes (0 = read them on every request).
   * Only with LIVE_CATALOG_LIMIT > 0: the live catalog's reads are what tell a change happened.
   */
  VIEW_PRODUCTS_CACHE_SIZE: z.coerce.number().int().min(0).max(200_000).default(20_000),
  /** Share of the returned slots reserved for new arrivals (reason `new_arrival`), 0 = no exploration. */
  EXPLORATION_SHARE: z.coerce.number().min(0).max(1).default(0.1),
  /** Age cut-off of a new arrival, days since the product was created. */
  NEW_ARRIVAL_DAYS: z.coerce.number().min(0).max(365).default(14),
  /** Events fetched per user for fold-in and owned-item exclusion. */
  USER_HISTORY_LIMIT: z.coerce.number().int().min(1).max(5000).default(500),
  /**
   * `jwt` (AWS): API Gateway verified the token, the handlers apply functions/http/auth.ts to its
   * claims. `local`: the same, the local gateway verifying tokens of the local issuer. `none`: no
   * auth (the local runtime's default only).
   */
  AUTH: z.enum(['none', 'jwt', 'local']).default('jwt'),
  ADMIN_SCOPE: z.string().min(1).default('gift-recommender/admin'),
  SERVICE_SCOPE: z.string().min(1).default('gift-recommender/service'),
  PRESIGN_EXPIRES_S: z.coerce.number().int().min(60).max(604800).default(900),
  /** Retention: complete model versions kept besides the pointer's chain and the pinned ones. */
  MODEL_KEEP_VERSIONS: z.coerce.number().int().min(1).max(1000).default(10),
  /** Versions retention never deletes (comma-separated), e.g. one kept for a rollback drill. */
  MODEL_PINNED_VERSIONS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean)),
  /** Per-deployment overrides of the tuned ALS defaults (functions/core/factorization/als.ts, docs/tuning.md). */
  ALS_FACTORS: z.coerce.number().int().min(1).max(512).optional(),
  ALS_REGULARIZATION: z.coerce.number().min(0).optional(),
  ALS_ALPHA: z.coerce.number().min(0).optional(),
  ALS_ITERATIONS: z.coerce.number().int().min(1).max(100).optional(),
  /** Threads for the retrain's ALS (default: os.availableParallelism(); results do not depend on it). */
  ALS_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /**
   * ONNX Runtime intra-op threads of the whole-catalog scoring MatMul. 1: with concurrent requests
   * (and on a 1-vCPU Lambda) one thread per run wastes nothing on synchronisation.
   */
  ORT_SCORE_THREADS: z.coerce.number().int().min(1).max(64).default(1),
  /** ONNX Runtime intra-op threads of the image models; unset = ONNX Runtime's default (all cores). */
  ORT_INTRA_OP_THREADS: z.coerce.number().int().min(1).max(64).optional(),
  /** A fastText text `.vec` file for product-name embeddings; unset = the hashed n-gram embedder. */
  TEXT_VECTORS_PATH: z.string().min(1).optional(),
  /**
   * How long a container trusts its read of the image and text models' pointers (`content-image`,
   * `content-text` in the model registry) before re-reading them: a newly activated version serves after at most this.
   */
  CONTENT_MODEL_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** The dimension a `.vec` file uploaded as the next text model must have (fastText's published vectors: 300). */
  TEXT_VECTORS_DIM: z.coerce.number().int().min(1).max(4096).default(300),
  /** The smallest vocabulary an uploaded `.vec` file may have. */
  TEXT_VECTORS_MIN_WORDS: z.coerce.number().int().min(1).default(1000),
  /** The largest `.vec` file accepted (it is held in memory by the catalog and embed-image containers). */
  TEXT_VECTORS_MAX_BYTES: z.coerce.number().int().min(1).default(128 * 1024 * 1024),
  /** Powertools' service name (logs and metrics) and the CloudWatch namespace of the business metrics. */
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('gift-recommender'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('GiftRecommender'),
  /** Powertools' log level (any case). Unset: Powertools' own default (INFO). */
  POWERTOOLS_LOG_LEVEL: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']))
    .optional(),
  /**
   * Where business metrics go: `emf` (CloudWatch embedded metric format on stdout, the Lambda default)
   * or `memory` (counters kept in the process and shown by GET /metrics, the local default).
   */
  METRICS_SINK: z.enum(['emf', 'memory']).optional(),
  /** Set inside Lambda: picks the models dir and the metrics sink. */
  AWS_LAMBDA_FUNCTION_NAME: z.string().min(1).optional(),
  /** A custom S3 endpoint (s3rver locally) needs path-style addressing. */
  AWS_ENDPOINT_URL_S3: z.string().min(1).optional(),
  /**
   * This deployment's business rules, a JSON object (README › Business rules; absent fields are off).
   * An admin's `PUT /config` takes precedence; the retrain records whichever it used in the manifest.
   */
  BUSINESS_RULES: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s?.trim()) return undefined;
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"minPrice":5}' });
        return z.NEVER;
      }
    })
    .pipe(BusinessRulesSchema.optional()),
});

export type Config = z.infer<typeof ConfigSchema> & { METRICS_SINK: 'emf' | 'memory' };

let cached: Config | undefined;

/** Raised at init for a variable that does not parse; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse({ ...env, MODELS_DIR: resolveModelsDir(env) });
  if (!parsed.success) {
    const variables = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    throw new ConfigError(`Invalid configuration (${variables.join(', ')}): ${z.prettifyError(parsed.error)}`, variables);
  }
  const c = parsed.data;
  return { ...c, METRICS_SINK: c.METRICS_SINK ?? (c.AWS_LAMBDA_FUNCTION_NAME ? 'emf' : 'memory') };
}

/** The container's config, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/**
 * Makes `next` the container's config (the local runtime and tests hand theirs in instead of
 * writing `process.env`); undefined forgets it, so the next {@link config} call reads the environment.
 */
export function useConfig(next?: Config): void {
  cached = next;
}

/** For tests that change the environment: the next {@link config} call reads it again. */
export function resetConfig(): void {
  cached = undefined;
}
