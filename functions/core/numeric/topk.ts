/**
 * Exact top-K selection over a dense score vector, and inner-product scoring. A size-k binary
 * min-heap gives O(n log k); the slow reference is a full sort (tested against each other).
 */

/** Size-k min-heap on (score, index) whose root is the worst kept; "worse" = lower score, or equal score and higher index. */
export class BoundedHeap {
  readonly hi: Int32Array;
  readonly hs: Float64Array;
  size = 0;
  constructor(readonly cap: number) {
    this.hi = new Int32Array(cap);
    this.hs = new Float64Array(cap);
  }

  /** Offers (s, i); indices must arrive in increasing order, so an equal score never displaces a kept one. */
  offer(s: number, i: number): void {
    const { hi, hs } = this;
    if (this.size < this.cap) {
      let pos = this.size++;
      while (pos > 0) {
        const parent = (pos - 1) >> 1;
        const ps = hs[parent];
        if (!(s < ps || (s === ps && i > hi[parent]))) break;
        hs[pos] = ps;
        hi[pos] = hi[parent];
        pos = parent;
      }
      hs[pos] = s;
      hi[pos] = i;
    } else {
      hs[0] = s;
      hi[0] = i;
      this.siftDown(0);
    }
  }

  private siftDown(pos: number): void {
    const { hi, hs, size } = this;
    const s = hs[pos];
    const id = hi[pos];
    for (;;) {
      const l = 2 * pos + 1;
      if (l >= size) break;
      let c = l;
      const r = l + 1;
      if (r < size && (hs[r] < hs[l] || (hs[r] === hs[l] && hi[r] > hi[l]))) c = r;
      if (!(hs[c] < s || (hs[c] === s && hi[c] > id))) break;
      hs[pos] = hs[c];
      hi[pos] = hi[c];
      pos = c;
    }
    hs[pos] = s;
    hi[pos] = id;
  }

  /** Empties the heap into (score desc, index asc) order. */
  drain(): { indices: Int32Array; scores: Float32Array } {
    const outI = new Int32Array(this.size);
    const outS = new Float32Array(this.size);
    for (let n = this.size - 1; n >= 0; n--) {
      outI[n] = this.hi[0];
      outS[n] = this.hs[0];
      this.size--;
      if (this.size > 0) {
        this.hs[0] = this.hs[this.size];
        this.hi[0] = this.hi[this.size];
        this.siftDown(0);
      }
    }
    return { indices: outI, scores: outS };
  }
}

/**
 * The k best indices by score, descending; ties go to the lower index. NaN scores and indices for
 * which `skip(i)` is true are never returned. Returns fewer than k when fewer are eligible.
 */
export function topK(
  scores: Float32Array,
  k: number,
  skip?: (i: number) => boolean,
): { indices: Int32Array; scores: Float32Array } {
  const heap = new BoundedHeap(Math.max(0, Math.min(k | 0, scores.length)));
  if (heap.cap > 0) {
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      if (s !== s) continue; // NaN
      if (heap.size === heap.cap && !(s > heap.hs[0])) continue; // cheap reject: equal scores lose to the kept lower index
      if (skip !== undefined && skip(i)) continue;
      heap.offer(s, i);
    }
  }
  return heap.drain();
}

/** Slow reference for tests: full sort by (score desc, index asc). */
export function topKBySort(
  scores: Float32Array,
  k: number,
  skip?: (i: number) => boolean,
): { indices: Int32Array; scores: Float32Array } {
  const idx: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!Number.isNaN(scores[i]) && !(skip?.(i) ?? false)) idx.push(i);
  idx.sort((a, b) => scores[b] - scores[a] || a - b);
  const top = idx.slice(0, Math.max(0, k));
  return { indices: Int32Array.from(top), scores: Float32Array.from(top.map((i) => scores[i])) };
}

/**
 * out[i] = y_iᵀ u for every row of a row-major n×f item factor matrix. Four rows per pass share
 * each load of u[a] (register blocking; ~2× the naive double loop on V8). Each row still sums its
 * products in order a = 0…f−1 in float64, so results equal the naive loop bit for bit.
 */
export function dotScores(itemFactors: Float32Array, f: number, userVec: Float32Array, out?: Float32Array): Float32Array {
  const n = (itemFactors.length / f) | 0;
  const res = out ?? new Float32Array(n);
  const Y = itemFactors;
  const u = userVec;
  const n4 = n - (n % 4);
  let i = 0;
  for (; i < n4; i += 4) {
    const o0 = i * f;
    const o1 = o0 + f;
    const o2 = o1 + f;
    const o3 = o2 + f;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let a = 0; a < f; a++) {
      const ua = u[a];
      s0 += Y[o0 + a] * ua;
      s1 += Y[o1 + a] * ua;
      s2 += Y[o2 + a] * ua;
      s3 += Y[o3 + a] * ua;
    }
    res[i] = s0;
    res[i + 1] = s1;
    res[i + 2] = s2;
    res[i + 3] = s3;
  }
  for (; i < n; i++) {
    const o = i * f;
    let s = 0;
    for (let a = 0; a < f; a++) s += Y[o + a] * u[a];
    res[i] = s;
  }
  return res;
}

/** Row i of {@link dotScores}, bit for bit (the same order of float64 sums, one float32 rounding). */
export function dotAt(itemFactors: Float32Array, f: number, userVec: Float32Array, i: number): number {
  const o = i * f;
  let s = 0;
  for (let a = 0; a < f; a++) s += itemFactors[o + a] * userVec[a];
  return Math.fround(s);
}

const PENALTY = new Float32Array([-Infinity, 0]);

/**
 * {@link topK} over the items with `allowed[i] === 1` (and `also[i] === 1` when given). The masks
 * are folded into one branch-free typed-array pass (score + {−∞, 0}), ~2× faster at 100k items than
 * a per-item `skip` callback; masked items can never be returned.
 */
export function topKAllowed(scores: Float32Array, k: number, allowed: Uint8Array, also?: Uint8Array): { indices: Int32Array; scores: Float32Array } {
  const n = scores.length;
  const masked = new Float32Array(n);
  if (also) for (let i = 0; i < n; i++) masked[i] = scores[i] + PENALTY[allowed[i]] + PENALTY[also[i]];
  else for (let i = 0; i < n; i++) masked[i] = scores[i] + PENALTY[allowed[i]];
  const top = topK(masked, k);
  let m = top.indices.length;
  while (m > 0 && top.scores[m - 1] === -Infinity) m--;
  const indices = top.indices.subarray(0, m);
  // The caller's own values (masking added 0, which turns −0 into +0).
  return { indices, scores: Float32Array.from(indices, (i) => scores[i]) };
}

/** A membership test asked item by item (for the fused selection: only of items that would enter a heap). */
export interface IndexFilter {
  has(i: number): boolean;
}

/**
 * `[topKAllowed(scores, k, allowed), topKAllowed(scores, kAlso, allowed, also)]` in one pass over
 * the catalog, with the filter asked per item instead of read from a precomputed mask: it runs only
 * for items whose score beats a heap's entry threshold (a few hundred of 100k once the heaps fill),
 * so no catalog-wide mask is built. Same results (tested equal).
 */
export function topKFilteredPair(
  scores: Float32Array,
  k: number,
  kAlso: number,
  allowed: IndexFilter,
  also: Uint8Array,
): [{ indices: Int32Array; scores: Float32Array }, { indices: Int32Array; scores: Float32Array }] {
  const n = scores.length;
  const heads = new TwoHeads(Math.min(k | 0, n), Math.min(kAlso | 0, n), allowed, also);
  // The loop holds one comparison against the lower threshold; the rest lives out of line, so
  // the common case (rejected) stays a tight loop.
  let thr = heads.threshold();
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    if (s > thr) thr = heads.consider(s, i);
  }
  return [heads.best(), heads.bestAlso()];
}

/**
 * The two heads of a selection: the k best allowed items, and the kAlso best allowed items that
 * are also in `also`, fed either by a pass in index order ({@link consider}, guarded by
 * {@link threshold}) or in any order ({@link offerLate}). Items marked in `late` are skipped by
 * the pass: their final score is known only after it, and they are offered late.
 * Order: score desc, ties to the lower index; NaN and −∞ never enter.
 */
export class TwoHeads {
  private readonly a: BoundedHeap;
  private readonly b: BoundedHeap;
  // Entry thresholds for the in-order pass: −∞ while a heap fills, then its root's score (an equal
  // score loses to the kept lower index); +∞ for a zero-size heap.
  private thrA: number;
  private thrB: number;

  constructor(
    k: number,
    kAlso: number,
    private readonly allowed: IndexFilter,
    private readonly also: Uint8Array,
    private readonly late?: Uint8Array,
  ) {
    this.a = new BoundedHeap(Math.max(0, k | 0));
    this.b = new BoundedHeap(Math.max(0, kAlso | 0));
    this.thrA = this.a.cap > 0 ? -Infinity : Infinity;
    this.thrB = this.b.cap > 0 ? -Infinity : Infinity;
  }

  /** Only items scoring above this can enter a head during the in-order pass. */
  threshold(): number {
    return this.thrA < this.thrB ? this.thrA : this.thrB;
  }

  /** In-order pass: offers item i (score s above {@link threshold}); returns the new threshold. */
  consider(s: number, i: number): number {
    const toA = s > this.thrA;
    const toB = s > this.thrB && this.also[i] !== 0;
    if ((toA || toB) && (this.late === undefined || this.late[i] === 0) && this.allowed.has(i)) {
      if (toA) {
        this.a.offer(s, i);
        if (this.a.size === this.a.cap) this.thrA = this.a.hs[0];
      }
      if (toB) {
        this.b.offer(s, i);
        if (this.b.size === this.b.cap) this.thrB = this.b.hs[0];
      }
    }
    return this.threshold();
  }

  /** Offers item i in any order (after the pass); each item at most once. */
  offerLate(s: number, i: number): void {
    if (!(s > -Infinity)) return;
    // The filter (scattered column reads) only for items that would enter a head.
    const toA = beatsRoot(this.a, s, i);
    const toB = beatsRoot(this.b, s, i) && this.also[i] !== 0;
    if (!(toA || toB) || !this.allowed.has(i)) return;
    if (toA) this.a.offer(s, i);
    if (toB) this.b.offer(s, i);
  }

  /** The first head, best first (empties it). */
  best(): { indices: Int32Array; scores: Float32Array } {
    return this.a.drain();
  }

  /** The second head, best first (empties it). */
  bestAlso(): { indices: Int32Array; scores: Float32Array } {
    return this.b.drain();
  }

  /** Items in the first head so far. */
  sizeBest(): number {
    return this.a.size;
  }

  /** Items in the second head so far. */
  sizePromoted(): number {
    return this.b.size;
  }
}

/** Whether (s, i) would enter the heap in any order: it has room, or (s, i) beats the root. */
function beatsRoot(h: BoundedHeap, s: number, i: number): boolean {
  if (h.cap === 0) return false;
  return h.size < h.cap || s > h.hs[0] || (s === h.hs[0] && i < h.hi[0]);
}
