/**
 * The ONNX Runtime adapters, as factories the composition root (bootstrap.ts) calls lazily. Only the
 * handlers of containers that carry the onnxruntime-node layer (recommend, embed-image) import this
 * module and hand it to `getDeps`; the other bundles never reach onnxruntime-node.
 */
import type { OnnxAdapters } from './bootstrap.js';
import { createOnnxScoreAll } from './onnx-score-kernel.js';
import { createOnnxScoreRows, ScorerSessionCache } from './onnx-scorer.js';
import { predictContentFactors } from './onnx-content-model.js';
import { OnnxImageEmbedder, openImageEncoder } from './onnx-image-embedder.js';

export const onnxAdapters: OnnxAdapters = {
  scoreAll: (intraOpNumThreads) => createOnnxScoreAll({ intraOpNumThreads }),
  scoreRows: () => createOnnxScoreRows(new ScorerSessionCache()),
  predictContentFactors,
  imageEmbedder: (options) => new OnnxImageEmbedder(options),
  openImageEncoder,
};
