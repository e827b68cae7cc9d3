/**
 * Catalog routes: `PUT|GET /products/{productId}`, `POST|GET /products/{productId}/image`
 * (presigned S3 URLs), `GET /products/{productId}/similar?k=` (image + name embeddings).
 */
import { randomUUID } from 'node:crypto';
import { getDeps } from '../adapters/bootstrap.js';
import { getTextEmbedder } from '../adapters/text-vectors-file.js';
import { apiHandler, json, parseInput, type ApiEvent } from '../http/api.js';
import { NotFound } from '../core/domain/errors.js';
import { imageKey } from '../core/domain/product-images.js';
import { publicProduct } from '../core/domain/product-view.js';
import { similarProducts, storedEmbedding } from '../core/content/similarity.js';
import type { Product } from '../core/domain/types.js';
import { ImageRequest, ProductBody, ProductListQuery, ProductPath, SimilarQuery } from '../http/schemas.js';

const Path = ProductPath;


const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

async function existing(id: string): Promise<Product> {
  const product = await getDeps().catalog.get(id);
  if (!product) throw new NotFound(`product ${id} does not exist`);
  return product;
}

export const handler = apiHandler(
  {
    'PUT /products/{productId}': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const body = parseInput(ProductBody, event.body, 'body');
      const { catalog, config } = getDeps();
      const before = await catalog.get(productId);
      const now = new Date().toISOString();
      const text = getTextEmbedder();
      const sameImage = before && before.images[0] === (body.images[0] ?? before.images[0]);
      const product: Product = {
        id: productId,
        ...body,
        currency: body.currency ?? config.CURRENCY,
        images: body.images.length > 0 ? body.images : (before?.images ?? []),
        createdAt: before?.createdAt ?? now,
        updatedAt: now,
        text_embedding: storedEmbedding(text.embed(body.name)),
        // The image embedding follows the image: kept while the first image is unchanged.
        image_embedding: sameImage ? before?.image_embedding : undefined,
        embedding_version: sameImage ? before?.embedding_version : undefined,
      };
      await catalog.put(product);
      return json(before ? 200 : 201, publicProduct(product));
    },
    'GET /products': async (event: ApiEvent) => {
      const q = parseInput(ProductListQuery, event.queryStringParameters ?? {}, 'query');
      const page = await getDeps().catalog.list(q);
      return json(200, { products: page.items.map(publicProduct), next_cursor: page.cursor ?? null });
    },
    // Soft delete: the product stays (its events and history too) with status `deleted`, which
    // ranking, similar products and listings leave out from now on.
    'DELETE /products/{productId}': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const product = await getDeps().catalog.softDelete(productId, new Date().toISOString());
      return json(200, publicProduct(product));
    },
    'GET /products/{productId}': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      return json(200, publicProduct(await existing(productId)));
    },
    'POST /products/{productId}/image': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const { content_type } = parseInput(ImageRequest, event.body ?? {}, 'body');
      const product = await existing(productId);
      const key = imageKey(productId, `${randomUUID()}.${EXTENSIONS[content_type]}`);
      const { catalog, images } = getDeps();
      // The new photo becomes the product's main image; embed-image embeds it when it lands.
      await catalog.put({ ...product, images: [key, ...product.images], updatedAt: new Date().toISOString() });
      return json(200, { upload_url: await images.presignUpload(key, content_type), key, content_type });
    },
    'GET /products/{productId}/image': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const product = await existing(productId);
      const key = product.images[0];
      if (!key) throw new NotFound(`product ${productId} has no image`);
      return json(200, { download_url: await getDeps().images.presignDownload(key), key });
    },
    'GET /products/{productId}/similar': async (event: ApiEvent) => {
      const { productId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const { k } = parseInput(SimilarQuery, event.queryStringParameters ?? {}, 'query');
      const { catalog, live } = getDeps();
      const product = await existing(productId);
      // The version's index with the products embedded since merged in: a new photo counts at once.
      const snapshot = await live.get();
      const query = {
        image: product.image_embedding?.length === snapshot.embeddings.imageDim ? product.image_embedding : undefined,
        text: product.text_embedding?.length === snapshot.embeddings.textDim ? product.text_embedding : Array.from(getTextEmbedder().embed(product.name)),
      };
      const neighbours = similarProducts(query, snapshot.embeddings, k * 2, productId);
      const fresh = new Map((await catalog.batchGet(neighbours.map((n) => n.id))).map((p) => [p.id, p]));
      const similar = neighbours
        .filter((n) => fresh.get(n.id)?.status === 'active')
        .slice(0, k)
        .map((n) => ({ ...publicProduct(fresh.get(n.id)!), score: Number(n.score.toFixed(6)) }));
      return json(200, { similar_products: similar, model_version: snapshot.manifest.version });
    },
  },
  getDeps().logger,
);
