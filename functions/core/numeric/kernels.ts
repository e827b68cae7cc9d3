/**
 * The inner-product kernels every numeric module shares (training, content model, scorer,
 * similarity, evaluation baselines): one place for the loops, and for their summation order,
 * on which results depend bit for bit. Serving's whole-catalog scoring is `dotScores` in topk.ts.
 */

/** A read-only vector of reals: typed arrays or plain arrays. */
export type Reals = ArrayLike<number>;
/** A writable vector of reals. */
export type MutableReals = { [index: number]: number; readonly length: number };

/**
 * `init + Σ a[ao+k]·b[bo+k]` for k < n, summed left to right in a double (`init` first, so a bias
 * added this way rounds exactly as the loop `s = bias; s += …` it replaces).
 */
export function dot(a: Reals, ao: number, b: Reals, bo: number, n: number, init = 0): number {
  let s = init;
  for (let k = 0; k < n; k++) s += a[ao + k] * b[bo + k];
  return s;
}

/**
 * The same sum over four interleaved accumulators (instruction-level parallelism on long rows).
 * Rounds differently from {@link dot}: a caller keeps the one it was measured with.
 */
export function dotUnrolled(a: Reals, ao: number, b: Reals, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < n; k++) s0 += a[ao + k] * b[bo + k];
  return s0 + s1 + s2 + s3;
}

/** `y[yo+k] += alpha · x[xo+k]` for k < n. */
export function axpy(alpha: number, x: Reals, xo: number, y: MutableReals, yo: number, n: number): void {
  for (let k = 0; k < n; k++) y[yo + k] += alpha * x[xo + k];
}

/**
 * YᵀY (f×f, Float64) for a row-major n×f factor matrix. Rows are taken four at a time so each
 * pass over the lower triangle of G does four rank-1 updates (G stays in L1 cache).
 */
export function gramian(factors: Float32Array, n: number, f: number): Float64Array {
  const g = new Float64Array(f * f);
  gramianRows(factors, 0, n, f, g, 0);
  return g;
}

/** Adds the Gram matrix of rows [start, end) into g[go .. go + f²) (symmetric: both triangles written). */
export function gramianRows(factors: Float32Array, start: number, end: number, f: number, g: Float64Array, go: number): void {
  const r0 = new Float64Array(f);
  const r1 = new Float64Array(f);
  const r2 = new Float64Array(f);
  const r3 = new Float64Array(f);
  let r = start;
  for (; r + 3 < end; r += 4) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      r0[a] = factors[o + a];
      r1[a] = factors[o + f + a];
      r2[a] = factors[o + 2 * f + a];
      r3[a] = factors[o + 3 * f + a];
    }
    for (let a = 0; a < f; a++) {
      const v0 = r0[a];
      const v1 = r1[a];
      const v2 = r2[a];
      const v3 = r3[a];
      const ga = go + a * f;
      for (let b = 0; b <= a; b++) g[ga + b] += v0 * r0[b] + v1 * r1[b] + v2 * r2[b] + v3 * r3[b];
    }
  }
  for (; r < end; r++) {
    const o = r * f;
    for (let a = 0; a < f; a++) {
      const va = factors[o + a];
      const ga = go + a * f;
      for (let b = 0; b <= a; b++) g[ga + b] += va * factors[o + b];
    }
  }
  for (let a = 0; a < f; a++) for (let b = 0; b < a; b++) g[go + b * f + a] = g[go + a * f + b];
}
