/**
 * The container's serving model: loaded once, re-read only when the pointer changes (checked at
 * most every MODEL_POINTER_TTL_MS). A version that fails to load (missing file, checksum, NaN)
 * is logged and skipped: the previously loaded snapshot keeps serving. At a cold start (nothing
 * loaded yet) a refused pointer version falls back down the pointer's history — the versions it
 * named before, newest first, at most {@link FALLBACK_DEPTH} — with a log line and a metric, so
 * one corrupt version does not mean 503s on every new container until the next retrain.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ModelStore } from '../core/domain/ports.js';
import { deserializeSnapshot, parseManifest, SNAPSHOT_FILES, type ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { ArtifactMissing, CorruptArtifact, ModelNotReady } from '../core/domain/errors.js';

/** How many earlier versions a cold start may try after the pointer's own. */
export const FALLBACK_DEPTH = 3;

/** Where a fallback is counted (Powertools Metrics on Lambda: an EMF line CloudWatch turns into a metric). */
export interface ServingMetrics {
  fallback(from: string, to: string): void;
}

export interface ServingState {
  /** The version answering requests, or null before any loaded. */
  serving: string | null;
  /** The version the pointer names, as last read. */
  pointer: string | null;
  /** Versions refused by this container (checksum, shape, missing file). */
  refused: string[];
}

export class ServingModel {
  private current?: ModelSnapshot;
  private checkedAt = -Infinity;
  private readonly refused = new Set<string>();
  private pointerVersion?: string;
  private inflight?: Promise<void>;

  constructor(
    private readonly store: ModelStore,
    private readonly ttlMs: number,
    private readonly logger: Logger,
    private readonly metrics?: ServingMetrics,
  ) {}

  /** The snapshot to serve now; throws ModelNotReady before the first successful retrain. */
  async get(now = Date.now()): Promise<ModelSnapshot> {
    const due = now - this.checkedAt >= this.ttlMs;
    if (due) this.inflight ??= this.refresh(now).finally(() => (this.inflight = undefined));
    // The request that triggered a check waits for it; so does any request while nothing is loaded
    // yet (a concurrent first request must not get a 503 while the first version is loading).
    if (this.inflight && (due || !this.current)) await this.inflight;
    if (!this.current) throw new ModelNotReady('No model version has been trained yet');
    return this.current;
  }

  /** What serves and what the pointer says (GET /health). Triggers a load when due. */
  async state(now = Date.now()): Promise<ServingState> {
    try {
      await this.get(now);
    } catch (err) {
      if (!(err instanceof ModelNotReady)) throw err;
    }
    return { serving: this.current?.manifest.version ?? null, pointer: this.pointerVersion ?? null, refused: [...this.refused] };
  }

  private async refresh(now: number): Promise<void> {
    this.checkedAt = now;
    let pointer: Awaited<ReturnType<ModelStore['readPointer']>>;
    try {
      pointer = await this.store.readPointer();
    } catch (err) {
      // A throttled or failed pointer read must not fail requests a loaded version can answer.
      if (!this.current) throw err;
      this.logger.warn('model pointer read failed; loaded version keeps serving', { serving: this.current.manifest.version, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const version = pointer?.version;
    this.pointerVersion = version;
    if (!pointer || !version || version === this.current?.manifest.version || this.refused.has(version)) return;
    if (await this.tryLoad(version)) return;
    // A loaded version keeps serving; only a container with nothing loaded walks back.
    if (this.current) return;
    const chain = [...new Set([...(pointer.history ?? []), ...(pointer.previous ? [pointer.previous] : [])])].filter((v) => v !== version).slice(0, FALLBACK_DEPTH);
    for (const candidate of chain) {
      if (this.refused.has(candidate)) continue;
      if (await this.tryLoad(candidate)) {
        this.logger.warn('model fallback: pointer version refused at cold start, serving an earlier version', { pointer: version, serving: candidate });
        this.metrics?.fallback(version, candidate);
        return;
      }
    }
  }

  private async tryLoad(version: string): Promise<boolean> {
    try {
      // The manifest lists every file of the version (optional ones such as scorer.onnx included).
      const manifestBytes = await this.store.getFile(version, 'manifest.json');
      const listed = Object.keys(parseManifest(manifestBytes).files ?? {});
      const names = [...new Set([...SNAPSHOT_FILES.filter((n) => n !== 'manifest.json'), ...listed])];
      const files: Record<string, Uint8Array> = { 'manifest.json': manifestBytes };
      await Promise.all(names.map(async (name) => (files[name] = await this.store.getFile(version, name))));
      this.current = deserializeSnapshot(files);
      this.logger.info('model loaded', { version, items: this.current.items.length, users: this.current.userIds.length });
      return true;
    } catch (err) {
      // Only a version that failed its checks or lacks a file is refused for good; a store outage is retried.
      // (A manifest that is not JSON surfaces as the parser's SyntaxError.)
      if (!(err instanceof CorruptArtifact || err instanceof ArtifactMissing || err instanceof SyntaxError)) {
        this.checkedAt = -Infinity;
        if (!this.current) throw err;
        this.logger.warn('model version could not be read; loaded version keeps serving', { version, serving: this.current.manifest.version, error: err instanceof Error ? err.message : String(err) });
        return false;
      }
      this.refused.add(version);
      this.logger.error('model version refused; previous version keeps serving', {
        version,
        serving: this.current?.manifest.version ?? null,
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }
}
