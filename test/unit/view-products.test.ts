/** Shown products kept until the live catalog sees a change (core/snapshot/view-products.ts). */
import { describe, expect, it } from 'vitest';
import { ViewProducts } from '../../functions/core/snapshot/view-products.js';
import type { PublicProduct } from '../../functions/core/domain/product-view.js';

const product = (id: string, name = id): PublicProduct =>
  ({ id, name, description: '', price: 100, currency: 'EUR', category: 'hat', promoted: false, status: 'active', countries: [], images: [], createdAt: '', updatedAt: '', attributes: {} });

/** A store of products whose reads are counted; `names` may change between reads. */
function countingStore(ids: string[]) {
  const names = new Map(ids.map((id) => [id, id]));
  const reads: string[][] = [];
  return {
    names,
    reads,
    read: async (want: readonly string[]) => {
      reads.push([...want]);
      return want.filter((id) => names.has(id)).map((id) => product(id, names.get(id)));
    },
  };
}

const byId = (ps: PublicProduct[]) => Object.fromEntries(ps.map((p) => [p.id, p.name]));

describe('ViewProducts', () => {
  /** A cache over `store` whose generation the test moves by hand. */
  function cacheOver(read: (ids: readonly string[]) => Promise<PublicProduct[]>, options: { maxEntries?: number; maxAgeMs?: number; now?: () => number } = {}) {
    const seen = { changes: 0 };
    const cache = new ViewProducts(read, { generation: () => seen.changes, maxEntries: options.maxEntries ?? 100, maxAgeMs: options.maxAgeMs ?? 60_000, now: options.now });
    return { cache, seen };
  }

  it('reads each product once while no change is seen: a second request reads nothing', async () => {
    const store = countingStore(['a', 'b', 'c']);
    const { cache } = cacheOver(store.read);
    expect(byId(await cache.get(['a', 'b']))).toEqual({ a: 'a', b: 'b' });
    expect(byId(await cache.get(['b', 'c']))).toEqual({ b: 'b', c: 'c' });
    expect(store.reads).toEqual([['a', 'b'], ['c']]);
    await cache.get(['c', 'a', 'b']);
    expect(store.reads).toHaveLength(2);
  });

  it('reads again once a change is seen: the change is what the next response shows', async () => {
    const store = countingStore(['a']);
    const { cache, seen } = cacheOver(store.read);
    await cache.get(['a']);
    store.names.set('a', 'renamed');
    expect(byId(await cache.get(['a']))).toEqual({ a: 'a' });
    seen.changes++;
    expect(byId(await cache.get(['a']))).toEqual({ a: 'renamed' });
    expect(store.reads).toHaveLength(2);
  });

  it('leaves out products the store does not have, and does not remember them as found', async () => {
    const store = countingStore(['a']);
    const { cache } = cacheOver(store.read);
    expect(byId(await cache.get(['a', 'gone']))).toEqual({ a: 'a' });
    expect(byId(await cache.get(['a', 'gone']))).toEqual({ a: 'a' });
    expect(store.reads).toEqual([['a', 'gone'], ['gone']]);
  });

  it('does not keep a read that was in flight when a change was seen (it may predate the change)', async () => {
    const store = countingStore(['a']);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { cache, seen } = cacheOver(async (ids) => {
      await gate;
      return store.read(ids);
    });
    const inFlight = cache.get(['a']);
    seen.changes++;
    release();
    await inFlight;
    expect(cache.size).toBe(0);
    await cache.get(['a']);
    await cache.get(['a']);
    expect(store.reads).toHaveLength(2);
    expect(cache.size).toBe(1);
  });

  it('re-reads an entry older than maxAgeMs whatever the generation, and keeps at most maxEntries', async () => {
    let now = 5000;
    const store = countingStore(['a', 'b', 'c']);
    const { cache } = cacheOver(store.read, { maxEntries: 2, maxAgeMs: 1000, now: () => now });
    await cache.get(['a']);
    now = 5999;
    await cache.get(['a']);
    expect(store.reads).toHaveLength(1);
    now = 6001;
    await cache.get(['a']);
    expect(store.reads).toHaveLength(2);
    await cache.get(['b', 'c']);
    expect(cache.size).toBe(2);
  });
});

describe('the container keeps shown products only where a catalog change can reach it', () => {
  it('keeps them by default, and not when turned off or when the live catalog reads no changes', async () => {
    const { buildDeps } = await import('../../functions/adapters/bootstrap.js');
    const { loadConfig } = await import('../../functions/config.js');
    expect(buildDeps(loadConfig({})).viewProducts).toBeInstanceOf(ViewProducts);
    expect(buildDeps(loadConfig({ VIEW_PRODUCTS_CACHE_SIZE: '0' })).viewProducts).toBeUndefined();
    // LIVE_CATALOG_LIMIT=0: the view never changes, so nothing would ever drop a cached product.
    expect(buildDeps(loadConfig({ LIVE_CATALOG_LIMIT: '0' })).viewProducts).toBeUndefined();
  });
});
