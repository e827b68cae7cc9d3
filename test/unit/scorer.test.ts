/** The second-stage scorer: it learns, it is deterministic, and its ONNX export equals the TS forward pass. */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { scoreRows, scorerLogit } from '../../functions/core/ranking/scorer.js';
import { trainScorer, type ScorerDataset } from '../../functions/core/training/train-scorer.js';
import { exportScorerOnnx, OnnxScorer } from '../../functions/adapters/onnx-scorer.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

/** 40 groups of 30 rows, F = 5; the label is 1 when x0 + 0.5·x1 − x2·x3 is large (non-linear). */
function dataset(seed: number): ScorerDataset {
  const rng = mulberry32(seed);
  const F = 5;
  const rows = 40 * 30;
  const x = new Float32Array(rows * F);
  const label = new Uint8Array(rows);
  const groupEnds: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < F; d++) x[r * F + d] = (rng() * 2 - 1) * (d + 1) + d; // unstandardised scales
    const v = (x[r * F] - 0) / 1 + 0.5 * ((x[r * F + 1] - 1) / 2) - ((x[r * F + 2] - 2) / 3) * ((x[r * F + 3] - 3) / 4);
    label[r] = v > 0.6 ? 1 : 0;
    if ((r + 1) % 30 === 0) groupEnds.push(r + 1);
  }
  return { x, label, groupEnds, featureCount: F };
}

function pairAccuracy(d: ScorerDataset, z: (r: number) => number): number {
  let ok = 0;
  let all = 0;
  let s = 0;
  for (const e of d.groupEnds) {
    for (let a = s; a < e; a++) for (let b = s; b < e; b++) if (d.label[a] && !d.label[b]) (all++, z(a) > z(b) && ok++);
    s = e;
  }
  return ok / all;
}

const names = ['a', 'b', 'c', 'd', 'e'];

describe('trainScorer', () => {
  it('gives a feature that is constant in training no weight, so another value at serving changes nothing', () => {
    const d = dataset(3);
    for (let r = 0; r < d.label.length; r++) d.x[r * 5 + 4] = 0; // e.g. a candidate source training never produces
    for (const hidden of [16, 0]) {
      const m = trainScorer(d, names, 1, { hidden, epochs: 2 });
      const row = Array.from(d.x.subarray(0, 5));
      const z0 = scorerLogit(m, row);
      row[4] = 1; // standardised with std 1e-6 this would be x̂ = 10⁶
      expect(scorerLogit(m, row)).toBe(z0);
    }
  });

  it('learns to order a held-out set (pairwise accuracy well above chance) and is deterministic', () => {
    const train = dataset(1);
    const test = dataset(2);
    const m = trainScorer(train, names, 1, { hidden: 16, epochs: 8, seed: 7 });
    const acc = pairAccuracy(test, (r) => scorerLogit(m, test.x, r * 5));
    expect(acc).toBeGreaterThan(0.85);
    expect(trainScorer(train, names, 1, { hidden: 16, epochs: 8, seed: 7 })).toEqual(m);
    const lr = trainScorer(train, names, 1, { hidden: 0, epochs: 8, seed: 7 });
    expect(pairAccuracy(test, (r) => scorerLogit(lr, test.x, r * 5))).toBeGreaterThan(0.75);
  });
});

describe('scorer.onnx', () => {
  it.each([16, 0])('equals the TS forward pass (hidden = %i) on onnxruntime-node, with a dynamic batch', async (hidden) => {
    const d = dataset(3);
    const m = trainScorer(d, names, 1, { hidden, epochs: 2, seed: 3 });
    const bytes = exportScorerOnnx(m);
    const scorer = await OnnxScorer.create(bytes, 5);
    try {
      for (const rows of [1, 7, 300]) {
        const x = d.x.slice(0, rows * 5);
        const got = await scorer.score(x, rows);
        const want = scoreRows(m, x);
        expect(got.length).toBe(rows);
        for (let r = 0; r < rows; r++) expect(got[r]).toBeCloseTo(want[r], 5);
      }
    } finally {
      await scorer.release();
    }
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['features']);
    expect(session.outputNames).toEqual(['score']);
    await session.release();
  });
});
