/**
 * One contract suite per port of functions/core/domain/ports.ts: what every implementation must do,
 * run against the DynamoDB/S3 adapters (on dynalite + s3rver) and against the in-memory fakes of
 * test/support/in-memory-stores.ts (test/integration/port-contracts.test.ts). Ids are unique per
 * run, so the suites share one store with other tests.
 */
import { describe, expect, it } from 'vitest';
import { ArtifactMissing, ConflictError, EventIdConflict, InvalidInput, NotFound } from '../../functions/core/domain/errors.js';
import type { CatalogStore, ImageStore, InteractionStore, ModelStore, OnlineMetricsStore, UserStore } from '../../functions/core/domain/ports.js';
import type { InteractionEvent, Product } from '../../functions/core/domain/types.js';
import { dayOf, type Impression } from '../../functions/core/domain/online-metrics.js';

type Make<T> = () => T | Promise<T>;
let serial = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${serial++}`;

export function product(id: string, over: Partial<Product> = {}): Product {
  const at = '2026-01-01T00:00:00.000Z';
  return { id, name: `Regalo ${id}`, description: '', price: 1000, currency: 'EUR', category: 'hat', promoted: false, status: 'active', countries: [], images: [], createdAt: at, updatedAt: at, attributes: {}, ...over };
}

const collect = async <T>(it: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

export function catalogStoreContract(name: string, make: Make<CatalogStore>): void {
  describe(`CatalogStore contract: ${name}`, () => {
    it('puts, gets and batch-gets products as written; missing ids are skipped', async () => {
      const store = await make();
      const a = product(unique('a'), { attributes: { color: 'red' }, countries: ['CL'] });
      const b = product(unique('b'), { promoted: true });
      await store.put(a);
      await store.put(b);
      expect(await store.get(a.id)).toEqual(a);
      expect(await store.get(unique('nothing'))).toBeUndefined();
      const got = await store.batchGet([a.id, b.id, a.id, unique('missing')]);
      expect(got.sort((x, y) => x.id.localeCompare(y.id))).toEqual([a, b].sort((x, y) => x.id.localeCompare(y.id)));
      expect((await collect(store.scanAll())).map((p) => p.id)).toEqual(expect.arrayContaining([a.id, b.id]));
    });

    it('batch-gets public products: every attribute as written but the embedding vectors', async () => {
      const store = await make();
      const a = product(unique('pub'), { attributes: { color: 'red' }, countries: ['CL'], promoted: true });
      await store.put(a);
      await store.setEmbeddings(a.id, { image_embedding: [0.5, -0.25], text_embedding: [1, 2], embedding_version: 'v3' });
      const b = { ...product(unique('pub')), status: 'deleted' as const, deletedAt: new Date(0).toISOString() };
      await store.put(b);
      const got = (await store.batchGetPublic([a.id, b.id, unique('missing')])).sort((x, y) => x.id.localeCompare(y.id));
      expect(got).toEqual([{ ...a, embedding_version: 'v3' }, b].sort((x, y) => x.id.localeCompare(y.id)));
      expect((await store.batchGet([a.id]))[0]).toMatchObject({ image_embedding: [0.5, -0.25], text_embedding: [1, 2] });
    });

    it('sets embeddings of a product that exists, NotFound otherwise', async () => {
      const store = await make();
      const p = product(unique('e'));
      await store.put(p);
      await store.setEmbeddings(p.id, { image_embedding: [0.5, -0.25], embedding_version: 'v1' });
      expect(await store.get(p.id)).toEqual({ ...p, image_embedding: [0.5, -0.25], embedding_version: 'v1' });
      await store.setEmbeddings(p.id, { text_embedding: [1], embedding_version: 'v2' });
      expect(await store.get(p.id)).toMatchObject({ image_embedding: [0.5, -0.25], text_embedding: [1], embedding_version: 'v2' });
      await expect(store.setEmbeddings(unique('ghost'), { embedding_version: 'v1' })).rejects.toBeInstanceOf(NotFound);
    });

    it('soft-deletes (status deleted, deletedAt kept from the first delete), NotFound for an unknown id', async () => {
      const store = await make();
      const p = product(unique('d'));
      await store.put(p);
      const deleted = await store.softDelete(p.id, '2026-02-01T00:00:00.000Z');
      expect(deleted).toMatchObject({ id: p.id, status: 'deleted', deletedAt: '2026-02-01T00:00:00.000Z', updatedAt: '2026-02-01T00:00:00.000Z' });
      expect((await store.softDelete(p.id, '2026-03-01T00:00:00.000Z')).deletedAt).toBe('2026-02-01T00:00:00.000Z');
      expect(await store.get(p.id)).toMatchObject({ status: 'deleted' });
      await expect(store.softDelete(unique('ghost'), '2026-02-01T00:00:00.000Z')).rejects.toBeInstanceOf(NotFound);
    });

    it('lists page by page with a cursor, filtered; deleted products only when asked for', async () => {
      const store = await make();
      const category = unique('cat');
      const ids = Array.from({ length: 5 }, () => unique('l'));
      for (const id of ids) await store.put(product(id, { category }));
      await store.softDelete(ids[4], '2026-02-01T00:00:00.000Z');
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const res = await store.list({ limit: 2, category, cursor });
        expect(res.items.length).toBeLessThanOrEqual(2);
        seen.push(...res.items.map((p) => p.id));
        cursor = res.cursor;
        if (!cursor) break;
      }
      expect(seen.sort()).toEqual(ids.slice(0, 4).sort());
      expect((await store.list({ limit: 10, category, status: 'deleted' })).items.map((p) => p.id)).toEqual([ids[4]]);
      await expect(store.list({ limit: 2, cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(InvalidInput);
    });

    it('lists the products changed since a time, newest change first, at most `limit`', async () => {
      const store = await make();
      const since = Date.now();
      const ids = [unique('c'), unique('c'), unique('c')];
      for (const id of ids) {
        await store.put(product(id));
        await new Promise((r) => setTimeout(r, 5));
      }
      await store.setEmbeddings(ids[0], { embedding_version: 'v1' });
      const changed = (await store.listChangedSince(since, 100)).map((p) => p.id).filter((id) => ids.includes(id));
      expect(changed).toEqual([ids[0], ids[2], ids[1]]);
      expect((await store.listChangedSince(since, 1)).length).toBe(1);
      expect((await store.listChangedSince(Date.now() + 60_000, 100)).filter((p) => ids.includes(p.id))).toEqual([]);
    });

    it('tells the newest change since a time: which product and when, moving with every put, embedding and delete', async () => {
      const store = await make();
      const since = Date.now();
      const [a, b] = [unique('n'), unique('n')];
      await store.put(product(a));
      await new Promise((r) => setTimeout(r, 5));
      await store.put(product(b));
      const first = (await store.newestChangeSince(since))!;
      expect(first.id).toBe(b);
      expect(first.changedAt).toBeGreaterThanOrEqual(since);
      await new Promise((r) => setTimeout(r, 5));
      await store.setEmbeddings(a, { embedding_version: 'v2' });
      const second = (await store.newestChangeSince(since))!;
      expect(second.id).toBe(a);
      expect(second.changedAt).toBeGreaterThan(first.changedAt);
      await new Promise((r) => setTimeout(r, 5));
      await store.softDelete(b, new Date().toISOString());
      expect((await store.newestChangeSince(since))!.id).toBe(b);
      expect(await store.newestChangeSince(Date.now() + 60_000)).toBeUndefined();
    });
  });
}

const event = (over: Partial<InteractionEvent> & { eventId: string; userId: string }): InteractionEvent => ({ productId: 'p1', type: 'view', quantity: 1, timestamp: 1_700_000_000_000, ...over });

export function interactionStoreContract(name: string, make: Make<InteractionStore>): void {
  describe(`InteractionStore contract: ${name}`, () => {
    it('stores events idempotently by eventId and lists a user\'s newest first', async () => {
      const store = await make();
      const user = unique('u');
      const e1 = event({ eventId: unique('e'), userId: user, timestamp: 1_000 });
      const e2 = event({ eventId: unique('e'), userId: user, timestamp: 3_000, type: 'cart', quantity: 2 });
      const e3 = event({ eventId: unique('e'), userId: user, timestamp: 2_000, type: 'wishlist' });
      expect(await store.putEvents([e1, e2])).toEqual({ accepted: 2, duplicates: 0 });
      expect(await store.putEvents([e2, e3])).toEqual({ accepted: 1, duplicates: 1 });
      expect(await store.listForUser(user)).toEqual([e2, e3, e1].map((e) => ({ ...e, receiverId: undefined })));
      expect((await store.listForUser(user, 2)).map((e) => e.eventId)).toEqual([e2.eventId, e3.eventId]);
      expect(await store.countForUser(user)).toBe(3);
      expect(await store.countForUser(unique('nobody'))).toBe(0);
    });

    it('credits a gift order to its receiver', async () => {
      const store = await make();
      const [buyer, receiver] = [unique('buyer'), unique('receiver')];
      const gift = event({ eventId: unique('g'), userId: buyer, receiverId: receiver, type: 'order' });
      await store.putEvents([gift]);
      expect(await store.listForUser(receiver)).toEqual([gift]);
      expect(await store.countForUser(buyer)).toBe(0);
      expect((await collect(store.scanAll())).filter((e) => e.eventId === gift.eventId)).toEqual([gift]);
    });

    it('keeps a review\'s rating and text; the same review again is a duplicate, another rating or text under its id a conflict', async () => {
      const store = await make();
      const user = unique('u');
      const review = event({ eventId: unique('r'), userId: user, type: 'review', rating: 4, text: 'Suave y abrigada', timestamp: 5_000 });
      const textless = event({ eventId: unique('r'), userId: user, type: 'review', rating: 1, timestamp: 4_000 });
      expect(await store.putEvents([review, textless])).toEqual({ accepted: 2, duplicates: 0 });
      expect(await store.putEvents([review])).toEqual({ accepted: 0, duplicates: 1 });
      const listed = await store.listForUser(user);
      expect(listed.map((e) => [e.eventId, e.rating, e.text])).toEqual([[review.eventId, 4, 'Suave y abrigada'], [textless.eventId, 1, undefined]]);
      expect('text' in listed[1]).toBe(false);
      expect((await collect(store.scanAll())).find((e) => e.eventId === review.eventId)).toMatchObject({ type: 'review', rating: 4, text: 'Suave y abrigada' });
      await expect(store.putEvents([{ ...review, rating: 5 }])).rejects.toBeInstanceOf(EventIdConflict);
      await expect(store.putEvents([{ ...review, text: 'Otra cosa' }])).rejects.toBeInstanceOf(EventIdConflict);
      expect(await store.countForUser(user)).toBe(2);
    });

    it('refuses a whole batch when an eventId was stored with another payload', async () => {
      const store = await make();
      const user = unique('u');
      const first = event({ eventId: unique('e'), userId: user });
      await store.putEvents([first]);
      const fresh = event({ eventId: unique('e'), userId: user });
      await expect(store.putEvents([fresh, { ...first, productId: 'another' }])).rejects.toBeInstanceOf(EventIdConflict);
      expect((await store.listForUser(user)).map((e) => e.eventId)).toEqual([first.eventId]);
    });
  });
}

export function userStoreContract(name: string, make: Make<UserStore>): void {
  describe(`UserStore contract: ${name}`, () => {
    it('puts, replaces and gets profiles; scanAll sees them', async () => {
      const store = await make();
      const id = unique('user');
      expect(await store.get(id)).toBeUndefined();
      await store.put({ id, country: 'CL', blacklist: ['p1'] });
      await store.put({ id, blacklist: [] });
      expect(await store.get(id)).toEqual({ id, blacklist: [] });
      expect((await collect(store.scanAll())).find((u) => u.id === id)).toEqual({ id, blacklist: [] });
      await store.put({ id, blacklist: [], wishlistPublic: false });
      expect(await store.get(id)).toEqual({ id, blacklist: [], wishlistPublic: false });
    });
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);

export function modelStoreContract(name: string, make: Make<ModelStore>): void {
  describe(`ModelStore contract: ${name}`, () => {
    it('stores versions file by file; a version is complete once its manifest is written', async () => {
      const store = await make();
      const [v1, half] = [unique('v'), unique('v')];
      await store.putVersion(v1, { 'manifest.json': bytes('{}'), 'items.json': bytes('[1]') });
      await store.putVersion(half, { 'items.json': bytes('[2]') });
      expect(await store.getFile(v1, 'items.json')).toEqual(bytes('[1]'));
      await expect(store.getFile(v1, 'nothing.bin')).rejects.toBeInstanceOf(ArtifactMissing);
      const listed = new Map((await store.listVersions()).map((v) => [v.version, v]));
      expect(listed.get(v1)?.complete).toBe(true);
      expect(listed.get(half)?.complete).toBe(false);
      expect(listed.get(v1)!.lastModified).toBeGreaterThan(0);
      await store.deleteVersion(half);
      expect((await store.listVersions()).some((v) => v.version === half)).toBe(false);
      await expect(store.getFile(half, 'items.json')).rejects.toBeInstanceOf(ArtifactMissing);
    });

    it('swaps the pointer only from the version it names, keeping the replaced ones newest first', async () => {
      const store = await make();
      const before = (await store.readPointer())?.version;
      const [a, b] = [unique('p'), unique('p')];
      await expect(store.swapPointer(unique('not-the-pointer'), a)).rejects.toBeInstanceOf(ConflictError);
      await store.swapPointer(before, a);
      await store.swapPointer(a, b);
      const pointer = await store.readPointer();
      expect(pointer).toMatchObject({ version: b, previous: a });
      expect(pointer!.history![0]).toBe(a);
      expect(Number.isNaN(Date.parse(pointer!.updatedAt))).toBe(false);
      await expect(store.swapPointer(a, unique('late'))).rejects.toBeInstanceOf(ConflictError);
      expect((await store.readPointer())?.version).toBe(b);
    });
  });
}

/** `seed` writes an object the way uploads do (PUT to the bucket, or into the fake). */
export function imageStoreContract(name: string, make: Make<ImageStore>, seed: (key: string, body: Uint8Array) => Promise<void>): void {
  describe(`ImageStore contract: ${name}`, () => {
    it('presigns a POST for one key, content type and size range, and a download URL; reads and deletes stored objects; NotFound otherwise', async () => {
      const store = await make();
      const key = `images/${unique('p')}/front.jpg`;
      const upload = await store.presignUpload(key, 'image/jpeg', 1000);
      expect(upload.fields).toMatchObject({ key, 'Content-Type': 'image/jpeg' });
      const policy = JSON.parse(Buffer.from(upload.fields.Policy, 'base64').toString('utf8'));
      expect(policy.conditions).toEqual(expect.arrayContaining([{ key }, ['eq', '$Content-Type', 'image/jpeg'], ['content-length-range', 1, 1000]]));
      expect(Date.parse(policy.expiration)).toBeGreaterThan(Date.now());
      const parsed = new URL(await store.presignDownload(key));
      expect(decodeURIComponent(parsed.pathname)).toContain(key);
      expect(parsed.searchParams.get('X-Amz-Expires')).toMatch(/^\d+$/);
      await seed(key, bytes('jpeg bytes'));
      expect(await store.getObject(key)).toEqual({ bytes: bytes('jpeg bytes'), size: 10 });
      await store.deleteObject(key);
      await expect(store.getObject(key)).rejects.toBeInstanceOf(NotFound);
      await store.deleteObject(key);
      await expect(store.getObject(`images/${unique('p')}/none.jpg`)).rejects.toBeInstanceOf(NotFound);
    });
  });
}

export function onlineMetricsStoreContract(name: string, make: Make<OnlineMetricsStore>): void {
  describe(`OnlineMetricsStore contract: ${name}`, () => {
    it('records impressions, counts each attribution once, and sums counters per day and version', async () => {
      const store = await make();
      const version = unique('mv');
      const shownAt = Date.now();
      const imp: Impression = { recommendationId: unique('rec'), userId: 'ana', modelVersion: version, shownAt, items: [{ id: 'p1', reasons: ['because_you_bought:p9', 'promoted'] }, { id: 'p2', reasons: [] }] };
      await store.recordImpression(imp);
      await store.recordImpression({ ...imp, recommendationId: unique('rec'), items: [{ id: 'p3', reasons: ['promoted'] }] });
      expect(await store.getImpression(imp.recommendationId)).toEqual(imp);
      expect(await store.getImpression(unique('rec'))).toBeUndefined();
      expect(await store.recordAttribution(imp, 'p1', 'cart', ['because_you_bought:p9'])).toBe(true);
      expect(await store.recordAttribution(imp, 'p1', 'cart', ['because_you_bought:p9'])).toBe(false);
      expect(await store.recordAttribution(imp, 'p1', 'order', ['because_you_bought:p9'])).toBe(true);
      const rows = (await store.readCounters([dayOf(shownAt)])).filter((r) => r.modelVersion === version);
      expect(rows).toHaveLength(1);
      expect(rows[0].counters).toMatchObject({
        responses: 2,
        impressions: 3,
        'impressions:promoted': 2,
        'impressions:because_you_bought': 1,
        'attributed:cart': 1,
        'attributed:order': 1,
        'attributed:cart:because_you_bought': 1,
      });
      expect(await store.readCounters(['1999-01-01'])).toEqual([]);
    });

    it('replaces an impression by what was finally shown, its counters moved by the difference, or withdraws it', async () => {
      const store = await make();
      const version = unique('mv');
      const shownAt = Date.now();
      const first: Impression = { recommendationId: unique('rec'), userId: 'ana', modelVersion: version, shownAt, items: [{ id: 'p1', reasons: ['promoted'] }, { id: 'p2', reasons: ['trending'] }] };
      const final: Impression = { ...first, items: [{ id: 'p2', reasons: ['trending'] }, { id: 'p3', reasons: ['because_you_bought:p9'] }] };
      await store.recordImpression(first);
      await store.replaceImpression(first, final);
      expect(await store.getImpression(first.recommendationId)).toEqual(final);
      const counters = async () => (await store.readCounters([dayOf(shownAt)])).find((r) => r.modelVersion === version)!.counters;
      const after = await counters();
      expect(after).toMatchObject({ responses: 1, impressions: 2, 'impressions:trending': 1, 'impressions:because_you_bought': 1 });
      expect(after['impressions:promoted'] ?? 0).toBe(0);
      const other: Impression = { ...first, recommendationId: unique('rec'), items: [{ id: 'p4', reasons: ['promoted'] }] };
      await store.recordImpression(other);
      await store.replaceImpression(other, undefined);
      expect(await store.getImpression(other.recommendationId)).toBeUndefined();
      expect(await counters()).toMatchObject({ responses: 1, impressions: 2, 'impressions:trending': 1 });
      expect((await counters())['impressions:promoted'] ?? 0).toBe(0);
    });
  });
}
