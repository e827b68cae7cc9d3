/**
 * Builds the retrain container's program: bin/retrain.ts bundled by esbuild (the AWS SDK included,
 * as no runtime provides it there; onnxruntime-node external, installed in the image) plus the ALS
 * worker beside it. `tsx lib/retrain-bundle.ts OUT_DIR` (the Dockerfile's build stage runs it).
 */
import { execSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { BUNDLE_TARGET, MAIN_FIELDS, REQUIRE_BANNER, workerBundleCommands } from './bundle-options.js';

/** Native modules the image installs with npm instead of bundling. */
export const CONTAINER_EXTERNALS = ['onnxruntime-node', 'sharp'];

export function buildRetrainBundle(projectRoot: string, outDir: string): void {
  buildSync({
    entryPoints: [resolve(projectRoot, 'bin/retrain.ts')],
    outfile: resolve(outDir, 'retrain.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: MAIN_FIELDS,
    // CommonJS dependencies read __dirname; the container bundle defines it as Node would.
    banner: { js: `${REQUIRE_BANNER} import { fileURLToPath as __toPath } from 'url'; import { dirname as __dirOf } from 'path'; const __filename = __toPath(import.meta.url); const __dirname = __dirOf(__filename);` },
    // The local runtime's embedded storage is only reached when no AWS storage is configured: never in the container.
    external: [...CONTAINER_EXTERNALS, './local/embedded-aws.js'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    logLevel: 'warning',
    tsconfig: resolve(projectRoot, 'tsconfig.json'),
  });
  for (const cmd of workerBundleCommands(projectRoot, resolve(outDir))) execSync(cmd, { cwd: projectRoot, stdio: 'inherit' });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: tsx lib/retrain-bundle.ts OUT_DIR');
  buildRetrainBundle(resolve(fileURLToPath(new URL('..', import.meta.url))), out);
}
