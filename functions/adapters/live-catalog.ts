/**
 * The serving model with the catalog's changes since its version merged in (core/snapshot/live-delta.ts):
 * recommend and `similar` read this instead of the bare version, so a product PUT or embedded after
 * the last retrain counts within LIVE_CATALOG_TTL_MS.
 *
 * One bounded read per TTL per container (a Query on the products changes index, at most
 * LIVE_CATALOG_LIMIT products, newest change first); the merged view is rebuilt only when what the
 * read returns differs from the last read, and a failed read keeps the last view serving.
 * Products the version does not know get factors from the version's content-to-factor model when
 * it has one (`predict`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CatalogStore } from '../core/domain/ports.js';
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
  ttlMs: number;
  limit: number;
  /** Changes this long before the version's createdAt are read too (products written while it trained). */
  overlapMs?: number;
  predict?: PredictFactors;
}

interface View {
  base: ModelSnapshot;
  signature: string;
  merged: ModelSnapshot;
  readAt: number;
  changed: number;
}

/** What identifies one read's content: a change to any of these rebuilds the view. */
const signatureOf = (products: readonly Product[]): string =>
  products.map((p) => `${p.id}|${p.updatedAt}|${p.status}|${p.embedding_version ?? ''}|${p.image_embedding?.length ?? 0}`).sort().join('\n');

export class LiveCatalog {
  private view?: View;
  private inflight?: Promise<ModelSnapshot>;

  constructor(
    private readonly catalog: Pick<CatalogStore, 'listChangedSince'>,
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

  /** Products merged into the current view (for GET /model and logs). */
  get mergedCount(): number {
    return this.view?.changed ?? 0;
  }

  private async refresh(base: ModelSnapshot, now: number): Promise<ModelSnapshot> {
    const since = (Date.parse(base.manifest.createdAt) || 0) - (this.options.overlapMs ?? 15 * 60_000);
    let changed: Product[];
    try {
      changed = await this.catalog.listChangedSince(since, this.options.limit);
    } catch (err) {
      // The version alone still answers; the next request retries the read.
      this.logger?.warn('catalog changes read failed; serving without them', { error: err instanceof Error ? err.message : String(err) });
      return this.view?.base === base ? this.view.merged : base;
    }
    const signature = signatureOf(changed);
    if (this.view && this.view.base === base && this.view.signature === signature) {
      this.view.readAt = now;
      return this.view.merged;
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
    this.view = { base, signature, merged, readAt: now, changed: changed.length };
    return merged;
  }
}
