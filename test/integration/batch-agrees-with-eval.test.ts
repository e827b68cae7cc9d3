import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch } from '../../bin/batch.js';
import { loadDataset, writeSplit } from '../../bin/eval-data.js';
import { scoreFiles } from '../../bin/score.js';
import { buildTrainData, evaluateModel, relevantSets } from '../../functions/core/evaluation/evaluation.js';
import { engineFactory } from '../../functions/core/evaluation/offline-engine.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

/**
 * `npm run batch` is the served engine, and the evaluation's `engine` row is the same code: the split
 * written by `npm run eval -- --write-split`, fed to runBatch with no flags and scored from files by
 * `npm run score`, gives the metrics the evaluation computed in memory for that row.
 */
async function agree(datasetPath: string, dir: string) {
  const ds = loadDataset(datasetPath, 'movielens');
  const train = buildTrainData(ds.train);
  const relevant = relevantSets(train, ds.test);
  const evalMetrics = (await evaluateModel(engineFactory(), train, relevant, 10)).metrics;
  writeSplit(dir, ds.train, ds.test, train, relevant);
  const summary = await runBatch({ interactions: join(dir, 'train.csv'), users: join(dir, 'users.txt'), out: join(dir, 'recs.csv'), k: 10, progress: false });
  const scored = scoreFiles({ recs: join(dir, 'recs.csv'), test: join(dir, 'test.csv'), train: join(dir, 'train.csv'), users: join(dir, 'users.txt'), k: 10 });
  return { evalMetrics, scored, summary };
}

describe('npm run batch + npm run score agree with npm run eval', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agree-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on a synthetic MovieLens-format file (u.data: two taste groups plus noise)', async () => {
    const rng = mulberry32(5);
    const lines: string[] = [];
    for (let u = 1; u <= 120; u++) {
      const group = u % 2;
      for (let i = 1; i <= 150; i++) {
        const inGroup = (i % 2 === group ? 0.25 : 0.03) * (1 + 40 / (i + 10));
        if (rng() < inGroup) lines.push(`${u}\t${i}\t${1 + Math.floor(rng() * 5)}\t${880000000 + u * 1000 + i}`);
      }
    }
    const data = join(dir, 'ml');
    mkdirSync(data);
    writeFileSync(join(data, 'u.data'), lines.join('\n') + '\n');
    const { evalMetrics, scored } = await agree(data, join(dir, 'split-synthetic'));
    expect(scored.users).toBe(evalMetrics.users);
    expect(evalMetrics.ndcg).toBeGreaterThan(0.1); // the structure is learnable: a non-trivial comparison
    expect(scored.ndcg).toBeCloseTo(evalMetrics.ndcg, 6);
    expect(scored.precision).toBeCloseTo(evalMetrics.precision, 6);
    expect(scored.recall).toBeCloseTo(evalMetrics.recall, 6);
    expect(scored.mapAtK).toBeCloseTo(evalMetrics.mapAtK, 6);
  });

  const ML100K = join(__dirname, '../../../shared/data/movielens-100k/ml-100k');
  // Selection + training on MovieLens takes minutes on 2 cores: run with SLOW_TESTS=1.
  it.skipIf(!existsSync(ML100K) || !process.env.SLOW_TESTS)('on MovieLens-100K with no flags: the committed table\'s `engine` row (SLOW_TESTS=1; skipped when ../shared/data/movielens-100k is absent)', async () => {
    const { evalMetrics, scored } = await agree(ML100K, join(dir, 'split-ml'));
    expect(scored.users).toBe(941);
    expect(scored.ndcg).toBeCloseTo(evalMetrics.ndcg, 6);
    const table = JSON.parse(readFileSync('bench/results/eval-ml-100k.json', 'utf8')) as { results: { model: string; metrics: { ndcg: number } }[] };
    expect(scored.ndcg).toBeCloseTo(table.results.find((r) => r.model === 'engine')!.metrics.ndcg, 6);
  }, 1_200_000);
});
