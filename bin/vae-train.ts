/**
 * `npm run vae:train -- --features img_vectors.csv [--index img_vectors.index.csv] [--publish [--reembed]] [options]`
 *
 * Trains a new image VAE encoder in TypeScript (functions/core/training/train-vae.ts; no Python)
 * from a features file as models/extract-features.ts writes it (one row of 1280 floats per image,
 * no header; the index `row,file,label` adds the catalog's leave-one-out figure), exports its
 * encoder mean to ONNX, and checks it on ONNX Runtime (shape, parity with the TypeScript forward
 * pass). Reports reconstruction MSE and KL on held-out rows and the leave-one-out 1-NN category
 * accuracy on the evaluation photos (`--eval-images`, default ../shared/data/product-images-clothing;
 * skipped with a message when absent) beside the layer's VAE and the raw features.
 * Writes `<out>/<version>/vae_encoder.onnx` + `metrics.json` (default out: models/.cache/vae).
 *
 * `--publish` uploads it as a new image-model version and makes it the active one
 * (functions/adapters/content-models.ts): into `npm start`'s storage (`--data-dir`, DATA_DIR, `.data`;
 * stop `npm start` first, or point AWS_ENDPOINT_URL_S3/_DYNAMODB at it), or the deployment's when an
 * AWS endpoint is configured / `RETRAIN_STORAGE=aws` (bin/storage.ts, as `npm run retrain`).
 * `--reembed` then re-embeds the catalog with it (as `npm run reembed`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { progressBar } from './progress.js';
import { openStorage } from './storage.js';
import { looNearestNeighbourAccuracy } from './eval-images.js';
import { DEFAULT_VAE_PARAMS, encodeMu, trainVae, type VaeParams, type VaeTrainResult } from '../functions/core/training/train-vae.js';
import { exportVaeEncoderOnnx } from '../functions/adapters/onnx-vae-encoder.js';
import { FEATURE_SIZE, OnnxImageEmbedder, openImageEncoder } from '../functions/adapters/onnx-image-embedder.js';
import { hasImageDataset, readImageDataset } from '../models/lib/image-dataset.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE =
  'usage: npm run vae:train -- --features img_vectors.csv [--index img_vectors.index.csv] [--publish [--reembed]] [--version ID] ' +
  '[--latent 32] [--hidden 256] [--beta 0.05] [--epochs 100] [--batch 64] [--lr 0.001] [--seed 42] [--holdout 0.2] ' +
  '[--eval-images DIR] [--models DIR] [--out DIR] [--data-dir DIR]';

export class UsageError extends Error {}

/** Parses a features CSV: one row of `dim` finite floats per line, no header. */
export function parseFeaturesCsv(text: string, dim = FEATURE_SIZE): { features: Float32Array; rows: number } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError('the features file is empty');
  const features = new Float32Array(lines.length * dim);
  lines.forEach((line, r) => {
    const parts = line.split(',');
    if (parts.length !== dim) throw new UsageError(`features line ${r + 1}: ${parts.length} values, expected ${dim}`);
    for (let i = 0; i < dim; i++) {
      const v = Number(parts[i]);
      if (parts[i].trim() === '' || !Number.isFinite(v)) throw new UsageError(`features line ${r + 1}, value ${i + 1}: '${parts[i].slice(0, 20)}' is not a finite number`);
      features[r * dim + i] = v;
    }
  });
  return { features, rows: lines.length };
}

/** Reads `row,file,label` (header required); its rows must match the features' count. */
export function parseIndexCsv(text: string, rows: number): string[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').split(',');
  const labelAt = header.indexOf('label');
  if (labelAt < 0) throw new UsageError("the index file needs a header with a 'label' column (row,file,label)");
  const labels = lines.slice(1).map((l) => l.split(',')[labelAt] ?? '');
  if (labels.length !== rows) throw new UsageError(`the index has ${labels.length} rows, the features ${rows}`);
  return labels;
}

const num = (name: string, v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  return n;
};

export interface VaeTrainOutcome {
  version: string;
  embeddingVersion: string;
  onnxFile: string;
  metrics: Record<string, unknown>;
  published: boolean;
}

export async function main(argv = process.argv.slice(2)): Promise<VaeTrainOutcome> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        features: { type: 'string' }, index: { type: 'string' }, publish: { type: 'boolean', default: false }, reembed: { type: 'boolean', default: false },
        version: { type: 'string' }, latent: { type: 'string' }, hidden: { type: 'string' }, beta: { type: 'string' }, epochs: { type: 'string' },
        batch: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, holdout: { type: 'string' },
        'eval-images': { type: 'string' }, models: { type: 'string' }, out: { type: 'string' }, 'data-dir': { type: 'string' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!values.features) throw new UsageError('--features is required');
  if (!existsSync(values.features)) throw new UsageError(`no such file: ${values.features}`);
  if (values.index && !existsSync(values.index)) throw new UsageError(`no such file: ${values.index}`);
  if (values.reembed && !values.publish) throw new UsageError('--reembed re-embeds with the published version: it needs --publish');
  const d = DEFAULT_VAE_PARAMS;
  const params: VaeParams = {
    latent: num('latent', values.latent, d.latent), hidden: num('hidden', values.hidden, d.hidden), beta: num('beta', values.beta, d.beta),
    epochs: num('epochs', values.epochs, d.epochs), batch: num('batch', values.batch, d.batch), learningRate: num('lr', values.lr, d.learningRate),
    seed: num('seed', values.seed, d.seed), holdout: num('holdout', values.holdout, d.holdout),
  };
  const modelsDir = path.resolve(values.models ?? path.join(REPO, 'models', 'artifacts'));

  const featuresBytes = readFileSync(values.features);
  const featuresSha256 = createHash('sha256').update(featuresBytes).digest('hex');
  const { features, rows } = parseFeaturesCsv(featuresBytes.toString('utf8'));
  const labels = values.index ? parseIndexCsv(readFileSync(values.index, 'utf8'), rows) : undefined;
  console.log(`[vae] ${rows} feature rows from ${values.features}; latent ${params.latent}, hidden ${params.hidden}, β ${params.beta}, ${params.epochs} epochs`);

  const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const bar = progressBar('[vae] [{bar}] epoch {value}/{total} | recon train {rt} held-out {rh} | KL train {kt} held-out {kh} | {duration_formatted}', { enabled: Boolean(process.stdout.isTTY) });
  bar.start(params.epochs, 0, { rt: '–', rh: '–', kt: '–', kh: '–' });
  let result: VaeTrainResult;
  try {
    // Figures every 5 % of the epochs: each is a pass over every row.
    const reportEvery = Math.max(1, Math.round(params.epochs / 20));
    // Training is one synchronous loop: a bar on a terminal redraws within update(), but off a terminal
    // cli-progress prints from a timer that cannot fire until the loop ends, so print a line instead.
    const tty = Boolean(process.stdout.isTTY);
    result = trainVae(
      features,
      rows,
      FEATURE_SIZE,
      params,
      (r) => {
        const figures = { rt: fmt(r.reconTrain, 4), rh: fmt(r.reconHoldout, 4), kt: fmt(r.klTrain, 2), kh: fmt(r.klHoldout, 2) };
        if (tty) bar.update(r.epoch, figures);
        else if (r.figuresEpoch === r.epoch) console.log(`[vae] epoch ${r.epoch}/${r.epochs} | recon train ${figures.rt} held-out ${figures.rh} | KL train ${figures.kt} held-out ${figures.kh}`);
      },
      reportEvery,
    );
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  } finally {
    bar.stop();
  }

  // The layer's backbone made the features this VAE learns from: its version is recorded and checked at load.
  const layer = new OnnxImageEmbedder({ modelsDir, intraOpNumThreads: 1 });
  const backbone = layer.info.backboneVersion ?? 'unknown';
  const onnx = exportVaeEncoderOnnx(result.encoder, { backbone, features_sha256: featuresSha256 });
  const sha = createHash('sha256').update(onnx).digest('hex');
  const version = values.version ?? `${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}-${sha.slice(0, 8)}`;
  const embeddingVersion = `${backbone}.vae${params.latent}-${version}`;

  // The export on ONNX Runtime: the checks a container applies (opens, mu[1,D], finite), then parity on every row.
  const encoder = await openImageEncoder(onnx, embeddingVersion, { intraOpNumThreads: 1 });
  const rowsOf = (flat: Float32Array, n: number, w: number) => Array.from({ length: n }, (_, i) => flat.subarray(i * w, (i + 1) * w));
  const onnxMu = await encoder.encode(rowsOf(features, rows, FEATURE_SIZE));
  const tsMu = encodeMu(result.encoder, features, rows);
  let parity = 0;
  onnxMu.forEach((m, r) => m.forEach((v, l) => (parity = Math.max(parity, Math.abs(v - tsMu[r * params.latent + l])))));
  if (!(parity <= 1e-4) || onnxMu.some((m) => m.length !== params.latent)) throw new Error(`the exported encoder disagrees with the trained one (max |Δμ| ${parity})`);

  const metrics: Record<string, unknown> = { ...result.figures, onnx_parity_max_abs: Number(parity.toExponential(2)) };
  if (labels) {
    metrics.catalog_loo_1nn_accuracy_raw = looNearestNeighbourAccuracy(rowsOf(features, rows, FEATURE_SIZE), labels);
    metrics.catalog_loo_1nn_accuracy_mu = looNearestNeighbourAccuracy(onnxMu, labels);
  }

  const evalDir = path.resolve(values['eval-images'] ?? path.join(REPO, '..', 'shared', 'data', 'product-images-clothing'));
  if (hasImageDataset(evalDir)) {
    const dataset = readImageDataset(evalDir);
    const evalBar = progressBar('[vae] evaluation photos [{bar}] {value}/{total}');
    evalBar.start(dataset.records.length, 0);
    const evalFeatures: Float32Array[] = [];
    for (let i = 0; i < dataset.records.length; i += 8) {
      const chunk = dataset.records.slice(i, i + 8);
      evalFeatures.push(...(await layer.extractFeatures(chunk.map((r) => readFileSync(r.path)))));
      evalBar.update(i + chunk.length);
    }
    evalBar.stop();
    const evalLabels = dataset.records.map((r) => r.label);
    metrics.evaluation = {
      images: dataset.records.length,
      manifest_sha256: dataset.manifestSha256,
      loo_1nn_category_accuracy_new_mu: looNearestNeighbourAccuracy(await encoder.encode(evalFeatures), evalLabels),
      loo_1nn_category_accuracy_layer_mu: looNearestNeighbourAccuracy(await layer.encodeFeatures(evalFeatures), evalLabels),
      loo_1nn_category_accuracy_raw: looNearestNeighbourAccuracy(evalFeatures, evalLabels),
    };
  } else {
    console.log(`[vae] SKIP evaluation-photo accuracy: no dataset at ${evalDir} (--eval-images DIR)`);
  }
  await layer.close();

  const outDir = path.resolve(values.out ?? path.join(REPO, 'models', '.cache', 'vae'), version);
  mkdirSync(outDir, { recursive: true });
  const onnxFile = path.join(outDir, 'vae_encoder.onnx');
  writeFileSync(onnxFile, onnx);
  const record = { version, embedding_version: embeddingVersion, backbone, sha256: sha, hyperparameters: params, figures: metrics, features: { file: path.resolve(values.features), sha256: featuresSha256, rows } };
  writeFileSync(path.join(outDir, 'metrics.json'), JSON.stringify(record, null, 2) + '\n');

  const ev = metrics.evaluation as Record<string, number> | undefined;
  console.log(
    `[vae] held-out (${result.figures.holdout_rows} rows): reconstruction MSE ${result.figures.reconstruction_mse_holdout}, KL ${result.figures.kl_holdout}; ` +
      `train: ${result.figures.reconstruction_mse_train}, KL ${result.figures.kl_train}`,
  );
  if (labels) console.log(`[vae] catalog LOO 1-NN: raw ${(metrics.catalog_loo_1nn_accuracy_raw as number).toFixed(3)}, μ ${(metrics.catalog_loo_1nn_accuracy_mu as number).toFixed(3)}`);
  if (ev) console.log(`[vae] evaluation photos (${ev.images}) LOO 1-NN category accuracy: new μ ${ev.loo_1nn_category_accuracy_new_mu.toFixed(3)}, layer μ ${ev.loo_1nn_category_accuracy_layer_mu.toFixed(3)}, raw ${ev.loo_1nn_category_accuracy_raw.toFixed(3)}`);
  console.log(`[vae] wrote ${onnxFile} (${onnx.byteLength} bytes, sha256 ${sha.slice(0, 12)}…), ONNX parity ${parity.toExponential(2)}`);

  if (!values.publish) return { version, embeddingVersion, onnxFile, metrics, published: false };

  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const storage = await openStorage(values['data-dir']);
  try {
    const { getDeps } = await import('../functions/adapters/bootstrap.js');
    const { publishContentModel } = await import('../functions/adapters/content-models.js');
    const { onnxAdapters } = await import('../functions/adapters/onnx-runtime.js');
    const deps = getDeps(onnxAdapters);
    const { previous } = await publishContentModel(deps.contentModels.image, {
      kind: 'image',
      version,
      embeddingVersion,
      model: onnx,
      details: { backbone, trainer: 'functions/core/training/train-vae.ts', hyperparameters: params, figures: metrics, features: { sha256: featuresSha256, rows } },
    });
    console.log(`[vae] published image model ${version} to ${storage.where}; active now (previous: ${previous ?? "the layer's"}); containers pick it up within CONTENT_MODEL_TTL_MS`);
    if (values.reembed) {
      const { runReembed } = await import('./reembed.js');
      await runReembed(deps);
    } else {
      console.log('[vae] products keep their embeddings until re-embedded: npm run reembed');
    }
  } finally {
    await storage.stop();
  }
  return { version, embeddingVersion, onnxFile, metrics, published: true };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err instanceof UsageError ? `${err.message}\n${USAGE}` : err instanceof Error ? err.message : String(err));
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
