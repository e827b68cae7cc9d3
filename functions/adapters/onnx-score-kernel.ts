/**
 * Whole-catalog inner-product scoring on ONNX Runtime: `scores[N,1] = Y[N,F] · u[F,1]`, one MatMul
 * (MLAS SGEMM), a {@link ScoreAll} for `rankForReceiver`. The user vector is a [F,1] column on
 * purpose: MatMul with a 1-D second operand took ~20× longer in onnxruntime-node 1.30 (measured,
 * bench/recommend.ts). The scoring is memory-bound (N·F·4 bytes
 * read per query, 25.6 MB at 100k × 64), so what matters is touching the factors once, without
 * copying them: the item factors are a graph INPUT whose tensor wraps the snapshot's Float32Array
 * (bench/recommend.ts measures this against baking them into the model as an initializer).
 *
 * One session per kernel and factor width, created lazily; the items tensor is cached per
 * snapshot identity (WeakMap on the Float32Array, so an old snapshot's wrapper is collected with
 * it). The scores are written into the caller's `out` array when given (a preallocated output
 * tensor wrapping it), but onnxruntime-node 1.30 still returns a fresh copy of every output: the
 * common request therefore uses {@link OnnxScoreAll.selectBlended}, whose outputs are a few dozen
 * numbers. Small catalogs are scored by the JS loop: below ~{@link DEFAULT_MIN_ITEMS} items the
 * per-run overhead of the native call outweighs the faster kernel.
 */
import * as ort from 'onnxruntime-node';
import type { ScoreAll } from '../core/ranking/recommend.js';
import type { BlendedCandidates, BlendedCandidatesRequest, SelectBlendedCandidates } from '../core/ranking/blended-candidates.js';
import { dotScores } from '../core/numeric/topk.js';
import { buildOnnxModel } from './onnx-builder.js';

/** Catalog size below which the JS loop is used: the two tie near 1k items (p50 ≈ 0.1 ms, mostly the run call), ONNX wins clearly from 2.5k (docs/benchmarks.md). */
export const DEFAULT_MIN_ITEMS = 2_000;

export interface OnnxScoreOptions {
  /**
   * ONNX Runtime intra-op threads. Default 1 — with concurrent requests (and on a 1-vCPU Lambda)
   * one thread per run wastes nothing on synchronisation (the recommend container passes
   * `ORT_SCORE_THREADS` from its config).
   */
  intraOpNumThreads?: number;
  /** Catalogs with fewer items use the JS loop. Default {@link DEFAULT_MIN_ITEMS}. */
  minItems?: number;
  /**
   * `input` (default): items fed as a graph input wrapping the snapshot's array (no copy, one
   * session for all snapshots). `initializer`: items baked into a model built per snapshot
   * (one copy into the model bytes and one into the session; kept for the benchmark).
   */
  mode?: 'input' | 'initializer';
}

/** The MatMul graph: items as a dynamic-N input, or as a fixed initializer. */
export function scoreModelBytes(f: number, items?: { data: Float32Array; n: number }): Uint8Array {
  const user = { name: 'user', dims: [f, 1] };
  const nodes = [{ opType: 'MatMul', inputs: ['items', 'user'], outputs: ['scores'] }];
  if (items) {
    return buildOnnxModel({
      inputs: [user],
      outputs: [{ name: 'scores', dims: [items.n, 1] }],
      initializers: [{ name: 'items', dims: [items.n, f], data: items.data }],
      nodes,
      graphName: 'item_scores',
    });
  }
  return buildOnnxModel({
    inputs: [{ name: 'items', dims: ['N', f] }, user],
    outputs: [{ name: 'scores', dims: ['N', 1] }],
    nodes,
    graphName: 'item_scores',
  });
}

/**
 * The fused selection's graph (see blended-candidates.ts): scores, the popularity blend scaled by
 * the largest raw score, the price range, the per-item filters and two TopKs. Its outputs are a
 * few dozen numbers, so a request leaves no catalog-sized ArrayBuffer behind (onnxruntime-node
 * copies every output, preallocated or not).
 */
export function blendedCandidatesModelBytes(f: number): Uint8Array {
  const col = (name: string) => ({ name, dims: ['N', 1] });
  return buildOnnxModel({
    inputs: [{ name: 'items', dims: ['N', f] }, { name: 'user', dims: [f, 1] }, col('base'), col('restrict'), col('promoted'), col('price'), { name: 'lo', dims: [1, 1] }, { name: 'hi', dims: [1, 1] }, { name: 'k', elemType: 'int64', dims: [1] }, { name: 'kp', elemType: 'int64', dims: [1] }],
    outputs: [{ name: 'max', dims: [1, 1] }, { name: 'top_v', dims: ['K', 1] }, { name: 'top_i', elemType: 'int64', dims: ['K', 1] }, { name: 'promoted_v', dims: ['P', 1] }, { name: 'promoted_i', elemType: 'int64', dims: ['P', 1] }],
    initializers: [
      { name: 'zero', dims: [1, 1], data: new Float32Array([0]) },
      { name: 'one', dims: [1, 1], data: new Float32Array([1]) },
      { name: 'ninf', dims: [1, 1], data: new Float32Array([-Infinity]) },
    ],
    nodes: [
      { opType: 'MatMul', inputs: ['items', 'user'], outputs: ['raw'] },
      { opType: 'ReduceMax', inputs: ['raw'], outputs: ['raw_max'], attributes: { keepdims: 1 } },
      { opType: 'Max', inputs: ['raw_max', 'zero'], outputs: ['max'] },
      { opType: 'Greater', inputs: ['max', 'zero'], outputs: ['max_pos'] },
      { opType: 'Div', inputs: ['one', 'max'], outputs: ['inv_max'] },
      { opType: 'Where', inputs: ['max_pos', 'inv_max', 'one'], outputs: ['scale'] },
      { opType: 'Mul', inputs: ['raw', 'scale'], outputs: ['scaled'] },
      { opType: 'Add', inputs: ['scaled', 'base'], outputs: ['blended'] },
      // The price gate: outside = p < lo or p > hi (a NaN price is neither, and passes, as in the
      // ranking). lo, hi and the constants are [1, 1], the columns' rank: broadcasting a [1] against
      // [N, 1] made each comparison or Where cost ~1 ms at 100k items; same-rank, the four take ~0.1.
      { opType: 'Less', inputs: ['price', 'lo'], outputs: ['below'] },
      { opType: 'Greater', inputs: ['price', 'hi'], outputs: ['above'] },
      { opType: 'Or', inputs: ['below', 'above'], outputs: ['outside'] },
      { opType: 'Where', inputs: ['outside', 'ninf', 'blended'], outputs: ['in_range'] },
      { opType: 'Add', inputs: ['in_range', 'restrict'], outputs: ['filtered'] },
      { opType: 'TopK', inputs: ['filtered', 'k'], outputs: ['top_v', 'top_i'], attributes: { axis: 0 } },
      { opType: 'Add', inputs: ['filtered', 'promoted'], outputs: ['filtered_promoted'] },
      { opType: 'TopK', inputs: ['filtered_promoted', 'kp'], outputs: ['promoted_v', 'promoted_i'], attributes: { axis: 0 } },
    ],
    graphName: 'blended_candidates',
  });
}

/** TopK's indices without its −∞ padding (fewer items passed the filter than were asked for). */
function finiteIndices(values: Float32Array, indices: BigInt64Array, k: number): Int32Array {
  let m = 0;
  while (m < k && values[m] > -Infinity) m++;
  return Int32Array.from({ length: m }, (_, r) => Number(indices[r]));
}

/** A ScoreAll plus `release()` for tests and benchmarks (a Lambda container never needs it). */
export interface OnnxScoreAll extends ScoreAll {
  selectBlended: SelectBlendedCandidates;
  release(): Promise<void>;
}

/** Builds an ONNX Runtime {@link ScoreAll}; sessions are created on first use, not here. */
export function createOnnxScoreAll(options: OnnxScoreOptions = {}): OnnxScoreAll {
  const threads = options.intraOpNumThreads ?? 1;
  const minItems = options.minItems ?? DEFAULT_MIN_ITEMS;
  const mode = options.mode ?? 'input';
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  // input mode: one session per factor width; the items tensor per snapshot array.
  const sharedSessions = new Map<number, Promise<ort.InferenceSession>>();
  const itemTensors = new WeakMap<Float32Array, ort.Tensor>();
  // initializer mode: one session per snapshot array.
  const snapshotSessions = new WeakMap<Float32Array, Promise<ort.InferenceSession>>();
  // Output tensors wrapping callers' reused `out` arrays (ONNX Runtime writes into them in place).
  const outputTensors = new WeakMap<Float32Array, ort.Tensor>();
  const created: Promise<ort.InferenceSession>[] = [];

  const track = (p: Promise<ort.InferenceSession>): Promise<ort.InferenceSession> => {
    created.push(p);
    return p;
  };

  const score = async (itemFactors: Float32Array, f: number, userVec: Float32Array, outArray?: Float32Array): Promise<Float32Array> => {
    const n = (itemFactors.length / f) | 0;
    const into = outArray?.length === n ? outArray : undefined;
    if (n < minItems || n * f !== itemFactors.length) return dotScores(itemFactors, f, userVec, into);
    const user = new ort.Tensor('float32', userVec.length === f ? userVec : userVec.subarray(0, f), [f, 1]);
    let fetches: ort.InferenceSession.FetchesType | undefined;
    if (into) {
      let t = outputTensors.get(into);
      if (!t) outputTensors.set(into, (t = new ort.Tensor('float32', into, [n, 1])));
      fetches = { scores: t };
    }
    let out: ort.InferenceSession.ReturnType;
    if (mode === 'input') {
      let session = sharedSessions.get(f);
      if (!session) sharedSessions.set(f, (session = track(ort.InferenceSession.create(scoreModelBytes(f), sessionOptions))));
      let items = itemTensors.get(itemFactors);
      if (!items) itemTensors.set(itemFactors, (items = new ort.Tensor('float32', itemFactors, [n, f])));
      out = fetches ? await (await session).run({ items, user }, fetches) : await (await session).run({ items, user });
    } else {
      let session = snapshotSessions.get(itemFactors);
      if (!session) {
        session = track(ort.InferenceSession.create(scoreModelBytes(f, { data: itemFactors, n }), sessionOptions));
        snapshotSessions.set(itemFactors, session);
      }
      out = fetches ? await (await session).run({ user }, fetches) : await (await session).run({ user });
    }
    return into ?? (out.scores.data as Float32Array);
  };

  // The fused selection's graph: one session per factor width; per-item inputs wrapped once per array.
  const candidateSessions = new Map<number, Promise<ort.InferenceSession>>();
  const columnTensors = new WeakMap<Float32Array, ort.Tensor>();
  const column = (a: Float32Array, n: number): ort.Tensor => {
    let t = columnTensors.get(a);
    if (!t) columnTensors.set(a, (t = new ort.Tensor('float32', a, [n, 1])));
    return t;
  };
  const selectBlended = async (req: BlendedCandidatesRequest): Promise<BlendedCandidates | undefined> => {
    const { itemFactors, f } = req;
    const n = (itemFactors.length / f) | 0;
    if (n < minItems || n * f !== itemFactors.length || n === 0) return undefined;
    let session = candidateSessions.get(f);
    if (!session) candidateSessions.set(f, (session = track(ort.InferenceSession.create(blendedCandidatesModelBytes(f), sessionOptions))));
    let items = itemTensors.get(itemFactors);
    if (!items) itemTensors.set(itemFactors, (items = new ort.Tensor('float32', itemFactors, [n, f])));
    // TopK needs 1 ≤ k ≤ N; a head of size 0 asks for one and reads none.
    const k = Math.min(n, Math.max(1, req.k));
    const kp = Math.min(n, Math.max(1, req.kPromoted));
    const out = await (await session).run({
      items,
      user: new ort.Tensor('float32', req.userVec.length === f ? req.userVec : req.userVec.subarray(0, f), [f, 1]),
      base: column(req.base, n),
      restrict: column(req.restrict, n),
      promoted: column(req.promoted, n),
      price: column(req.price, n),
      lo: new ort.Tensor('float32', Float32Array.of(req.minPrice), [1, 1]),
      hi: new ort.Tensor('float32', Float32Array.of(req.maxPrice), [1, 1]),
      k: new ort.Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
      kp: new ort.Tensor('int64', BigInt64Array.of(BigInt(kp)), [1]),
    });
    return {
      max: (out.max.data as Float32Array)[0],
      top: finiteIndices(out.top_v.data as Float32Array, out.top_i.data as BigInt64Array, Math.min(k, req.k)),
      topPromoted: finiteIndices(out.promoted_v.data as Float32Array, out.promoted_i.data as BigInt64Array, Math.min(kp, req.kPromoted)),
    };
  };

  return Object.assign(score, {
    selectBlended,
    async release(): Promise<void> {
      const all = created.splice(0);
      sharedSessions.clear();
      candidateSessions.clear();
      await Promise.all(all.map(async (p) => (await p).release()));
    },
  });
}
