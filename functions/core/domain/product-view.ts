/** The public product object: the stored one without the internal embedding vectors. */
import type { Product } from './types.js';

export type PublicProduct = Omit<Product, 'image_embedding' | 'text_embedding'>;

export function publicProduct(p: Product | PublicProduct): PublicProduct {
  const { image_embedding: _image, text_embedding: _text, ...rest } = p as Product;
  return rest;
}
