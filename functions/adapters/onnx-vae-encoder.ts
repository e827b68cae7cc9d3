/**
 * `vae_encoder.onnx` from a VAE trained in TypeScript (functions/core/training/train-vae.ts), through
 * the onnx-builder: the same graph and interface as models/pipeline/train_vae.py writes,
 * `features float32[N,1280]` → Sub(mean) → Div(scale) → Gemm(W1, b1) → Relu → Gemm(Wμ, bμ) → `mu float32[N,D]`,
 * so the normalisation travels inside the model and the embedder hands it raw backbone features.
 */
import { buildOnnxModel, floatAttr } from './onnx-builder.js';
import type { VaeEncoder } from '../core/training/train-vae.js';

export function exportVaeEncoderOnnx(e: VaeEncoder, metadata: Record<string, string> = {}): Uint8Array {
  const gemm = { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) };
  return buildOnnxModel({
    inputs: [{ name: 'features', dims: ['N', e.dim] }],
    outputs: [{ name: 'mu', dims: ['N', e.latent] }],
    initializers: [
      { name: 'feature_mean', dims: [e.dim], data: e.mean },
      { name: 'feature_scale', dims: [e.dim], data: e.scale },
      { name: 'enc_w', dims: [e.hidden, e.dim], data: e.W1 },
      { name: 'enc_b', dims: [e.hidden], data: e.b1 },
      { name: 'mu_w', dims: [e.latent, e.hidden], data: e.Wm },
      { name: 'mu_b', dims: [e.latent], data: e.bm },
    ],
    nodes: [
      { opType: 'Sub', inputs: ['features', 'feature_mean'], outputs: ['centred'], name: 'centre' },
      { opType: 'Div', inputs: ['centred', 'feature_scale'], outputs: ['normalised'], name: 'scale' },
      { opType: 'Gemm', inputs: ['normalised', 'enc_w', 'enc_b'], outputs: ['hidden_pre'], name: 'enc', attributes: gemm },
      { opType: 'Relu', inputs: ['hidden_pre'], outputs: ['hidden'], name: 'enc_relu' },
      { opType: 'Gemm', inputs: ['hidden', 'mu_w', 'mu_b'], outputs: ['mu'], name: 'mu', attributes: gemm },
    ],
    graphName: 'vae_encoder',
    producer: 'gift-recommender functions/core/training/train-vae.ts',
    metadata: { latent_size: String(e.latent), hidden: String(e.hidden), ...metadata },
  });
}
