/**
 * Product-name text embeddings, pure TypeScript (no I/O: file reading lives in
 * functions/adapters/text-vectors-file.ts).
 *
 * Two embedders share one interface ({@link TextEmbedder}):
 * - {@link HashedNgramEmbedder} (default, needs no download): character n-grams of each word, as in
 *   fastText's subword model (Bojanowski et al. 2017, "Enriching Word Vectors with Subword
 *   Information"), hashed with signed feature hashing (Weinberger et al. 2009, "Feature Hashing for
 *   Large Scale Multitask Learning") into a fixed dimension, then L2-normalised. Names sharing
 *   spelling ("camiseta roja" / "camisetas rojas") get a high cosine; unrelated names ~0.
 * - {@link WordVectorEmbedder}: word vectors from a fastText `.vec` file (e.g. a Spanish
 *   `embeddings-xs-model.vec`); the name vector is the mean of its known words' unit vectors, and
 *   falls back to hashed n-grams (same dimension) when no word of the name is known.
 *
 * Both normalise text the same way ({@link normalizeText}): lowercase, Unicode NFD with combining
 * marks removed ("Camión" → "camion", "Pingüino" → "pinguino"), non-alphanumerics as separators.
 */

/** Turns a product name into a unit vector (or the zero vector for a name with no letters/digits). */
export interface TextEmbedder {
  /** Length of every vector returned by {@link TextEmbedder.embed}. */
  readonly dim: number;
  /** Identifies the method and its parameters; stored inside the product's `embedding_version`. */
  readonly version: string;
  embed(text: string): Float32Array;
}

/** Default dimension of the hashed n-gram embedding. */
export const DEFAULT_HASHED_DIM = 64;
/** Shortest and longest character n-gram (fastText's defaults `minn=3`, `maxn=6` trimmed to 5). */
export const NGRAM_MIN = 3;
export const NGRAM_MAX = 5;

const COMBINING_MARKS = /\p{M}+/gu;
const NON_ALNUM = /[^\p{L}\p{N}]+/gu;

/**
 * Canonical form used for hashing and word lookup: lowercase, accents stripped (NFD then drop
 * combining marks), every run of non-letter/non-digit characters turned into one space, trimmed.
 * "¡Camión ROJO, 2-ejes!" → "camion rojo 2 ejes". "ñ" becomes "n" too (NFD splits it into n + ◌̃).
 */
export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase().replace(NON_ALNUM, ' ').trim();
}

/** The words of {@link normalizeText}. */
export function tokenize(text: string): string[] {
  const norm = normalizeText(text);
  return norm === '' ? [] : norm.split(' ');
}

/**
 * Subword units of one (normalised) word, fastText style: the word is wrapped in boundary markers
 * `<word>`, every character n-gram with NGRAM_MIN ≤ n ≤ NGRAM_MAX is taken, plus the whole wrapped
 * word itself (fastText keeps the word as its own feature). Works on code points, not UTF-16 units.
 */
export function wordNgrams(word: string, minN = NGRAM_MIN, maxN = NGRAM_MAX): string[] {
  const chars = Array.from(`<${word}>`);
  const out: string[] = [];
  for (let n = minN; n <= maxN; n++) {
    for (let i = 0; i + n <= chars.length; i++) {
      const gram = chars.slice(i, i + n).join('');
      // The full "<word>" is added once below, whatever its length.
      if (n === chars.length) continue;
      out.push(gram);
    }
  }
  out.push(chars.join(''));
  return out;
}

/** FNV-1a 32-bit over the UTF-8 bytes of `s` (the hash fastText uses for its subword buckets). */
const utf8 = new TextEncoder();

export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  const bytes = utf8.encode(s);
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Finaliser of MurmurHash3 (fmix32): decorrelates the sign bit from the bucket bits, which with
 * plain FNV share low-order structure.
 */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** In-place L2 normalisation; the zero vector stays zero. Returns `v`. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

/** Cosine similarity; 0 when either vector is zero. Lengths must match. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`cosine: lengths differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Hashed character n-gram embedding of a text: for every word, each of its {@link wordNgrams} adds
 * ±1 to bucket `h mod dim` with sign from a second hash bit (signed hashing keeps collisions
 * unbiased: E[⟨φ(x),φ(y)⟩] = ⟨x,y⟩, Weinberger et al. 2009). Each word contributes with weight
 * 1/√(its n-gram count) so long words do not dominate; the sum is L2-normalised.
 */
export function hashedNgramVector(text: string, dim = DEFAULT_HASHED_DIM): Float32Array {
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
  const v = new Float32Array(dim);
  for (const word of tokenize(text)) {
    const grams = wordNgrams(word);
    const w = 1 / Math.sqrt(grams.length);
    for (const g of grams) {
      const h = fnv1a32(g);
      const sign = fmix32(h) & 1 ? -1 : 1;
      v[h % dim] += sign * w;
    }
  }
  return l2normalize(v);
}

/** The default, download-free embedder: hashed character 3–5-grams in {@link DEFAULT_HASHED_DIM} dims. */
export class HashedNgramEmbedder implements TextEmbedder {
  readonly version: string;
  constructor(readonly dim = DEFAULT_HASHED_DIM) {
    this.version = `text-hash-ngram${NGRAM_MIN}-${NGRAM_MAX}-d${dim}-v1`;
  }
  embed(text: string): Float32Array {
    return hashedNgramVector(text, this.dim);
  }
}

/** Word vectors keyed by normalised word, stored in one contiguous matrix. */
export interface WordVectors {
  readonly dim: number;
  /** Normalised word → row in `vectors`. */
  readonly index: ReadonlyMap<string, number>;
  /** `index.size × dim` rows, each L2-normalised (zero rows stay zero). */
  readonly vectors: Float32Array;
}

/**
 * Parses a fastText/word2vec text `.vec` file: header line `count dim`, then one line per word,
 * `word v1 … vD` separated by spaces. Words are keyed by {@link normalizeText}; when several entries
 * normalise to the same key ("camión", "camion", "Camion"), the first wins — `.vec` files are sorted
 * by frequency, so that is the most frequent spelling. Entries whose key is empty or multi-word
 * after normalisation are skipped. A header-less file (first line already a vector) is accepted.
 * @throws RangeError on a malformed header or a vector line of the wrong length / non-numeric value.
 */
export function parseVec(text: string): WordVectors {
  const lines = text.split(/\r?\n/);
  let start = 0;
  let dim: number | undefined;
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (header.length === 2 && /^\d+$/.test(header[0]) && /^\d+$/.test(header[1])) {
    dim = Number(header[1]);
    if (dim < 1) throw new RangeError(`.vec header: dimension must be ≥ 1, got ${header[1]}`);
    start = 1;
  }
  const rows: Float32Array[] = [];
  const index = new Map<string, number>();
  for (let ln = start; ln < lines.length; ln++) {
    const line = lines[ln].trimEnd();
    if (line === '') continue;
    const parts = line.split(' ');
    // The word itself may not contain spaces in this format; values follow it.
    const word = parts[0];
    const values = parts.slice(1).filter((p) => p !== '');
    dim ??= values.length;
    if (values.length !== dim) {
      throw new RangeError(`.vec line ${ln + 1}: expected ${dim} values for '${word}', got ${values.length}`);
    }
    const key = normalizeText(word);
    if (key === '' || key.includes(' ') || index.has(key)) continue;
    const v = new Float32Array(dim);
    for (let i = 0; i < dim; i++) {
      const x = Number(values[i]);
      if (!Number.isFinite(x)) throw new RangeError(`.vec line ${ln + 1}: value '${values[i]}' is not a number`);
      v[i] = x;
    }
    index.set(key, rows.length);
    rows.push(l2normalize(v));
  }
  if (dim === undefined) throw new RangeError('.vec file is empty');
  const vectors = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => vectors.set(r, i * dim!));
  return { dim, index, vectors };
}

/**
 * Name embedding from word vectors: mean of the unit vectors of the name's known words (fastText's
 * `getSentenceVector` also averages norm-1 word vectors), L2-normalised. When no word is known it
 * falls back to {@link hashedNgramVector} in the same dimension, so vectors stay comparable in
 * shape; such fallbacks only match other names with shared spelling, not the word-vector space.
 */
export class WordVectorEmbedder implements TextEmbedder {
  readonly dim: number;
  readonly version: string;
  /** @param name identifies the vector file in {@link TextEmbedder.version} (e.g. basename + content hash). */
  constructor(private readonly words: WordVectors, name = 'vec') {
    this.dim = words.dim;
    this.version = `text-wordvec-${name}-d${words.dim}-v1`;
  }

  /** Whether a (raw) word is in the vocabulary, accent- and case-insensitively. */
  has(word: string): boolean {
    return this.words.index.has(normalizeText(word));
  }

  embed(text: string): Float32Array {
    const { dim, index, vectors } = this.words;
    const out = new Float32Array(dim);
    let known = 0;
    for (const w of tokenize(text)) {
      const row = index.get(w);
      if (row === undefined) continue;
      known++;
      const base = row * dim;
      for (let i = 0; i < dim; i++) out[i] += vectors[base + i];
    }
    if (known === 0) return hashedNgramVector(text, dim);
    return l2normalize(out);
  }
}
