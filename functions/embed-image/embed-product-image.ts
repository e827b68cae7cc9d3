/**
 * Use case of the `embed-image` Lambda (the embedding flow): a new object under
 * `images/{productId}/…` → EfficientNet-B0 features → VAE μ, plus the text embedding of the product
 * name → stored on the product with `embedding_version`.
 *
 * Bad objects are *skipped* with a logged reason and no write, never thrown: S3 invokes the Lambda
 * asynchronously and retries a throwing invocation, which for a corrupt upload would only repeat the
 * failure. Only infrastructure failures (DynamoDB/S3 unreachable, a model file missing) throw, so
 * the async retry and the failure destination catch them. Re-running on the same object writes the
 * same values (SET of the whole embedding): the use case is idempotent.
 */
import { ConflictError, InvalidInput, NotFound } from '../core/domain/errors.js';
import type { BusinessMetrics, CatalogStore, ImageEmbedder, ImageStore } from '../core/domain/ports.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';
import { MAX_IMAGE_BYTES, productIdFromKey } from '../core/domain/product-images.js';
import { storedEmbedding } from '../core/content/similarity.js';

/** Why an object was not embedded (logged, and returned for tests / the local runtime). */
export type SkipReason =
  | 'not_an_image_key'
  | 'wrong_bucket'
  | 'empty_object'
  | 'too_large'
  | 'unknown_product'
  | 'not_primary_image'
  | 'object_missing'
  | 'invalid_image'
  | 'non_finite_embedding';

export type EmbedOutcome =
  | { status: 'embedded'; productId: string; key: string; embedding_version: string; imageDim: number; textDim: number }
  | { status: 'skipped'; reason: SkipReason; key: string; productId?: string; message: string };

/** Minimal structured logger (Powertools' Logger fits). */
export interface EmbedLogger {
  info(message: string, ...extra: Array<Record<string, unknown>>): void;
  warn(message: string, ...extra: Array<Record<string, unknown>>): void;
}

export interface EmbedDeps {
  catalog: CatalogStore;
  images: ImageStore;
  imageEmbedder: ImageEmbedder;
  textEmbedder: TextEmbedder;
  logger: EmbedLogger;
  /** Counts every skipped object as `EmbedRejected`, by reason. */
  metrics?: BusinessMetrics;
  /** The bucket `images` reads from; an event for another bucket is skipped. */
  imagesBucket: string;
}

/** One created object, as the S3 event describes it (key already URL-decoded). */
export interface CreatedObject {
  bucket: string;
  key: string;
  /** Size from the event; undefined if the event had none (then the object's size is used). */
  size?: number;
}

/**
 * Embeds one created object into its product; a new upload (a key the product does not list yet)
 * becomes the product's main image in the same conditional write. Skips (no write) when: the key is
 * not `images/{productId}/{file}`; the bucket is not the images bucket; the object is empty or
 * larger than {@link MAX_IMAGE_BYTES}; the product does not exist; the product lists other images
 * and this one is not its first (the embedding describes the primary image); the object is gone;
 * the bytes are not a decodable JPEG/PNG/WebP; the model returns NaN/∞. A rejected new upload
 * (empty, too large, not an image, non-finite) is deleted from the bucket.
 * @throws for infrastructure failures only (store unreachable, model missing): the caller lets those propagate.
 */
export async function embedProductImage(deps: EmbedDeps, object: CreatedObject, attempt = 0): Promise<EmbedOutcome> {
  const { key } = object;
  const skip = (reason: SkipReason, message: string, productId?: string): EmbedOutcome => {
    deps.logger.warn(`embed-image skipped ${key}: ${message}`, { reason, key, bucket: object.bucket, productId });
    deps.metrics?.count('EmbedRejected', 1, reason);
    return { status: 'skipped', reason, key, productId, message };
  };

  const productId = productIdFromKey(key);
  if (!productId) return skip('not_an_image_key', 'key is not of the form images/{productId}/{file}');
  if (object.bucket !== deps.imagesBucket) {
    return skip('wrong_bucket', `bucket ${object.bucket} is not the images bucket ${deps.imagesBucket}`, productId);
  }
  // A rejected upload is removed, so it can never be signed for download or re-embedded; a key
  // the product itself lists (set by PUT /products) is left for its owner to replace.
  let listed = false;
  const reject = async (reason: SkipReason, message: string): Promise<EmbedOutcome> => {
    if (!listed) await deps.images.deleteObject(key);
    return skip(reason, listed ? message : `${message}; the object was removed`, productId);
  };
  const checkSize = (size: number): Promise<EmbedOutcome> | undefined => {
    if (size === 0) return reject('empty_object', 'object is empty (0 bytes)');
    if (size > MAX_IMAGE_BYTES) return reject('too_large', `object is ${size} bytes, over the ${MAX_IMAGE_BYTES}-byte (10 MB) limit`);
    return undefined;
  };
  // Size from the event first: an oversized object is refused without downloading it.
  const product = await deps.catalog.get(productId);
  listed = product?.images.includes(key) ?? false;
  if (object.size !== undefined) {
    const bad = checkSize(object.size);
    if (bad) return bad;
  }
  if (!product) return skip('unknown_product', `product ${productId} does not exist`, productId);
  if (listed && product.images[0] !== key) {
    return skip('not_primary_image', `product ${productId}'s first image is ${product.images[0]}, not this one`, productId);
  }

  let bytes: Uint8Array;
  try {
    ({ bytes } = await deps.images.getObject(key));
  } catch (err) {
    if (err instanceof NotFound) return skip('object_missing', 'object no longer exists', productId);
    throw err;
  }
  const badBytes = checkSize(bytes.byteLength);
  if (badBytes) return badBytes;

  let mu: Float32Array;
  let imageVersion: string;
  try {
    ({ mu, version: imageVersion } = await deps.imageEmbedder.embed(bytes));
  } catch (err) {
    if (err instanceof InvalidInput) return reject('invalid_image', err.message);
    throw err;
  }
  if (mu.length === 0 || !mu.every(Number.isFinite)) return reject('non_finite_embedding', 'the image model returned non-finite values');
  const text = deps.textEmbedder.embed(product.name);
  const embedding_version = `${imageVersion}+${deps.textEmbedder.version}`;

  try {
    await deps.catalog.setEmbeddings(productId, {
      image_embedding: storedEmbedding(mu),
      text_embedding: storedEmbedding(text),
      embedding_version,
      // A new upload, accepted: it becomes the main image now (and only now).
      images: listed ? undefined : { next: [key, ...product.images], ifUpdatedAt: product.updatedAt },
    });
  } catch (err) {
    // Deleted between the read and the write.
    if (err instanceof NotFound) return skip('unknown_product', `product ${productId} was deleted`, productId);
    // The product was replaced between the read and the write: decide again on what it is now.
    if (err instanceof ConflictError && attempt === 0) return embedProductImage(deps, object, 1);
    throw err;
  }
  deps.logger.info(`embed-image embedded ${key}`, { productId, key, embedding_version, imageDim: mu.length, textDim: text.length });
  return { status: 'embedded', productId, key, embedding_version, imageDim: mu.length, textDim: text.length };
}
