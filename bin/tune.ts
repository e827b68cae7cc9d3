/**
 * Hyper-parameter search for ALS and EASE on a validation split carved from the TRAINING data only
 * (the test split is never read): `npm run tune -- --dataset PATH --format movielens|csv|dunnhumby`.
 * Coordinate search: (λ, α) grid at f=64 → factors → iterations → confidence; then EASE λ.
 * Writes bench/results/tune-<dataset>.json and regenerates docs/tuning.md from all tune-*.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DEFAULT_ALS_PARAMS, type AlsParams } from '../functions/core/factorization/als.js';
import { EASE_MAX_ITEMS, alsFactory, buildTrainData, easeFactory, evaluateModel, relevantSets, type ModelFactory } from '../functions/core/evaluation/evaluation.js';
import { loadDataset, parseArgs, splitByProtocol, type DatasetFormat } from './eval-data.js';

interface Trial {
  model: string;
  params: Record<string, unknown>;
  ndcg: number;
  precision: number;
  recall: number;
  mapAtK: number;
  seconds: number;
}

const args = parseArgs(process.argv.slice(2));
if (args['docs-only'] === 'true') {
  // Regenerate docs/tuning.md from the stored results (e.g. after editing docs/tuning-notes.md).
  writeTuningDoc();
  process.exit(0);
}
if (!args.dataset || !args.format) {
  console.error('usage: npm run tune -- --dataset PATH --format movielens|csv|dunnhumby [--k 10] [--quick | --grid small]  (or: npm run tune -- --docs-only)');
  process.exit(2);
}
const k = Number(args.k ?? 10);
const ds = loadDataset(args.dataset, args.format as DatasetFormat);
// Validation split: the same protocol applied to the training rows, with another seed.
const val = splitByProtocol(ds.format, ds.train, ds.seed + 1);
const td = buildTrainData(val.train);
const rel = relevantSets(td, val.test);
console.log(`${ds.name}: train ${ds.train.length} → sub-train ${val.train.length} / validation ${val.test.length} (${rel.size} users)`);

const trials: Trial[] = [];
async function run(f: ModelFactory, params: Record<string, unknown>): Promise<Trial> {
  const t0 = performance.now();
  const r = await evaluateModel(f, td, rel, k);
  const t: Trial = {
    model: f.name,
    params,
    ndcg: r.metrics.ndcg,
    precision: r.metrics.precision,
    recall: r.metrics.recall,
    mapAtK: r.metrics.mapAtK,
    seconds: (performance.now() - t0) / 1000,
  };
  trials.push(t);
  console.log(`  ${f.name} ${JSON.stringify(params)} ndcg@${k}=${t.ndcg.toFixed(4)} (${t.seconds.toFixed(1)} s)`);
  return t;
}

type AlsTry = Partial<AlsParams> & { binary?: boolean };
function tryAls(p: AlsTry): Promise<Trial> {
  const { binary = true, ...params } = p;
  return run(alsFactory({ ...DEFAULT_ALS_PARAMS, ...params }, { binary, cap: 5 }), { ...params, binary });
}

const quick = args.quick === 'true';
// --grid small: a coarser search for large catalogues where each trial's full ranking is expensive.
const small = args.grid === 'small';
let best: AlsTry = { factors: 64, iterations: 15, confidence: 'linear', binary: true };
let bestScore = -1;
const consider = async (p: AlsTry) => {
  const t = await tryAls(p);
  if (t.ndcg > bestScore) {
    bestScore = t.ndcg;
    best = p;
  }
};
const regs = quick ? [0.1, 10] : small ? [0.1, 5, 50] : [0.1, 1, 10, 50, 150];
const alphas = quick ? [1, 10] : small ? [1, 5, 20] : [0.5, 2, 5, 15, 40];
console.log('ALS stage 1: regularization × alpha at 64 factors');
for (const regularization of regs) for (const alpha of alphas) await consider({ ...best, regularization, alpha });
console.log('ALS stage 2: factors');
for (const factors of quick ? [32] : small ? [32, 128] : [32, 100, 128, 200]) await consider({ ...best, factors });
console.log('ALS stage 3: iterations, then log confidence and raw strengths');
for (const iterations of quick ? [10] : [8, 25]) await consider({ ...best, iterations });
if (!quick && !small) {
  // The optimum in (λ, α) is narrow on MovieLens: halving/doubling, then ±20 %.
  for (const alpha of [best.alpha! / 2, best.alpha! * 2]) await consider({ ...best, alpha });
  for (const regularization of [best.regularization! / 2, best.regularization! * 2]) await consider({ ...best, regularization });
  for (const alpha of [best.alpha! * 0.8, best.alpha! * 1.2]) await consider({ ...best, alpha });
  for (const regularization of [best.regularization! * 0.8, best.regularization! * 1.2]) await consider({ ...best, regularization });
  await consider({ ...best, confidence: 'log', epsilon: 1 });
  await consider({ ...best, binary: false });
}
if (!quick && small) {
  await consider({ ...best, binary: false });
}
console.log('EASE: lambda');
let easeBest = { lambda: 0, ndcg: -1 };
const easeLambdas = td.items.size > EASE_MAX_ITEMS ? [] : quick ? [100, 500] : [50, 100, 250, 500, 1000, 2000];
if (easeLambdas.length === 0) console.log(`  skipped: ${td.items.size} items > ${EASE_MAX_ITEMS}`);
for (const lambda of easeLambdas) {
  const t = await run(easeFactory(lambda), { lambda });
  if (t.ndcg > easeBest.ndcg) easeBest = { lambda, ndcg: t.ndcg };
}

const result = {
  dataset: ds.name,
  format: ds.format,
  sha256: ds.sha256,
  protocol: `validation split of the training data: ${val.split}`,
  k,
  bestAls: { ...best, ndcg: bestScore },
  bestEase: easeBest,
  trials,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync(`bench/results/tune-${ds.name}.json`, JSON.stringify(result, null, 2) + '\n');
writeTuningDoc();
console.log(`best ALS ${JSON.stringify(best)} ndcg@${k}=${bestScore.toFixed(4)}; best EASE λ=${easeBest.lambda}`);

function writeTuningDoc(): void {
  const files = readdirSync('bench/results').filter((f) => /^tune-.*\.json$/.test(f)).sort();
  const lines = [
    '# Hyper-parameter tuning',
    '',
    'Generated by `npm run tune -- --dataset PATH --format FORMAT` (bin/tune.ts). Every trial is fitted on a',
    'sub-train split and scored on a validation split, both carved from the **training** part of the',
    'evaluation split; the test split used by `npm run eval` is never read here. Search: a',
    '(regularization × alpha) grid at 64 factors, then factors, iterations, a local refinement, log',
    'confidence and raw (non-binary) strengths; EASE λ separately. Metric: NDCG@k on validation.',
    '',
    'The chosen ALS values are `DEFAULT_ALS_PARAMS` in `functions/core/factorization/als.ts`; see the note at the end.',
    '',
  ];
  for (const f of files) {
    const r = JSON.parse(readFileSync(`bench/results/${f}`, 'utf8'));
    lines.push(`## ${r.dataset} (${r.format})`, '', `- dataset sha256: \`${r.sha256}\``, `- ${r.protocol}`, `- k = ${r.k}`);
    lines.push(`- best ALS: \`${JSON.stringify(r.bestAls)}\``, r.bestEase.lambda ? `- best EASE: λ = ${r.bestEase.lambda} (NDCG@${r.k} ${r.bestEase.ndcg.toFixed(4)})` : '- EASE: not tuned (catalogue too large for the dense model)', '');
    lines.push(`| model | params | NDCG@${r.k} | Precision@${r.k} | Recall@${r.k} | MAP@${r.k} | s |`, '|---|---|---|---|---|---|---|');
    for (const t of r.trials as Trial[]) {
      lines.push(`| ${t.model} | \`${JSON.stringify(t.params)}\` | ${t.ndcg.toFixed(4)} | ${t.precision.toFixed(4)} | ${t.recall.toFixed(4)} | ${t.mapAtK.toFixed(4)} | ${t.seconds.toFixed(1)} |`);
    }
    lines.push('');
  }
  const notePath = 'docs/tuning-notes.md';
  let note = '';
  try {
    note = readFileSync(notePath, 'utf8');
  } catch {
    /* optional hand-written conclusions */
  }
  if (note) lines.push(note.trim(), '');
  mkdirSync('docs', { recursive: true });
  writeFileSync('docs/tuning.md', lines.join('\n'));
}
