/**
 * Every port's contract suite (test/support/port-contracts.ts) against the DynamoDB/S3 adapters on
 * dynalite + s3rver through the real SDK, and against the in-memory fakes the use-case tests use.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import type { Deps } from '../../functions/adapters/bootstrap.js';
import {
  catalogStoreContract,
  imageStoreContract,
  interactionStoreContract,
  modelStoreContract,
  onlineMetricsStoreContract,
  userStoreContract,
} from '../support/port-contracts.js';
import {
  InMemoryCatalogStore,
  InMemoryImageStore,
  InMemoryInteractionStore,
  InMemoryModelStore,
  InMemoryOnlineMetricsStore,
  InMemoryUserStore,
} from '../support/in-memory-stores.js';

let aws: LocalAws;
let deps: Deps;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  aws = await startLocalAws();
  deps = (await import('../../functions/adapters/bootstrap.js')).getDeps();
});
afterAll(async () => {
  await aws.stop();
});

catalogStoreContract('DynamoDB (dynalite)', () => deps.catalog);
catalogStoreContract('in memory', () => new InMemoryCatalogStore());
interactionStoreContract('DynamoDB (dynalite)', () => deps.interactions);
interactionStoreContract('in memory', () => new InMemoryInteractionStore());
userStoreContract('DynamoDB (dynalite)', () => deps.users);
userStoreContract('in memory', () => new InMemoryUserStore());
modelStoreContract('S3 + DynamoDB registry (s3rver, dynalite)', () => deps.models);
modelStoreContract('in memory', () => new InMemoryModelStore());
onlineMetricsStoreContract('DynamoDB (dynalite)', () => deps.onlineMetrics);
onlineMetricsStoreContract('in memory', () => new InMemoryOnlineMetricsStore());

imageStoreContract('S3 (s3rver)', () => deps.images, async (key, body) => {
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.config.IMAGES_BUCKET, Key: key, Body: body }));
});
const images = new InMemoryImageStore();
imageStoreContract('in memory', () => images, async (key, body) => void images.objects.set(key, body));
