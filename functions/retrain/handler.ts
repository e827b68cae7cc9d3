/** EventBridge scheduled retrain (also invokable by hand with any payload). */
import type { EventBridgeEvent } from 'aws-lambda';
import { getDeps } from '../adapters/bootstrap.js';
import { retrainModel, type RetrainOutcome } from './retrain-model.js';

export async function handler(_event?: EventBridgeEvent<'Scheduled Event', unknown>): Promise<RetrainOutcome> {
  return retrainModel(getDeps());
}
