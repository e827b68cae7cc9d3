/**
 * EventBridge scheduled retrain (also invokable by hand with any payload). Before training, a
 * fastText `.vec` file uploaded under `content-models/text/incoming/` is checked and, if it passes,
 * becomes the active text model (functions/adapters/content-models.ts); that step never fails the retrain.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { getDeps } from '../adapters/bootstrap.js';
import { adoptIncomingTextVectors } from '../adapters/content-models.js';
import { configureAlsThreads, type AlsParams } from '../core/factorization/als.js';
import { retrainModel, type RetrainOutcome } from './retrain-model.js';

export async function handler(_event?: EventBridgeEvent<'Scheduled Event', unknown>): Promise<RetrainOutcome> {
  const deps = getDeps();
  const c = deps.config;
  try {
    await adoptIncomingTextVectors({
      s3: deps.s3,
      bucket: c.MODELS_BUCKET,
      store: deps.contentModels.text,
      logger: deps.logger,
      limits: { expectedDim: c.TEXT_VECTORS_DIM, minWords: c.TEXT_VECTORS_MIN_WORDS, maxBytes: c.TEXT_VECTORS_MAX_BYTES },
    });
  } catch (err) {
    deps.logger.warn('incoming text vectors could not be checked; they stay for the next run', { error: err instanceof Error ? err.message : String(err) });
  }
  const overrides: Partial<AlsParams> = {
    factors: c.ALS_FACTORS,
    regularization: c.ALS_REGULARIZATION,
    alpha: c.ALS_ALPHA,
    iterations: c.ALS_ITERATIONS,
  };
  const als = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<AlsParams>;
  configureAlsThreads(c.ALS_THREADS);
  // Review texts are embedded by the catalog's text model, the active one (perhaps adopted just now).
  const retrainDeps = { catalog: deps.catalog, interactions: deps.interactions, users: deps.users, models: deps.models, rules: deps.rules, logger: deps.logger, textEmbedder: await deps.activeTextEmbedder() };
  return retrainModel(retrainDeps, { als, keepVersions: c.MODEL_KEEP_VERSIONS, pinnedVersions: c.MODEL_PINNED_VERSIONS, environmentRules: c.BUSINESS_RULES });
}
