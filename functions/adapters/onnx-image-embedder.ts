/**
 * Image embedding with ONNX Runtime: sharp preprocessing → EfficientNet-B0 (`features`, 1280-d)
 * → VAE encoder (`mu`, D-d). Sessions are created lazily, once per embedder (the container's
 * composition root holds one), from a models dir: `MODELS_DIR`, else `/opt/models` on Lambda
 * (the layer), else `models/artifacts` in this repo.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ArtifactMissing, CorruptArtifact, InvalidInput } from '../core/domain/errors.js';
import type { ImageEmbedder } from '../core/domain/ports.js';
import { IMAGE_SIZE, IMAGE_TENSOR_LENGTH, preprocessBatch } from './image-preprocess.js';
import { resolveModelsDir } from '../config.js';

/** Width of the backbone's pooled penultimate layer. */
export const FEATURE_SIZE = 1280;
export const BACKBONE_FILE = 'efficientnet_b0.onnx';
export const VAE_ENCODER_FILE = 'vae_encoder.onnx';
export const MANIFEST_FILE = 'manifest.json';

/** Per-image outputs, in input order. */
export interface ImageEmbeddings {
  /** Raw backbone features, 1280 floats each (not L2-normalised). */
  features: Float32Array[];
  /** VAE encoder means, `latentSize` floats each. */
  mu: Float32Array[];
}

/** Options; every field has a default. */
export interface ImageEmbedderOptions {
  /** Folder holding efficientnet_b0.onnx, vae_encoder.onnx and manifest.json. Default: {@link resolveModelsDir}. */
  modelsDir?: string;
  /** ONNX Runtime intra-op threads. Default: ONNX Runtime's own (all cores); containers pass `ORT_INTRA_OP_THREADS` from their config. */
  intraOpNumThreads?: number;
  /** Images per backbone run; bounds memory (each image is 602 KB of float32 input). Default 8. */
  maxBatch?: number;
}

/** What the models dir says about itself (from manifest.json when present). */
export interface ImageEmbedderInfo {
  modelsDir: string;
  /** `embedding_version` from manifest.json: stored on products next to their embedding. */
  version: string;
  /** Latent size D of `mu`, or undefined if no manifest says so. */
  latentSize?: number;
  /** Version of the EfficientNet backbone (manifest `models.efficientnet_b0.version`): an image-model version must be trained on it. */
  backboneVersion?: string;
}

/** Re-exported: where the embedder looks by default (functions/config.ts). */
export { resolveModelsDir };

function readInfo(modelsDir: string): ImageEmbedderInfo {
  const file = path.join(modelsDir, MANIFEST_FILE);
  if (!existsSync(file)) return { modelsDir, version: 'unversioned' };
  let manifest: { embedding_version?: string; models?: Record<string, { latent_size?: number; version?: string }> };
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CorruptArtifact(`${file} is not valid JSON`, { cause: err });
  }
  return {
    modelsDir,
    version: manifest.embedding_version ?? 'unversioned',
    latentSize: manifest.models?.vae_encoder?.latent_size,
    backboneVersion: manifest.models?.efficientnet_b0?.version,
  };
}

/** Image embedder over two ONNX sessions, each created on first use and then reused. */
export class OnnxImageEmbedder implements ImageEmbedder {
  private infoRead: ImageEmbedderInfo;
  private readonly sessionOptions: ort.InferenceSession.SessionOptions;
  private readonly maxBatch: number;
  private backbone?: Promise<ort.InferenceSession>;
  private encoder?: Promise<ort.InferenceSession>;

  constructor(options: ImageEmbedderOptions = {}) {
    const modelsDir = options.modelsDir ? path.resolve(options.modelsDir) : resolveModelsDir();
    this.infoRead = readInfo(modelsDir);
    const threads = options.intraOpNumThreads;
    this.sessionOptions = {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    };
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
  }

  /** Version and latent size from the models dir's manifest (re-read once the models have appeared). */
  get info(): ImageEmbedderInfo {
    return this.infoRead;
  }

  private open(file: string): Promise<ort.InferenceSession> {
    const full = path.join(this.infoRead.modelsDir, file);
    if (!existsSync(full)) {
      return Promise.reject(new ArtifactMissing(`model file missing: ${full} (run npm run models:build or set MODELS_DIR)`));
    }
    // The files may have been missing when this embedder was built: stamp embeddings with the
    // version of the models actually loaded, not 'unversioned'.
    if (this.infoRead.version === 'unversioned') this.infoRead = readInfo(this.infoRead.modelsDir);
    return ort.InferenceSession.create(full, this.sessionOptions);
  }

  private backboneSession(): Promise<ort.InferenceSession> {
    // A failed load is not cached, so a later call can retry.
    this.backbone ??= this.open(BACKBONE_FILE).catch((err) => {
      this.backbone = undefined;
      throw err;
    });
    return this.backbone;
  }

  private encoderSession(): Promise<ort.InferenceSession> {
    this.encoder ??= this.open(VAE_ENCODER_FILE).catch((err) => {
      this.encoder = undefined;
      throw err;
    });
    return this.encoder;
  }

  /** Backbone on already-preprocessed NCHW input (`float32[N·3·224·224]`) → N feature vectors. */
  async featuresFromTensor(batch: Float32Array): Promise<Float32Array[]> {
    if (batch.length % IMAGE_TENSOR_LENGTH !== 0) {
      throw new InvalidInput(`input length ${batch.length} is not a multiple of 3·224·224`);
    }
    const n = batch.length / IMAGE_TENSOR_LENGTH;
    const session = await this.backboneSession();
    const out: Float32Array[] = [];
    for (let start = 0; start < n; start += this.maxBatch) {
      const m = Math.min(this.maxBatch, n - start);
      const slice = batch.subarray(start * IMAGE_TENSOR_LENGTH, (start + m) * IMAGE_TENSOR_LENGTH);
      const input = new ort.Tensor('float32', slice, [m, 3, IMAGE_SIZE, IMAGE_SIZE]);
      const result = await session.run({ input }, ['features']);
      const data = result.features.data as Float32Array;
      for (let i = 0; i < m; i++) out.push(data.slice(i * FEATURE_SIZE, (i + 1) * FEATURE_SIZE));
      for (const t of Object.values(result)) t.dispose?.();
    }
    return out;
  }

  /** Images (JPEG/PNG/WebP bytes) → 1280-d backbone features, in input order. */
  async extractFeatures(images: readonly Uint8Array[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < images.length; start += this.maxBatch) {
      let batch: Float32Array;
      try {
        batch = await preprocessBatch(images.slice(start, start + this.maxBatch));
      } catch (err) {
        // Report the index in the caller's array, not in this chunk.
        const at = (err as InvalidInput).details as { index?: number } | undefined;
        if (err instanceof InvalidInput && at?.index !== undefined) {
          const index = start + at.index;
          throw new InvalidInput(`image ${index}: ${(err.cause as Error).message}`, { details: { index }, cause: err.cause });
        }
        throw err;
      }
      out.push(...(await this.featuresFromTensor(batch)));
    }
    return out;
  }

  /** 1280-d features → VAE μ (D-d), in input order. */
  async encodeFeatures(features: readonly Float32Array[]): Promise<Float32Array[]> {
    if (features.length === 0) return [];
    return runEncoder(await this.encoderSession(), features);
  }

  /**
   * Images → backbone features and VAE μ.
   * @throws InvalidInput (with `details.index`) for an empty, oversized, unsupported or undecodable image.
   * @throws ArtifactMissing if a model file is missing from the models dir.
   */
  async embedImages(images: readonly Uint8Array[]): Promise<ImageEmbeddings> {
    if (images.length === 0) return { features: [], mu: [] };
    const features = await this.extractFeatures(images);
    return { features, mu: await this.encodeFeatures(features) };
  }

  /** The core port: one image → `{ features, mu }`. */
  async embed(image: Uint8Array): Promise<{ features: Float32Array; mu: Float32Array; version: string }> {
    const { features, mu } = await this.embedImages([image]);
    return { features: features[0], mu: mu[0], version: this.version };
  }

  /** `embedding_version` of the models dir (manifest.json), stored on products with their embedding. */
  get version(): string {
    return this.info.version;
  }

  /** Release both sessions (tests and CLIs; Lambda containers keep them). */
  async close(): Promise<void> {
    const sessions = [this.backbone, this.encoder];
    this.backbone = this.encoder = undefined;
    for (const s of sessions) {
      if (s) await (await s.catch(() => undefined))?.release();
    }
  }
}

/** Runs a VAE encoder session: `features float32[N,1280]` → `mu float32[N,D]`, one array per row. */
async function runEncoder(session: ort.InferenceSession, features: readonly Float32Array[]): Promise<Float32Array[]> {
  const flat = new Float32Array(features.length * FEATURE_SIZE);
  features.forEach((f, i) => {
    if (f.length !== FEATURE_SIZE) throw new InvalidInput(`feature vector ${i} has length ${f.length}, expected ${FEATURE_SIZE}`);
    flat.set(f, i * FEATURE_SIZE);
  });
  const result = await session.run({ features: new ort.Tensor('float32', flat, [features.length, FEATURE_SIZE]) }, ['mu']);
  const mu = result.mu;
  const d = Number(mu.dims[1]);
  const data = mu.data as Float32Array;
  const out = features.map((_, i) => data.slice(i * d, (i + 1) * d));
  mu.dispose?.();
  return out;
}

/**
 * A VAE encoder from ONNX bytes (an image-model version), checked before it may serve: the graph
 * opens, takes `features` and gives `mu` of shape [1, D] with finite values on a probe row (the
 * features' zero vector). CorruptArtifact otherwise.
 */
export async function openImageEncoder(bytes: Uint8Array, embeddingVersion: string, options: { intraOpNumThreads?: number } = {}) {
  const threads = options.intraOpNumThreads;
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', executionMode: 'sequential', ...(threads ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}) });
  } catch (err) {
    throw new CorruptArtifact(`image model ${embeddingVersion}: the ONNX graph does not load (${(err as Error).message})`, { cause: err });
  }
  let latentSize: number;
  try {
    if (!session.inputNames.includes('features') || !session.outputNames.includes('mu')) throw new Error(`inputs ${session.inputNames.join(',')} / outputs ${session.outputNames.join(',')}, expected features → mu`);
    const [probe] = await runEncoder(session, [new Float32Array(FEATURE_SIZE)]);
    latentSize = probe.length;
    if (latentSize === 0 || !probe.every(Number.isFinite)) throw new Error(`mu of the probe row has ${latentSize} values, not all finite`);
  } catch (err) {
    await session.release();
    throw new CorruptArtifact(`image model ${embeddingVersion}: ${(err as Error).message}`, { cause: err });
  }
  return {
    version: embeddingVersion,
    latentSize,
    // Sessions of replaced versions are not released: a concurrent embed may still be running on one,
    // and versions change rarely (one ~1 MB session each).
    encode: (features: readonly Float32Array[]) => (features.length === 0 ? Promise.resolve([]) : runEncoder(session, features)),
  };
}
