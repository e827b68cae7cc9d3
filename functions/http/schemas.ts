/**
 * The zod schemas of every route: the handlers validate requests with them, and GET /openapi.json
 * is generated from them (functions/http/openapi.ts), so the document cannot drift from what is
 * enforced. Response schemas describe what handlers answer; the end-to-end tests parse real
 * responses with them. No side effects on import (the CDK, the CLIs and the document read it).
 *
 * Handlers parse a whole request (`{ path, query, body }`) with its family's schema (the end of
 * this file), which holds the family's cross-field rules and maps the HTTP names onto the core's,
 * one name per concept:
 *   receiverId (GET /recommend/{receiverId}/{num}) and userId (GET /recommendations/{userId}) → `userId`
 *   customer_id (GET /recommendation?customer_id=) → `userId`
 *   num (path), top_k and top (query, default 5) → `num`
 *   min_price / max_price / min_promoted → `minPrice` / `maxPrice` / `minPromoted`
 *   a user's `blacklist` (PUT /users) → the ranking's `blocked` set
 */
import { z } from 'zod';
import { countryCode, decimalString, idString, intString, type RequestIssueParams } from './api.js';
import { ProductBody } from '../catalog/product-schema.js';
import { EVENT_TYPES, FUNNEL_EVENT_TYPES, MAX_CLOCK_SKEW_MS, MAX_RATING, MAX_REVIEW_TEXT, MIN_RATING, type RecommendationQuery } from '../core/domain/types.js';

export { ProductBody };

export const MAX_NUM = 100;
export const MAX_EVENTS_PER_REQUEST = 100;
export const MAX_LIST_LIMIT = 100;
/** Items answered by GET /recommendations/{userId} when `top_k` is absent. */
export const DEFAULT_TOP_K = 5;

// ---- path parameters ----------------------------------------------------------------------------

export const ProductPath = z.strictObject({ productId: idString });
export const UserPath = z.strictObject({ userId: idString });
const count = intString.pipe(z.number().min(1, `must be between 1 and ${MAX_NUM}`).max(MAX_NUM, `must be between 1 and ${MAX_NUM}`));
export const RecommendPath = z.strictObject({ receiverId: idString, num: count });
export const RecommendationsPath = UserPath;

// ---- queries ----------------------------------------------------------------------------------------

const recommendationFilters = {
  min_price: decimalString.pipe(z.number().min(0, 'must be ≥ 0')).optional().describe('lowest price, inclusive (decimal)'),
  max_price: decimalString.pipe(z.number().min(0, 'must be ≥ 0')).optional().describe('highest price, inclusive (decimal)'),
  min_promoted: intString.pipe(z.number().min(0, 'must be ≥ 0').max(MAX_NUM)).optional().describe('guaranteed minimum of promoted items (≤ the number asked for)'),
  country: countryCode.optional().describe("ISO 3166 alpha-2; default: the receiver's country"),
  category: z
    .string()
    .max(64 * 20 + 19)
    .transform((s) => [...new Set(s.split(',').map((c) => c.trim()))])
    .pipe(z.array(z.string().min(1, 'an empty category').max(64)).max(20, 'at most 20 categories'))
    .optional()
    .describe('only these categories: one, or several separated by commas (`category=hat,scarf`)'),
};
export const RecommendQuery = z.strictObject(recommendationFilters);
export const RecommendationsQuery = z.strictObject({ ...recommendationFilters, top_k: count.optional().describe('how many (default 5)') });
/** `GET /recommendation`: the hybrid recommender's route, receiver and count as query parameters. */
export const HybridRecommendationQuery = z.strictObject({
  ...recommendationFilters,
  customer_id: idString.describe('the receiver'),
  top: count.optional().describe('how many (default 5)'),
});
export const SimilarQuery = z.strictObject({ k: intString.pipe(z.number().min(1).max(100)).default(10).describe('how many neighbours') });
export const ProductListQuery = z.strictObject({
  limit: intString.pipe(z.number().min(1).max(MAX_LIST_LIMIT)).default(50).describe(`page size, 1–${MAX_LIST_LIMIT}`),
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,2048}$/, 'must be a cursor returned by a previous page').optional().describe('`next_cursor` of the previous page'),
  category: z.string().trim().min(1).max(64).optional(),
  status: z.enum(['active', 'draft', 'blocked', 'deleted']).optional().describe('default: every status but deleted'),
});
export const MetricsQuery = z.strictObject({ days: intString.pipe(z.number().min(1).max(30)).default(7).describe('impressions of the last N UTC days, today included') });
export const HistoryQuery = z.strictObject({ limit: intString.pipe(z.number().min(1).max(500)).default(50).describe('newest events first') });

// ---- bodies -----------------------------------------------------------------------------------------

const timestamp = z.union([
  z.number().int().min(0).max(8.64e15).describe('epoch milliseconds'),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

const RATING_MESSAGE = `must be an integer from ${MIN_RATING} to ${MAX_RATING}`;

export const EventBody = z.strictObject({
  eventId: idString.describe('idempotency key: one eventId is one event'),
  userId: idString.describe('who acted (the buyer of a gift)'),
  productId: idString,
  type: z.enum(EVENT_TYPES as [string, ...string[]], { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  receiverId: idString.optional().describe('gift orders: whom the gift is for (the event counts for them)'),
  quantity: z.number().int().min(1).max(10_000).default(1),
  timestamp: timestamp.optional().describe(`default: now; at most ${MAX_CLOCK_SKEW_MS / 60_000} minutes in the future (clock skew)`),
  recommendationId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be a recommendation_id from a recommendation response').optional()
    .describe('the `recommendation_id` of the response the product was shown in (online metrics attribute the event to it); not on reviews'),
  rating: z
    .number({ error: RATING_MESSAGE })
    .int(RATING_MESSAGE)
    .min(MIN_RATING, RATING_MESSAGE)
    .max(MAX_RATING, RATING_MESSAGE)
    .optional()
    .describe(`reviews only, and required there: ${MIN_RATING}–${MAX_RATING} stars (an integer)`),
  text: z
    .string()
    .trim()
    .max(MAX_REVIEW_TEXT, `at most ${MAX_REVIEW_TEXT} characters`)
    .transform((t) => (t === '' ? undefined : t))
    .optional()
    .describe(`reviews only: the review text, trimmed, at most ${MAX_REVIEW_TEXT} characters (empty = none)`),
}).superRefine((e, ctx) => {
  const issue = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (e.receiverId !== undefined && e.type !== 'order') issue('receiverId', 'only order events name a receiver (a gift); leave it out for other types');
  if (e.type === 'review') {
    if (e.rating === undefined) issue('rating', `required for review events: ${RATING_MESSAGE}`);
    if (e.recommendationId !== undefined) issue('recommendationId', 'reviews are not attributed to recommendations; leave it out');
  } else {
    if (e.rating !== undefined) issue('rating', 'only review events carry a rating; leave it out for other types');
    if (e.text !== undefined) issue('text', 'only review events carry text; leave it out for other types');
  }
});
export const EventsBody = z.strictObject({
  events: z
    .array(EventBody)
    .min(1, 'at least 1 event is required')
    .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`),
});

export const UserBody = z.strictObject({
  country: countryCode.optional(),
  blacklist: z.array(idString).max(1000).default([]).describe('products never to recommend to this user'),
  wishlist_public: z.boolean().default(true).describe('whether gift-givers see `on_wishlist` reasons for this user'),
});

export const ImageRequest = z.strictObject({
  content_type: z.enum(['image/jpeg', 'image/png', 'image/webp']).default('image/jpeg'),
});

// ---- responses --------------------------------------------------------------------------------------

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string().describe('machine-readable: invalid_input, invalid_json, not_found, model_not_ready, unauthorized, forbidden, …'),
    message: z.string(),
    details: z.unknown().describe('per-field problems for invalid_input: [{path, message}]'),
  }),
});

export const ProductResponse = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  price: z.number(),
  currency: z.string(),
  category: z.string(),
  promoted: z.boolean(),
  status: z.enum(['active', 'draft', 'blocked', 'deleted']),
  countries: z.array(z.string()),
  images: z.array(z.string()).describe('S3 keys'),
  createdAt: z.string(),
  updatedAt: z.string(),
  attributes: z.record(z.string(), z.string()),
  embedding_version: z.string().optional(),
  deletedAt: z.string().optional(),
});

export const RecommendationResponse = z.object({
  recommended_products: z.array(ProductResponse.extend({ score: z.number(), reasons: z.array(z.string()) })),
  model_version: z.string(),
  promoted_shortfall: z.number().int().describe('> 0 only when fewer promoted items than asked pass the filters'),
  recommendation_id: z.string().describe('send it back as `recommendationId` on events about these products'),
});

export const SimilarResponse = z.object({
  similar_products: z.array(ProductResponse.extend({ score: z.number() })),
  model_version: z.string(),
});

export const ProductPage = z.object({
  products: z.array(ProductResponse),
  next_cursor: z.string().nullable().describe('null on the last page'),
});

export const EventsResponse = z.object({ accepted: z.number().int(), duplicates: z.number().int() });

export const UserResponse = z.object({
  id: z.string(),
  country: z.string().nullable(),
  blacklist: z.array(z.string()),
  wishlist_public: z.boolean(),
  interaction_count: z.number().int(),
});

export const HistoryResponse = z.object({
  user_id: z.string(),
  events: z.array(
    z.object({
      eventId: z.string(),
      userId: z.string().describe('who acted; differs from the user for gifts received'),
      productId: z.string(),
      type: z.enum(EVENT_TYPES as [string, ...string[]]),
      quantity: z.number().int(),
      timestamp: z.number(),
      receiverId: z.string().optional(),
      rating: z.number().int().optional().describe('reviews: 1–5 stars'),
      text: z.string().optional().describe('reviews: the text, when there is one'),
      product: z.object({ name: z.string(), price: z.number(), category: z.string(), status: z.string() }).nullable(),
    }),
  ),
});

export const ImageUploadResponse = z.object({
  upload_url: z.string().describe('POST here as multipart/form-data: every field of `fields`, then the file as field `file`'),
  fields: z.record(z.string(), z.string()).describe('the presigned POST policy and signature (one exact key, this content type, 1 byte up to max_bytes)'),
  key: z.string().describe('the object key; it becomes the main image once embed-image accepts the file'),
  content_type: z.string(),
  max_bytes: z.number().int(),
  expires_in: z.number().int().describe('seconds the upload URL stays valid'),
});
export const ImageDownloadResponse = z.object({ download_url: z.string(), key: z.string() });

export const HealthResponse = z.object({ status: z.string(), model_version: z.string().nullable() }).loose();
export const ModelResponse = z.object({ model_version: z.string().nullable() }).loose().describe('the serving manifest: family, parameters, gate, figures, business rules, image models');
export const OpenApiResponse = z.object({ openapi: z.string() }).loose();

// Online metrics count the funnel only: reviews are not attributed to recommendations.
const byType = z.object(Object.fromEntries(FUNNEL_EVENT_TYPES.map((t) => [t, z.number()])) as Record<string, z.ZodNumber>);
export const MetricsResponse = z
  .object({
    online: z.object({
      window_days: z.number().int(),
      since: z.string().describe('first UTC day counted'),
      attribution_window_hours: z.number(),
      sample_rate: z.number(),
      retention_days: z.number().int(),
      responses: z.number().int().describe('sampled recommendation responses'),
      impressions: z.number().int().describe('products shown in them'),
      attributed: byType.describe('events that followed an impression, by type'),
      rates: byType.describe('attributed ÷ impressions'),
      by_model_version: z.array(z.object({ model_version: z.string(), responses: z.number(), impressions: z.number(), attributed: byType, rates: byType })),
      by_reason: z.array(z.object({ reason: z.string(), impressions: z.number(), attributed: byType, rates: byType })),
    }),
    counters: z
      .discriminatedUnion('sink', [
        z.object({ sink: z.literal('memory'), since: z.string(), values: z.record(z.string(), z.number()).describe('counter → total since `since`; `Name{dimension=value}` for split counters') }),
        z.object({ sink: z.literal('emf'), namespace: z.string().nullable().describe('CloudWatch namespace the counters are emitted to') }),
      ])
      .describe('business counters: RecommendationsServed, ColdStartAnswers, PromotedShortfall, ModelFallback, EmbedRejected{reason}'),
  })
  .loose()
  .describe('online quality of recommendations (attributed view/cart/wishlist/order rates) and business counters');

// ---- request families ---------------------------------------------------------------------------

type Filters = z.infer<typeof RecommendQuery>;

/** The recommendation family's cross-field rules: a budget that is not empty, a promoted minimum that fits. */
function recommendationQuery(userId: string, num: number, q: Filters, ctx: z.RefinementCtx): RecommendationQuery {
  const issue = (field: string, message: string, summary: string) => {
    ctx.addIssue({ code: 'custom', path: ['query', field], message, params: { summary } satisfies RequestIssueParams });
    return z.NEVER;
  };
  if (q.min_price !== undefined && q.max_price !== undefined && q.min_price > q.max_price) {
    return issue('min_price', 'greater than max_price', 'min_price must not exceed max_price');
  }
  const minPromoted = q.min_promoted ?? 0;
  if (minPromoted > num) {
    return issue('min_promoted', 'greater than num', `min_promoted (${minPromoted}) must not exceed the number of items asked for (${num})`);
  }
  return { userId, num, minPrice: q.min_price, maxPrice: q.max_price, minPromoted, country: q.country, categories: q.category };
}

/**
 * A whole request: its path, query and body parts, each strict. A part the route does not take
 * must be absent: unknown query parameters, unknown body fields and a body on a bodiless route are
 * 400s on every route (one rule for all of them).
 */
function request<P extends z.ZodType = z.ZodObject<{}>, Q extends z.ZodType = z.ZodObject<{}>, B extends z.ZodType = z.ZodUndefined>(parts: {
  path?: P;
  query?: Q;
  body?: B;
}) {
  return z.object({
    path: (parts.path ?? z.strictObject({})) as P,
    query: (parts.query ?? z.strictObject({}, { error: 'this route takes no query parameters' })) as Q,
    body: (parts.body ?? z.undefined({ error: 'this route takes no request body' })) as B,
  });
}

/** `GET /recommend/{receiverId}/{num}` → the use case's query. */
export const RecommendRequest = request({ path: RecommendPath, query: RecommendQuery }).transform(({ path, query }, ctx) =>
  recommendationQuery(path.receiverId, path.num, query, ctx),
);

/** `GET /recommendation?customer_id=&top=` → the use case's query. */
export const HybridRecommendationRequest = request({ query: HybridRecommendationQuery }).transform(({ query }, ctx) =>
  recommendationQuery(query.customer_id, query.top ?? DEFAULT_TOP_K, query, ctx),
);

/** `GET /recommendations/{userId}?top_k=` → the use case's query. */
export const RecommendationsRequest = request({ path: RecommendationsPath, query: RecommendationsQuery }).transform(({ path, query }, ctx) =>
  recommendationQuery(path.userId, query.top_k ?? DEFAULT_TOP_K, query, ctx),
);

export const ProductRequest = request({ path: ProductPath });
export const ProductPutRequest = request({ path: ProductPath, body: ProductBody });
export const ProductListRequest = request({ query: ProductListQuery });
export const ImageUploadRequest = request({ path: ProductPath, body: ImageRequest.prefault({}) });
export const SimilarRequest = request({ path: ProductPath, query: SimilarQuery });
export const EventsRequest = request({ body: EventsBody });
export const UserRequest = request({ path: UserPath });
export const UserPutRequest = request({ path: UserPath, body: UserBody.prefault({}) });
export const MetricsRequest = request({ query: MetricsQuery });
export const HistoryRequest = request({ path: UserPath, query: HistoryQuery });
