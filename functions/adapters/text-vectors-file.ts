/**
 * Builds the product-name text embedder (the container's composition root builds it once, on first use).
 * `TEXT_VECTORS_PATH` (config): a fastText text `.vec` file (e.g. `embeddings-xs-model.vec`, or any
 * `count dim` + `word v1 … vD` file) → {@link WordVectorEmbedder}; unset → the download-free
 * {@link HashedNgramEmbedder} (64 dims). The whole file is read into memory: fine for "xs" vocabularies
 * (tens of MB); a multi-GB file needs a pruned vocabulary first.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CorruptArtifact } from '../core/domain/errors.js';
import { HashedNgramEmbedder, parseVec, WordVectorEmbedder, type TextEmbedder } from '../core/content/text-embedding.js';

/** Reads and parses a `.vec` file; the embedder's version carries its basename and content hash. */
export function loadVecFile(file: string): WordVectorEmbedder {
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 12);
  try {
    const words = parseVec(bytes.toString('utf8'));
    return new WordVectorEmbedder(words, `${path.basename(file, '.vec')}-${sha}`);
  } catch (err) {
    throw new CorruptArtifact(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The text embedder for `vectorsPath` (see the module comment). A missing or malformed file fails
 * loudly rather than silently changing the vectors.
 */
export function createTextEmbedder(vectorsPath?: string): TextEmbedder {
  return vectorsPath ? loadVecFile(path.resolve(vectorsPath)) : new HashedNgramEmbedder();
}
