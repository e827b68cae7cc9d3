/**
 * The check a fastText text `.vec` file must pass before it may become the active text model
 * (functions/adapters/content-models.ts): stricter than {@link parseVec}, which also reads
 * header-less files, because a file that slipped through would change every product's name vector.
 */
export interface VecLimits {
  /** The dimension D every vector must have (`TEXT_VECTORS_DIM`). */
  expectedDim: number;
  /** Fewest words a vocabulary may have (`TEXT_VECTORS_MIN_WORDS`). */
  minWords: number;
  /** Largest file accepted, bytes (`TEXT_VECTORS_MAX_BYTES`). */
  maxBytes: number;
}

export type VecCheck = { ok: true; words: number; dim: number } | { ok: false; reason: string };

/**
 * Accepts exactly: at most `maxBytes` of UTF-8; a header line `N D` (two positive integers) with
 * D = `expectedDim`; then N non-empty lines `word v1 … vD` of finite numbers; N ≥ `minWords`.
 * The first problem found is the reason (with its line number).
 */
export function checkVecFile(bytes: Uint8Array, limits: VecLimits): VecCheck {
  const fail = (reason: string): VecCheck => ({ ok: false, reason });
  if (bytes.byteLength > limits.maxBytes) return fail(`file is ${bytes.byteLength} bytes, over the ${limits.maxBytes}-byte limit`);
  if (bytes.byteLength === 0) return fail('file is empty');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('file is not UTF-8 text');
  }
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const header = (lines[0] ?? '').trim().split(/\s+/);
  if (header.length !== 2 || !/^[1-9]\d*$/.test(header[0]) || !/^[1-9]\d*$/.test(header[1])) {
    return fail(`line 1: expected the header 'N D' (word count and dimension), got '${(lines[0] ?? '').slice(0, 60)}'`);
  }
  const n = Number(header[0]);
  const dim = Number(header[1]);
  if (dim !== limits.expectedDim) return fail(`header dimension ${dim} is not the expected ${limits.expectedDim}`);
  if (n < limits.minWords) return fail(`header declares ${n} words, fewer than the minimum vocabulary of ${limits.minWords}`);
  const rows = lines.length - 1;
  if (rows !== n) return fail(`header declares ${n} words but the file has ${rows} vector lines`);
  for (let ln = 1; ln < lines.length; ln++) {
    const parts = lines[ln].trimEnd().split(' ');
    if (parts[0] === '') return fail(`line ${ln + 1}: no word before the values`);
    if (parts.length - 1 !== dim) return fail(`line ${ln + 1}: expected ${dim} values for '${parts[0].slice(0, 40)}', got ${parts.length - 1}`);
    for (let i = 1; i < parts.length; i++) {
      // Number('') is 0 and Number('0x1f') is 31: require a decimal literal before trusting Number.
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(parts[i]) || !Number.isFinite(Number(parts[i]))) {
        return fail(`line ${ln + 1}: value '${parts[i].slice(0, 20)}' of '${parts[0].slice(0, 40)}' is not a finite number`);
      }
    }
  }
  return { ok: true, words: n, dim };
}
