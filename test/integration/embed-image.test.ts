/**
 * embed-image against dynalite + s3rver: objects are uploaded with the real SDK, s3rver emits the
 * S3 `ObjectCreated` event exactly as it does for the local runtime, and that event is handed to
 * the Lambda handler. Needs the ONNX artifacts (models/artifacts, or env MODELS_DIR); skips with a
 * message when they are absent.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../functions/adapters/bootstrap.js';
import { OnnxImageEmbedder } from '../../functions/adapters/onnx-image-embedder.js';
import { HashedNgramEmbedder } from '../../functions/core/content/text-embedding.js';
import type { Product } from '../../functions/core/domain/types.js';
import { handler } from '../../functions/embed-image/handler.js';
import { embedProductImage, type EmbedOutcome } from '../../functions/embed-image/embed-product-image.js';
import { MAX_IMAGE_BYTES, productIdFromKey } from '../../functions/core/domain/product-images.js';
import { toAwsS3Event } from '../../functions/embed-image/s3-event.js';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';

const modelsDir = path.resolve(process.env.MODELS_DIR ?? 'models/artifacts');
const haveModels = ['efficientnet_b0.onnx', 'vae_encoder.onnx'].every((f) => existsSync(path.join(modelsDir, f)));
if (!haveModels) console.warn(`SKIP embed-image integration: no efficientnet_b0.onnx + vae_encoder.onnx in ${modelsDir} (npm run models:build)`);

const photoDir = 'demo/images/dress';
const photo = () => new Uint8Array(readFileSync(path.join(photoDir, readdirSync(photoDir).sort()[0])));

const product = (id: string, name: string): Product => ({
  id, name, description: '', price: 20, currency: 'EUR', category: 'dress', promoted: false, status: 'active',
  countries: [], images: [], createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', attributes: {},
});

describe.skipIf(!haveModels)('embed-image handler (S3 event → embedding on the product)', () => {
  let aws: LocalAws;
  let prevModelsDir: string | undefined;
  /** Events s3rver emitted, by decoded key, for uploads awaiting theirs. */
  const waiting = new Map<string, (e: S3Event) => void>();

  beforeAll(async () => {
    prevModelsDir = process.env.MODELS_DIR;
    process.env.MODELS_DIR = modelsDir;
    aws = await startLocalAws();
    aws.onS3Event((event) => {
      // s3rver puts raw keys in its events; AWS URL-encodes them: re-encode as the local runtime does.
      for (const r of event.Records) {
        const key = r.s3.object.key;
        waiting.get(key)?.(toAwsS3Event({ Records: [r] }));
        waiting.delete(key);
      }
    });
    const { catalog } = getDeps();
    await catalog.put(product('p-good', 'Vestido de fiesta rojo'));
  }, 60_000);
  afterAll(async () => {
    await aws?.stop();
    if (prevModelsDir === undefined) delete process.env.MODELS_DIR;
    else process.env.MODELS_DIR = prevModelsDir;
  });

  /** PUTs an object through the SDK and resolves with the S3 event s3rver emitted for it. */
  async function upload(key: string, body: Uint8Array, contentType = 'image/jpeg'): Promise<S3Event> {
    const event = new Promise<S3Event>((resolve) => waiting.set(key, resolve));
    await getDeps().s3.send(new PutObjectCommand({ Bucket: getDeps().config.IMAGES_BUCKET, Key: key, Body: body, ContentType: contentType }));
    return event;
  }

  async function stored(id: string) {
    const p = await getDeps().catalog.get(id);
    return { image: p?.image_embedding, text: p?.text_embedding, version: p?.embedding_version };
  }

  let good: Awaited<ReturnType<typeof stored>>;

  it('embeds a good photo: VAE μ and name vector stored with embedding_version', async () => {
    const bytes = photo();
    const event = await upload('images/p-good/front.jpg', bytes);
    expect(event.Records[0].eventName).toMatch(/^ObjectCreated/);
    const res = await handler(event);
    expect(res.outcomes).toMatchObject([{ status: 'embedded', productId: 'p-good' }]);

    good = await stored('p-good');
    // An embedder of its own on the same models dir: the handler's must give the same vectors.
    const embedder = new OnnxImageEmbedder({ modelsDir });
    const { mu } = await embedder.embed(bytes);
    await embedder.close();
    expect(good.image).toHaveLength(mu.length);
    good.image!.forEach((x, i) => expect(x).toBeCloseTo(mu[i], 4));
    const text = new HashedNgramEmbedder().embed('Vestido de fiesta rojo');
    expect(good.text).toHaveLength(text.length);
    good.text!.forEach((x, i) => expect(x).toBeCloseTo(text[i], 5));
    expect(good.version).toBe(`${embedder.version}+${new HashedNgramEmbedder().version}`);
  });

  it('is idempotent: the same event again stores the same values', async () => {
    const event = await upload('images/p-good/front.jpg', photo());
    for (let run = 0; run < 2; run++) expect((await handler(event)).outcomes).toMatchObject([{ status: 'embedded', productId: 'p-good' }]);
    expect(await stored('p-good')).toEqual(good);
  });

  it('decodes URL-encoded keys (spaces, unicode) from the S3 event', async () => {
    const event = await upload('images/p-good/vista frontal ñ.jpg', photo());
    expect(event.Records[0].s3.object.key).toBe('images/p-good/vista+frontal+%C3%B1.jpg');
    expect((await handler(event)).outcomes[0]).toMatchObject({ status: 'embedded', key: 'images/p-good/vista frontal ñ.jpg' });
  });

  const bad: Array<[string, string, () => Uint8Array, EmbedOutcome['status'] | string]> = [
    ['corrupt bytes with a JPEG header', 'images/p-good/corrupt.jpg', () => {
      const b = photo();
      return Uint8Array.from(b.subarray(0, 400)).map((x, i) => (i < 3 ? x : (x * 31 + i) & 0xff));
    }, 'invalid_image'],
    ['a truncated JPEG', 'images/p-good/truncated.jpg', () => photo().subarray(0, Math.floor(photo().length / 2)), 'invalid_image'],
    ['an empty object', 'images/p-good/empty.jpg', () => new Uint8Array(0), 'empty_object'],
    ['an object over 10 MB', 'images/p-good/huge.jpg', () => new Uint8Array(MAX_IMAGE_BYTES + 1), 'too_large'],
    ['a non-image', 'images/p-good/notes.jpg', () => new TextEncoder().encode('this is not an image\n'), 'invalid_image'],
    ['an SVG (refused format)', 'images/p-good/logo.svg', () => new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'invalid_image'],
    ['an unknown product', 'images/no-such-product/a.jpg', photo, 'unknown_product'],
    ['a key outside images/', 'uploads/p-good.jpg', photo, 'not_an_image_key'],
  ];

  for (const [what, key, body, reason] of bad) {
    it(`skips ${what} without throwing and keeps the previous embedding`, async () => {
      const imagesBefore = (await getDeps().catalog.get('p-good'))!.images;
      const event = await upload(key, body());
      const res = await handler(event);
      expect(res.outcomes).toHaveLength(1);
      expect(res.outcomes[0]).toMatchObject({ status: 'skipped', reason });
      expect(await stored('p-good')).toEqual(good);
      expect((await getDeps().catalog.get('p-good'))!.images).toEqual(imagesBefore);
      // A rejected upload of a known product is removed from the bucket; other keys are not ours to delete.
      const removed = ['invalid_image', 'empty_object', 'too_large'].includes(reason);
      const stillThere = await getDeps().images.getObject(key).then(() => true, () => false);
      expect(stillThere).toBe(!removed);
    });
  }

  it('a new upload becomes the main image only once accepted; a rejected one changes nothing', async () => {
    await getDeps().catalog.put(product('p-new', 'Chaqueta'));
    expect((await handler(await upload('images/p-new/broken.jpg', new TextEncoder().encode('nope')))).outcomes[0]).toMatchObject({ reason: 'invalid_image' });
    expect((await getDeps().catalog.get('p-new'))!.images).toEqual([]);
    expect((await handler(await upload('images/p-new/a.jpg', photo()))).outcomes[0]).toMatchObject({ status: 'embedded' });
    expect((await getDeps().catalog.get('p-new'))!.images).toEqual(['images/p-new/a.jpg']);
    expect((await handler(await upload('images/p-new/b.jpg', photo()))).outcomes[0]).toMatchObject({ status: 'embedded' });
    expect((await getDeps().catalog.get('p-new'))!.images).toEqual(['images/p-new/b.jpg', 'images/p-new/a.jpg']);
  });

  it('a key the product lists is never deleted, even when its bytes are refused', async () => {
    await getDeps().catalog.put({ ...product('p-listed', 'Bolso'), images: ['images/p-listed/x.jpg'] });
    expect((await handler(await upload('images/p-listed/x.jpg', new Uint8Array(0)))).outcomes[0]).toMatchObject({ reason: 'empty_object' });
    expect((await getDeps().images.getObject('images/p-listed/x.jpg')).size).toBe(0);
    expect((await getDeps().catalog.get('p-listed'))!.images).toEqual(['images/p-listed/x.jpg']);
  });

  it('refuses keys that climb out of their product (.., control characters)', async () => {
    for (const key of ['images/../models/a.jpg', 'images/p-good/../../x.jpg', 'images/p\u0001/a.jpg']) {
      expect(productIdFromKey(key), key).toBeUndefined();
    }
    expect(productIdFromKey('images/p-good/vista frontal ñ.jpg')).toBe('p-good');
  });

  it('skips an image that is not the product\'s first listed image', async () => {
    await getDeps().catalog.put({ ...product('p-multi', 'Gorra azul'), images: ['images/p-multi/1.jpg', 'images/p-multi/2.jpg'] });
    const second = await handler(await upload('images/p-multi/2.jpg', photo()));
    expect(second.outcomes[0]).toMatchObject({ status: 'skipped', reason: 'not_primary_image' });
    expect((await stored('p-multi')).image).toBeUndefined();
    const first = await handler(await upload('images/p-multi/1.jpg', photo()));
    expect(first.outcomes[0]).toMatchObject({ status: 'embedded' });
  });

  it('processes every record of a multi-record event, good and bad, without throwing', async () => {
    await getDeps().catalog.put(product('p-two', 'Sombrero de paja'));
    const events = [
      await upload('images/p-two/a.jpg', photo()),
      await upload('images/p-good/broken.png', new TextEncoder().encode('not a png'), 'image/png'),
      await upload('images/ghost/a.jpg', photo()),
    ];
    const res = await handler({ Records: events.flatMap((e) => e.Records) });
    expect(res.outcomes.map((o) => (o.status === 'skipped' ? o.reason : o.status))).toEqual([
      'embedded',
      'invalid_image',
      'unknown_product',
    ]);
    expect((await stored('p-two')).image).toHaveLength(good.image!.length);
    expect(await stored('p-good')).toEqual(good);
  });

  it('throws (for the async retry / failure destination) when the model is missing, writing nothing', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'no-models-'));
    try {
      await getDeps().catalog.put(product('p-infra', 'Bufanda'));
      await upload('images/p-infra/a.jpg', photo());
      const deps = getDeps();
      const run = embedProductImage(
        {
          catalog: deps.catalog,
          images: deps.images,
          imageEmbedder: new OnnxImageEmbedder({ modelsDir: empty }),
          textEmbedder: new HashedNgramEmbedder(),
          logger: deps.logger,
          imagesBucket: deps.config.IMAGES_BUCKET,
        },
        { bucket: deps.config.IMAGES_BUCKET, key: 'images/p-infra/a.jpg' },
      );
      await expect(run).rejects.toThrow(/model file missing/);
      expect((await stored('p-infra')).version).toBeUndefined();
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
