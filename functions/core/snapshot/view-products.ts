/**
 * The public product objects a response shows, read from the store once and reused until the
 * container learns of a catalog change.
 *
 * `generation` is the live catalog's count of changes it has seen (functions/adapters/live-catalog.ts):
 * it moves whenever a read of the products' newest change stamp returns a stamp it had not seen, which
 * by default happens on the request right after the write. Every product read before that is dropped, so
 * a response shows products no older than the last stamp read: as current as re-reading them on every
 * request (an eventually consistent read either way), for one small read instead of a BatchGet of the
 * shown products with their descriptions, images and attributes.
 *
 * An entry also expires after `maxAgeMs`, which bounds what an eventually consistent read that lagged
 * behind the stamp could leave behind.
 */
import { LRUCache } from 'lru-cache';
import type { CatalogStore } from '../domain/ports.js';
import type { PublicProduct } from '../domain/product-view.js';

export interface ViewProductsOptions {
  /** The catalog changes seen so far; a new value drops every entry. */
  generation: () => unknown;
  /** Products kept (least recently shown dropped first). */
  maxEntries: number;
  /** Longest an entry is reused, whatever the generation. */
  maxAgeMs: number;
  /** The clock of `maxAgeMs` (tests); `performance.now` by default. */
  now?: () => number;
}

export class ViewProducts {
  private generation: unknown;
  private readonly cache: LRUCache<string, PublicProduct>;

  constructor(
    private readonly read: (ids: readonly string[]) => Promise<PublicProduct[]>,
    private readonly options: ViewProductsOptions,
  ) {
    this.cache = new LRUCache({ max: options.maxEntries, ttl: options.maxAgeMs, ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}) });
    this.generation = options.generation();
  }

  /** The stored products of `ids` (missing ones left out, as the store does). */
  async get(ids: readonly string[]): Promise<PublicProduct[]> {
    const generation = this.syncGeneration();
    const found: PublicProduct[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const p = this.cache.get(id);
      if (p) found.push(p);
      else missing.push(id);
    }
    if (missing.length === 0) return found;
    const read = await this.read(missing);
    // A change was seen while this read was in flight: the read may predate it.
    if (this.syncGeneration() === generation) for (const p of read) this.cache.set(p.id, p);
    return [...found, ...read];
  }

  /** Products held now (for tests and logs). */
  get size(): number {
    return this.cache.size;
  }

  /** The generation now; every entry is dropped when it moved. */
  private syncGeneration(): unknown {
    const g = this.options.generation();
    if (g !== this.generation) {
      this.cache.clear();
      this.generation = g;
    }
    return g;
  }
}

/** The stored products of `ids`: from `viewProducts` when the container keeps them, else read now. */
export function shownProducts(
  deps: { catalog: Pick<CatalogStore, 'batchGetPublic'>; viewProducts?: Pick<ViewProducts, 'get'> },
  ids: readonly string[],
): Promise<PublicProduct[]> {
  return deps.viewProducts ? deps.viewProducts.get(ids) : deps.catalog.batchGetPublic(ids);
}
