/**
 * layer:build — builds the Lambda layer folder used by lib/models-layer.ts:
 *
 *   layers/build/layer/
 *     nodejs/node_modules/onnxruntime-node   (linux-x64 binary only) + onnxruntime-common
 *     nodejs/node_modules/sharp + @img/sharp-linux-x64 + @img/sharp-libvips-linux-x64 (+ their deps)
 *     models/                                 (ONNX artifacts + manifest: /opt/models on Lambda)
 *
 *   npm run layer:build -- [--models DIR] [--out DIR] [--bundle-bytes N]
 *
 * Then it checks the result against Lambda's 250 MB unzipped limit for function + layers: the
 * largest handler (`functions/*\/handler.ts`) is bundled with esbuild the way lib/engine-function.ts
 * does (minified ESM + source map, SDK and native modules external) unless `--bundle-bytes` gives the
 * size. Prints the sizes, writes bench/results/layer-size.json, exits 1 over the limit. Finally it
 * loads onnxruntime-node and sharp from the built folder in a child process (this machine is
 * linux-x64 too) so a pruning mistake fails here, not on Lambda.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_TARGET, EXTERNAL_MODULES, MAIN_FIELDS, REQUIRE_BANNER } from '../lib/bundle-options.js';
import { copyPackages, dirSize, LAMBDA_UNZIPPED_LIMIT_BYTES, LAMBDA_X64, mb, selectPackages } from './layer.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LAYER_PACKAGES = ['onnxruntime-node', 'sharp'];

interface Args {
  modelsDir: string;
  outDir: string;
  bundleBytes?: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    modelsDir: path.join(repoRoot, 'models/artifacts'),
    outDir: path.join(repoRoot, 'layers/build/layer'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--models') args.modelsDir = path.resolve(v), i++;
    else if (a === '--out') args.outDir = path.resolve(v), i++;
    else if (a === '--bundle-bytes') {
      args.bundleBytes = Number(v);
      i++;
      if (!Number.isInteger(args.bundleBytes) || args.bundleBytes < 0) throw new Error('--bundle-bytes must be a byte count');
    } else throw new Error(`unknown option ${a} (use --models DIR, --out DIR, --bundle-bytes N)`);
  }
  return args;
}

/** Bundles every functions/<name>/handler.ts; returns bytes (js + map) per handler. */
async function bundleHandlers(): Promise<Record<string, number>> {
  const functionsDir = path.join(repoRoot, 'functions');
  const entries = readdirSync(functionsDir)
    .map((d) => path.join(functionsDir, d, 'handler.ts'))
    .filter((p) => existsSync(p));
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'layer-bundle-'));
  const sizes: Record<string, number> = {};
  try {
    for (const entry of entries) {
      const name = path.basename(path.dirname(entry));
      const outdir = path.join(tmp, name);
      await build({
        entryPoints: [entry],
        outdir,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: BUNDLE_TARGET,
        mainFields: MAIN_FIELDS,
        banner: { js: REQUIRE_BANNER },
        external: EXTERNAL_MODULES,
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        tsconfig: path.join(repoRoot, 'tsconfig.json'),
        logLevel: 'error',
      });
      sizes[name] = dirSize(outdir);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return sizes;
}

/** Loads the native modules from the built layer in a fresh process and runs a trivial op with each. */
function smokeTest(layerDir: string): string {
  const script = `
    const { createRequire } = require('node:module');
    const req = createRequire(${JSON.stringify(path.join(layerDir, 'nodejs', 'index.js'))});
    const ort = req('onnxruntime-node');
    const sharp = req('sharp');
    const t = new ort.Tensor('float32', new Float32Array([1, 2]), [2]);
    if (t.size !== 2) throw new Error('onnxruntime tensor');
    sharp({ create: { width: 2, height: 2, channels: 3, background: '#f00' } }).png().toBuffer()
      .then((b) => console.log('onnxruntime-node ' + req('onnxruntime-node/package.json').version + ', sharp ' + sharp.versions.sharp + ' (libvips ' + sharp.versions.vips + '), png ' + b.length + ' bytes'));
  `;
  // An empty NODE_PATH and a cwd outside the repo: nothing can come from the project's node_modules.
  return execFileSync(process.execPath, ['-e', script], { cwd: os.tmpdir(), env: { ...process.env, NODE_PATH: '' }, encoding: 'utf8' }).trim();
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const nodeModules = path.join(repoRoot, 'node_modules');
  if (!existsSync(args.modelsDir) || !existsSync(path.join(args.modelsDir, 'efficientnet_b0.onnx'))) {
    throw new Error(`no model artifacts in ${args.modelsDir}: run npm run models:build first, or pass --models DIR`);
  }
  rmSync(args.outDir, { recursive: true, force: true });
  mkdirSync(args.outDir, { recursive: true });

  const packages = selectPackages(nodeModules, LAYER_PACKAGES, LAMBDA_X64);
  console.log(`packages: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`);
  const packageBytes = copyPackages(packages, nodeModules, args.outDir, LAMBDA_X64);

  const modelsOut = path.join(args.outDir, 'models');
  mkdirSync(modelsOut);
  const modelFiles = readdirSync(args.modelsDir).filter(
    (f) => !f.startsWith('.') && statSync(path.join(args.modelsDir, f)).isFile(),
  );
  for (const f of modelFiles) cpSync(path.join(args.modelsDir, f), path.join(modelsOut, f));
  const modelBytes = Object.fromEntries(modelFiles.map((f) => [f, statSync(path.join(modelsOut, f)).size]));

  const layerBytes = dirSize(args.outDir);
  const bundles = args.bundleBytes !== undefined ? { '(given)': args.bundleBytes } : await bundleHandlers();
  const [largestName, largestBytes] = Object.entries(bundles).sort((a, b) => b[1] - a[1])[0] ?? ['(none)', 0];
  const total = layerBytes + largestBytes;
  const ok = total <= LAMBDA_UNZIPPED_LIMIT_BYTES;
  const smoke = smokeTest(args.outDir);

  console.log('\nlayer contents (unzipped):');
  for (const [name, bytes] of Object.entries(packageBytes)) console.log(`  nodejs/node_modules/${name.padEnd(30)} ${mb(bytes).padStart(9)}`);
  for (const [name, bytes] of Object.entries(modelBytes)) console.log(`  models/${name.padEnd(42)} ${mb(bytes).padStart(9)}`);
  console.log(`layer total:            ${mb(layerBytes)} (${layerBytes} bytes) in ${path.relative(repoRoot, args.outDir)}`);
  console.log(`largest function:       ${largestName} ${mb(largestBytes)} (${largestBytes} bytes)`);
  console.log(
    `layer + largest bundle: ${mb(total)} of ${mb(LAMBDA_UNZIPPED_LIMIT_BYTES)} allowed (${((100 * total) / LAMBDA_UNZIPPED_LIMIT_BYTES).toFixed(1)}%) → ${ok ? 'OK' : 'OVER THE LIMIT'}`,
  );
  console.log(`smoke test from the layer: ${smoke}`);

  const resultsFile = path.join(repoRoot, 'bench/results/layer-size.json');
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(
    resultsFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        target: `${LAMBDA_X64.platform}-${LAMBDA_X64.arch} (${LAMBDA_X64.libc})`,
        layer_bytes: layerBytes,
        packages: Object.fromEntries(packages.map((p) => [p.name, { version: p.version, bytes: packageBytes[path.relative(nodeModules, p.dir)] }])),
        models: modelBytes,
        models_dir: path.relative(repoRoot, args.modelsDir) || args.modelsDir,
        bundles,
        largest_bundle: { name: largestName, bytes: largestBytes },
        total_bytes: total,
        limit_bytes: LAMBDA_UNZIPPED_LIMIT_BYTES,
        within_limit: ok,
        smoke_test: smoke,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${path.relative(repoRoot, resultsFile)}`);
  if (!ok) process.exit(1);
}

main().catch((err) => {
  console.error(`layer:build failed: ${(err as Error).message}`);
  process.exit(1);
});
