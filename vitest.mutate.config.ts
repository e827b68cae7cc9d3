import { defineConfig } from 'vitest/config';

// The suites that exercise the serving core in-process, for `npm run mutate`. The e2e suite (a
// spawned runtime Stryker cannot see into), image-model, CDK, bundling and evaluation suites are
// left to `npm test`. The HTTP suites (dynalite + s3rver, a retrain per run) join only when the
// events handler is mutated or nothing is narrowed: they cover every core file, and re-running them
// for each core mutant made a per-file run several times slower. The authorization matrix is the
// one suite that posts events as an app user (the others run as a trusted caller), so it is what
// checks the handler's acting-as rule.
const mutate = process.env.MUTATE;
const withHttp = !mutate || mutate.includes('functions/events');

export default defineConfig({
  test: {
    include: [
      'test/unit/{interactions,fold-in,gate,model-snapshot,ranking-properties,topk,candidates,features,two-stage,popularity,similarity,scorer,ease,als,onnx-score-kernel,reasons,promoted-minimum,hybrid,category-prior,blended-candidates}.test.ts',
      ...(withHttp ? ['test/integration/{api-handlers,fault-injection,authorization-matrix}.test.ts'] : []),
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One module graph for every mutant run: re-importing it per run was most of the run time.
    isolate: false,
  },
});
