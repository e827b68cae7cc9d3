import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch } from '../../bin/batch.js';
import { loadDataset, readTuned, writeSplit, type LoadedDataset } from '../../bin/eval-data.js';
import { scoreFiles } from '../../bin/score.js';
import { DEFAULT_ALS_PARAMS, type AlsParams } from '../../functions/core/factorization/als.js';
import { alsFactory, buildTrainData, evaluateModel, relevantSets } from '../../functions/core/evaluation/evaluation.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

/**
 * Issue 5's check "the batch recommendations of `npm run batch` scored independently under the same
 * protocol agree with the eval table": the split written by `npm run eval -- --write-split`, fed to
 * runBatch with the same ALS settings and scored from files by `npm run score`, gives the metrics
 * the evaluation computed in memory.
 */
async function agree(datasetPath: string, dir: string, als: (ds: LoadedDataset) => Partial<AlsParams> = () => DEFAULT_ALS_PARAMS) {
  const ds = loadDataset(datasetPath, 'movielens');
  const params = { ...DEFAULT_ALS_PARAMS, ...als(ds) };
  const train = buildTrainData(ds.train);
  const relevant = relevantSets(train, ds.test);
  const evalMetrics = evaluateModel(alsFactory(params, { binary: true }), train, relevant, 10).metrics;
  writeSplit(dir, ds.train, ds.test, train, relevant);
  await runBatch({ interactions: join(dir, 'train.csv'), users: join(dir, 'users.txt'), out: join(dir, 'recs.csv'), k: 10, progress: false, als: params });
  const scored = scoreFiles({ recs: join(dir, 'recs.csv'), test: join(dir, 'test.csv'), train: join(dir, 'train.csv'), users: join(dir, 'users.txt'), k: 10 });
  return { evalMetrics, scored };
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
  it.skipIf(!existsSync(ML100K))('on MovieLens-100K with the tuned ALS flags the README gives: the eval table\'s `als` row (skipped when ../shared/data/movielens-100k is absent)', async () => {
    let tuned: ReturnType<typeof readTuned>;
    const { evalMetrics, scored } = await agree(ML100K, join(dir, 'split-ml'), (ds) => (tuned = readTuned(ds.name, ds.sha256))?.als ?? {});
    expect(tuned?.als).toMatchObject({ factors: 64, regularization: 50, alpha: 6, iterations: 25 }); // the README's batch flags
    expect(scored.users).toBe(941);
    expect(scored.ndcg).toBeCloseTo(evalMetrics.ndcg, 6);
    expect(scored.precision).toBeCloseTo(evalMetrics.precision, 6);
    // …and both are the committed table's figures (bench/results/eval-ml-100k.json → README, docs/evaluation.md).
    const table = JSON.parse(readFileSync('bench/results/eval-ml-100k.json', 'utf8')) as { results: { model: string; metrics: { ndcg: number; precision: number } }[] };
    const row = table.results.find((r) => r.model === 'als')!;
    expect(scored.ndcg).toBeCloseTo(row.metrics.ndcg, 6);
    expect(scored.precision).toBeCloseTo(row.metrics.precision, 6);
  }, 120_000);
});
