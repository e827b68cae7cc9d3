/**
 * `npm run retrain -- --export DIR|s3://bucket/prefix/ [--threads N] [--version V] [--now ISO] [--data-dir .data]`
 *
 * The retrain from a DynamoDB table export instead of table scans: the same use case as the
 * scheduled Lambda (retrainModel: train, gate, write the version, swap the pointer), fed by the
 * interactions, products and users exports under the given prefix (functions/adapters/dynamodb-export.ts).
 * The retrain container (Dockerfile, lib/fargate-retrain.ts) runs this with an s3:// prefix.
 *
 * Model store: the deployment's (MODELS_BUCKET, MODEL_REGISTRY_TABLE through the SDK) when an AWS
 * endpoint is configured or in a container; otherwise the local runtime's embedded storage under
 * --data-dir (DATA_DIR, default .data), so `npm start` serves the new version afterwards.
 */
import path from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { progressBar } from './progress.js';
import { openStorage } from './storage.js';
import { config } from '../functions/config.js';
import { createDocumentClient, createS3Client } from '../functions/adapters/aws-clients.js';
import { S3ModelStore } from '../functions/adapters/s3-stores.js';
import { S3BusinessRulesStore } from '../functions/adapters/s3-rules-store.js';
import { activeTextModel, adoptIncomingTextVectors, contentModelLayout } from '../functions/adapters/content-models.js';
import { directoryExportSource, exportStores, parseS3Uri, s3ExportSource } from '../functions/adapters/dynamodb-export.js';
import { configureAlsThreads } from '../functions/core/factorization/als.js';
import { retrainModel, type RetrainOutcome } from '../functions/retrain/retrain-model.js';
import { createTextEmbedder } from '../functions/adapters/text-vectors-file.js';

const USAGE = 'usage: npm run retrain -- --export DIR|s3://bucket/prefix/ [--threads N] [--version V] [--now ISO-8601] [--data-dir DIR]';

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(`--${name}`);
  if (k < 0) return undefined;
  const v = process.argv[k + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value\n${USAGE}`);
  return v;
}

export async function main(): Promise<RetrainOutcome> {
  const exportArg = arg('export') ?? process.env.RETRAIN_EXPORT;
  if (!exportArg) throw new Error(`--export is required\n${USAGE}`);
  const threads = arg('threads') ?? process.env.ALS_THREADS;
  if (threads !== undefined) configureAlsThreads(Number(threads));
  const nowArg = arg('now');
  const now = nowArg ? Date.parse(nowArg) : undefined;
  if (now !== undefined && Number.isNaN(now)) throw new Error(`--now ${nowArg} is not a date\n${USAGE}`);

  const storage = await openStorage(arg('data-dir'));
  try {
    const cfg = config();
    const s3 = createS3Client({ customEndpoint: Boolean(cfg.AWS_ENDPOINT_URL_S3) });
    const s3Uri = parseS3Uri(exportArg);
    const source = s3Uri ? s3ExportSource(s3, s3Uri.bucket, s3Uri.prefix) : directoryExportSource(path.resolve(exportArg));
    const stores = await exportStores(source, { interactions: cfg.INTERACTIONS_TABLE, products: cfg.PRODUCTS_TABLE, users: cfg.USERS_TABLE });
    const logger = new Logger({ serviceName: 'gift-recommender-retrain', logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'WARN' });
    console.error(`reading ${source.description}: interactions ${stores.tables.interactions.join(', ') || '(none)'}, products ${stores.tables.products.join(', ') || '(none)'}, users ${stores.tables.users.join(', ') || '(none)'}`);

    // As the retrain Lambda does: uploaded text vectors are checked first (never failing the retrain).
    const ddb = createDocumentClient();
    const textStore = new S3ModelStore(s3, cfg.MODELS_BUCKET, ddb, cfg.MODEL_REGISTRY_TABLE, contentModelLayout('text'));
    try {
      await adoptIncomingTextVectors({
        s3,
        bucket: cfg.MODELS_BUCKET,
        store: textStore,
        logger,
        limits: { expectedDim: cfg.TEXT_VECTORS_DIM, minWords: cfg.TEXT_VECTORS_MIN_WORDS, maxBytes: cfg.TEXT_VECTORS_MAX_BYTES },
      });
    } catch (err) {
      logger.warn('incoming text vectors could not be checked; they stay for the next run', { error: err instanceof Error ? err.message : String(err) });
    }

    const bar = progressBar('export [{bar}] {value} items read | {duration_formatted}', { notTTYScheduleMs: 10_000 });
    bar.start(0, 0);
    let read = 0;
    const counted = <T>(scan: () => AsyncIterable<T>) => ({
      async *scanAll(): AsyncIterable<T> {
        for await (const x of scan()) {
          if (++read % 10_000 === 0) bar.update(read);
          yield x;
        }
      },
    });
    const outcome = await retrainModel(
      {
        interactions: counted(() => stores.interactions.scanAll()),
        catalog: counted(() => stores.catalog.scanAll()),
        users: counted(() => stores.users.scanAll()),
        models: new S3ModelStore(s3, cfg.MODELS_BUCKET, ddb, cfg.MODEL_REGISTRY_TABLE),
        rules: new S3BusinessRulesStore(s3, cfg.MODELS_BUCKET),
        // The catalog's text model, as the Lambda's: the active version, else the layer's.
        textEmbedder: await activeTextModel(textStore, 0, logger, () => createTextEmbedder(cfg.TEXT_VECTORS_PATH))(),
        logger,
      },
      { now, version: arg('version'), environmentRules: cfg.BUSINESS_RULES },
    );
    bar.update(read);
    bar.stop();
    console.log(JSON.stringify(outcome));
    return outcome;
  } finally {
    await storage.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') === path.resolve(import.meta.dirname ?? '.', 'retrain').replace(/\.[cm]?[jt]s$/, '')) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
