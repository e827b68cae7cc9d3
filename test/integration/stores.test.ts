import { policyOf, postUpload } from '../support/presigned-post.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { getDeps } from '../../functions/adapters/bootstrap.js';
import { ConflictError, NotFound } from '../../functions/core/domain/errors.js';
import type { Product } from '../../functions/core/domain/types.js';

let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws.stop();
});

const product = (id: string): Product => ({
  id, name: `Product ${id}`, description: '', price: 10, currency: 'EUR', category: 'hat', promoted: false,
  status: 'active', countries: [], images: [], createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', attributes: {},
});

describe('DynamoDB and S3 adapters against dynalite + s3rver', () => {
  it('stores products, batch-gets them and refuses embeddings for unknown products', async () => {
    const { catalog } = getDeps();
    await catalog.put(product('a'));
    await catalog.put(product('b'));
    const got = await catalog.batchGet(['a', 'b', 'missing']);
    expect(got.map((p) => p.id).sort()).toEqual(['a', 'b']);
    await catalog.setEmbeddings('a', { image_embedding: [0.5, -1], embedding_version: 'v1' });
    expect((await catalog.get('a'))?.image_embedding).toEqual([0.5, -1]);
    await expect(catalog.setEmbeddings('nope', { embedding_version: 'v1' })).rejects.toBeInstanceOf(NotFound);
    expect(await catalog.get('nope')).toBeUndefined();
  });

  it('writes events idempotently, credits gifts to the receiver and lists newest first', async () => {
    const { interactions } = getDeps();
    const events = [
      { eventId: 'e1', userId: 'u1', productId: 'a', type: 'view' as const, quantity: 1, timestamp: 1 },
      { eventId: 'e2', userId: 'u1', productId: 'b', type: 'order' as const, quantity: 1, timestamp: 2 },
      { eventId: 'e3', userId: 'u1', receiverId: 'u2', productId: 'a', type: 'order' as const, quantity: 1, timestamp: 3 },
    ];
    expect(await interactions.putEvents(events)).toEqual({ accepted: 3, duplicates: 0 });
    expect(await interactions.putEvents(events.slice(0, 2))).toEqual({ accepted: 0, duplicates: 2 });
    const u1 = await interactions.listForUser('u1');
    expect(u1.map((e) => e.eventId)).toEqual(['e2', 'e1']);
    const u2 = await interactions.listForUser('u2');
    expect(u2).toEqual([{ ...events[2] }]);
    expect(await interactions.countForUser('u1')).toBe(2);
  });

  it('swaps the model pointer only from the expected version', async () => {
    const { models } = getDeps();
    await models.putVersion('v1', { 'x.bin': new Uint8Array([1, 2, 3]) });
    expect(await models.readPointer()).toBeUndefined();
    await models.swapPointer(undefined, 'v1');
    await expect(models.swapPointer(undefined, 'v2')).rejects.toBeInstanceOf(ConflictError);
    await expect(models.swapPointer('v0', 'v2')).rejects.toBeInstanceOf(ConflictError);
    await models.swapPointer('v1', 'v2');
    expect(await models.readPointer()).toMatchObject({ version: 'v2', previous: 'v1' });
    expect(Array.from(await models.getFile('v1', 'x.bin'))).toEqual([1, 2, 3]);
  });

  it('a presigned POST allows one key, one content type and 1 byte to the limit, briefly; GET URLs work with plain fetch', async () => {
    const { images } = getDeps();
    const upload = await images.presignUpload('images/a/photo.jpg', 'image/jpeg', 1000);
    const policy = policyOf(upload);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([{ key: 'images/a/photo.jpg' }, ['eq', '$Content-Type', 'image/jpeg'], ['content-length-range', 1, 1000]]),
    );
    const ttl = Date.parse(policy.expiration) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(900_000 + 1000);
    expect(upload.fields).toMatchObject({ key: 'images/a/photo.jpg', 'Content-Type': 'image/jpeg' });
    expect((await postUpload(upload, new Uint8Array([9, 8, 7]), 'image/jpeg')).status).toBe(204);
    const get = await fetch(await images.presignDownload('images/a/photo.jpg'));
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(new Uint8Array([9, 8, 7]));
    expect(await images.getObject('images/a/photo.jpg')).toEqual({ bytes: new Uint8Array([9, 8, 7]), size: 3 });
    await expect(images.getObject('images/a/none.jpg')).rejects.toBeInstanceOf(NotFound);
    await images.deleteObject('images/a/photo.jpg');
    await expect(images.getObject('images/a/photo.jpg')).rejects.toBeInstanceOf(NotFound);
    await images.deleteObject('images/a/photo.jpg');
  });
});
