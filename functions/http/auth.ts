/**
 * Authorization, in one place. API Gateway's JWT authorizer (or, locally, the gateway in
 * `AUTH=local`) has already verified the token; this module reads the claims it put into the event
 * (`requestContext.authorizer.jwt.{claims,scopes}`), decides who the caller is, and applies the
 * route's access rule from functions/http/routes.ts:
 *
 * - app user (any valid token): acts only as itself (`sub`) — events with `userId = sub`, its own
 *   user record; may ask recommendations for any receiver (that is gifting), with the receiver's
 *   private reasons redacted unless it is the receiver.
 * - service scope (the app's backend): may act for any user.
 * - admin scope: everything, including catalog writes, image upload URLs and the model manifest.
 *
 * `AUTH=none` (the default of `npm start`, never set on AWS) skips all of it: every caller is trusted.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DomainError } from '../core/domain/errors.js';
import type { RouteSpec } from './routes.js';

/** No or invalid credentials: 401. */
export class Unauthorized extends DomainError {}
/** Valid credentials, not allowed to do this: 403. */
export class Forbidden extends DomainError {}

export type AuthMode = 'none' | 'jwt' | 'local';

/** The full OAuth scope names; the local issuer and Cognito use the same ones. */
export interface AuthScopes {
  admin: string;
  service: string;
}

export const DEFAULT_SCOPES: AuthScopes = { admin: 'gift-recommender/admin', service: 'gift-recommender/service' };

export type Caller =
  /** AUTH=none: no identity, every rule passes. */
  | { kind: 'trusted' }
  | { kind: 'anonymous' }
  | { kind: 'user'; sub: string }
  | { kind: 'service'; sub: string }
  | { kind: 'admin'; sub: string };

/** The claims as API Gateway v2's JWT authorizer passes them (every claim value a string). */
interface JwtAuthorizerContext {
  jwt?: { claims?: Record<string, string | number | boolean | string[]>; scopes?: string[] | null };
}

/** The scopes of a token: the authorizer's parsed list, else the `scope` claim (space separated). */
function scopesOf(jwt: NonNullable<JwtAuthorizerContext['jwt']>): string[] {
  if (Array.isArray(jwt.scopes) && jwt.scopes.length > 0) return jwt.scopes;
  const raw = jwt.claims?.scope;
  if (Array.isArray(raw)) return raw.map(String);
  // API Gateway renders array claims as "[a b]"; a space-separated string is the OAuth form.
  return typeof raw === 'string' ? raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean) : [];
}

/** Who is calling, from the authorizer's claims. */
export function callerOf(event: Pick<APIGatewayProxyEventV2, 'requestContext'>, mode: AuthMode, scopes: AuthScopes = DEFAULT_SCOPES): Caller {
  if (mode === 'none') return { kind: 'trusted' };
  const jwt = (event.requestContext as { authorizer?: JwtAuthorizerContext } | undefined)?.authorizer?.jwt;
  const sub = jwt?.claims?.sub;
  const granted = jwt ? scopesOf(jwt) : [];
  // Client-credentials tokens (the backend, admin jobs) carry no user: their subject is the client id.
  const subject = typeof sub === 'string' && sub.length > 0 ? sub : typeof jwt?.claims?.client_id === 'string' ? jwt.claims.client_id : undefined;
  if (!jwt || subject === undefined) return { kind: 'anonymous' };
  if (granted.includes(scopes.admin)) return { kind: 'admin', sub: subject };
  if (granted.includes(scopes.service)) return { kind: 'service', sub: subject };
  return { kind: 'user', sub: subject };
}

/** May act for any user (AUTH=none, service, admin). */
export function actsForAnyone(caller: Caller): boolean {
  return caller.kind === 'trusted' || caller.kind === 'service' || caller.kind === 'admin';
}

/**
 * The route-level rule (routes.ts `access`), before the handler runs:
 * `open` anyone; `app` any signed-in caller; `self` the user named by the path's `userId` (or one
 * acting for anyone); `service` service or admin; `admin` admin only.
 */
export function authorizeRoute(route: Pick<RouteSpec, 'access'>, caller: Caller, pathParameters: Record<string, string | undefined> = {}): void {
  if (route.access === 'open' || caller.kind === 'trusted') return;
  if (caller.kind === 'anonymous') throw new Unauthorized('A valid bearer token is required');
  switch (route.access) {
    case 'app':
      return;
    case 'self':
      if (actsForAnyone(caller) || pathParameters.userId === caller.sub) return;
      throw new Forbidden('An app user may only read its own user record');
    case 'service':
      if (actsForAnyone(caller)) return;
      throw new Forbidden('This route needs the service or admin scope');
    case 'admin':
      if (caller.kind === 'admin') return;
      throw new Forbidden('This route needs the admin scope');
  }
}

/** Events only as oneself: every `userId` must be the caller's (gifts may name any receiver). */
export function authorizeActingAs(caller: Caller, userIds: Iterable<string>): void {
  if (caller.kind === 'anonymous') throw new Unauthorized('A valid bearer token is required');
  if (caller.kind !== 'user') return;
  const others = [...new Set(userIds)].filter((id) => id !== caller.sub);
  if (others.length > 0) {
    throw new Forbidden(`An app user may only post its own events (token subject ${caller.sub})`, { details: others.slice(0, 5).map((id) => ({ path: 'userId', message: `not the caller: ${id}` })) });
  }
}

/** Reasons that reveal the receiver's cart, purchases, likes or browsing. */
const PRIVATE_REASON = /^(in_cart|because_you_(bought|liked|viewed)(:.*)?)$/;
const WISHLIST_REASON = 'on_wishlist';

/**
 * Reasons the caller may see about the receiver: all of them for the receiver itself and for
 * callers acting for anyone; for another app user (a gift-giver) the cart and history reasons
 * (`in_cart`, `because_you_bought|liked|viewed`) are dropped, and `on_wishlist` too unless the
 * receiver made the wishlist public.
 */
export function visibleReasons(caller: Caller, receiverId: string, wishlistPublic: boolean): (reason: string) => boolean {
  if (actsForAnyone(caller) || (caller.kind === 'user' && caller.sub === receiverId)) return () => true;
  return (reason) => !PRIVATE_REASON.test(reason) && (wishlistPublic || reason !== WISHLIST_REASON);
}
