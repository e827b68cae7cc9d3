/**
 * Our conversion (models/artifacts/efficientnet_b0.onnx, made by `npm run models:build` from the npm
 * TF.js copy) against the verified reference conversion in ../shared/models/efficientnet-b0/.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE_TENSOR_LENGTH, preprocessBatch } from '../../functions/adapters/image-preprocess.js';

const REPO = path.resolve(__dirname, '../..');
const OURS = path.join(REPO, 'models/artifacts/efficientnet_b0.onnx');
const REFERENCE = path.resolve(REPO, '../shared/models/efficientnet-b0/efficientnet_b0.onnx');
const FIXTURES = path.join(REPO, 'test/fixtures/images');
const haveReference = existsSync(REFERENCE);
if (!haveReference) console.warn(`[efficientnet-parity] SKIPPED: reference model not found at ${REFERENCE}`);

describe.skipIf(!haveReference)('EfficientNet-B0 conversion parity with the reference ONNX', () => {
  const sessions: ort.InferenceSession[] = [];
  afterAll(async () => {
    for (const s of sessions) await s.release();
  });

  it('gives the same features and logits (≤ 1e-4) on real photos', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg')).sort();
    const batch = await preprocessBatch(files.map((f) => readFileSync(path.join(FIXTURES, f))));
    const n = batch.length / IMAGE_TENSOR_LENGTH;
    const [ours, ref] = await Promise.all([OURS, REFERENCE].map((p) => ort.InferenceSession.create(p, { intraOpNumThreads: 1 })));
    sessions.push(ours, ref);
    expect(ours.inputNames).toEqual(['input']);
    expect(ours.outputNames).toEqual(['features', 'logits']);
    const input = new ort.Tensor('float32', batch, [n, 3, 224, 224]);
    const [a, b] = await Promise.all([ours.run({ input }), ref.run({ input })]);
    expect(a.features.dims).toEqual([n, 1280]);
    expect(a.logits.dims).toEqual([n, 1000]);
    for (const name of ['features', 'logits'] as const) {
      const x = a[name].data as Float32Array;
      const y = b[name].data as Float32Array;
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
      console.log(`[efficientnet-parity] ${name}: max |ours − reference| = ${worst.toExponential(2)} over ${n} photos`);
      expect(worst).toBeLessThanOrEqual(1e-4);
    }
  });

  it('accepts any batch size (dynamic N)', async () => {
    const ours = await ort.InferenceSession.create(OURS, { intraOpNumThreads: 1 });
    sessions.push(ours);
    const one = await preprocessBatch([readFileSync(path.join(FIXTURES, readdirSync(FIXTURES).filter((f) => f.endsWith('.jpg'))[0]))]);
    const r1 = await ours.run({ input: new ort.Tensor('float32', one, [1, 3, 224, 224]) });
    const three = new Float32Array(3 * IMAGE_TENSOR_LENGTH);
    for (let i = 0; i < 3; i++) three.set(one, i * IMAGE_TENSOR_LENGTH);
    const r3 = await ours.run({ input: new ort.Tensor('float32', three, [3, 3, 224, 224]) });
    expect(r3.features.dims).toEqual([3, 1280]);
    const f1 = r1.features.data as Float32Array;
    const f3 = r3.features.data as Float32Array;
    for (let j = 0; j < 1280; j += 97) expect(Math.abs(f3[2 * 1280 + j] - f1[j])).toBeLessThan(1e-5);
  });
});
