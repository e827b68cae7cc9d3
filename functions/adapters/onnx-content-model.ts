/**
 * `content_model.onnx`: export of the content-to-collaborative model (core/content/content-to-cf.ts)
 * through the onnx-builder, and its run on onnxruntime-node for the products a serving version does
 * not know. Graph: content → Gemm(W1, b1) → Relu → Gemm(W2, b2) → factors (`float32[N,D] → float32[N,F]`).
 *
 * Serving runs it only when the catalog changes read returns new products (functions/adapters/
 * live-catalog.ts), so a session is created for the call and released after it: nothing to share
 * between requests, nothing disposed under another request's feet.
 */
import * as ort from 'onnxruntime-node';
import { buildOnnxModel, floatAttr } from './onnx-builder.js';
import { encodeContent, forwardContent, productContent, type ContentModel } from '../core/content/content-to-cf.js';
import type { Product } from '../core/domain/types.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';

export const CONTENT_INPUT = 'content';
export const CONTENT_OUTPUT = 'factors';

/** The model as ONNX bytes (weights as float32 initializers; the encoding facts in the metadata). */
export function exportContentModelOnnx(m: ContentModel): Uint8Array {
  const gemm = { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) };
  return buildOnnxModel({
    inputs: [{ name: CONTENT_INPUT, dims: ['N', m.inputDim] }],
    outputs: [{ name: CONTENT_OUTPUT, dims: ['N', m.factors] }],
    initializers: [
      { name: 'W1', dims: [m.hidden, m.inputDim], data: Float32Array.from(m.W1) },
      { name: 'b1', dims: [m.hidden], data: Float32Array.from(m.b1) },
      { name: 'W2', dims: [m.factors, m.hidden], data: Float32Array.from(m.W2) },
      { name: 'b2', dims: [m.factors], data: Float32Array.from(m.b2) },
    ],
    nodes: [
      { opType: 'Gemm', inputs: [CONTENT_INPUT, 'W1', 'b1'], outputs: ['h'], attributes: gemm },
      { opType: 'Relu', inputs: ['h'], outputs: ['hr'] },
      { opType: 'Gemm', inputs: ['hr', 'W2', 'b2'], outputs: [CONTENT_OUTPUT], attributes: gemm },
    ],
    graphName: 'content_to_factor_mlp',
    metadata: { kind: m.kind, image_dim: String(m.imageDim), text_dim: String(m.textDim), review_dim: String(m.reviewDim ?? 'none'), categories: m.categories.join(','), price_edges: m.priceEdges.join(',') },
  });
}

/** ŷ rows for encoded content on ONNX Runtime. */
export async function runContentModelOnnx(bytes: Uint8Array, x: Float32Array, rows: number, inputDim: number): Promise<Float32Array> {
  if (rows === 0) return new Float32Array(0);
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const out = await session.run({ [CONTENT_INPUT]: new ort.Tensor('float32', x, [rows, inputDim]) });
    return Float32Array.from(out[CONTENT_OUTPUT].data as Float32Array);
  } finally {
    await session.release();
  }
}

/**
 * Factors for products the version does not know (live-catalog's `predict`): ONNX Runtime over
 * `content_model.onnx`, the TypeScript forward pass when a version carries only the JSON weights;
 * undefined when the version has no content model.
 */
export async function predictContentFactors(snapshot: ModelSnapshot, products: readonly Product[]): Promise<Float32Array | undefined> {
  const m = snapshot.contentModel;
  if (!m || m.factors !== snapshot.factors || products.length === 0) return undefined;
  const x = encodeContent(m, products.map(productContent));
  return snapshot.contentModelOnnx ? runContentModelOnnx(snapshot.contentModelOnnx, x, products.length, m.inputDim) : forwardContent(m, x, products.length);
}
