/**
 * The container's serving model: loaded once, re-read only when the pointer changes (checked at
 * most every MODEL_POINTER_TTL_MS). A version that fails to load (missing file, checksum, NaN)
 * is logged and skipped: the previously loaded snapshot keeps serving.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ModelStore } from '../core/domain/ports.js';
import { deserializeSnapshot, parseManifest, SNAPSHOT_FILES, type ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { ModelNotReady } from '../core/domain/errors.js';

export class ServingModel {
  private current?: ModelSnapshot;
  private checkedAt = -Infinity;
  private refusedVersion?: string;
  private inflight?: Promise<void>;

  constructor(private readonly store: ModelStore, private readonly ttlMs: number, private readonly logger: Logger) {}

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
    if (!version || version === this.current?.manifest.version || version === this.refusedVersion) return;
    try {
      // The manifest lists every file of the version (optional ones such as scorer.onnx included).
      const manifestBytes = await this.store.getFile(version, 'manifest.json');
      const listed = Object.keys(parseManifest(manifestBytes).files ?? {});
      const names = [...new Set([...SNAPSHOT_FILES.filter((n) => n !== 'manifest.json'), ...listed])];
      const files: Record<string, Uint8Array> = { 'manifest.json': manifestBytes };
      await Promise.all(names.map(async (name) => (files[name] = await this.store.getFile(version, name))));
      this.current = deserializeSnapshot(files);
      this.logger.info('model loaded', { version, items: this.current.items.length, users: this.current.userIds.length });
    } catch (err) {
      this.refusedVersion = version;
      this.logger.error('model version refused; previous version keeps serving', {
        version,
        serving: this.current?.manifest.version ?? null,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
