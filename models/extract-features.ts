/**
 * Catalog photos → backbone features for VAE training, through the engine's own path
 * (functions/adapters: sharp preprocessing + onnxruntime-node), so the VAE learns from exactly the
 * vectors it will see in production. Writes `img_vectors.csv` (one row of 1280 floats per image, no
 * header) and `img_vectors.index.csv` (row,file,label).
 *
 * CLI: tsx models/extract-features.ts --images DIR --models DIR --out DIR
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from '../bin/progress.js';
import { OnnxImageEmbedder } from '../functions/adapters/onnx-image-embedder.js';
import { readImageDataset } from './lib/image-dataset.js';

export interface ExtractOptions {
  imagesDir: string;
  modelsDir: string;
  outDir: string;
  /** One thread keeps float results identical run to run (reproducible artifacts). */
  intraOpNumThreads?: number;
  batch?: number;
}

/** Extract features for every image in the dataset; returns the written paths and the row count. */
export async function extractFeatures(opts: ExtractOptions): Promise<{ features: string; index: string; rows: number; manifestSha256: string }> {
  const dataset = readImageDataset(opts.imagesDir);
  const embedder = new OnnxImageEmbedder({ modelsDir: opts.modelsDir, intraOpNumThreads: opts.intraOpNumThreads ?? 1 });
  const batch = opts.batch ?? 8;
  const rows: string[] = [];
  const bar = progressBar('[features] {bar} {value}/{total} images  eta {eta}s');
  bar.start(dataset.records.length, 0);
  try {
    for (let i = 0; i < dataset.records.length; i += batch) {
      const chunk = dataset.records.slice(i, i + batch);
      const feats = await embedder.extractFeatures(chunk.map((r) => readFileSync(r.path)));
      // Number(float32) prints the shortest decimal that round-trips the float32 exactly.
      for (const f of feats) rows.push(Array.from(f, (v) => String(v)).join(','));
      bar.update(i + chunk.length);
    }
  } finally {
    bar.stop();
    await embedder.close();
  }
  mkdirSync(opts.outDir, { recursive: true });
  const features = path.join(opts.outDir, 'img_vectors.csv');
  const index = path.join(opts.outDir, 'img_vectors.index.csv');
  writeFileSync(features, rows.join('\n') + '\n');
  writeFileSync(index, ['row,file,label', ...dataset.records.map((r, i) => `${i},${r.file},${r.label}`)].join('\n') + '\n');
  return { features, index, rows: rows.length, manifestSha256: dataset.manifestSha256 };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const { values } = parseArgs({ options: { images: { type: 'string' }, models: { type: 'string' }, out: { type: 'string' } } });
  if (!values.images || !values.models || !values.out) {
    console.error('usage: tsx models/extract-features.ts --images DIR --models DIR --out DIR');
    process.exit(2);
  }
  const r = await extractFeatures({ imagesDir: values.images, modelsDir: values.models, outDir: values.out });
  console.log(`[features] ${r.rows} rows → ${r.features}`);
}
