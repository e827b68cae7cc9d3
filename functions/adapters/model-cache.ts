/**
 * Versions behind a pointer, cached per container: loaded once, re-read only when the pointer changes
 * (checked at most every `ttlMs`). A version that fails to load (missing file, checksum, NaN) is
 * logged and refused: the previously loaded one keeps serving. At a cold start (nothing loaded yet)
 * a refused pointer version falls back down the pointer's history — the versions it named before,
 * newest first, at most {@link FALLBACK_DEPTH} — with a log line and a metric, so one corrupt
 * version does not mean errors on every new container until the next good one.
 *
 * {@link PointerCache} is that logic for any kind of version; {@link ServingModel} is the
 * collaborative model's (a model snapshot, 503 before the first), and the image and text content
 * models use it with the layer's copy as what serves when no version was ever activated
 * (functions/adapters/content-models.ts).
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

export interface PointerCacheOptions<T> {
  /** What the versions are, in log lines (`model`, `image model`, …). */
  label: string;
  /** Reads and checks one version; throws CorruptArtifact / ArtifactMissing for a version to refuse. */
  load(version: string): Promise<T>;
  /** Log fields describing a loaded value. */
  describe?(value: T): Record<string, unknown>;
  metrics?: ServingMetrics;
}

/** The loaded version and its value. */
export interface Loaded<T> {
  version: string;
  value: T;
}

export class PointerCache<T> {
  private current?: Loaded<T>;
  private checkedAt = -Infinity;
  private readonly refused = new Set<string>();
  private pointerVersion?: string;
  private inflight?: Promise<void>;

  constructor(
    private readonly store: Pick<ModelStore, 'readPointer'>,
    private readonly ttlMs: number,
    private readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>,
    private readonly options: PointerCacheOptions<T>,
  ) {}

  /** The version to serve now, or undefined while none has ever loaded (no pointer, or every candidate refused). */
  async get(now = Date.now()): Promise<Loaded<T> | undefined> {
    const due = now - this.checkedAt >= this.ttlMs;
    if (due) this.inflight ??= this.refresh(now).finally(() => (this.inflight = undefined));
    // The call that triggered a check waits for it; so does any call while nothing is loaded
    // yet (a concurrent first call must not miss the first version while it is loading).
    if (this.inflight && (due || !this.current)) await this.inflight;
    return this.current;
  }

  /** What serves and what the pointer says. Triggers a load when due. */
  async state(now = Date.now()): Promise<ServingState> {
    await this.get(now);
    return { serving: this.current?.version ?? null, pointer: this.pointerVersion ?? null, refused: [...this.refused] };
  }

  private async refresh(now: number): Promise<void> {
    this.checkedAt = now;
    let pointer: Awaited<ReturnType<ModelStore['readPointer']>>;
    try {
      pointer = await this.store.readPointer();
    } catch (err) {
      // A throttled or failed pointer read must not fail calls a loaded version can answer.
      if (!this.current) throw err;
      this.logger.warn(`${this.options.label} pointer read failed; loaded version keeps serving`, { serving: this.current.version, error: message(err) });
      return;
    }
    const version = pointer?.version;
    this.pointerVersion = version;
    if (!pointer || !version || version === this.current?.version || this.refused.has(version)) return;
    if (await this.tryLoad(version)) return;
    // A loaded version keeps serving; only a container with nothing loaded walks back.
    if (this.current) return;
    const chain = [...new Set([...(pointer.history ?? []), ...(pointer.previous ? [pointer.previous] : [])])].filter((v) => v !== version).slice(0, FALLBACK_DEPTH);
    for (const candidate of chain) {
      if (this.refused.has(candidate)) continue;
      if (await this.tryLoad(candidate)) {
        this.logger.warn(`${this.options.label} fallback: pointer version refused at cold start, serving an earlier version`, { pointer: version, serving: candidate });
        this.options.metrics?.fallback(version, candidate);
        return;
      }
    }
  }

  private async tryLoad(version: string): Promise<boolean> {
    try {
      const value = await this.options.load(version);
      this.current = { version, value };
      this.logger.info(`${this.options.label} loaded`, { version, ...this.options.describe?.(value) });
      return true;
    } catch (err) {
      // Only a version that failed its checks or lacks a file is refused for good; a store outage is retried.
      // (A manifest that is not JSON surfaces as the parser's SyntaxError.)
      if (!(err instanceof CorruptArtifact || err instanceof ArtifactMissing || err instanceof SyntaxError)) {
        this.checkedAt = -Infinity;
        if (!this.current) throw err;
        this.logger.warn(`${this.options.label} version could not be read; loaded version keeps serving`, { version, serving: this.current.version, error: message(err) });
        return false;
      }
      this.refused.add(version);
      this.logger.error(`${this.options.label} version refused; previous version keeps serving`, { version, serving: this.current?.version ?? null, error: message(err) });
      return false;
    }
  }
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Every file of a collaborative version, checked (sizes, checksums, shapes) into a snapshot. */
export async function loadSnapshot(store: Pick<ModelStore, 'getFile'>, version: string): Promise<ModelSnapshot> {
  // The manifest lists every file of the version (optional ones such as scorer.onnx included).
  const manifestBytes = await store.getFile(version, 'manifest.json');
  const listed = Object.keys(parseManifest(manifestBytes).files ?? {});
  const names = [...new Set([...SNAPSHOT_FILES.filter((n) => n !== 'manifest.json'), ...listed])];
  const files: Record<string, Uint8Array> = { 'manifest.json': manifestBytes };
  await Promise.all(names.map(async (name) => (files[name] = await store.getFile(version, name))));
  return deserializeSnapshot(files);
}

/** The container's serving (collaborative) model; ModelNotReady before the first successful retrain. */
export class ServingModel {
  private readonly cache: PointerCache<ModelSnapshot>;

  constructor(store: ModelStore, ttlMs: number, logger: Logger, metrics?: ServingMetrics) {
    this.cache = new PointerCache(store, ttlMs, logger, {
      label: 'model',
      load: (version) => loadSnapshot(store, version),
      describe: (s) => ({ items: s.items.length, users: s.userIds.length }),
      metrics,
    });
  }

  /** The snapshot to serve now; throws ModelNotReady before the first successful retrain. */
  async get(now = Date.now()): Promise<ModelSnapshot> {
    const loaded = await this.cache.get(now);
    if (!loaded) throw new ModelNotReady('No model version has been trained yet');
    return loaded.value;
  }

  /** What serves and what the pointer says (GET /health). Triggers a load when due. */
  state(now = Date.now()): Promise<ServingState> {
    return this.cache.state(now);
  }
}
