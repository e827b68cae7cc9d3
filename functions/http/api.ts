/**
 * The HTTP plumbing every API Lambda shares: a middy handler that dispatches on the API Gateway
 * v2 `routeKey`, parses JSON bodies, and maps errors to `{"error":{code,message,details}}` in one
 * place (`ERROR_TABLE`) — 400 for bad input (never a 500 for a caller's mistake), 404, 503 while no model serves.
 */
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { ArtifactMissing, ConflictError, CorruptArtifact, DomainError, EventIdConflict, InvalidInput, ModelNotReady, NotFound } from '../core/domain/errors.js';
import { authorizeRoute, callerOf, Forbidden, Unauthorized, type AuthMode, type AuthScopes, type Caller } from './auth.js';
import { ROUTES, routeKey, type RouteSpec } from './routes.js';
import { config } from '../config.js';

/**
 * The event after the middleware: `body` is parsed JSON (or undefined for bodiless requests) and
 * `caller` is who the token says is calling (functions/http/auth.ts), already allowed on the route.
 */
export type ApiEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body?: unknown; caller?: Caller };
export type ApiResult = APIGatewayProxyStructuredResultV2;
export type RouteHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

export function json(statusCode: number, body: unknown): ApiResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The API's error body: `{ error: { code, message, details } }`. */
export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, details: details ?? null } };
}

/** How one error class is answered: status, code, and whether its message is written for the caller. */
export interface ErrorRow {
  error: abstract new (...args: never[]) => Error;
  status: number;
  code: string;
  /** false: the message describes internals; the answer carries {@link GENERIC_MESSAGES} instead, the log the full error. */
  exposed: boolean;
}

/** Error class → answer, first match wins (subclasses before their parents). */
export const ERROR_TABLE: readonly ErrorRow[] = [
  { error: InvalidInput, status: 400, code: 'invalid_input', exposed: true },
  { error: Unauthorized, status: 401, code: 'unauthorized', exposed: true },
  { error: Forbidden, status: 403, code: 'forbidden', exposed: true },
  { error: NotFound, status: 404, code: 'not_found', exposed: true },
  // An eventId reused with another payload (nothing was written).
  { error: EventIdConflict, status: 409, code: 'conflict', exposed: true },
  { error: ModelNotReady, status: 503, code: 'model_not_ready', exposed: true },
  { error: ArtifactMissing, status: 503, code: 'artifact_missing', exposed: false },
  { error: CorruptArtifact, status: 500, code: 'internal', exposed: false },
  { error: ConflictError, status: 500, code: 'internal', exposed: false },
];

/** What an answer says in place of an internal message. */
export const GENERIC_MESSAGES: Record<string, string> = {
  artifact_missing: 'A file the service needs is missing; try again later',
  internal: 'Internal error',
};

/**
 * Who is calling, as the middleware decided. Fails closed: a route run without the middleware
 * (so without a decision) is an internal error, never an implicitly trusted caller.
 */
export function requestCaller(event: ApiEvent): Caller {
  if (!event.caller) throw new Error(`no caller on ${event.routeKey}: the route ran outside apiHandler`);
  return event.caller;
}

/** Maps any thrown value to a response; errors whose message is not for the caller are logged in full, never echoed. */
export function errorResponse(err: unknown, logger?: Logger): ApiResult {
  const row = ERROR_TABLE.find((r) => err instanceof r.error);
  if (row?.exposed) {
    const e = err as DomainError;
    // ModelNotReady has no particulars; the others carry theirs (e.g. per-field problems).
    return json(row.status, errorBody(row.code, e.message, row.code === 'model_not_ready' ? undefined : e.details));
  }
  // middy's own HttpErrors (e.g. the JSON body parser's "malformed JSON") are a caller's mistake.
  const status = (err as { statusCode?: number }).statusCode;
  if (!row && typeof status === 'number' && status >= 400 && status < 500) {
    return json(400, errorBody('invalid_json', 'Request body must be valid JSON'));
  }
  const code = row?.code ?? 'internal';
  const detail = err instanceof Error ? err : String(err);
  // Without a logger (a configuration that does not parse cannot build one) the error still reaches the log.
  if (logger) logger.error('unhandled error', detail);
  else console.error('unhandled error', detail);
  return json(row?.status ?? 500, errorBody(code, GENERIC_MESSAGES[code] ?? GENERIC_MESSAGES.internal));
}

/** The container's logger, if it can be built (a broken configuration is itself the error being answered). */
function containerLogger(logger: (() => Logger) | undefined): Logger | undefined {
  try {
    return logger?.();
  } catch {
    return undefined;
  }
}

const bodyParser = httpJsonBodyParser({ disableContentTypeCheck: true } as Parameters<typeof httpJsonBodyParser>[0]);

const ROUTE_SPECS = new Map<string, RouteSpec>(ROUTES.map((r) => [routeKey(r), r]));

/** How the API authorizes: mode and scope names (from the container's config). */
export interface AuthSettings {
  mode: AuthMode;
  scopes: AuthScopes;
}

function authFromConfig(): AuthSettings {
  const c = config();
  return { mode: c.AUTH, scopes: { admin: c.ADMIN_SCOPE, service: c.SERVICE_SCOPE } };
}

/**
 * Builds a Lambda handler for a set of routes keyed by API Gateway v2 routeKey
 * (e.g. `GET /products/{productId}`). `logger` is asked for only when an error is answered, so
 * importing a handler builds nothing. Before any route runs, the caller is read from the JWT
 * authorizer's claims and the route's access rule (routes.ts) is applied: 401/403 otherwise.
 */
export function apiHandler(routes: Record<string, RouteHandler>, logger?: () => Logger, auth: () => AuthSettings = authFromConfig) {
  const dispatch = async (event: ApiEvent, context: Context): Promise<ApiResult> => {
    const route = routes[event.routeKey];
    if (!route) return json(404, errorBody('not_found', `No route ${event.routeKey}`));
    return route(event, context);
  };
  return middy<ApiEvent, ApiResult>(dispatch)
    .use({
      before: async (request) => {
        const spec = ROUTE_SPECS.get(request.event.routeKey);
        const { mode, scopes } = auth();
        const caller = callerOf(request.event as unknown as APIGatewayProxyEventV2, mode, scopes);
        // A route missing from the table is refused for anyone but admins (404 follows for them).
        authorizeRoute(spec ?? { access: 'admin' }, caller, request.event.pathParameters ?? {});
        request.event.caller = caller;
      },
    })
    .use({
      // Only requests that carry a body are parsed; a GET with no body stays untouched.
      before: async (request) => {
        const body = (request.event as unknown as APIGatewayProxyEventV2).body;
        if (body === undefined || body === null || body === '') {
          request.event.body = undefined;
          return;
        }
        // The app may omit content-type; JSON is the only body this API takes.
        await bodyParser.before!(request as never);
        const bad = prototypeKeyPath(request.event.body);
        if (bad !== undefined) {
          throw new InvalidInput(`Invalid body: ${bad}: the keys __proto__, constructor and prototype are not allowed`, {
            details: [{ path: bad, message: 'key not allowed' }],
          });
        }
      },
    })
    .use({
      onError: async (request) => {
        request.response = errorResponse(request.error, containerLogger(logger));
      },
    });
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * The path of the first `__proto__` / `constructor` / `prototype` key anywhere in a parsed JSON
 * body, or undefined. Such keys would be dropped silently by object spreads or break the DynamoDB
 * marshaller; refusing them keeps what is stored equal to what was sent.
 */
export function prototypeKeyPath(value: unknown, path: string[] = []): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const here = [...path, key];
    if (PROTOTYPE_KEYS.has(key)) return here.join('.');
    const inner = prototypeKeyPath((value as Record<string, unknown>)[key], here);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

/** Parses `value` with a zod schema, turning failures into InvalidInput with per-field details. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidInput(what, parsed.error.issues);
}

/** A cross-field rule's issue carries the whole sentence to answer with (see functions/http/schemas.ts). */
export interface RequestIssueParams {
  summary: string;
}

/**
 * Parses a request with its family's schema (`{ path, query, body }`, see functions/http/schemas.ts).
 * The error names the part that failed first and lists that part's issues; a cross-field rule is
 * reported only when every field is valid on its own.
 */
export function parseRequest<S extends z.ZodType>(schema: S, event: ApiEvent): z.infer<S> {
  const parsed = schema.safeParse({ path: event.pathParameters ?? {}, query: event.queryStringParameters ?? {}, body: event.body });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues;
  const summary = (i: z.core.$ZodIssue) => (i as { params?: Partial<RequestIssueParams> }).params?.summary;
  const fieldIssues = issues.filter((i) => summary(i) === undefined);
  const rule = issues.find((i) => summary(i) !== undefined);
  if (fieldIssues.length === 0 && rule) {
    throw new InvalidInput(summary(rule)!, { details: [{ path: rule.path.slice(1).join('.'), message: rule.message }] });
  }
  const part = String(fieldIssues[0].path[0]);
  const ofPart = fieldIssues.filter((i) => i.path[0] === part).map((i) => ({ ...i, path: i.path.slice(1) }));
  throw invalidInput(part, ofPart);
}

function invalidInput(what: string, issues: readonly Pick<z.core.$ZodIssue, 'path' | 'message'>[]): InvalidInput {
  const details = issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = details[0];
  return new InvalidInput(`Invalid ${what}: ${first.path ? `${first.path}: ` : ''}${first.message}`, { details });
}

/** A decimal query/path number: digits with an optional fraction, no exponent, no sign games. */
export const decimalString = z
  .string()
  .trim()
  .regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number')
  .transform(Number)
  .pipe(z.number().finite());

/** An integer given as a string (bounds are the caller's `.pipe(z.number().min…)`). */
export const intString = z
  .string()
  .trim()
  .regex(/^-?\d+$/, 'must be an integer')
  .transform(Number)
  .pipe(z.number().int().safe());

/** ISO 3166 alpha-2 country code, any case in, upper case out. */
const REGIONS = new Intl.DisplayNames(['en'], { type: 'region' });
/** An ISO 3166 region code Node's ICU knows (ZZ, XX, … are not). */
export const isRegionCode = (c: string): boolean => {
  const name = REGIONS.of(c);
  return name !== undefined && name !== c && name !== 'Unknown Region';
};
export const countryCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'must be a 2-letter country code')
  .transform((c) => c.toUpperCase())
  .refine(isRegionCode, 'must be an ISO 3166 country code (e.g. CL, DE)');

/** Path ids: printable, bounded, no slashes (they come from path segments anyway). */
export const idString = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .regex(/^[\w.:@-]+$/, 'must contain only letters, digits and . _ : @ -')
  // Ids become S3 key segments (images/{productId}/…): a `..` segment would climb out of the prefix.
  .refine((id) => !id.includes('..'), 'must not contain ".."');
