/** EventBridge scheduled retrain (also invokable by hand with any payload). */
import type { EventBridgeEvent } from 'aws-lambda';
import { getDeps } from '../adapters/bootstrap.js';
import { configureAlsThreads, type AlsParams } from '../core/factorization/als.js';
import { retrainModel, type RetrainOutcome } from './retrain-model.js';

export async function handler(_event?: EventBridgeEvent<'Scheduled Event', unknown>): Promise<RetrainOutcome> {
  const deps = getDeps();
  const c = deps.config;
  const overrides: Partial<AlsParams> = {
    factors: c.ALS_FACTORS,
    regularization: c.ALS_REGULARIZATION,
    alpha: c.ALS_ALPHA,
    iterations: c.ALS_ITERATIONS,
  };
  const als = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<AlsParams>;
  configureAlsThreads(c.ALS_THREADS);
  return retrainModel(deps, { als, keepVersions: c.MODEL_KEEP_VERSIONS, pinnedVersions: c.MODEL_PINNED_VERSIONS, environmentRules: c.BUSINESS_RULES });
}
