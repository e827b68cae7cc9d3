/**
 * Shared synth for the infra tests. Each synth of the full stack bundles seven Lambdas (~10 s), so
 * every test file synthesizes at most once (module-level promise) and the nag test skips bundling.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GiftRecommenderStack } from '../../lib/gift-recommender-stack.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** Where `npm run layer:build` puts the real layer. */
export const REAL_LAYER_DIR = join(REPO_ROOT, 'layers/build/layer');

export interface Synthesized {
  readonly app: App;
  readonly stack: GiftRecommenderStack;
  readonly template: Template;
  /** Raw CloudFormation JSON of the stack. */
  readonly json: { Resources: Record<string, { Type: string; Properties?: any; DependsOn?: unknown }> };
  /** The cloud assembly folder (asset.* dirs live here). */
  readonly outdir: string;
  /** Whether the real layer folder was used (else a minimal stand-in with the same layout). */
  readonly layerIsReal: boolean;
  /** Thrown by `app.synth()` (cdk-nag findings fail the synth), if anything. */
  readonly synthError?: Error;
  /** Removes the temp folders. */
  cleanup(): void;
}

export interface SynthOptions {
  /** Run esbuild for the seven Lambdas (needed to measure bundles). */
  readonly bundle: boolean;
  /** Add the cdk-nag AwsSolutions plugin. */
  readonly nag: boolean;
  /** Use layers/build/layer when it exists. */
  readonly preferRealLayer: boolean;
  /**
   * Run aws-cdk-lib's built-in CloudFormation schema validation (~20 s on a busy 2-core box); one test
   * file keeps it, the others skip it.
   */
  readonly cfnValidate: boolean;
  /** Extra CDK context. */
  readonly context?: Record<string, unknown>;
}

/** A layer folder with the layout ModelsLayer checks for and nothing else (fast to stage). */
function minimalLayer(base: string): string {
  const dir = join(base, 'layer');
  mkdirSync(join(dir, 'nodejs/node_modules'), { recursive: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(join(dir, 'models/README.txt'), 'stand-in layer for infra tests; npm run layer:build makes the real one\n');
  return dir;
}

/** Synthesizes the whole stack once with the given options. */
export function synthStack(opts: SynthOptions): Synthesized {
  const base = mkdtempSync(join(tmpdir(), 'gift-infra-'));
  const outdir = join(base, 'cdk.out');
  // INFRA_LAYER=stand-in reproduces CI (no layers/build) on a machine that has the real layer.
  const layerIsReal = opts.preferRealLayer && process.env.INFRA_LAYER !== 'stand-in' && existsSync(REAL_LAYER_DIR);
  const layerDir = layerIsReal ? REAL_LAYER_DIR : minimalLayer(base);

  const app = new App({
    outdir,
    context: {
      layerDir,
      ...(opts.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...opts.context,
    },
  });
  const stack = new GiftRecommenderStack(app, 'GiftTest');
  if (opts.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let synthError: Error | undefined;
  const saved = process.env.CDK_VALIDATION;
  if (!opts.cfnValidate) process.env.CDK_VALIDATION = 'false';
  try {
    app.synth();
  } catch (err) {
    synthError = err as Error;
  } finally {
    if (saved === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = saved;
  }
  const template = Template.fromStack(stack, { skipCyclicalDependenciesCheck: true });
  return {
    app,
    stack,
    template,
    json: template.toJSON() as Synthesized['json'],
    outdir,
    layerIsReal,
    synthError,
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}
