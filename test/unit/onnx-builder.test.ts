import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { buildOnnxModel, floatAttr } from '../../functions/adapters/onnx-builder.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

const rand = (n: number, seed: number): Float32Array => {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
};

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

describe('buildOnnxModel', () => {
  it('encodes a Gemm → Relu → Gemm → Sigmoid MLP with a dynamic batch that ONNX Runtime runs like the JS computation', async () => {
    const [D, H, B] = [5, 4, 3];
    const W1 = rand(H * D, 1); // [H, D], used with transB=1
    const b1 = rand(H, 2);
    const W2 = rand(H, 3); // [H, 1]
    const b2 = Float32Array.of(0.25);
    const bytes = buildOnnxModel({
      inputs: [{ name: 'x', dims: ['batch', D] }],
      outputs: [{ name: 'p', dims: ['batch', 1] }],
      initializers: [
        { name: 'W1', dims: [H, D], data: W1 },
        { name: 'b1', dims: [H], data: b1 },
        { name: 'W2', dims: [H, 1], data: W2 },
        { name: 'b2', dims: [1], data: b2 },
      ],
      nodes: [
        { opType: 'Gemm', inputs: ['x', 'W1', 'b1'], outputs: ['h'], attributes: { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) } },
        { opType: 'Relu', inputs: ['h'], outputs: ['hr'] },
        { opType: 'Gemm', inputs: ['hr', 'W2', 'b2'], outputs: ['z'], attributes: { alpha: 0.5 } },
        { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
      ],
      metadata: { kind: 'test-mlp' },
    });
    const x = rand(B * D, 4);
    const out = await run(bytes, { x: new ort.Tensor('float32', x, [B, D]) });
    expect(out.p.dims).toEqual([B, 1]);
    const got = out.p.data as Float32Array;
    for (let r = 0; r < B; r++) {
      let z = b2[0];
      for (let j = 0; j < H; j++) {
        let h = b1[j];
        for (let d = 0; d < D; d++) h += x[r * D + d] * W1[j * D + d];
        z += 0.5 * Math.max(0, h) * W2[j];
      }
      expect(got[r]).toBeCloseTo(1 / (1 + Math.exp(-z)), 5);
    }
  });

  it('encodes MatMul, Add, Transpose (ints attribute) and Reshape with an int64 initializer, incl. a negative dim', async () => {
    const A = rand(2 * 3, 5); // [2, 3]
    const bias = rand(2, 6);
    const bytes = buildOnnxModel({
      inputs: [{ name: 'a', dims: [2, 3] }, { name: 'v', dims: [3] }],
      outputs: [{ name: 'flat', dims: ['n'] }, { name: 'aT', dims: [3, 2] }],
      initializers: [
        { name: 'bias', dims: [2], data: bias },
        { name: 'shape', dims: [1], data: BigInt64Array.of(-1n) },
      ],
      nodes: [
        { opType: 'MatMul', inputs: ['a', 'v'], outputs: ['av'] },
        { opType: 'Add', inputs: ['av', 'bias'], outputs: ['s'] },
        { opType: 'Reshape', inputs: ['s', 'shape'], outputs: ['flat'] },
        { opType: 'Transpose', inputs: ['a'], outputs: ['aT'], attributes: { perm: [1, 0] } },
      ],
    });
    const v = Float32Array.of(1, -2, 0.5);
    const out = await run(bytes, { a: new ort.Tensor('float32', A, [2, 3]), v: new ort.Tensor('float32', v, [3]) });
    const flat = out.flat.data as Float32Array;
    for (let r = 0; r < 2; r++) expect(flat[r]).toBeCloseTo(A[r * 3] * v[0] + A[r * 3 + 1] * v[1] + A[r * 3 + 2] * v[2] + bias[r], 5);
    expect(out.aT.dims).toEqual([3, 2]);
    expect(Array.from(out.aT.data as Float32Array)).toEqual([A[0], A[3], A[1], A[4], A[2], A[5]]);
  });

  it('writes STRING and FLOATS attributes that ONNX Runtime reads back', async () => {
    // Pad mode='reflect' (STRING); Constant value_floats (FLOATS) added to the padded row.
    const bytes = buildOnnxModel({
      inputs: [{ name: 'x', dims: [1, 4] }],
      outputs: [{ name: 'y', dims: [1, 6] }],
      initializers: [{ name: 'pads', dims: [4], data: BigInt64Array.of(0n, 1n, 0n, 1n) }],
      nodes: [
        { opType: 'Pad', inputs: ['x', 'pads'], outputs: ['padded'], attributes: { mode: 'reflect' } },
        { opType: 'Constant', inputs: [], outputs: ['c'], attributes: { value_floats: { floats: [0.5, 0, 0, 0, 0, -0.25] } } },
        { opType: 'Add', inputs: ['padded', 'c'], outputs: ['y'] },
      ],
    });
    const out = await run(bytes, { x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4), [1, 4]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([2.5, 1, 2, 3, 4, 2.75]);
  });

  it('rejects initializers whose data does not fill their dims', () => {
    expect(() =>
      buildOnnxModel({ inputs: [], outputs: [], nodes: [], initializers: [{ name: 'w', dims: [2, 2], data: new Float32Array(3) }] }),
    ).toThrow(/hold 4 values/);
  });
});
