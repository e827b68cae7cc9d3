// Mutation testing of the serving core: `npm run mutate` (slow: not part of `npm test` or CI).
// Results and the surviving mutants are discussed in docs/mutation.md.
import { readFileSync } from 'node:fs';

/** `file:start-end` of one top-level function, found by name so the range follows edits to the file. */
function functionRange(file, name) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^export (async )?function ${name}\\b`).test(l));
  if (start < 0) throw new Error(`${file}: function ${name} not found`);
  const end = lines.findIndex((l, i) => i > start && l === '}');
  return `${file}:${start + 1}-${end + 1}`;
}

/** What is mutated: the ranking (with the kernel-selection masks), top-K, the interaction rules, snapshot verification, events acceptance, the gate. */
export const SERVING_CORE = [
  'functions/core/ranking/recommend.ts',
  'functions/core/ranking/category-prior.ts',
  'functions/core/ranking/blended-candidates.ts',
  'functions/core/numeric/topk.ts',
  'functions/core/domain/interactions.ts',
  'functions/core/snapshot/model-snapshot.ts',
  'functions/events/handler.ts',
  functionRange('functions/retrain/retrain-model.ts', 'gateDecision'),
];

// `MUTATE=path` narrows a run to one file (a per-file run on a shared machine); `path:start-end`
// to lines of it (several ranges of one file: `a.ts:10-90,a.ts:120-300`).
const only = process.env.MUTATE?.split(',').filter(Boolean);
/** The files asked for, each with its line range when one was given. */
function narrowed(entries) {
  return entries.flatMap((o) => {
    const [path, range] = o.split(':');
    const files = SERVING_CORE.filter((m) => m.startsWith(path));
    // A range applies to a whole-file entry only (not to gateDecision's own range).
    return range ? files.filter((m) => !m.includes(':')).map((m) => `${m}:${range}`) : files;
  });
}
/** Each selection keeps its own incremental results and report: `all`, or e.g. `topk`. */
const tag = only ? [...new Set(only.map((o) => o.split(':')[0].replace(/^.*\//, '').replace(/\.ts$/, '')))].join('+') : 'all';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  // The checker compiles the production code only (tests and tools are not mutated): checking the
  // whole project per mutant group was the run's bottleneck.
  tsconfigFile: 'tsconfig.mutate.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: only ? narrowed(only) : SERVING_CORE,
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants such as the event-weight table and the ranking defaults)
  // would re-run every suite per mutant; they are pinned by hand-applied mutants (docs/mutation.md).
  ignoreStatic: true,
  // Reuses the previous run's results for unchanged code and tests (reports/ is not committed).
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${tag}.json`,
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
  timeoutMS: 10_000,
  timeoutFactor: 2,
  reporters: ['progress', 'clear-text', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true, reportMutants: true },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['cdk.out', '.data', 'layers/build', 'reports', 'models/.cache', 'web'],
};
