/**
 * Compressed sparse row matrix over float32 values: the interaction matrix R (users × items)
 * and its transpose. Plain typed arrays so the solvers stay allocation-free in their inner loops.
 */
export interface CsrMatrix {
  readonly nRows: number;
  readonly nCols: number;
  /** Row r's entries live at [indptr[r], indptr[r+1]). Length nRows + 1. */
  readonly indptr: Int32Array;
  /** Column index of each stored entry, sorted ascending within a row. */
  readonly indices: Int32Array;
  readonly data: Float32Array;
}

/**
 * Builds a CSR matrix from coordinate triplets; duplicate (row, col) pairs are summed.
 * O(nnz log(row length)) and deterministic for the same input order.
 */
export function csrFromTriplets(
  nRows: number,
  nCols: number,
  rows: ArrayLike<number>,
  cols: ArrayLike<number>,
  values: ArrayLike<number>,
): CsrMatrix {
  const n = rows.length;
  const counts = new Int32Array(nRows + 1);
  for (let k = 0; k < n; k++) counts[rows[k] + 1]++;
  for (let r = 0; r < nRows; r++) counts[r + 1] += counts[r];
  const order = new Int32Array(n);
  const cursor = counts.slice(0, nRows);
  for (let k = 0; k < n; k++) order[cursor[rows[k]]++] = k;

  const indptr = new Int32Array(nRows + 1);
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < nRows; r++) {
    const start = counts[r];
    const end = counts[r + 1];
    const entries = Array.from(order.subarray(start, end)).sort((a, b) => cols[a] - cols[b] || a - b);
    let lastCol = -1;
    for (const k of entries) {
      const c = cols[k];
      if (c === lastCol) data[data.length - 1] += values[k];
      else {
        indices.push(c);
        data.push(values[k]);
        lastCol = c;
      }
    }
    indptr[r + 1] = indices.length;
  }
  return { nRows, nCols, indptr, indices: Int32Array.from(indices), data: Float32Array.from(data) };
}

/** Rᵀ in CSR form (i.e. R in CSC form), O(nnz). */
export function transpose(m: CsrMatrix): CsrMatrix {
  const nnz = m.indices.length;
  const indptr = new Int32Array(m.nCols + 1);
  for (let k = 0; k < nnz; k++) indptr[m.indices[k] + 1]++;
  for (let c = 0; c < m.nCols; c++) indptr[c + 1] += indptr[c];
  const cursor = indptr.slice(0, m.nCols);
  const indices = new Int32Array(nnz);
  const data = new Float32Array(nnz);
  for (let r = 0; r < m.nRows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) {
      const dst = cursor[m.indices[k]]++;
      indices[dst] = r;
      data[dst] = m.data[k];
    }
  }
  return { nRows: m.nCols, nCols: m.nRows, indptr, indices, data };
}

/** Row r as (indices, values) views, no copy. */
export function row(m: CsrMatrix, r: number): { indices: Int32Array; values: Float32Array } {
  const start = m.indptr[r];
  const end = m.indptr[r + 1];
  return { indices: m.indices.subarray(start, end), values: m.data.subarray(start, end) };
}
