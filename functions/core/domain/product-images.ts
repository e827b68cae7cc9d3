/**
 * Where product images live and how big they may be: shared by the catalog routes (presigned
 * uploads), the embed-image Lambda, the image preprocessor, the local runtime's S3 event filter and
 * the CDK bucket notification, so the layout is stated once.
 */

/** Key prefix of product images in the images bucket; keys are `images/{productId}/{file}`. */
export const IMAGES_PREFIX = 'images/';

/** Largest accepted encoded image: 10 MB (catalog photos average 25 KB; one bad upload must not exhaust memory). */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

// The product id segment has the API's id alphabet; no `..` and no control characters anywhere (a key stays under its product).
const IMAGE_KEY = /^images\/([\w.:@-]+)\/([^\u0000-\u001f\u007f]+)$/;

/** The key of a new image of a product. */
export function imageKey(productId: string, file: string): string {
  return `${IMAGES_PREFIX}${productId}/${file}`;
}

/** `images/{productId}/{file}` → productId, or undefined for any other key. */
export function productIdFromKey(key: string): string | undefined {
  const m = IMAGE_KEY.exec(key);
  return m && !key.includes('..') ? m[1] : undefined;
}
