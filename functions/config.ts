/**
 * Configuration read once per container from the environment and validated with zod:
 * bad config fails the cold start loudly instead of failing requests later.
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
  /** How long serving trusts its read of the products changed since the model version (new products count after at most this). */
  LIVE_CATALOG_TTL_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** Most changed products one read merges into the serving version (newest change first). */
  LIVE_CATALOG_LIMIT: z.coerce.number().int().min(0).max(20_000).default(2000),
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

export type Config = z.infer<typeof ConfigSchema>;

let cached: Config | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse({ ...env, MODELS_DIR: resolveModelsDir(env) });
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/** The container's config, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** For tests and the local runtime, which set the environment after import. */
export function resetConfig(): void {
  cached = undefined;
}
