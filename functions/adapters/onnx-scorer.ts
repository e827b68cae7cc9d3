/**
 * `scorer.onnx`: export of the core's second-stage scorer (functions/core/ranking/scorer.ts) through the
 * onnx-builder, and its serving session on onnxruntime-node — one session per container and model
 * version (`float32[N,F] → float32[N,1]`).
 *
 * Graph: features → Gemm(W1ᵀ, b1) → Relu → Gemm(W2, b2) → Sigmoid → score, with the feature
 * standardisation folded into W1/b1 (logistic regression: one Gemm → Sigmoid).
 */
import * as ort from 'onnxruntime-node';
import { buildOnnxModel, floatAttr, type OnnxNode } from './onnx-builder.js';
import { foldedWeights, scoreRows as tsScoreRows, type ScorerModel } from '../core/ranking/scorer.js';
import { FEATURE_COUNT } from '../core/ranking/features.js';
import { CorruptArtifact } from '../core/domain/errors.js';
import type { ScoreRows } from '../core/ranking/recommend.js';

export const SCORER_INPUT = 'features';
export const SCORER_OUTPUT = 'score';

/** The scorer as ONNX bytes; the feature names and layout go into the metadata. */
export function exportScorerOnnx(m: ScorerModel): Uint8Array {
  const w = foldedWeights(m);
  const gemm = { transB: 1, alpha: floatAttr(1), beta: floatAttr(1) };
  const nodes: OnnxNode[] =
    w.hidden > 0
      ? [
          { opType: 'Gemm', inputs: [SCORER_INPUT, 'W1', 'b1'], outputs: ['h'], attributes: gemm },
          { opType: 'Relu', inputs: ['h'], outputs: ['hr'] },
          { opType: 'Gemm', inputs: ['hr', 'W2', 'b2'], outputs: ['z'], attributes: gemm },
          { opType: 'Sigmoid', inputs: ['z'], outputs: [SCORER_OUTPUT] },
        ]
      : [
          { opType: 'Gemm', inputs: [SCORER_INPUT, 'W2', 'b2'], outputs: ['z'], attributes: gemm },
          { opType: 'Sigmoid', inputs: ['z'], outputs: [SCORER_OUTPUT] },
        ];
  const inner = w.hidden > 0 ? w.hidden : w.F;
  return buildOnnxModel({
    inputs: [{ name: SCORER_INPUT, dims: ['N', w.F] }],
    outputs: [{ name: SCORER_OUTPUT, dims: ['N', 1] }],
    initializers: [
      ...(w.hidden > 0
        ? [
            { name: 'W1', dims: [w.hidden, w.F], data: w.W1 },
            { name: 'b1', dims: [w.hidden], data: w.b1 },
          ]
        : []),
      { name: 'W2', dims: [1, inner], data: w.W2 },
      { name: 'b2', dims: [1], data: w.b2 },
    ],
    nodes,
    graphName: 'second_stage_scorer',
    metadata: { features: m.featureNames.join(','), layout_version: String(m.layoutVersion), hidden: String(m.hidden) },
  });
}

/** One ONNX Runtime session over `scorer.onnx`. */
export class OnnxScorer {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly featureCount: number,
  ) {}

  static async create(bytes: Uint8Array, featureCount: number): Promise<OnnxScorer> {
    try {
      const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
      return new OnnxScorer(session, featureCount);
    } catch (err) {
      throw new CorruptArtifact('scorer.onnx could not be loaded', { cause: err });
    }
  }

  /** σ(z) per row of a rows × F feature matrix. */
  readonly score = async (x: Float32Array, rows: number): Promise<Float32Array> => {
    if (rows === 0) return new Float32Array(0);
    const out = await this.session.run({ [SCORER_INPUT]: new ort.Tensor('float32', x, [rows, this.featureCount]) });
    return out[SCORER_OUTPUT].data as Float32Array;
  };

  release(): Promise<void> {
    return this.session.release();
  }
}

/** A borrowed session: `release()` exactly once when the request is done with it. */
export interface ScorerLease {
  scorer: OnnxScorer;
  release(): void;
}

interface SessionEntry {
  session: Promise<OnnxScorer>;
  /** Requests currently holding a lease on it. */
  leases: number;
}

/**
 * The container's scorer sessions, keyed by model version and reference-counted: a request leases
 * the session of the snapshot it ranks with, and a session whose version has been replaced is
 * released only when its last lease is returned. (Releasing it at the swap disposed sessions that
 * requests on the old snapshot were still running: "Session already disposed".)
 */
export class ScorerSessionCache {
  private readonly entries = new Map<string, SessionEntry>();
  /** The version most recently asked for: the one kept without leases. */
  private latest?: string;

  async acquire(version: string, bytes: Uint8Array, featureCount: number): Promise<ScorerLease> {
    let entry = this.entries.get(version);
    if (!entry) {
      const created = OnnxScorer.create(bytes, featureCount);
      const fresh: SessionEntry = { session: created, leases: 0 };
      entry = fresh;
      this.entries.set(version, fresh);
      // A failed creation is forgotten (only this attempt: the map may hold a newer one by now).
      created.catch(() => {
        if (this.entries.get(version) === fresh) this.entries.delete(version);
      });
    }
    entry.leases++;
    if (this.latest !== version) {
      this.latest = version;
      for (const [v, e] of this.entries) if (v !== version && e.leases === 0) this.dispose(v, e);
    }
    const held = entry;
    let scorer: OnnxScorer;
    try {
      scorer = await held.session;
    } catch (err) {
      held.leases--;
      throw err;
    }
    let returned = false;
    return {
      scorer,
      release: () => {
        if (returned) return;
        returned = true;
        held.leases--;
        if (held.leases === 0 && this.latest !== version && this.entries.get(version) === held) this.dispose(version, held);
      },
    };
  }

  /** Versions with a live session (tests: a replaced version is gone once its leases are back). */
  liveVersions(): string[] {
    return [...this.entries.keys()];
  }

  /** Leases outstanding on a version's session. */
  leasesOf(version: string): number {
    return this.entries.get(version)?.leases ?? 0;
  }

  private dispose(version: string, entry: SessionEntry): void {
    this.entries.delete(version);
    void entry.session.then((s) => s.release()).catch(() => undefined);
  }
}

/**
 * The {@link ScoreRows} the recommend Lambda passes to the core: `scorer.onnx` of the serving
 * snapshot on a session of `sessions` (leased for the one run); the TS forward pass for versions
 * without the ONNX file. The container's composition root holds the one cache.
 */
export function createOnnxScoreRows(sessions: ScorerSessionCache = new ScorerSessionCache()): ScoreRows {
  return async (x, rows, snapshot) => {
    if (snapshot.scorerOnnx) {
      const lease = await sessions.acquire(snapshot.manifest.version, snapshot.scorerOnnx, FEATURE_COUNT);
      try {
        return await lease.scorer.score(x, rows);
      } finally {
        lease.release();
      }
    }
    if (!snapshot.scorer) throw new CorruptArtifact('model version has no scorer');
    return tsScoreRows(snapshot.scorer, x);
  };
}
