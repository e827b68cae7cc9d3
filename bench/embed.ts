/**
 * bench:embed — end-to-end image embedding throughput (JPEG decode + crop/resize with sharp →
 * EfficientNet-B0 → VAE encoder μ) and cold model load time, on real product photos.
 *
 *   npm run bench:embed -- [IMAGES_DIR] [--models DIR] [--n 96]
 *
 * IMAGES_DIR defaults to ../shared/data/product-images-clothing-more (skips with a message if absent).
 * Models: `--models`, else env MODELS_DIR, else models/artifacts; if that dir lacks the backbone, the
 * reference conversion ../shared/models/efficientnet-b0 is used and the VAE stage is reported missing.
 *
 * Measured, for intraOpNumThreads ∈ {1, 2} × batch ∈ {1, 8}:
 * - `sequential`: decode the batch, then run the models (what OnnxImageEmbedder.embedImages does);
 * - `pipelined`: decode batch i+1 on libuv's thread pool while batch i runs in ONNX Runtime.
 * Plus stage breakdowns (decode only, backbone only, VAE only) and cold start: `import
 * onnxruntime-node` + session creation of both models, in a fresh child process each time (so the
 * native library load is counted), median of 3.
 * Targets: ≥ 50 images/s at batch 8 on 2 cores; cold load ≤ 500 ms.
 * Wall-clock figures depend on what else runs on the machine: the 1-min load average is recorded,
 * and every run also reports images per CPU-second, which contention distorts much less.
 * Writes bench/results/embed.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import sharp from 'sharp';
import { preprocessBatch } from '../functions/adapters/image-preprocess.js';
import {
  BACKBONE_FILE,
  OnnxImageEmbedder,
  resolveModelsDir,
  VAE_ENCODER_FILE,
} from '../functions/adapters/onnx-image-embedder.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REFERENCE_BACKBONE_DIR = path.resolve(repoRoot, '../shared/models/efficientnet-b0');
const TARGET_IMAGES_PER_S_BATCH8 = 50;
const TARGET_COLD_LOAD_MS = 500;

function parseArgs(argv: string[]): { imagesDir: string; modelsDir?: string; n: number } {
  let imagesDir = path.resolve(repoRoot, '../shared/data/product-images-clothing-more');
  let modelsDir: string | undefined;
  let n = 96;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--models') modelsDir = path.resolve(argv[++i]);
    else if (a === '--n') n = Number(argv[++i]);
    else if (!a.startsWith('--')) imagesDir = path.resolve(a);
    else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(n) || n < 8) throw new Error('--n must be an integer ≥ 8');
  return { imagesDir, modelsDir, n };
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listImages(p));
    else if (/\.(jpe?g|png|webp)$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function chunks<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

/**
 * Cold start in a fresh Node process: import onnxruntime-node, create both sessions with the
 * embedder's options; prints JSON timings. Runs plain ESM JavaScript so tsx start-up is not counted.
 */
function coldLoad(modelsDir: string, threads: number, hasVae: boolean): { import_ms: number; backbone_ms: number; vae_ms: number | null } {
  const script = `
    const t0 = performance.now();
    const ort = await import('onnxruntime-node');
    const t1 = performance.now();
    const opts = { graphOptimizationLevel: 'all', executionMode: 'sequential', intraOpNumThreads: ${threads}, interOpNumThreads: 1 };
    const b = await ort.InferenceSession.create(${JSON.stringify(path.join(modelsDir, BACKBONE_FILE))}, opts);
    const t2 = performance.now();
    let vae = null;
    if (${hasVae}) { const t = performance.now(); await ort.InferenceSession.create(${JSON.stringify(path.join(modelsDir, VAE_ENCODER_FILE))}, opts); vae = performance.now() - t; }
    console.log(JSON.stringify({ import_ms: t1 - t0, backbone_ms: t2 - t1, vae_ms: vae }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

interface RunResult {
  threads: number;
  batch: number;
  mode: 'sequential' | 'pipelined';
  images: number;
  seconds: number;
  images_per_s: number;
  /** User + system CPU time of this process (all its threads) during the run. */
  cpu_seconds: number;
  /**
   * Images per CPU-second: far less sensitive than images/s to other processes on the machine. On an
   * idle machine images/s ≈ this × the cores the run keeps busy (≤ 2 here).
   */
  images_per_cpu_s: number;
}

async function main(): Promise<void> {
  const { imagesDir, modelsDir: modelsArg, n } = parseArgs(process.argv.slice(2));
  const resultsFile = path.join(repoRoot, 'bench/results/embed.json');
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  if (!existsSync(imagesDir)) {
    const msg = `bench:embed SKIPPED: images folder ${imagesDir} not found (pass a folder of JPEG/PNG/WebP photos)`;
    console.log(msg);
    writeFileSync(resultsFile, JSON.stringify({ skipped: true, reason: msg, date: new Date().toISOString() }, null, 2) + '\n');
    return;
  }

  let modelsDir = modelsArg ?? resolveModelsDir();
  let backboneSource = 'models dir';
  if (!existsSync(path.join(modelsDir, BACKBONE_FILE))) {
    console.log(`no ${BACKBONE_FILE} in ${modelsDir}: using the reference backbone ${REFERENCE_BACKBONE_DIR}`);
    modelsDir = REFERENCE_BACKBONE_DIR;
    backboneSource = 'reference (../shared/models/efficientnet-b0)';
  }
  const hasVae = existsSync(path.join(modelsDir, VAE_ENCODER_FILE));
  if (!hasVae) console.log(`WARNING: no ${VAE_ENCODER_FILE} in ${modelsDir}: the VAE stage is not measured`);

  const files = listImages(imagesDir);
  if (files.length === 0) throw new Error(`no images in ${imagesDir}`);
  // Cycle through the photos if fewer than n; read them up front so disk I/O is not timed.
  const images = Array.from({ length: n }, (_, i) => new Uint8Array(readFileSync(files[i % files.length])));
  const meanBytes = images.reduce((s, b) => s + b.byteLength, 0) / images.length;
  const meta = await sharp(images[0]).metadata();
  console.log(
    `${n} images from ${imagesDir} (${files.length} files, mean ${Math.round(meanBytes / 1024)} KB, first ${meta.width}×${meta.height} ${meta.format}); models ${modelsDir}`,
  );

  const loadBefore = os.loadavg()[0];
  if (loadBefore > os.cpus().length * 0.5) {
    console.log(`WARNING: 1-min load average ${loadBefore.toFixed(2)} on ${os.cpus().length} cores: other work competes, figures will be low`);
  }
  const bar = new cliProgress.SingleBar(
    { format: 'bench:embed [{bar}] {value}/{total} {step}', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  const threadsList = [1, 2];
  const batches = [1, 8];
  const modes = ['sequential', 'pipelined'] as const;
  const totalSteps = 3 * threadsList.length + threadsList.length * (3 + batches.length * modes.length);
  bar.start(totalSteps, 0, { step: 'cold load' });

  // Cold start: fresh process per sample.
  const cold: Record<string, unknown> = {};
  for (const threads of threadsList) {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      samples.push(coldLoad(modelsDir, threads, hasVae));
      bar.increment({ step: `cold load t=${threads}` });
    }
    const total = samples.map((s) => s.import_ms + s.backbone_ms + (s.vae_ms ?? 0));
    cold[`threads_${threads}`] = {
      import_ms: round(median(samples.map((s) => s.import_ms))),
      backbone_session_ms: round(median(samples.map((s) => s.backbone_ms))),
      vae_session_ms: hasVae ? round(median(samples.map((s) => s.vae_ms!))) : null,
      total_ms: round(median(total)),
    };
  }

  const runs: RunResult[] = [];
  const stages: Record<string, unknown> = {};
  for (const threads of threadsList) {
    const embedder = new OnnxImageEmbedder({ modelsDir, intraOpNumThreads: threads, maxBatch: 8 });
    // First inference (after session creation) includes one-off allocations: report it separately.
    let t = performance.now();
    const firstFeatures = await embedder.extractFeatures([images[0]]);
    if (hasVae) await embedder.encodeFeatures(firstFeatures);
    const firstEmbedMs = performance.now() - t;

    // Stage breakdown at batch 8.
    const groups8 = chunks(images, 8);
    t = performance.now();
    const tensors: Float32Array[] = [];
    for (const g of groups8) tensors.push(await preprocessBatch(g));
    const decodeS = (performance.now() - t) / 1000;
    bar.increment({ step: `decode t=${threads}` });
    t = performance.now();
    const feats: Float32Array[] = [];
    for (const x of tensors) feats.push(...(await embedder.featuresFromTensor(x)));
    const backboneS = (performance.now() - t) / 1000;
    bar.increment({ step: `backbone t=${threads}` });
    let vaeS: number | null = null;
    if (hasVae) {
      t = performance.now();
      for (const g of chunks(feats, 8)) await embedder.encodeFeatures(g);
      vaeS = (performance.now() - t) / 1000;
    }
    bar.increment({ step: `vae t=${threads}` });
    stages[`threads_${threads}`] = {
      first_embed_ms: round(firstEmbedMs),
      decode_images_per_s: round(n / decodeS),
      backbone_images_per_s: round(n / backboneS),
      vae_images_per_s: vaeS === null ? null : round(n / vaeS),
    };

    const embed = async (tensor: Float32Array) => {
      const f = await embedder.featuresFromTensor(tensor);
      if (hasVae) await embedder.encodeFeatures(f);
    };
    for (const batch of batches) {
      const groups = chunks(images, batch);
      for (const mode of modes) {
        await embed(await preprocessBatch(groups[0])); // warm-up at this batch size
        const cpu0 = process.cpuUsage();
        t = performance.now();
        if (mode === 'sequential') {
          for (const g of groups) await embed(await preprocessBatch(g));
        } else {
          // Decode of the next batch overlaps inference of the current one.
          let next = preprocessBatch(groups[0]);
          for (let i = 0; i < groups.length; i++) {
            const tensor = await next;
            if (i + 1 < groups.length) next = preprocessBatch(groups[i + 1]);
            await embed(tensor);
          }
        }
        const seconds = (performance.now() - t) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const cpuSeconds = (cpu.user + cpu.system) / 1e6;
        runs.push({
          threads,
          batch,
          mode,
          images: n,
          seconds: round(seconds, 3),
          images_per_s: round(n / seconds),
          cpu_seconds: round(cpuSeconds, 3),
          images_per_cpu_s: round(n / cpuSeconds),
        });
        bar.increment({ step: `t=${threads} b=${batch} ${mode}` });
      }
    }
    await embedder.close();
  }
  bar.stop();

  const best8 = Math.max(...runs.filter((r) => r.batch === 8).map((r) => r.images_per_s));
  const bestCold = Math.min(...Object.values(cold).map((c) => (c as { total_ms: number }).total_ms));
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model,
      node: process.version,
      // Other processes on the machine skew every figure: recorded so a reader can tell.
      load_average_1min: { before: round(loadBefore, 2), after: round(os.loadavg()[0], 2) },
    },
    versions: {
      onnxruntime_node: JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
      sharp: sharp.versions.sharp,
      libvips: sharp.versions.vips,
    },
    images: { dir: imagesDir, count: n, distinct_files: Math.min(n, files.length), mean_bytes: Math.round(meanBytes) },
    models: {
      dir: modelsDir,
      backbone: backboneSource,
      backbone_bytes: statSync(path.join(modelsDir, BACKBONE_FILE)).size,
      vae_encoder: hasVae ? 'measured' : 'missing (not measured)',
    },
    cold_load: cold,
    stages_batch8: stages,
    runs,
    targets: {
      images_per_s_batch8: { target: TARGET_IMAGES_PER_S_BATCH8, best: best8, met: best8 >= TARGET_IMAGES_PER_S_BATCH8 },
      cold_load_ms: { target: TARGET_COLD_LOAD_MS, best: bestCold, met: bestCold <= TARGET_COLD_LOAD_MS },
    },
  };
  writeFileSync(resultsFile, JSON.stringify(result, null, 2) + '\n');

  console.log('\ncold load (import + session creation, fresh process, median of 3):');
  console.table(cold);
  console.log('stages at batch 8 (images/s):');
  console.table(stages);
  console.log('end-to-end (decode + resize + EfficientNet' + (hasVae ? ' + VAE' : '') + '):');
  console.table(runs);
  console.log(
    `batch 8 best: ${best8} images/s (target ≥ ${TARGET_IMAGES_PER_S_BATCH8}: ${best8 >= TARGET_IMAGES_PER_S_BATCH8 ? 'met' : 'NOT met'}); ` +
      `cold load best: ${bestCold} ms (target ≤ ${TARGET_COLD_LOAD_MS}: ${bestCold <= TARGET_COLD_LOAD_MS ? 'met' : 'NOT met'})`,
  );
  console.log(`wrote ${path.relative(repoRoot, resultsFile)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
