/** The ranking's ONNX Runtime kernels (catalog MatMul, second-stage scorer) for the recommend container. */
import type { RankingOptions } from '../core/ranking/recommend.js';
import { onnxScoreAll } from './onnx-score-kernel.js';
import { onnxScoreRows } from './onnx-scorer.js';

export function rankingAdapters(): Pick<RankingOptions, 'scoreAll' | 'scoreRows'> {
  return { scoreAll: onnxScoreAll, scoreRows: onnxScoreRows };
}
