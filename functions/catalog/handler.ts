/**
 * Catalog routes: `GET /products` (pages), `PUT|GET|DELETE /products/{productId}`,
 * `POST|GET /products/{productId}/image` (presigned S3 URLs), `GET /products/{productId}/similar?k=`.
 */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseRequest, type ApiEvent } from '../http/api.js';
import { ImageUploadRequest, ProductListRequest, ProductPutRequest, ProductRequest, SimilarRequest } from '../http/schemas.js';
import { publicProduct } from '../core/domain/product-view.js';
import { deleteProduct, existingProduct, imageDownload, listProducts, similarProducts, startImageUpload, upsertProduct } from './catalog-use-cases.js';

export const handler = apiHandler(
  {
    'PUT /products/{productId}': async (event: ApiEvent) => {
      const { path, body } = parseRequest(ProductPutRequest, event);
      const deps = getDeps();
      const { product, created } = await upsertProduct({ ...deps, textEmbedder: await deps.activeTextEmbedder() }, path.productId, body);
      return json(created ? 201 : 200, publicProduct(product));
    },
    'GET /products': async (event: ApiEvent) => {
      const { query } = parseRequest(ProductListRequest, event);
      return json(200, await listProducts(getDeps(), query));
    },
    'DELETE /products/{productId}': async (event: ApiEvent) => {
      const { path } = parseRequest(ProductRequest, event);
      return json(200, await deleteProduct(getDeps(), path.productId));
    },
    'GET /products/{productId}': async (event: ApiEvent) => {
      const { path } = parseRequest(ProductRequest, event);
      return json(200, publicProduct(await existingProduct(getDeps(), path.productId)));
    },
    'POST /products/{productId}/image': async (event: ApiEvent) => {
      const { path, body } = parseRequest(ImageUploadRequest, event);
      const deps = getDeps();
      return json(200, await startImageUpload({ ...deps, uploadExpiresSeconds: deps.config.PRESIGN_EXPIRES_S }, path.productId, body.content_type));
    },
    'GET /products/{productId}/image': async (event: ApiEvent) => {
      const { path } = parseRequest(ProductRequest, event);
      return json(200, await imageDownload(getDeps(), path.productId));
    },
    'GET /products/{productId}/similar': async (event: ApiEvent) => {
      const { path, query } = parseRequest(SimilarRequest, event);
      const deps = getDeps();
      return json(200, await similarProducts({ ...deps, textEmbedder: await deps.activeTextEmbedder() }, path.productId, query.k));
    },
  },
  () => getDeps().logger,
);
