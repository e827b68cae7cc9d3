/**
 * The image and text models as versions, against dynalite + s3rver with real ONNX sessions:
 * publish → pointer → embed-image embeds with the new version and stores its id; a corrupt
 * version (same-length byte flip) is refused and the previous one keeps serving, warm or cold;
 * `.vec` files uploaded under incoming/ become the text model after the retrain's check, a bad one
 * is rejected and the previous one keeps serving; re-embedding the catalog leaves a product whose
 * photo no longer decodes with its previous embedding. Skips when the ONNX artifacts are absent.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps, resetDeps } from '../../functions/adapters/bootstrap.js';
import { OnnxImageEmbedder } from '../../functions/adapters/onnx-image-embedder.js';
import { exportVaeEncoderOnnx } from '../../functions/adapters/onnx-vae-encoder.js';
import { adoptIncomingTextVectors, publishContentModel, TEXT_INCOMING_PREFIX, TEXT_REJECTED_PREFIX } from '../../functions/adapters/content-models.js';
import { encodeMu, trainVae } from '../../functions/core/training/train-vae.js';
import { gaussian, mulberry32 } from '../../functions/core/numeric/prng.js';
import type { Product } from '../../functions/core/domain/types.js';
import { handler as embedHandler } from '../../functions/embed-image/handler.js';
import { handler as catalogHandler } from '../../functions/catalog/handler.js';
import { handler as statusHandler } from '../../functions/status/handler.js';
import { reembedProducts, type ReembedProgress } from '../../functions/embed-image/reembed-products.js';
import { toAwsS3Event } from '../../functions/embed-image/s3-event.js';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { awsError, injectFaults } from '../support/fault-injection.js';

const modelsDir = path.resolve(process.env.MODELS_DIR ?? 'models/artifacts');
const haveModels = ['efficientnet_b0.onnx', 'vae_encoder.onnx'].every((f) => existsSync(path.join(modelsDir, f)));
if (!haveModels) console.warn(`SKIP content-model versions: no efficientnet_b0.onnx + vae_encoder.onnx in ${modelsDir} (npm run models:build)`);

const photoOf = (category: string, n = 0) => {
  const dir = `demo/images/${category}`;
  return new Uint8Array(readFileSync(path.join(dir, readdirSync(dir).sort()[n])));
};

const product = (id: string, name: string, images: string[] = []): Product => ({
  id, name, description: '', price: 20, currency: 'EUR', category: 'dress', promoted: false, status: 'active',
  countries: [], images, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z', attributes: {},
});

/** A small VAE encoder on synthetic 1280-d features (its own seed, so each differs). */
function smallEncoder(seed: number) {
  const rng = mulberry32(seed);
  const rows = 24;
  const x = Float32Array.from({ length: rows * 1280 }, () => Math.max(0, gaussian(rng)));
  return trainVae(x, rows, 1280, { latent: 32, hidden: 8, epochs: 2, batch: 8, seed }).encoder;
}

/** A `.vec` file of `n` words in `dim` dimensions. */
const vecFile = (n: number, dim: number, words = ['vestido', 'rojo', 'fiesta', 'gorra', 'azul', 'zapato', 'negro']) =>
  [`${n} ${dim}`, ...Array.from({ length: n }, (_, i) => `${words[i % words.length]}${i >= words.length ? i : ''} ${Array.from({ length: dim }, (_, j) => ((i * 7 + j * 3) % 11) / 10 - 0.5).join(' ')}`)].join('\n') + '\n';

describe.skipIf(!haveModels)('image and text models as versions (publish, pointer, checks, re-embedding)', () => {
  let aws: LocalAws;
  const saved: Record<string, string | undefined> = {};
  const waiting = new Map<string, (e: S3Event) => void>();
  let layerVersion: string;
  let backbone: string;

  beforeAll(async () => {
    const env = { MODELS_DIR: modelsDir, CONTENT_MODEL_TTL_MS: '0', TEXT_VECTORS_DIM: '4', TEXT_VECTORS_MIN_WORDS: '5', TEXT_VECTORS_MAX_BYTES: '4096' };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    aws = await startLocalAws();
    aws.onS3Event((event) => {
      for (const r of event.Records) {
        waiting.get(r.s3.object.key)?.(toAwsS3Event({ Records: [r] }));
        waiting.delete(r.s3.object.key);
      }
    });
    const layer = new OnnxImageEmbedder({ modelsDir });
    layerVersion = layer.version;
    backbone = layer.info.backboneVersion!;
    await getDeps().catalog.put(product('p-dress', 'Vestido de fiesta rojo'));
  }, 60_000);
  afterAll(async () => {
    await aws?.stop();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  async function upload(key: string, body: Uint8Array): Promise<S3Event> {
    const event = new Promise<S3Event>((resolve) => waiting.set(key, resolve));
    await getDeps().s3.send(new PutObjectCommand({ Bucket: getDeps().config.IMAGES_BUCKET, Key: key, Body: body, ContentType: 'image/jpeg' }));
    return event;
  }
  const stored = async (id: string) => (await getDeps().catalog.get(id))!;
  const publishImage = (version: string, seed: number, details: Record<string, unknown> = { backbone }) =>
    publishContentModel(getDeps().contentModels.image, { kind: 'image', version, embeddingVersion: `${backbone}.vae32-${version}`, model: exportVaeEncoderOnnx(smallEncoder(seed)), details });

  let dressEvent: S3Event;
  let layerMu: number[];

  it("embeds with the layer's models while no image version is active", async () => {
    dressEvent = await upload('images/p-dress/front.jpg', photoOf('dress'));
    expect((await embedHandler(dressEvent)).outcomes).toMatchObject([{ status: 'embedded' }]);
    const p = await stored('p-dress');
    expect(await getDeps().contentModels.image.readPointer()).toBeUndefined();
    expect(p.embedding_version).toBe(`${layerVersion}+${getDeps().textEmbedder.version}`);
    layerMu = p.image_embedding!;
    expect(layerMu).toHaveLength(32);
  });

  it('publish → pointer → embed-image embeds with the new version and stores its id', async () => {
    const encoder = smallEncoder(2);
    await publishContentModel(getDeps().contentModels.image, { kind: 'image', version: 'img-v2', embeddingVersion: `${backbone}.vae32-img-v2`, model: exportVaeEncoderOnnx(encoder), details: { backbone } });
    expect((await getDeps().contentModels.image.readPointer())?.version).toBe('img-v2');
    expect((await embedHandler(dressEvent)).outcomes).toMatchObject([{ status: 'embedded', embedding_version: `${backbone}.vae32-img-v2+${getDeps().textEmbedder.version}` }]);
    const p = await stored('p-dress');
    expect(p.embedding_version).toBe(`${backbone}.vae32-img-v2+${getDeps().textEmbedder.version}`);
    expect(p.image_embedding).toHaveLength(32);
    expect(p.image_embedding).not.toEqual(layerMu);
    // Exactly the new encoder's μ of the layer backbone's features.
    const layer = new OnnxImageEmbedder({ modelsDir });
    const [features] = await layer.extractFeatures([photoOf('dress')]);
    await layer.close();
    const expected = encodeMu(encoder, features, 1);
    p.image_embedding!.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    // A version id is written once.
    await expect(publishImage('img-v2', 5)).rejects.toThrow(/exists already/);
  });

  it('refuses a corrupt version (same-length byte flip): the previous keeps serving, in a warm and in a cold container', async () => {
    await publishImage('img-v3', 3);
    const key = 'content-models/image/img-v3/vae_encoder.onnx';
    const { s3, config } = getDeps();
    const res = await s3.send(new GetObjectCommand({ Bucket: config.MODELS_BUCKET, Key: key }));
    const bytes = await res.Body!.transformToByteArray();
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    await s3.send(new PutObjectCommand({ Bucket: config.MODELS_BUCKET, Key: key, Body: bytes }));
    expect((await getDeps().contentModels.image.readPointer())?.version).toBe('img-v3');

    const v2 = `${backbone}.vae32-img-v2+${getDeps().textEmbedder.version}`;
    // Warm: img-v2 is loaded; img-v3 fails its checksum and is refused.
    expect((await embedHandler(dressEvent)).outcomes).toMatchObject([{ status: 'embedded', embedding_version: v2 }]);
    // Cold: nothing loaded; img-v3 is refused and the pointer's history gives img-v2.
    resetDeps();
    expect((await embedHandler(dressEvent)).outcomes).toMatchObject([{ status: 'embedded', embedding_version: v2 }]);
    expect((await stored('p-dress')).embedding_version).toBe(v2);
  });

  it('refuses a version trained on another backbone than the layer has', async () => {
    await publishImage('img-v4', 4, { backbone: 'effb0-00000000' });
    resetDeps();
    const outcome = (await embedHandler(dressEvent)).outcomes[0];
    expect(outcome).toMatchObject({ status: 'embedded' });
    expect(outcome.status === 'embedded' && outcome.embedding_version).toMatch(new RegExp(`^${backbone}\\.vae32-img-v2\\+`));
  });

  const putIncoming = (name: string, body: string) =>
    getDeps().s3.send(new PutObjectCommand({ Bucket: getDeps().config.MODELS_BUCKET, Key: `${TEXT_INCOMING_PREFIX}${name}`, Body: body }));
  const adopt = () => {
    const d = getDeps();
    return adoptIncomingTextVectors({ s3: d.s3, bucket: d.config.MODELS_BUCKET, store: d.contentModels.text, logger: d.logger, limits: { expectedDim: 4, minWords: 5, maxBytes: 4096 } });
  };

  let textVersion: string;

  it('a good .vec under incoming/ becomes the active text model; the catalog and embed-image use it', async () => {
    await putIncoming('ropa-es.vec', vecFile(7, 4));
    const [outcome] = await adopt();
    expect(outcome).toMatchObject({ status: 'activated', words: 7 });
    textVersion = outcome.status === 'activated' ? outcome.version : '';
    expect(textVersion).toMatch(/^ropa-es-[0-9a-f]{12}$/);
    expect((await getDeps().contentModels.text.readPointer())?.version).toBe(textVersion);
    const put = await invoke(catalogHandler, apiEvent('PUT /products/{productId}', { productId: 'p-named' }, {}, { name: 'Gorra azul', price: 10 }));
    expect(put.status).toBe(201);
    expect((await stored('p-named')).text_embedding).toHaveLength(4);
    const embedded = (await embedHandler(dressEvent)).outcomes[0];
    expect(embedded).toMatchObject({ status: 'embedded', textDim: 4 });
    expect((await stored('p-dress')).embedding_version).toBe(`${backbone}.vae32-img-v2+text-wordvec-${textVersion}-d4-v1`);
    // The file left incoming/.
    expect(await adopt()).toEqual([]);
    // GET /model names both pointers.
    const model = await invoke(statusHandler, apiEvent('GET /model'));
    expect(model.body.content_models).toMatchObject({ image: { version: 'img-v4', previous_versions: ['img-v3', 'img-v2'] }, text: { version: textVersion, previous_versions: [] } });
  });

  const badFiles: Array<[string, string, RegExp]> = [
    ['wrong-dim.vec', vecFile(7, 3), /dimension 3 is not the expected 4/],
    ['short.vec', vecFile(7, 4).replace(/^7 4/, '9 4'), /declares 9 words but the file has 7/],
    ['nan.vec', vecFile(7, 4).replace(/^(rojo) \S+/m, '$1 NaN'), /value 'NaN' of 'rojo' is not a finite number/],
    ['tiny.vec', vecFile(3, 4), /fewer than the minimum vocabulary of 5/],
    ['huge.vec', vecFile(200, 4), /over the 4096-byte limit/],
    ['notes.txt', 'hola\n', /not a \.vec file/],
  ];
  for (const [name, body, reason] of badFiles) {
    it(`rejects ${name} with its reason; the previous text model keeps serving`, async () => {
      await putIncoming(name, body);
      const outcomes = await adopt();
      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ status: 'rejected' });
      expect(outcomes[0].status === 'rejected' && outcomes[0].reason).toMatch(reason);
      expect((await getDeps().contentModels.text.readPointer())?.version).toBe(textVersion);
      expect((await getDeps().activeTextEmbedder()).version).toBe(`text-wordvec-${textVersion}-d4-v1`);
      const record = await getDeps().s3.send(new GetObjectCommand({ Bucket: getDeps().config.MODELS_BUCKET, Key: `${TEXT_REJECTED_PREFIX}${name}.json` }));
      expect(JSON.parse(await record.Body!.transformToString()).reason).toMatch(reason);
      expect(await adopt()).toEqual([]);
    });
  }

  it('re-embeds the catalog with the active versions; a photo that no longer decodes keeps its previous embedding', async () => {
    const d = getDeps();
    const { IMAGES_BUCKET } = d.config;
    await d.catalog.put(product('p-hat', 'Gorra de lana', ['images/p-hat/a.jpg']));
    await d.s3.send(new PutObjectCommand({ Bucket: IMAGES_BUCKET, Key: 'images/p-hat/a.jpg', Body: photoOf('hat') }));
    await d.catalog.put(product('p-broken', 'Falda', ['images/p-broken/a.jpg']));
    await d.catalog.setEmbeddings('p-broken', { image_embedding: Array(32).fill(0.5), text_embedding: [1, 0, 0, 0], embedding_version: 'old+old' });
    await d.s3.send(new PutObjectCommand({ Bucket: IMAGES_BUCKET, Key: 'images/p-broken/a.jpg', Body: new TextEncoder().encode('no longer a photo') }));
    await d.catalog.put(product('p-nophoto', 'Bufanda'));

    const reembedDeps = {
      catalog: d.catalog, images: d.images, imageEmbedder: d.imageEmbedder, textEmbedder: await d.activeTextEmbedder(), logger: d.logger, imagesBucket: IMAGES_BUCKET,
      activeImageVersion: () => d.imageEmbedder.activeVersion!(),
    };
    const seen: ReembedProgress[] = [];
    const summary = await reembedProducts(reembedDeps, { onProgress: (p) => seen.push(p) });
    const target = `${backbone}.vae32-img-v2+text-wordvec-${textVersion}-d4-v1`;
    expect(summary).toMatchObject({ target, total: 3, done: 3, embedded: 1, upToDate: 1, skipped: 1, failed: 0, truncated: false });
    expect(summary.problems).toMatchObject([{ productId: 'p-broken', outcome: 'skipped' }]);
    expect(seen.at(-1)).toMatchObject({ done: 3, total: 3 });
    expect((await stored('p-hat')).embedding_version).toBe(target);
    expect((await stored('p-hat')).image_embedding).toHaveLength(32);
    expect(await stored('p-broken')).toMatchObject({ embedding_version: 'old+old', image_embedding: Array(32).fill(0.5), images: ['images/p-broken/a.jpg'] });
    // Nothing left to do: a second run embeds nothing.
    expect(await reembedProducts(reembedDeps)).toMatchObject({ embedded: 0, upToDate: 2, skipped: 1 });

    // A failed embedding (the photo read throttled, as S3 would): counted, the run goes on, the product keeps its embedding.
    const hatBefore = await stored('p-hat');
    const heal = injectFaults(d.s3, (call) => (call.command === 'GetObjectCommand' && call.input.Key === 'images/p-hat/a.jpg' ? awsError('SlowDown', 'Please reduce your request rate.', 503) : undefined));
    try {
      const forced = await reembedProducts(reembedDeps, { force: true });
      expect(forced).toMatchObject({ total: 3, embedded: 1, skipped: 1, failed: 1 });
      expect(forced.problems).toEqual(expect.arrayContaining([expect.objectContaining({ productId: 'p-hat', outcome: 'failed' })]));
    } finally {
      heal();
    }
    expect(await stored('p-hat')).toEqual(hatBefore);
    // --limit: a bounded batch stops early and says so.
    expect(await reembedProducts(reembedDeps, { force: true, limit: 1 })).toMatchObject({ embedded: 1, truncated: true });
  }, 60_000);
});
