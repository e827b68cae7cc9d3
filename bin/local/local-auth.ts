/**
 * The local issuer of `AUTH=local`: HS256 JWTs (node:crypto) signed with a per-data-dir secret,
 * verified by the local gateway, which then hands the handlers the same
 * `requestContext.authorizer.jwt` that API Gateway's JWT authorizer builds on AWS. Only the issuer
 * is local: the authorization rules are functions/http/auth.ts, on AWS and here alike.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_SCOPES, type AuthScopes } from '../../functions/http/auth.js';

export const LOCAL_ISSUER = 'gift-recommender-local';
export const LOCAL_AUDIENCE = 'gift-recommender';

export interface TokenClaims {
  sub: string;
  scope?: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  token_use: 'access';
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** The signing secret: env `LOCAL_AUTH_SECRET`, else `DATA_DIR/local-auth-secret` (created once, mode 0600). */
export function localSecret(dataDir: string): Buffer {
  if (process.env.LOCAL_AUTH_SECRET) return Buffer.from(process.env.LOCAL_AUTH_SECRET, 'utf8');
  const file = path.join(dataDir, 'local-auth-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
}

/** The scope names a `--scope service|admin` option stands for. */
export function scopeNames(short: string | undefined, scopes: AuthScopes = DEFAULT_SCOPES): string | undefined {
  if (short === undefined) return undefined;
  return short
    .split(',')
    .map((s) => (s === 'admin' ? scopes.admin : s === 'service' ? scopes.service : s))
    .join(' ');
}

export function signToken(secret: Buffer, claims: { sub: string; scope?: string; ttlSeconds?: number }, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload: TokenClaims = {
    sub: claims.sub,
    ...(claims.scope ? { scope: claims.scope } : {}),
    iss: LOCAL_ISSUER,
    aud: LOCAL_AUDIENCE,
    iat,
    exp: iat + (claims.ttlSeconds ?? 3600),
    token_use: 'access',
  };
  const signingInput = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${b64url(createHmac('sha256', secret).update(signingInput).digest())}`;
}

/** The token's claims if it is ours (HS256 only, signature, issuer, audience, expiry), else undefined. */
export function verifyToken(secret: Buffer, token: string, now = Date.now()): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, sig] = parts;
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: string };
    if (header.alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', secret).update(`${h}.${p}`).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as TokenClaims;
    if (claims.iss !== LOCAL_ISSUER || claims.aud !== LOCAL_AUDIENCE) return undefined;
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return undefined;
    return claims;
  } catch {
    return undefined;
  }
}

/**
 * `requestContext.authorizer` as API Gateway v2's JWT authorizer fills it: every claim value as a
 * string, and `scopes` parsed from the `scope` claim (null when there is none).
 */
export function jwtAuthorizerContext(claims: TokenClaims): { jwt: { claims: Record<string, string>; scopes: string[] | null } } {
  const asStrings = Object.fromEntries(Object.entries(claims).map(([k, v]) => [k, String(v)]));
  const scopes = claims.scope ? claims.scope.split(' ').filter(Boolean) : null;
  return { jwt: { claims: asStrings, scopes } };
}
