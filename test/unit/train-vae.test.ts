/**
 * The TypeScript VAE (functions/core/training/train-vae.ts): its backward pass against finite
 * differences, training on synthetic clustered features, and the exported encoder on a real
 * ONNX Runtime session (shape, parity with the TypeScript forward pass).
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { createVaeNet, encodeMu, trainVae, vaeLoss, zeroGrads } from '../../functions/core/training/train-vae.js';
import { exportVaeEncoderOnnx } from '../../functions/adapters/onnx-vae-encoder.js';
import { gaussian, mulberry32 } from '../../functions/core/numeric/prng.js';

/** `rows` vectors of `dim` floats around `clusters` random centres (ReLU-like: non-negative). */
function clustered(rows: number, dim: number, clusters: number, seed: number): { x: Float32Array; labels: number[] } {
  const rng = mulberry32(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dim }, () => Math.max(0, gaussian(rng))));
  const x = new Float32Array(rows * dim);
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const c = r % clusters;
    labels.push(c);
    for (let i = 0; i < dim; i++) x[r * dim + i] = Math.max(0, centres[c][i] + 0.3 * gaussian(rng));
  }
  return { x, labels };
}

describe('VAE training in TypeScript', () => {
  it('backward pass equals finite differences of the loss (sampled z)', () => {
    const dim = 7, hidden = 5, latent = 3;
    const net = createVaeNet(dim, hidden, latent, 3);
    const rng = mulberry32(9);
    const x = Float64Array.from({ length: 4 * dim }, () => gaussian(rng));
    const eps = Float64Array.from({ length: 4 * latent }, () => gaussian(rng));
    const rows = [0, 1, 2, 3];
    const grads = zeroGrads(net);
    vaeLoss(net, x, rows, 0.5, eps, grads);
    let checked = 0;
    for (const name of ['W1', 'b1', 'Wm', 'bm', 'Wv', 'bv', 'W3', 'b3', 'W4', 'b4'] as const) {
      for (const q of [0, net[name].length - 1]) {
        const w = net[name];
        const keep = w[q];
        const h = 1e-6;
        w[q] = keep + h;
        const up = vaeLoss(net, x, rows, 0.5, eps).loss;
        w[q] = keep - h;
        const down = vaeLoss(net, x, rows, 0.5, eps).loss;
        w[q] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(grads[name][q] - numeric)).toBeLessThan(1e-6 + 1e-4 * Math.abs(numeric));
        checked++;
      }
    }
    expect(checked).toBe(20);
  });

  it('lowers the loss on clustered features, reports held-out figures, and exports an encoder ONNX Runtime runs', async () => {
    const dim = 48, rows = 60;
    const { x } = clustered(rows, dim, 3, 1);
    const reports: number[] = [];
    const first = trainVae(x, rows, dim, { latent: 4, hidden: 16, epochs: 1, batch: 16 });
    const trained = trainVae(x, rows, dim, { latent: 4, hidden: 16, epochs: 60, batch: 16 }, (r) => void (r.figuresEpoch === r.epoch && reports.push(r.reconTrain)), 10);
    expect(reports).toHaveLength(6);
    expect(reports.at(-1)).toBeLessThan(reports[0]);
    expect(trained.figures.reconstruction_mse_train).toBeLessThan(first.figures.reconstruction_mse_train * 0.8);
    expect(trained.figures.holdout_rows).toBe(12);
    expect(trained.figures.train_rows).toBe(48);
    expect(Number.isFinite(trained.figures.reconstruction_mse_holdout)).toBe(true);
    expect(trained.figures.kl_holdout).toBeGreaterThan(0);
    // Same inputs and seed, same weights.
    expect(trainVae(x, rows, dim, { latent: 4, hidden: 16, epochs: 60, batch: 16 }).encoder.W1).toEqual(trained.encoder.W1);

    const bytes = exportVaeEncoderOnnx(trained.encoder);
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({ features: new ort.Tensor('float32', x, [rows, dim]) });
      expect(out.mu.dims).toEqual([rows, 4]);
      const ts = encodeMu(trained.encoder, x, rows);
      const onnx = out.mu.data as Float32Array;
      let worst = 0;
      for (let i = 0; i < ts.length; i++) worst = Math.max(worst, Math.abs(ts[i] - onnx[i]));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await session.release();
    }
  });

  it('refuses too few rows, a length mismatch and non-finite features', () => {
    expect(() => trainVae(new Float32Array(9 * 4), 9, 4)).toThrow(/at least 10/);
    expect(() => trainVae(new Float32Array(10 * 4), 10, 5)).toThrow(/not 10 × 5/);
    const bad = new Float32Array(10 * 4);
    bad[7] = NaN;
    expect(() => trainVae(bad, 10, 4)).toThrow(/NaN/);
  });
});
