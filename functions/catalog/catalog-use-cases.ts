/**
 * The catalog's use cases: save a product (its embeddings follow its name and first image), read
 * one, hand out presigned image URLs, and find look-alikes in the serving model's embedding index.
 */
import { randomUUID } from 'node:crypto';
import { NotFound } from '../core/domain/errors.js';
import { imageKey, MAX_IMAGE_BYTES } from '../core/domain/product-images.js';
import { publicProduct, type PublicProduct } from '../core/domain/product-view.js';
import { similarProducts as nearestByEmbedding, storedEmbedding } from '../core/content/similarity.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';
import type { CatalogStore, ImageStore } from '../core/domain/ports.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { shownProducts, type ViewProducts } from '../core/snapshot/view-products.js';
import type { Product } from '../core/domain/types.js';
import type { ProductInput } from './product-schema.js';

export interface CatalogDeps {
  catalog: CatalogStore;
  images: ImageStore;
  textEmbedder: TextEmbedder;
  /** The serving model snapshot (similar products search its embedding index). */
  snapshot: () => Promise<ModelSnapshot>;
  /** Shown products kept until the live catalog sees a change (absent: read on every request). */
  viewProducts?: Pick<ViewProducts, 'get'>;
  /** Currency of a product saved without one. */
  defaultCurrency: string;
  /** How long an upload URL stays valid. */
  uploadExpiresSeconds: number;
}

const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

export async function existingProduct(deps: Pick<CatalogDeps, 'catalog'>, id: string): Promise<Product> {
  const product = await deps.catalog.get(id);
  if (!product) throw new NotFound(`product ${id} does not exist`);
  return product;
}

/**
 * Creates or replaces a product. The text embedding is recomputed from the name; the image
 * embedding is kept only while the first image is unchanged (embed-image fills it in otherwise).
 */
export async function upsertProduct(
  deps: Pick<CatalogDeps, 'catalog' | 'textEmbedder' | 'defaultCurrency'>,
  id: string,
  input: ProductInput,
  now = new Date().toISOString(),
): Promise<{ product: Product; created: boolean }> {
  const before = await deps.catalog.get(id);
  const sameImage = before && before.images[0] === (input.images[0] ?? before.images[0]);
  const product: Product = {
    id,
    ...input,
    currency: input.currency ?? deps.defaultCurrency,
    images: input.images.length > 0 ? input.images : (before?.images ?? []),
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
    text_embedding: storedEmbedding(deps.textEmbedder.embed(input.name)),
    image_embedding: sameImage ? before?.image_embedding : undefined,
    // `<image version>+<text version>`: the name was embedded again just now, by this text model.
    embedding_version: sameImage && before?.embedding_version ? withTextVersion(before.embedding_version, deps.textEmbedder.version) : undefined,
  };
  await deps.catalog.put(product);
  return { product, created: !before };
}

/** `image+text` with the text part replaced (a version without a `+` is an image version alone). */
function withTextVersion(embeddingVersion: string, textVersion: string): string {
  const plus = embeddingVersion.indexOf('+');
  return `${plus < 0 ? embeddingVersion : embeddingVersion.slice(0, plus)}+${textVersion}`;
}

/** One page of the catalog (every status but deleted unless asked). */
export async function listProducts(deps: Pick<CatalogDeps, 'catalog'>, query: Parameters<CatalogStore['list']>[0]) {
  const page = await deps.catalog.list(query);
  return { products: page.items.map(publicProduct), next_cursor: page.cursor ?? null };
}

/**
 * Soft delete: the product stays (its events and history too) with status `deleted`, which
 * ranking, similar products and listings leave out from now on.
 */
export async function deleteProduct(deps: Pick<CatalogDeps, 'catalog'>, id: string, now = new Date().toISOString()): Promise<PublicProduct> {
  return publicProduct(await deps.catalog.softDelete(id, now));
}

/**
 * A presigned POST for a new photo. Nothing about the product changes here: the photo joins its
 * images (as the main one) only when embed-image accepts the uploaded object, so an upload that
 * never happens, or a file that is not an image, leaves the product as it was.
 */
export async function startImageUpload(deps: Pick<CatalogDeps, 'catalog' | 'images' | 'uploadExpiresSeconds'>, id: string, contentType: string) {
  await existingProduct(deps, id);
  const key = imageKey(id, `${randomUUID()}.${EXTENSIONS[contentType]}`);
  const { url, fields } = await deps.images.presignUpload(key, contentType, MAX_IMAGE_BYTES);
  return { upload_url: url, fields, key, content_type: contentType, max_bytes: MAX_IMAGE_BYTES, expires_in: deps.uploadExpiresSeconds };
}

/** A presigned GET for the product's main image. */
export async function imageDownload(deps: Pick<CatalogDeps, 'catalog' | 'images'>, id: string) {
  const product = await existingProduct(deps, id);
  const key = product.images[0];
  if (!key) throw new NotFound(`product ${id} has no image`);
  return { download_url: await deps.images.presignDownload(key), key };
}

/**
 * The `k` active products most like `id`. The product's stored embeddings are used when they
 * match the serving index's dimensions (else its name is embedded now); twice `k` neighbours are
 * fetched because some may have been deactivated since the snapshot.
 */
export async function similarProducts(
  deps: Pick<CatalogDeps, 'catalog' | 'textEmbedder' | 'snapshot' | 'viewProducts'>,
  id: string,
  k: number,
): Promise<{ similar_products: (PublicProduct & { score: number })[]; model_version: string }> {
  const product = await existingProduct(deps, id);
  const snapshot = await deps.snapshot();
  const query = {
    image: product.image_embedding?.length === snapshot.embeddings.imageDim ? product.image_embedding : undefined,
    text: product.text_embedding?.length === snapshot.embeddings.textDim ? product.text_embedding : Array.from(deps.textEmbedder.embed(product.name)),
  };
  const neighbours = nearestByEmbedding(query, snapshot.embeddings, k * 2, id);
  const fresh = new Map((await shownProducts(deps, neighbours.map((n) => n.id))).map((p) => [p.id, p]));
  const similar = neighbours
    .filter((n) => fresh.get(n.id)?.status === 'active')
    .slice(0, k)
    .map((n) => ({ ...publicProduct(fresh.get(n.id)!), score: Number(n.score.toFixed(6)) }));
  return { similar_products: similar, model_version: snapshot.manifest.version };
}
