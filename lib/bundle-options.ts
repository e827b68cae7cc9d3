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
