/**
 * The content models as versions in the models bucket, beside the collaborative ones and kept the
 * same way (the {@link S3ModelStore}: immutable `{prefix}{version}/…` folders, manifest written
 * last with every file's sha256, a registry pointer swapped by conditional write):
 *
 * | kind  | files | pointer (registry item) |
 * |---|---|---|
 * | image | `content-models/image/<version>/vae_encoder.onnx`, `manifest.json` | `content-image` |
 * | text  | `content-models/text/<version>/vectors.vec`, `manifest.json` | `content-text` |
 *
 * The layer's copy (`/opt/models`, `TEXT_VECTORS_PATH` or the hashed n-grams) serves while no
 * pointer exists. A fastText `.vec` file put under {@link TEXT_INCOMING_PREFIX} is checked
 * ({@link checkVecFile}) by the next retrain run and, if it passes, published and activated; a
 * bad one is removed with its reason logged and written to {@link TEXT_REJECTED_PREFIX}.
 * The EfficientNet backbone stays in the layer only: an image version is a VAE encoder trained
 * on that backbone's features, and a version trained on another backbone is refused.
 */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger } from '@aws-lambda-powertools/logger';
import { ArtifactMissing, ConflictError, CorruptArtifact } from '../core/domain/errors.js';
import type { ImageEmbedder, ModelStore } from '../core/domain/ports.js';
import {
  assertContentVersion,
  CONTENT_MANIFEST_FILE,
  CONTENT_MODELS_PREFIX,
  CONTENT_MODEL_FILE,
  contentVersionFiles,
  parseContentManifest,
  sha256Hex,
  verifyContentModel,
  type ContentModelKind,
  type ContentModelManifest,
} from '../core/content/content-model-version.js';
import { parseVec, WordVectorEmbedder } from '../core/content/text-embedding.js';
import { checkVecFile, type VecLimits } from '../core/content/vec-check.js';
import type { ModelStoreLayout } from './s3-stores.js';
import { PointerCache } from './model-cache.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';

export { CONTENT_MODELS_PREFIX };
export const TEXT_INCOMING_PREFIX = `${CONTENT_MODELS_PREFIX}text/incoming/`;
export const TEXT_REJECTED_PREFIX = `${CONTENT_MODELS_PREFIX}text/rejected/`;

/** Where one kind's versions and pointer live. */
export function contentModelLayout(kind: ContentModelKind): ModelStoreLayout {
  return { prefix: `${CONTENT_MODELS_PREFIX}${kind}/`, pointerName: `content-${kind}` };
}

/** A stored version, its model file checked against its manifest (CorruptArtifact / ArtifactMissing otherwise). */
export async function readContentVersion(store: Pick<ModelStore, 'getFile'>, kind: ContentModelKind, version: string): Promise<{ manifest: ContentModelManifest; model: Uint8Array }> {
  const manifest = parseContentManifest(await store.getFile(version, CONTENT_MANIFEST_FILE), kind, version);
  const model = await store.getFile(version, CONTENT_MODEL_FILE[kind]);
  verifyContentModel(manifest, model);
  return { manifest, model };
}

export interface PublishInput {
  kind: ContentModelKind;
  version: string;
  embeddingVersion: string;
  model: Uint8Array;
  details?: Record<string, unknown>;
}

/**
 * Writes a new version whole (model file, then manifest), reads it back through the same checks a
 * container applies, and only then swaps the pointer to it (conditional on the pointer read before).
 * A version id is written once: ConflictError if it exists.
 */
export async function publishContentModel(store: ModelStore, input: PublishInput): Promise<{ version: string; previous?: string }> {
  assertContentVersion(input.version);
  const pointer = await store.readPointer();
  try {
    await store.getFile(input.version, CONTENT_MANIFEST_FILE);
    throw new ConflictError(`${input.kind} model version ${input.version} exists already`);
  } catch (err) {
    if (!(err instanceof ArtifactMissing)) throw err;
  }
  await store.putVersion(input.version, contentVersionFiles(input));
  await readContentVersion(store, input.kind, input.version);
  await store.swapPointer(pointer?.version, input.version);
  return { version: input.version, previous: pointer?.version };
}

/** A text version as an embedder whose version names it (`text-wordvec-<version>-d<D>-v1`). */
export async function loadTextVersion(store: Pick<ModelStore, 'getFile'>, version: string): Promise<WordVectorEmbedder> {
  const { model } = await readContentVersion(store, 'text', version);
  try {
    return new WordVectorEmbedder(parseVec(new TextDecoder().decode(model)), version);
  } catch (err) {
    throw new CorruptArtifact(`text model ${version}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The active text model, its pointer re-read at most every `ttlMs`: the active version's embedder
 * (a refused one leaves the last good one serving), else `layer` (TEXT_VECTORS_PATH or the hashed n-grams).
 */
export function activeTextModel(store: ModelStore, ttlMs: number, logger: Pick<Logger, 'info' | 'warn' | 'error'>, layer: () => TextEmbedder): () => Promise<TextEmbedder> {
  const cache = new PointerCache<TextEmbedder>(store, ttlMs, logger, {
    label: 'text model',
    load: (version) => loadTextVersion(store, version),
    describe: (e) => ({ dim: e.dim, embedding_version: e.version }),
  });
  return async () => (await cache.get())?.value ?? layer();
}

/** The VAE encoder of an image version, ready to run. */
export interface ImageEncoder {
  /** The version's `embedding_version` (backbone + VAE version), stamped on products. */
  readonly version: string;
  encode(features: readonly Float32Array[]): Promise<Float32Array[]>;
}

/** Opens an encoder from ONNX bytes (ONNX Runtime, in the containers that carry it); CorruptArtifact if the graph does not run. */
export type OpenImageEncoder = (bytes: Uint8Array, embeddingVersion: string) => Promise<ImageEncoder>;

/**
 * An image version's encoder. Refused (CorruptArtifact) when its checksums fail, its graph does
 * not open or give `mu[1,D]`, or it was trained on another backbone than the layer's.
 */
export async function loadImageVersion(store: Pick<ModelStore, 'getFile'>, version: string, open: OpenImageEncoder, layerBackbone: string | undefined): Promise<ImageEncoder> {
  const { manifest, model } = await readContentVersion(store, 'image', version);
  const backbone = manifest.details.backbone;
  if (layerBackbone && backbone !== layerBackbone) {
    throw new CorruptArtifact(`image model ${version} was trained on backbone ${String(backbone)}, the layer has ${layerBackbone}`);
  }
  return open(model, manifest.embedding_version);
}

/** What the layer's image models offer (functions/adapters/onnx-image-embedder.ts). */
export interface LayerImageModels {
  readonly version: string;
  extractFeatures(images: readonly Uint8Array[]): Promise<Float32Array[]>;
  encodeFeatures(features: readonly Float32Array[]): Promise<Float32Array[]>;
}

/**
 * The layer's backbone, then the active image version's encoder (the layer's own when no version
 * is active); each embedding comes back with the version that made it.
 */
export class VersionedImageEmbedder implements ImageEmbedder {
  private lastVersion?: string;

  constructor(
    readonly layer: LayerImageModels,
    private readonly active: () => Promise<ImageEncoder | undefined>,
  ) {}

  /** The version of the last embedding (the layer's before the first). */
  get version(): string {
    return this.lastVersion ?? this.layer.version;
  }

  async activeVersion(): Promise<string> {
    return (await this.active())?.version ?? this.layer.version;
  }

  async embed(image: Uint8Array): Promise<{ features: Float32Array; mu: Float32Array; version: string }> {
    const [features] = await this.layer.extractFeatures([image]);
    const encoder = await this.active();
    const [mu] = encoder ? await encoder.encode([features]) : await this.layer.encodeFeatures([features]);
    this.lastVersion = encoder?.version ?? this.layer.version;
    return { features, mu, version: this.lastVersion };
  }
}

export interface IncomingDeps {
  s3: S3Client;
  bucket: string;
  store: ModelStore;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  limits: VecLimits;
}

export type IncomingOutcome =
  | { key: string; status: 'activated'; version: string; words: number }
  | { key: string; status: 'rejected'; reason: string };

/** `embeddings-es.vec` + its sha256 → `embeddings-es-<sha12>` (the same file always gets the same id). */
export function textVersionId(key: string, sha256: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1).replace(/\.vec$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 80);
  return `${base || 'vectors'}-${sha256.slice(0, 12)}`;
}

/**
 * Checks every file under {@link TEXT_INCOMING_PREFIX} (in key order, so the last good one ends
 * active) and removes it from there: a good file becomes a new text version and the active one, a
 * bad one is rejected — its reason logged and written to `rejected/<name>.json` — and the previous
 * version keeps serving. A store outage throws and leaves the file for the next run.
 */
export async function adoptIncomingTextVectors(deps: IncomingDeps): Promise<IncomingOutcome[]> {
  const objects: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: TEXT_INCOMING_PREFIX, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) objects.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  const outcomes: IncomingOutcome[] = [];
  for (const { key, size } of objects) {
    const reject = async (reason: string, sha256?: string): Promise<void> => {
      const name = key.slice(TEXT_INCOMING_PREFIX.length).replace(/[^A-Za-z0-9._-]+/g, '-');
      deps.logger.warn(`text vectors rejected: ${key}: ${reason}; the active text model keeps serving`, { key, reason });
      const record = { key, reason, bytes: size, ...(sha256 ? { sha256 } : {}), rejectedAt: new Date().toISOString() };
      await deps.s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: `${TEXT_REJECTED_PREFIX}${name}.json`, Body: JSON.stringify(record, null, 2), ContentType: 'application/json' }));
      await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
      outcomes.push({ key, status: 'rejected', reason });
    };
    if (!key.toLowerCase().endsWith('.vec')) {
      await reject('not a .vec file (fastText text format expected)');
      continue;
    }
    // The size from the listing first: an oversized file is refused without downloading it.
    if (size > deps.limits.maxBytes) {
      await reject(`file is ${size} bytes, over the ${deps.limits.maxBytes}-byte limit`);
      continue;
    }
    const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
    const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
    const sha256 = sha256Hex(bytes);
    const check = checkVecFile(bytes, deps.limits);
    if (!check.ok) {
      await reject(check.reason, sha256);
      continue;
    }
    const version = textVersionId(key, sha256);
    const pointer = await deps.store.readPointer();
    if (pointer?.version !== version) {
      try {
        await publishContentModel(deps.store, {
          kind: 'text',
          version,
          embeddingVersion: `text-wordvec-${version}-d${check.dim}-v1`,
          model: bytes,
          details: { source: key, words: check.words, dim: check.dim },
        });
      } catch (err) {
        // The same file uploaded again after another one: its version exists, point back at it.
        if (!(err instanceof ConflictError) || !pointer) throw err;
        await readContentVersion(deps.store, 'text', version);
        await deps.store.swapPointer(pointer.version, version);
      }
    }
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: key }));
    deps.logger.info(`text vectors activated: ${key} → text model ${version}`, { key, version, words: check.words, dim: check.dim });
    outcomes.push({ key, status: 'activated', version, words: check.words });
  }
  return outcomes;
}
