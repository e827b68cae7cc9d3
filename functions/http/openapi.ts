/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the route table (routes.ts) and the
 * zod schemas the handlers validate with (schemas.ts), through zod's own JSON Schema output
 * (draft 2020-12, the dialect of OpenAPI 3.1). A route without an entry here fails the build of
 * the document, and so the test that builds it.
 */
import { z } from 'zod';
import { ROUTES, routeKey, type RouteSpec } from './routes.js';
import * as S from './schemas.js';
import * as C from './config-schema.js';

interface Operation {
  summary: string;
  tag: string;
  path?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Success status → response schema (default status 200). */
  response: z.ZodType;
  status?: number;
  /** Error statuses besides 400 (bad input) and the auth ones. */
  errors?: number[];
  description?: string;
}

/** Every route's contract. Keys are API Gateway route keys, exactly as in routes.ts. */
export const OPERATIONS: Record<string, Operation> = {
  'GET /recommend/{receiverId}/{num}': {
    tag: 'recommendations',
    summary: 'Gift recommendations for a receiver',
    description: 'Owned items never appear; wishlist and cart items are boosted; every item carries its reasons.',
    path: S.RecommendPath,
    query: S.RecommendQuery,
    response: S.RecommendationResponse,
    errors: [503],
  },
  'GET /recommendations/{userId}': {
    tag: 'recommendations',
    summary: 'Recommendations for a user (top_k)',
    path: S.RecommendationsPath,
    query: S.RecommendationsQuery,
    response: S.RecommendationResponse,
    errors: [503],
  },
  'GET /recommendation': {
    tag: 'recommendations',
    summary: 'Recommendations for a customer (the hybrid recommender\'s route: customer_id, top)',
    query: S.HybridRecommendationQuery,
    response: S.RecommendationResponse,
    errors: [503],
  },
  'POST /events': {
    tag: 'events',
    summary: 'Record app events (1–100: order, cart, wishlist, view, review with a 1–5 rating), all-or-nothing, idempotent by eventId',
    body: S.EventsBody,
    response: S.EventsResponse,
    errors: [409],
  },
  'GET /products': { tag: 'catalog', summary: 'List the catalog, page by page', query: S.ProductListQuery, response: S.ProductPage },
  'GET /products/{productId}': { tag: 'catalog', summary: 'Read a product', path: S.ProductPath, response: S.ProductResponse, errors: [404] },
  'PUT /products/{productId}': { tag: 'catalog', summary: 'Create or replace a product (201 when created)', path: S.ProductPath, body: S.ProductBody, response: S.ProductResponse },
  'DELETE /products/{productId}': {
    tag: 'catalog',
    summary: 'Soft-delete a product: never recommended again, its history kept',
    path: S.ProductPath,
    response: S.ProductResponse,
    errors: [404],
  },
  'GET /products/{productId}/similar': { tag: 'catalog', summary: 'Products similar by image and name', path: S.ProductPath, query: S.SimilarQuery, response: S.SimilarResponse, errors: [404, 503] },
  'GET /products/{productId}/image': { tag: 'catalog', summary: "Presigned download URL of the product's first photo", path: S.ProductPath, response: S.ImageDownloadResponse, errors: [404] },
  'POST /products/{productId}/image': {
    tag: 'catalog',
    summary: 'Presigned upload URL for a new photo (embedded once uploaded)',
    path: S.ProductPath,
    body: S.ImageRequest,
    response: S.ImageUploadResponse,
    errors: [404],
  },
  'GET /users/{userId}': { tag: 'users', summary: 'Read a user (country, blacklist, event count)', path: S.UserPath, response: S.UserResponse, errors: [404] },
  'PUT /users/{userId}': { tag: 'users', summary: 'Create or replace a user', path: S.UserPath, body: S.UserBody, response: S.UserResponse },
  'GET /users/{userId}/history': { tag: 'users', summary: 'Events credited to a user, newest first', path: S.UserPath, query: S.HistoryQuery, response: S.HistoryResponse },
  'GET /model': { tag: 'operations', summary: 'The serving model: versions, family and parameters, gate, figures', response: S.ModelResponse },
  'GET /metrics': {
    tag: 'operations',
    summary: 'Online metrics: attributed view/cart/wishlist/order rates per model version and reason',
    description: 'Events carrying the `recommendationId` of a response count when they follow one of its products within the attribution window.',
    query: S.MetricsQuery,
    response: S.MetricsResponse,
  },
  'GET /config': { tag: 'operations', summary: 'The business rules: active ones, their source, and those the serving version applies', response: C.ConfigResponse },
  'PUT /config': {
    tag: 'operations',
    summary: 'Replace the business rules (absent fields off); the next retrain applies them and records them in its manifest',
    body: C.BusinessRulesSchema,
    response: C.ConfigResponse,
  },
  'GET /health': { tag: 'operations', summary: 'Liveness and the serving model version', response: S.HealthResponse },
  'GET /openapi.json': { tag: 'operations', summary: 'This document', response: S.OpenApiResponse },
};

const ERROR_TEXT: Record<number, string> = {
  400: 'Bad input; nothing was written',
  401: 'Missing or invalid token (on AWS, or with AUTH=local)',
  403: 'The token may not do this',
  404: 'Not found',
  409: 'An eventId reused with a different payload',
  503: 'No model serving yet',
};

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** Path or query parameters from a zod object's fields. */
function parameters(where: 'path' | 'query', schema: z.ZodObject | undefined): JsonSchema[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const s = jsonSchema(field as z.ZodType, 'input');
    const { description, ...rest } = s;
    const optional = (field as z.ZodType).safeParse(undefined).success;
    return { name, in: where, required: where === 'path' || !optional, schema: rest, ...(description ? { description } : {}) };
  });
}

function operation(route: RouteSpec, op: Operation): JsonSchema {
  const hasInput = !!(op.path || op.query || op.body);
  const errors = [...new Set([...(hasInput ? [400] : []), ...(route.access === 'open' ? [] : [401, 403]), ...(op.errors ?? [])])].sort();
  const responses: Record<string, unknown> = {
    [String(op.status ?? 200)]: { description: 'OK', content: { 'application/json': { schema: jsonSchema(op.response, 'output') } } },
  };
  for (const status of errors) responses[String(status)] = { $ref: `#/components/responses/E${status}` };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    'x-access': route.access,
    security: route.access === 'open' ? [] : [{ bearer: [] }],
    parameters: [...parameters('path', op.path), ...parameters('query', op.query)],
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
    responses,
  };
}

/** Builds the document; throws when a route of routes.ts has no entry in OPERATIONS. */
export function buildOpenApi(options: { serverUrl?: string; version?: string } = {}): JsonSchema {
  const missing = ROUTES.filter((r) => !OPERATIONS[routeKey(r)]).map(routeKey);
  if (missing.length) throw new Error(`OpenAPI: no schema entry for ${missing.join(', ')}`);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route, OPERATIONS[routeKey(route)]);
  }
  const errorSchema = jsonSchema(S.ErrorResponse, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gift recommender API',
      version: options.version ?? '1',
      description: 'Errors are always `{"error":{"code","message","details"}}`. On AWS every route but GET /health and GET /openapi.json needs a bearer token; `x-access` says which (app, admin).',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
      responses: Object.fromEntries(
        Object.entries(ERROR_TEXT).map(([status, description]) => [
          `E${status}`,
          { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        ]),
      ),
    },
  };
}
