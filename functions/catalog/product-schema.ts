/**
 * The body of `PUT /products/{productId}`: what the catalog route validates, what the import CLI
 * validates each CSV row with, and what the OpenAPI document describes. No side effects on import.
 */
import { z } from 'zod';

export const ProductBody = z.strictObject({
  name: z.string().trim().min(1).max(300),
  price: z.number().finite().min(0).max(1e12),
  description: z.string().max(5000).default(''),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR').optional(),
  category: z.string().trim().max(64).default(''),
  promoted: z.boolean().default(false),
  status: z.enum(['active', 'draft', 'blocked']).default('active'),
  countries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be a 2-letter upper-case country code')).max(300).default([]),
  images: z
    .array(
      z
        .string()
        .max(512)
        // images/{productId}/{file}: printable, no `..` segment, nothing outside the images prefix.
        .regex(/^images\/[\w.:@-]+\/[\w.:@-]+(\/[\w.:@-]+)*$/, 'must be an S3 key images/{productId}/{file} (letters, digits and . _ : @ -)')
        .refine((k) => !k.split('/').some((seg) => seg === '..' || seg === '.') && !k.includes('..'), 'must not contain ".."'),
    )
    .max(50)
    .default([]),
  attributes: z.record(z.string().max(100), z.string().max(1000)).default({}),
});
export type ProductBodyInput = z.input<typeof ProductBody>;
export type ProductInput = z.infer<typeof ProductBody>;
