/**
 * `npm run vae:train` (bin/vae-train.ts) on a small synthetic features file: it trains, writes an
 * ONNX encoder whose output has the right shape on a real ONNX Runtime session, reports held-out
 * figures, and with --publish makes it the active image model in the storage the environment names
 * (here the test's s3rver + dynalite, as `npm start`'s or a deployment's would be).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeps } from '../../functions/adapters/bootstrap.js';
import { readContentVersion } from '../../functions/adapters/content-models.js';
import { OnnxImageEmbedder } from '../../functions/adapters/onnx-image-embedder.js';
import { gaussian, mulberry32 } from '../../functions/core/numeric/prng.js';
import { main, UsageError } from '../../bin/vae-train.js';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';

const modelsDir = path.resolve('models/artifacts');
const haveModels = existsSync(path.join(modelsDir, 'efficientnet_b0.onnx'));
if (!haveModels) console.warn(`SKIP vae:train CLI: no efficientnet_b0.onnx in ${modelsDir} (npm run models:build)`);

describe.skipIf(!haveModels)('npm run vae:train', () => {
  let aws: LocalAws;
  let dir: string;
  const rows = 30;

  beforeAll(async () => {
    aws = await startLocalAws();
    dir = mkdtempSync(path.join(os.tmpdir(), 'vae-train-'));
    const rng = mulberry32(7);
    const lines = Array.from({ length: rows }, (_, r) => Array.from({ length: 1280 }, (_, i) => Math.max(0, gaussian(rng) + ((i + r) % 3 === 0 ? 1 : 0)).toFixed(5)).join(','));
    writeFileSync(path.join(dir, 'img_vectors.csv'), lines.join('\n') + '\n');
    writeFileSync(path.join(dir, 'img_vectors.index.csv'), ['row,file,label', ...Array.from({ length: rows }, (_, r) => `${r},f${r}.jpg,${['hat', 'shoes', 'dress'][r % 3]}`)].join('\n') + '\n');
  }, 60_000);
  afterAll(async () => {
    await aws?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (...extra: string[]) => [
    '--features', path.join(dir, 'img_vectors.csv'), '--index', path.join(dir, 'img_vectors.index.csv'),
    '--latent', '16', '--hidden', '8', '--epochs', '3', '--batch', '8', '--eval-images', path.join(dir, 'no-such-dataset'), '--out', path.join(dir, 'out'), ...extra,
  ];

  it('trains, writes an encoder with output mu[N,16], reports held-out figures, and publishes it as the active image model', async () => {
    const outcome = await main(args('--publish', '--version', 'cli-v1'));
    expect(outcome).toMatchObject({ version: 'cli-v1', published: true });
    expect(outcome.metrics).toMatchObject({ rows, holdout_rows: 6, train_rows: 24 });
    for (const k of ['reconstruction_mse_holdout', 'kl_holdout', 'catalog_loo_1nn_accuracy_mu']) expect(Number.isFinite(outcome.metrics[k] as number)).toBe(true);

    const session = await ort.InferenceSession.create(readFileSync(outcome.onnxFile));
    try {
      const out = await session.run({ features: new ort.Tensor('float32', new Float32Array(5 * 1280).fill(0.5), [5, 1280]) });
      expect(out.mu.dims).toEqual([5, 16]);
      expect(Array.from(out.mu.data as Float32Array).every(Number.isFinite)).toBe(true);
    } finally {
      await session.release();
    }

    const store = getDeps().contentModels.image;
    expect((await store.readPointer())?.version).toBe('cli-v1');
    const { manifest, model } = await readContentVersion(store, 'image', 'cli-v1');
    expect(Buffer.from(model).equals(readFileSync(outcome.onnxFile))).toBe(true);
    const backbone = new OnnxImageEmbedder({ modelsDir }).info.backboneVersion;
    expect(manifest).toMatchObject({ embedding_version: `${backbone}.vae16-cli-v1`, details: { backbone, figures: { holdout_rows: 6 } } });
  }, 120_000);

  it('refuses a features row of the wrong length, naming its line, and a missing --features', async () => {
    writeFileSync(path.join(dir, 'bad.csv'), `${'0.1,'.repeat(1279)}0.1\n0.1,0.2\n`);
    await expect(main(['--features', path.join(dir, 'bad.csv')])).rejects.toThrow(/features line 2: 2 values, expected 1280/);
    await expect(main([])).rejects.toBeInstanceOf(UsageError);
    await expect(main(args('--reembed'))).rejects.toThrow(/needs --publish/);
  });
});
