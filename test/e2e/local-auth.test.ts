/**
 * `AUTH=local` end to end: the local runtime with its local token issuer, called over HTTP with
 * bearer tokens, the way the README's Auth section describes. The same authorization code as on
 * AWS runs behind the gateway's token check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../bin/local/runtime.js';
import { localSecret, scopeNames, signToken } from '../../bin/local/local-auth.js';

let runtime: LocalRuntime;
let dataDir: string;
let previousAuth: string | undefined;
const token = (sub: string, scope?: 'service' | 'admin') => signToken(localSecret(dataDir), { sub, scope: scopeNames(scope) });

async function call(method: string, p: string, bearer?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.url + p, {
    method,
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  previousAuth = process.env.AUTH;
  process.env.AUTH = 'local';
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-auth-e2e-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  runtime = await startLocalRuntime({ port: 0, dataDir, retrainIntervalS: 0, log: () => undefined });
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  if (previousAuth === undefined) delete process.env.AUTH;
  else process.env.AUTH = previousAuth;
});

describe('AUTH=local', () => {
  it('no token → 401 JSON; a forged token → 401; /health stays open', async () => {
    const none = await call('GET', '/recommend/2/5');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    expect((await call('GET', '/recommend/2/5', token('alice').slice(0, -4) + 'AAAA')).status).toBe(401);
    expect((await call('GET', '/health')).status).toBe(200);
  });

  it('alice may post her own events and a gift for bob, never an event as bob; the service may act for bob', async () => {
    const alice = token('alice');
    const ev = (eventId: string, userId: string, extra: Record<string, unknown> = {}) => ({ events: [{ eventId, userId, productId: 'p-0001', type: 'view', ...extra }] });
    expect((await call('POST', '/events', alice, ev('a-1', 'alice'))).status).toBe(200);
    const asBob = await call('POST', '/events', alice, ev('a-2', 'bob'));
    expect(asBob.status).toBe(403);
    expect(asBob.body.error.code).toBe('forbidden');
    expect((await call('POST', '/events', alice, ev('a-3', 'alice', { type: 'order', receiverId: 'bob' }))).body).toEqual({ accepted: 1, duplicates: 0 });
    expect((await call('POST', '/events', token('backend', 'service'), ev('s-1', 'bob'))).body).toEqual({ accepted: 1, duplicates: 0 });
    // The same eventId again, from another user: not written twice.
    expect((await call('POST', '/events', token('backend', 'service'), ev('a-1', 'bob'))).status).toBe(409);
  });

  it('alice reads her own user record, not bob\'s; only admins write the catalog', async () => {
    expect((await call('GET', '/users/bob', token('alice'))).status).toBe(403);
    expect((await call('GET', '/users/alice', token('alice'))).status).toBe(200);
    expect((await call('PUT', '/products/x-1', token('alice'), { name: 'x', price: 1 })).status).toBe(403);
    expect((await call('PUT', '/products/x-1', token('backend', 'service'), { name: 'x', price: 1 })).status).toBe(403);
    expect((await call('PUT', '/products/x-1', token('ops', 'admin'), { name: 'x', price: 1 })).status).toBe(201);
  });

  it("alice's gift recommendations for user 2 leave out 2's cart and history reasons; 2 sees them", async () => {
    const self = token('2');
    const before = await call('GET', '/recommend/2/10', self);
    expect(before.status).toBe(200);
    const target = before.body.recommended_products.find((p: { reasons: string[] }) => !p.reasons.includes('on_wishlist')).id;
    expect((await call('POST', '/events', self, { events: [{ eventId: 'cart-2', userId: '2', productId: target, type: 'cart' }] })).status).toBe(200);
    const own = await call('GET', '/recommend/2/10', self);
    const reasonsOf = (body: any) => body.recommended_products.flatMap((p: { reasons: string[] }) => p.reasons) as string[];
    expect(own.body.recommended_products.find((p: { id: string }) => p.id === target).reasons).toContain('in_cart');
    expect(reasonsOf(own.body).some((r) => r.startsWith('because_you_'))).toBe(true);
    const gift = await call('GET', '/recommend/2/10', token('alice'));
    expect(gift.status).toBe(200);
    expect(gift.body.recommended_products.map((p: { id: string }) => p.id)).toEqual(own.body.recommended_products.map((p: { id: string }) => p.id));
    const seen = reasonsOf(gift.body);
    expect(seen).not.toContain('in_cart');
    expect(seen.filter((r) => /^because_you_(bought|liked|viewed)/.test(r))).toEqual([]);
  });
});
