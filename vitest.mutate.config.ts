import { defineConfig } from 'vitest/config';

// The suites that exercise the serving core in-process, for `npm run mutate`. The e2e suite (a
// spawned runtime Stryker cannot see into), image-model, CDK, bundling and evaluation suites are
// left to `npm test`.
export default defineConfig({
  test: {
    include: [
      'test/unit/{interactions,fold-in,gate,ranking-properties,topk,candidates,features,two-stage,popularity,similarity,scorer,ease,als,onnx-score-kernel}.test.ts',
      'test/integration/{api-handlers,fault-injection}.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
