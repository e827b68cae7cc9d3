/**
 * `embed-image` Lambda: S3 `ObjectCreated:*` under `images/` → {@link embedProductImage} for every
 * record. A bad object is logged and skipped (never thrown: S3's async invocation would retry it
 * for nothing); an infrastructure failure on any record is rethrown after all records were tried,
 * so the async retry and the failure destination (lib/image-embedding.ts) get it.
 */
import type { S3Event } from 'aws-lambda';
import { getDeps, type Deps } from '../adapters/bootstrap.js';
import { onnxAdapters } from '../adapters/onnx-runtime.js';
import { embedProductImage, type EmbedDeps, type EmbedOutcome } from './embed-product-image.js';
import { decodeS3Key } from './s3-event.js';

/** What happened to each ObjectCreated record (other event types are ignored). */
export interface EmbedImageResult {
  outcomes: EmbedOutcome[];
}

/** The embedding use case's dependencies (this Lambda, `npm run reembed`, the local jobs process). */
export async function embedDepsOf(deps: Deps): Promise<EmbedDeps> {
  return {
    catalog: deps.catalog,
    images: deps.images,
    imageEmbedder: deps.imageEmbedder,
    // The active text version, read once per call (its pointer is cached per container).
    textEmbedder: await deps.activeTextEmbedder(),
    logger: deps.logger,
    metrics: deps.metrics,
    imagesBucket: deps.config.IMAGES_BUCKET,
  };
}

export async function handler(event: S3Event): Promise<EmbedImageResult> {
  const deps = getDeps(onnxAdapters);
  const useCaseDeps = await embedDepsOf(deps);
  const outcomes: EmbedOutcome[] = [];
  const errors: unknown[] = [];
  for (const record of event.Records ?? []) {
    if (!record.eventName?.startsWith('ObjectCreated')) continue;
    const object = { bucket: record.s3.bucket.name, key: decodeS3Key(record.s3.object.key), size: record.s3.object.size };
    try {
      outcomes.push(await embedProductImage(useCaseDeps, object));
    } catch (err) {
      deps.logger.error(`embed-image failed on ${object.key}`, { key: object.key, error: err as Error });
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `embed-image: ${errors.length} record(s) failed`);
  return { outcomes };
}
