/**
 * Small dense linear algebra on row-major Float64Arrays: what ALS (f×f normal equations) and
 * EASE (item×item inverse) need, nothing more.
 */

/**
 * In-place Cholesky factorisation A = L·Lᵀ of a symmetric positive-definite n×n matrix; the lower
 * triangle of `a` is overwritten with L (upper triangle left untouched). Throws if A is not SPD.
 */
export function cholesky(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= a[rj + k] * a[rj + k];
    if (!(d > 0)) throw new Error(`cholesky: matrix not positive definite (pivot ${j} = ${d})`);
    d = Math.sqrt(d);
    a[rj + j] = d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= a[ri + k] * a[rj + k];
      a[ri + j] = s / d;
    }
  }
}

/** Solves L·Lᵀ x = b in place (b becomes x) given the factor from {@link cholesky}. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * b[k];
    b[i] = s / l[ri + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** Solves the SPD system A x = b (A is copied, not modified). */
export function solveSpd(a: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const l = Float64Array.from(a);
  cholesky(l, n);
  const x = Float64Array.from(b);
  choleskySolve(l, n, x);
  return x;
}

/**
 * Inverse of a symmetric positive-definite matrix via Cholesky: A⁻¹ = L⁻ᵀ L⁻¹.
 * O(n³) with n³/3 + n³/3 + n³/6 multiply-adds; full symmetric result.
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  const l = Float64Array.from(a);
  cholesky(l, n);
  // W = L⁻¹ (lower triangular) by forward substitution, row by row: W_ij = −Σ_{j≤k<i} L_ik W_kj / L_ii.
  // Accumulated as row axpys (contiguous; the column-wise form strides n and is ~4x slower); for each
  // W_ij the terms are added in the same order (k ascending), so the result is bit-identical.
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[ri + k];
      if (lik === 0) continue;
      const rk = k * n;
      for (let j = 0; j <= k; j++) w[ri + j] -= lik * w[rk + j];
    }
    const d = l[ri + i];
    for (let j = 0; j < i; j++) w[ri + j] /= d;
    w[ri + i] = 1 / d;
  }
  // A⁻¹ = Wᵀ W; (Wᵀ W)_{ij} = Σ_{k ≥ max(i,j)} W_{ki} W_{kj}: a dot product of two rows of T = Wᵀ
  // (contiguous), k ascending as in the outer-product form, so again bit-identical to it.
  const t = new Float64Array(n * n);
  for (let k = 0; k < n; k++) for (let i = 0; i <= k; i++) t[i * n + k] = w[k * n + i];
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = i; k < n; k++) s += t[ri + k] * t[rj + k];
      inv[ri + j] = s;
      inv[rj + i] = s;
    }
  }
  return inv;
}

/**
 * Slow reference: Gauss–Jordan inverse with partial pivoting, for tests of {@link invertSpd}.
 */
export function invertGaussJordan(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    if (m[p * n + c] === 0) throw new Error('invertGaussJordan: singular matrix');
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        let t = m[c * n + k]; m[c * n + k] = m[p * n + k]; m[p * n + k] = t;
        t = inv[c * n + k]; inv[c * n + k] = inv[p * n + k]; inv[p * n + k] = t;
      }
    }
    const d = m[c * n + c];
    for (let k = 0; k < n; k++) { m[c * n + k] /= d; inv[c * n + k] /= d; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const fct = m[r * n + c];
      if (fct === 0) continue;
      for (let k = 0; k < n; k++) { m[r * n + k] -= fct * m[c * n + k]; inv[r * n + k] -= fct * inv[c * n + k]; }
    }
  }
  return inv;
}
