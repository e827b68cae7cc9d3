/**
 * How every Lambda is bundled, shared by the CDK construct (lib/engine-function.ts) and the layer
 * build's bundle-size check (layers/build.ts). No aws-cdk-lib import, so the layer script stays light.
 */

/** Modules the bundle must not contain: the runtime provides the SDK, the layer the native ones. */
export const EXTERNAL_MODULES = ['@aws-sdk/*', 'onnxruntime-node', 'sharp'];

/** esbuild's ESM output has no `require`; CJS dependencies (and the externals) need one. */
export const REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Lambda's nodejs22.x, ESM, minified with source maps (no sources inlined). */
export const BUNDLE_TARGET = 'node22';
export const MAIN_FIELDS = ['module', 'main'];

/**
 * Worker-thread entries emitted next to the bundle of every function that trains: the ALS threads
 * load `als-worker.mjs` from beside the running entry (functions/core/factorization/als-threads.ts).
 */
export const WORKER_BUNDLES = [{ entry: 'functions/core/factorization/als-worker.ts', outfile: 'als-worker.mjs' }] as const;

/** Shell commands bundling {@link WORKER_BUNDLES} into `outputDir` with the project's esbuild. */
export function workerBundleCommands(projectRoot: string, outputDir: string): string[] {
  const esbuild = JSON.stringify(`${projectRoot}/node_modules/.bin/esbuild`);
  return WORKER_BUNDLES.map(
    (w) => `${esbuild} ${JSON.stringify(`${projectRoot}/${w.entry}`)} --bundle --platform=node --format=esm --target=${BUNDLE_TARGET} --minify --log-level=warning --outfile=${JSON.stringify(`${outputDir}/${w.outfile}`)}`,
  );
}
