/**
 * Which ONNX graph shape scores a catalog fastest: MatMul with a 1-D user vector, a [F,1] column,
 * Gemm either way round; plus the fixed cost of one `session.run` (a 64-wide Relu). Interleaved runs.
 *
 *   npx tsx bench/support/matmul-shapes.ts [N=100000]
 */
import * as ort from 'onnxruntime-node';
import { buildOnnxModel } from '../../functions/adapters/onnx-builder.js';
import { dotScores } from '../../functions/core/numeric/topk.js';
const N = Number(process.argv[2] ?? 100000), F = 64;
const Y = new Float32Array(N * F).map(() => Math.random() - 0.5);
const u = new Float32Array(F).map(() => Math.random() - 0.5);
const opts = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' as const, executionMode: 'sequential' as const };
const mk = async (spec: any) => ort.InferenceSession.create(buildOnnxModel(spec), opts);
const sVec = await mk({ inputs: [{ name: 'items', dims: ['N', F] }, { name: 'user', dims: [F] }], outputs: [{ name: 'scores', dims: ['N'] }], nodes: [{ opType: 'MatMul', inputs: ['items', 'user'], outputs: ['scores'] }] });
const sCol = await mk({ inputs: [{ name: 'items', dims: ['N', F] }, { name: 'user', dims: [F, 1] }], outputs: [{ name: 'scores', dims: ['N', 1] }], nodes: [{ opType: 'MatMul', inputs: ['items', 'user'], outputs: ['scores'] }] });
const sGemm = await mk({ inputs: [{ name: 'items', dims: ['N', F] }, { name: 'user', dims: [1, F] }], outputs: [{ name: 'scores', dims: [1, 'N'] }], nodes: [{ opType: 'Gemm', inputs: ['user', 'items'], outputs: ['scores'], attributes: { transB: 1 } }] });
const sRow = await mk({ inputs: [{ name: 'items', dims: ['N', F] }, { name: 'user', dims: [1, F] }], outputs: [{ name: 'scores', dims: ['N', 1] }], nodes: [{ opType: 'Gemm', inputs: ['items', 'user'], outputs: ['scores'], attributes: { transB: 1 } }] });
const sTiny = await mk({ inputs: [{ name: 'user', dims: [F] }], outputs: [{ name: 'o', dims: [F] }], nodes: [{ opType: 'Relu', inputs: ['user'], outputs: ['o'] }] });
const items = new ort.Tensor('float32', Y, [N, F]);
const v: Record<string, () => unknown> = {
  js: () => dotScores(Y, F, u),
  vec: () => sVec.run({ items, user: new ort.Tensor('float32', u, [F]) }),
  col: () => sCol.run({ items, user: new ort.Tensor('float32', u, [F, 1]) }),
  gemmUserItemsT: () => sGemm.run({ items, user: new ort.Tensor('float32', u, [1, F]) }),
  gemmItemsUserT: () => sRow.run({ items, user: new ort.Tensor('float32', u, [1, F]) }),
  tiny: () => sTiny.run({ user: new ort.Tensor('float32', u, [F]) }),
};
const ts: Record<string, number[]> = {}; for (const k in v) ts[k] = [];
for (let it = 0; it < 120; it++) for (const k in v) { const t = performance.now(); await v[k](); ts[k].push(performance.now() - t); }
for (const k in v) { const s = ts[k].slice(20).sort((a, b) => a - b); console.log(k.padEnd(16), 'p50', s[s.length >> 1].toFixed(3), 'min', s[0].toFixed(3)); }
