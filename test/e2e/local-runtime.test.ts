/**
 * End to end: the local runtime (`npm start`'s code) with its demo catalog, called over HTTP the
 * way the README's "How it will be checked" does, plus a fuzz pass over every route.
 */
import { postUpload } from '../support/presigned-post.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startLocalRuntime, type LocalRuntime } from '../../bin/local/runtime.js';
import { ROUTES } from '../../functions/http/routes.js';

let runtime: LocalRuntime;
let dataDir: string;

interface Rec {
  id: string;
  price: number;
  promoted: boolean;
  category: string;
  status: string;
  score: number;
  reasons: string[];
}
interface RecResponse {
  recommended_products: Rec[];
  model_version: string;
  promoted_shortfall: number;
}

async function get(p: string): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.url + p);
  return { status: res.status, body: await res.json() };
}
async function send(method: string, p: string, body: unknown, raw = false): Promise<{ status: number; body: any }> {
  const res = await fetch(runtime.url + p, { method, headers: { 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-e2e-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '200';
  runtime = await startLocalRuntime({ port: 0, dataDir, retrainIntervalS: 0, log: () => undefined });
  await runtime.embeddingsIdle();
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('local runtime over HTTP', () => {
  it('answers the seed query: 5 products in budget, ≥3 promoted, none owned by the receiver', async () => {
    const { status, body } = await get('/recommend/2/5?min_price=5000.01&max_price=20000.2&min_promoted=3');
    expect(status).toBe(200);
    const recs = (body as RecResponse).recommended_products;
    expect(recs).toHaveLength(5);
    for (const r of recs) {
      expect(r.price).toBeGreaterThanOrEqual(5000.01);
      expect(r.price).toBeLessThanOrEqual(20000.2);
      expect(r.status).toBe('active');
      expect(r.reasons.length).toBeGreaterThan(0);
      expect(typeof r.score).toBe('number');
    }
    expect(recs.filter((r) => r.promoted).length).toBeGreaterThanOrEqual(3);
    expect(body.promoted_shortfall).toBe(0);
    const history = (await get('/users/2')).body;
    expect(history.interaction_count).toBeGreaterThan(0);
    const { events } = await import('../../bin/local/demo-data.js').then((m) => m.generateDemoData());
    const owned = new Set(events.filter((e) => e.type === 'order' && (e.receiverId ?? e.userId) === '2').map((e) => e.productId));
    expect(owned.size).toBeGreaterThan(0);
    for (const r of recs) expect(owned.has(r.id)).toBe(false);
  });

  it('gives different users different lists', async () => {
    const a = (await get('/recommendations/1?top_k=10')).body as RecResponse;
    const b = (await get('/recommendations/2?top_k=10')).body as RecResponse;
    const idsA = a.recommended_products.map((r) => r.id);
    const idsB = b.recommended_products.map((r) => r.id);
    expect(idsA).toHaveLength(10);
    expect(idsA).not.toEqual(idsB);
    expect(idsA.filter((id) => idsB.includes(id)).length).toBeLessThan(5);
  });

  it('new orders leave the list at once and pull it toward their category; a retrain moves the version', async () => {
    const before = (await get('/recommendations/1?top_k=20')).body as RecResponse;
    const dressesBefore = before.recommended_products.filter((r) => r.category === 'dress').length;
    // Established dresses (new arrivals in the explored slots have no collaborative signal to pull with).
    const dresses = ((await get('/recommendations/1?top_k=40&category=dress')).body as RecResponse).recommended_products.filter((r) => !r.reasons.includes('new_arrival')).slice(0, 4);
    expect(dresses.length).toBe(4);
    const events = dresses.map((d, i) => ({ eventId: `e2e-order-${i}`, userId: '1', productId: d.id, type: 'order', quantity: 1 }));
    expect(await send('POST', '/events', { events })).toEqual({ status: 200, body: { accepted: 4, duplicates: 0 } });
    const after = (await get('/recommendations/1?top_k=20')).body as RecResponse;
    const afterIds = after.recommended_products.map((r) => r.id);
    for (const d of dresses) expect(afterIds).not.toContain(d.id);
    expect(after.recommended_products.filter((r) => r.category === 'dress').length).toBeGreaterThan(dressesBefore);

    const v1 = (await get('/health')).body.model_version;
    await runtime.retrain();
    await new Promise((r) => setTimeout(r, 300)); // the pointer cache TTL (MODEL_POINTER_TTL_MS)
    const v2 = (await get('/health')).body.model_version;
    expect(v2).not.toBe(v1);
    expect(((await get('/recommendations/1?top_k=5')).body as RecResponse).model_version).toBe(v2);
  });

  it('refuses bad input with a clear 400, writes nothing, and keeps serving', async () => {
    const bad = [
      '/recommend/2/0',
      '/recommend/2/abc',
      '/recommend/2/100000',
      '/recommend/2/5?min_price=200&max_price=100',
      '/recommend/2/5?min_price=-1',
      '/recommend/2/5?max_price=cheap',
      '/recommend/2/5?min_promoted=6',
      '/recommendations/2?top_k=-3',
    ];
    for (const p of bad) {
      const { status, body } = await get(p);
      expect(status, p).toBe(400);
      expect(body.error.code).toBe('invalid_input');
      expect(body.error.message.length).toBeGreaterThan(5);
    }
    const countBefore = (await get('/users/3')).body.interaction_count;
    const event = (i: number, extra: object = {}) => ({ eventId: `bad-${i}`, userId: '3', productId: 'p-0001', type: 'view', ...extra });
    const badBodies: [string, unknown, boolean][] = [
      ['malformed JSON', '{"events": [', true],
      ['unknown type', { events: [event(1), event(2, { type: 'like' })] }, false],
      ['101 events', { events: Array.from({ length: 101 }, (_, i) => event(i)) }, false],
      ['no events', { events: [] }, false],
      ['unknown product', { events: [event(3), event(4, { productId: 'nope' })] }, false],
    ];
    for (const [what, body, raw] of badBodies) {
      const res = await send('POST', '/events', body, raw);
      expect(res.status, what).toBe(400);
      expect(res.body.error.message, what).toBeTruthy();
    }
    expect((await get('/users/3')).body.interaction_count).toBe(countBefore);
    expect((await get('/health')).status).toBe(200);
  });

  it('embeds a photo uploaded through the presigned URL: a re-encoded copy finds its original first; bad uploads keep it', async () => {
    const sharp = (await import('sharp')).default;
    const { readFile } = await import('node:fs/promises');
    const demo = (await import('../../bin/local/demo-data.js')).generateDemoData();
    const original = demo.images.find((img) => img.productId === 'p-0007')!;
    const copy = await sharp(await readFile(path.join(process.cwd(), original.file))).resize({ width: 220 }).jpeg({ quality: 70 }).toBuffer();
    expect((await send('PUT', '/products/copy-1', { name: 'Copia de prueba', price: 9990 })).status).toBe(201);
    const upload = async (bytes: Uint8Array) => {
      const { body } = await send('POST', '/products/copy-1/image', { content_type: 'image/jpeg' });
      const posted = await postUpload({ url: body.upload_url, fields: body.fields }, bytes, 'image/jpeg');
      expect(posted.status).toBe(204);
      await runtime.embeddingsIdle();
    };
    await upload(copy);
    const similar = (await get('/products/copy-1/similar?k=5')).body;
    expect(similar.similar_products[0].id).toBe('p-0007');
    const embedded = (await get('/products/copy-1')).body.embedding_version;
    expect(embedded).toBeTruthy();

    const images = (await get('/products/copy-1')).body.images;
    expect(images).toHaveLength(1);
    // Corrupt and non-image uploads: logged, skipped and removed; the embedding and the image stay, the runtime serves.
    for (const bad of [copy.subarray(0, 200), new TextEncoder().encode('not an image at all')]) await upload(bad);
    expect((await get('/products/copy-1')).body.embedding_version).toBe(embedded);
    expect((await get('/products/copy-1')).body.images).toEqual(images);
    expect((await get('/products/copy-1/similar?k=5')).body.similar_products[0].id).toBe('p-0007');
    expect((await get('/health')).status).toBe(200);
  });

  it('GET /model names the backbone weights, the VAE figures and the ranking decision', async () => {
    const { status, body } = await get('/model');
    expect(status).toBe(200);
    const backbone = body.image_models.models.efficientnet_b0;
    expect(backbone.weights.description).toContain('tensorflow/efficientnet/b0/classification/1');
    expect(JSON.stringify(body.image_models.models.vae_encoder)).toMatch(/kl/i);
    expect(body.recommender.version).toBe(body.model_version);
    expect(body.recommender.gate.passed).toBe(true);
    expect(['two-stage', 'als']).toContain(body.recommender.ranking.mode);
    expect(body.recommender.ranking.reason.length).toBeGreaterThan(10);
    // The family, its parameters and every candidate's validation figure, chosen with no ALS_* set.
    const model = body.recommender.model;
    expect(['ease', 'als', 'popularity']).toContain(model.family);
    expect(model.description.length).toBeGreaterThan(5);
    expect(model.overrides).toBeUndefined();
    expect(model.selection.candidates.length).toBeGreaterThan(5);
    for (const c of model.selection.candidates) expect(c.ndcg10).toBeGreaterThanOrEqual(0);
    expect(model.selection.validationNdcg10).toBe(Math.max(...model.selection.candidates.map((c: { ndcg10: number }) => c.ndcg10)));
  });

  it('survives 3,000 malformed paths, queries and bodies on every route without a 5xx or a non-JSON body', async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('0', '-1', '1e9', 'NaN', '%', '%zz', '..', '💝', ' ', "'; drop table", '9'.repeat(40)),
    );
    // Every route of the route table, plus paths that match none.
    const routes = [...new Set(ROUTES.map((r) => r.path.slice(1).replace(/\{\w+\}/, '{a}').replace(/\{\w+\}/, '{b}'))), 'nope/{a}', '{a}'];
    const arb = fc.record({
      route: fc.constantFrom(...routes),
      a: segment,
      b: segment,
      method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH'),
      query: fc.dictionary(fc.constantFrom('min_price', 'max_price', 'min_promoted', 'top_k', 'top', 'customer_id', 'k', 'limit', 'cursor', 'days', 'country', 'category', 'x'), segment, { maxKeys: 4 }),
      body: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.json({ maxDepth: 3 }),
        fc.constant('{"events":[{"eventId":1}]}'),
        fc.constant('{"name":"x","price":-1}'),
        fc.constant('{"name":"x","price":1,"attributes":{"constructor":"y"}}'),
        fc.constant('{"__proto__":{"admin":true},"events":[]}'),
        fc.constant('{"name":"x","price":1,"images":["images/../../gift-models/models/v/manifest.json"]}'),
        fc.constant('{"events":[{"eventId":"f1","userId":"1","productId":"p-0001","type":"view","timestamp":4070908800000}]}'),
        fc.constant('{"events":[{"eventId":"f2","userId":"1","productId":"p-0001","type":"view","receiverId":"2"}]}'),
      ),
    });
    const samples = fc.sample(arb, { numRuns: 3000, seed: 42 });
    let fiveXX = 0;
    const seen: string[] = [];
    for (let i = 0; i < samples.length; i += 20) {
      await Promise.all(
        samples.slice(i, i + 20).map(async (s) => {
          const p = '/' + s.route.replace('{a}', encodeURIComponent(s.a)).replace('{b}', encodeURIComponent(s.b));
          const qs = new URLSearchParams(s.query).toString();
          const res = await fetch(`${runtime.url}${p}${qs ? `?${qs}` : ''}`, {
            method: s.method,
            body: s.method === 'GET' ? undefined : s.body,
            headers: { 'content-type': 'application/json' },
          });
          const text = await res.text();
          if (res.status >= 500) {
            fiveXX++;
            seen.push(`${s.method} ${p}?${qs} ${s.body} → ${res.status} ${text}`);
          }
          expect(() => JSON.parse(text), `${s.method} ${p} → ${res.status}`).not.toThrow();
          if (res.status >= 400) expect(JSON.parse(text).error?.code, `${s.method} ${p} → ${res.status}`).toEqual(expect.any(String));
        }),
      );
    }
    expect(seen).toEqual([]);
    expect(fiveXX).toBe(0);
    expect((await get('/health')).status).toBe(200);
  });
});
