/**
 * The serving model with the catalog's changes since its version merged in (core/snapshot/live-delta.ts):
 * recommend and `similar` read this instead of the bare version, so a product PUT or embedded after
 * the last retrain counts on the next request (at most LIVE_CATALOG_REBUILD_MS later during a burst of writes).
 *
 * Per request (or per LIVE_CATALOG_TTL_MS when set) per container, one item read: the newest change
 * since the last full read (the changes index is partitioned by day, so this asks one or two days,
 * however old the version); a stamp not seen before moves {@link LiveCatalog.generation}. Only when
 * that shows a change (at most every `minFullReadMs`), or FULL_READ_MS after the last full read, the bounded read (at most
 * LIVE_CATALOG_LIMIT products, newest change first, every day since the version). Reading 2000
 * products every two seconds cost ~0.7 s of a local request and their read capacity on AWS. The
 * merged view is rebuilt only when what the full read returns differs from the last one, and a
 * failed read keeps the last view serving.
 * Products the version does not know get factors from the version's content-to-factor model when
 * it has one (`predict`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CatalogStore, ChangeStamp } from '../core/domain/ports.js';
import type { Product } from '../core/domain/types.js';
import type { ModelSnapshot } from '../core/snapshot/model-snapshot.js';
import { unknownProducts, withChangedProducts } from '../core/snapshot/live-delta.js';
import { encodeContent, forwardContent, productContent } from '../core/content/content-to-cf.js';

/** Collaborative factors for products the version does not know (rows in order), or undefined. */
export type PredictFactors = (snapshot: ModelSnapshot, products: readonly Product[]) => Promise<Float32Array | undefined>;

/** The content model's TypeScript forward pass (no native module: every Lambda may use it). */
export const predictContentFactorsTs: PredictFactors = async (snapshot, products) => {
  const m = snapshot.contentModel;
  if (!m || m.factors !== snapshot.factors || products.length === 0) return undefined;
  return forwardContent(m, encodeContent(m, products.map(productContent)), products.length);
};

export interface LiveCatalogOptions {
  /** How long a read of the newest change stamp is trusted (0: every request reads it). */
  ttlMs: number;
  /**
   * Least time between two full reads (0: none). A stamp that moved sooner leaves the view as it is
   * until then (a catalog import must not relist on every request), but still moves {@link LiveCatalog.generation}.
   */
  minFullReadMs?: number;
  limit: number;
  /** Changes this long before the version's createdAt are read too (products written while it trained). */
  overlapMs?: number;
  predict?: PredictFactors;
}

interface View {
  base: ModelSnapshot;
  signature: string;
  merged: ModelSnapshot;
  /** When the view was last confirmed current (a full read, or a stamp equal to the full read's). */
  readAt: number;
  /** When the last full read was made (request time, and the wall clock the store stamps with), and the newest change it saw. */
  fullReadAt: number;
  fullReadWallMs: number;
  newest?: ChangeStamp;
  changed: number;
}

/**
 * A full read at least this often even when the stamp shows no change: a writer whose clock lags
 * by more than STAMP_SKEW_MS could stamp a change the stamp read does not look back to.
 */
export const FULL_READ_MS = 60_000;
/** How far before the last full read the stamp read looks (writers' clocks may differ). */
const STAMP_SKEW_MS = 5_000;

const sameStamp = (a?: ChangeStamp, b?: ChangeStamp): boolean => a?.id === b?.id && a?.changedAt === b?.changedAt;

/** What identifies one read's content: a change to any of these rebuilds the view. */
const signatureOf = (products: readonly Product[]): string =>
  products.map((p) => `${p.id}|${p.updatedAt}|${p.status}|${p.embedding_version ?? ''}|${p.image_embedding?.length ?? 0}`).sort().join('\n');

export class LiveCatalog {
  private view?: View;
  private inflight?: Promise<ModelSnapshot>;
  private observed?: ChangeStamp;
  private changes = 0;

  constructor(
    private readonly catalog: Pick<CatalogStore, 'listChangedSince' | 'newestChangeSince'>,
    private readonly serving: { get(now?: number): Promise<ModelSnapshot> },
    private options: LiveCatalogOptions,
    private readonly logger?: Logger,
  ) {}

  /** The serving version with the recent catalog changes merged in. */
  async get(now = Date.now()): Promise<ModelSnapshot> {
    const base = await this.serving.get(now);
    const v = this.view;
    if (v && v.base === base && now - v.readAt < this.options.ttlMs) return v.merged;
    if (this.options.ttlMs <= 0 && this.options.limit <= 0) return base;
    this.inflight ??= this.refresh(base, now).finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Replaces the factor predictor (the recommend Lambda: ONNX Runtime); the next rebuilt view uses it. */
  usePredictor(predict: PredictFactors): void {
    this.options = { ...this.options, predict };
  }

  /**
   * Moves whenever this container learns of a catalog change it had not seen (a stamp read that
   * differs from the last one, a rebuilt view, a failed read): what was read from the products
   * table before it may be out of date (core/snapshot/view-products.ts keys its entries by it).
   */
  get generation(): number {
    return this.changes;
  }

  /** Notes the newest change stamp read now. */
  private observe(stamp: ChangeStamp | undefined): void {
    if (!sameStamp(stamp, this.observed)) this.changes++;
    this.observed = stamp;
  }

  /** Products merged into the current view (for GET /model and logs). */
  get mergedCount(): number {
    return this.view?.changed ?? 0;
  }

  private async refresh(base: ModelSnapshot, now: number): Promise<ModelSnapshot> {
    const since = (Date.parse(base.manifest.createdAt) || 0) - (this.options.overlapMs ?? 15 * 60_000);
    const current = this.view?.base === base ? this.view : undefined;
    let changed: Product[];
    let newest: ChangeStamp | undefined;
    let fullReadWallMs = 0;
    try {
      if (current && now - current.fullReadAt < FULL_READ_MS) {
        // Nothing stamped since the last full read (give or take the writers' clocks), or only the
        // change that read already saw: the view is current.
        const latest = await this.catalog.newestChangeSince(Math.max(since, current.fullReadWallMs - STAMP_SKEW_MS));
        this.observe(latest);
        if (latest === undefined || sameStamp(latest, current.newest)) {
          current.readAt = now;
          return current.merged;
        }
        // A change, but the last full read is recent: the view waits (the next request reads the stamp again).
        if (now - current.fullReadAt < (this.options.minFullReadMs ?? 0)) return current.merged;
      }
      // The stamp is read before the list, so a change landing between the two shows next time;
      // only a stamp inside the window later stamp reads look at matters.
      const wallMs = Date.now();
      newest = await this.catalog.newestChangeSince(Math.max(since, wallMs - STAMP_SKEW_MS));
      changed = await this.catalog.listChangedSince(since, this.options.limit);
      fullReadWallMs = wallMs;
      this.observe(newest);
    } catch (err) {
      this.changes++;
      // The version alone still answers; the next request retries the read.
      this.logger?.warn('catalog changes read failed; serving without them', { error: err instanceof Error ? err.message : String(err) });
      return current ? current.merged : base;
    }
    const signature = signatureOf(changed);
    if (current && current.signature === signature) {
      Object.assign(current, { readAt: now, fullReadAt: now, fullReadWallMs, newest });
      return current.merged;
    }
    const unknown = unknownProducts(base, changed);
    let predicted: Float32Array | undefined;
    if (unknown.length > 0 && this.options.predict) {
      try {
        predicted = await this.options.predict(base, unknown);
      } catch (err) {
        this.logger?.warn('content-to-factor prediction failed; new products merged without factors', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    const merged = withChangedProducts(base, changed, { factorsFor: () => predicted });
    this.changes++;
    this.view = { base, signature, merged, readAt: now, fullReadAt: now, fullReadWallMs, newest, changed: changed.length };
    return merged;
  }
}
