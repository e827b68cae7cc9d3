import { describe, expect, it } from 'vitest';
import { buildTrainData } from '../../functions/core/evaluation/evaluation.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { temporalSplit, type Interaction } from '../../functions/core/evaluation/split.js';
import type { ScorerDecision } from '../../functions/core/training/scorer-gate.js';
import { twoStageFactory } from '../../functions/core/evaluation/two-stage-eval.js';

/** 120 users over 60 items in two taste groups, one event per user per day for 40 days. */
function temporalRows(): Interaction[] {
  const rng = mulberry32(9);
  const rows: Interaction[] = [];
  for (let day = 0; day < 40; day++) {
    for (let u = 0; u < 120; u++) {
      const group = u % 2;
      const item = rng() < 0.8 ? 2 * Math.floor(rng() * 30) + group : Math.floor(rng() * 60);
      rows.push({ user: `u${u}`, item: `i${item}`, value: 1, timestamp: day * 86_400_000 + u * 1000 });
    }
  }
  return rows;
}

describe('two-stage engine in the offline evaluation, temporal carve', () => {
  it('gates the scorer forward-chained: on the last window of the training rows, against ALS order', async () => {
    const rows = temporalRows();
    const decisions: ScorerDecision[] = [];
    const model = await twoStageFactory({ carve: 'temporal', als: { factors: 8, iterations: 5, regularization: 1 }, onDecision: (d) => decisions.push(d) }).fit(buildTrainData(rows));
    expect(decisions).toHaveLength(1);
    const d = decisions[0];
    expect(d.reason).toMatch(/^forward-chained, trained on the previous window and gated on the last: /);
    // The gate's users are exactly those with a new item in the last 20 % and history before it.
    const { train: older, test: last } = temporalSplit(rows, 0.2);
    const seen = new Map<string, Set<string>>();
    for (const r of older) seen.set(r.user, (seen.get(r.user) ?? new Set()).add(r.item));
    const gated = new Set(last.filter((r) => seen.has(r.user) && !seen.get(r.user)!.has(r.item)).map((r) => r.user));
    expect(d.figures.users).toBe(gated.size);
    expect(d.figures.alsNdcg).toBeGreaterThan(0);
    expect(d.promoted).toBe(d.figures.scorerNdcg > d.figures.alsNdcg * 1.005);
    // Whatever the decision, the fitted model ranks: k distinct items the user has not seen.
    const out = Array.from(await model.recommend(0, 5, (i) => i === 0));
    expect(new Set(out).size).toBe(5);
    expect(out).not.toContain(0);
  });
});
