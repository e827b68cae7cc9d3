/**
 * Versions of the content models — the image VAE encoder and the product-name word vectors — as
 * immutable bytes: each version is its model file plus a `manifest.json` carrying every file's size
 * and sha256, the embedding version stamped on products embedded with it, and what the publisher
 * recorded (training figures, source, vocabulary). Storage and the active pointer are the model
 * store's (functions/adapters/content-models.ts); this module only builds and checks the bytes,
 * so a flipped byte or a truncated file is refused whole, as a collaborative version would be.
 */
import { createHash } from 'node:crypto';
import { CorruptArtifact } from '../domain/errors.js';

export type ContentModelKind = 'image' | 'text';
/** Key prefix of the content models' versions and uploads in the models bucket (beside `models/`). */
export const CONTENT_MODELS_PREFIX = 'content-models/';
export const CONTENT_MODEL_KINDS: readonly ContentModelKind[] = ['image', 'text'];

/** The one model file of each kind of version. */
export const CONTENT_MODEL_FILE: Record<ContentModelKind, string> = { image: 'vae_encoder.onnx', text: 'vectors.vec' };
export const CONTENT_MANIFEST_FILE = 'manifest.json';

/** Version ids: letters, digits, `.`, `_`, `-` (they become key segments and part of `embedding_version`). */
export const CONTENT_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export interface ContentModelManifest {
  schema: 1;
  kind: ContentModelKind;
  version: string;
  createdAt: string;
  /** Stamped on every product embedded with this version (inside its `embedding_version`). */
  embedding_version: string;
  files: Record<string, { bytes: number; sha256: string }>;
  /** What the publisher recorded: training figures, the source file, the backbone it was trained on, … */
  details: Record<string, unknown>;
}

export const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export function assertContentVersion(version: string): void {
  // `incoming` and `rejected` are the text model's upload folders, beside its versions.
  if (!CONTENT_VERSION_PATTERN.test(version) || version === 'incoming' || version === 'rejected') {
    throw new RangeError(`not a content-model version id: '${version}' (letters, digits, . _ -; at most 100)`);
  }
}

/** The files of a new version: the model file and its manifest (written last by the store). */
export function contentVersionFiles(input: {
  kind: ContentModelKind;
  version: string;
  embeddingVersion: string;
  model: Uint8Array;
  details?: Record<string, unknown>;
  createdAt?: string;
}): Record<string, Uint8Array> {
  assertContentVersion(input.version);
  const name = CONTENT_MODEL_FILE[input.kind];
  const manifest: ContentModelManifest = {
    schema: 1,
    kind: input.kind,
    version: input.version,
    createdAt: input.createdAt ?? new Date().toISOString(),
    embedding_version: input.embeddingVersion,
    files: { [name]: { bytes: input.model.byteLength, sha256: sha256Hex(input.model) } },
    details: input.details ?? {},
  };
  return { [name]: input.model, [CONTENT_MANIFEST_FILE]: new TextEncoder().encode(JSON.stringify(manifest, null, 2)) };
}

/** Parses a version's manifest; CorruptArtifact when it is not one (of this kind and version). */
export function parseContentManifest(bytes: Uint8Array, kind: ContentModelKind, version: string): ContentModelManifest {
  let m: ContentModelManifest;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes)) as ContentModelManifest;
  } catch (err) {
    throw new CorruptArtifact(`${kind} model ${version}: manifest.json is not JSON`, { cause: err });
  }
  const file = m?.files?.[CONTENT_MODEL_FILE[kind]];
  if (m?.schema !== 1 || m.kind !== kind || m.version !== version || typeof m.embedding_version !== 'string' || !file || typeof file.sha256 !== 'string') {
    throw new CorruptArtifact(`${kind} model ${version}: manifest.json is not a ${kind} model manifest of this version`);
  }
  return m;
}

/** Checks the model file against the manifest's size and sha256; CorruptArtifact on any difference. */
export function verifyContentModel(manifest: ContentModelManifest, model: Uint8Array): void {
  const name = CONTENT_MODEL_FILE[manifest.kind];
  const meta = manifest.files[name];
  if (model.byteLength !== meta.bytes) throw new CorruptArtifact(`${manifest.kind} model ${manifest.version}: ${name} is ${model.byteLength} bytes, manifest says ${meta.bytes}`);
  if (sha256Hex(model) !== meta.sha256) throw new CorruptArtifact(`${manifest.kind} model ${manifest.version}: ${name} checksum mismatch`);
}
