/**
 * When the live catalog view reads the products changes: one stamp (the newest change) per TTL, the
 * bounded list only when the stamp moved or FULL_READ_MS passed; a failed read keeps the view serving.
 */
import { describe, expect, it } from 'vitest';
import { FULL_READ_MS, LiveCatalog } from '../../functions/adapters/live-catalog.js';
import type { ChangeStamp } from '../../functions/core/domain/ports.js';
import type { Product } from '../../functions/core/domain/types.js';
import { InMemoryCatalogStore } from '../support/in-memory-stores.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';

const TTL = 1000;

/** The in-memory catalog with its reads counted; its stamp can be frozen (a writer whose clock lags) or fail. */
class CountedCatalog extends InMemoryCatalogStore {
  stamps = 0;
  lists = 0;
  fail = false;
  frozenStamp?: ChangeStamp | null;
  override async newestChangeSince(sinceMs: number): Promise<ChangeStamp | undefined> {
    this.stamps++;
    if (this.fail) throw new Error('read failed');
    return this.frozenStamp === undefined ? super.newestChangeSince(sinceMs) : (this.frozenStamp ?? undefined);
  }
  override async listChangedSince(sinceMs: number, limit: number): Promise<Product[]> {
    this.lists++;
    return super.listChangedSince(sinceMs, limit);
  }
}

function setup(options: { ttlMs?: number; minFullReadMs?: number } = {}) {
  const cat = syntheticCatalog(60, 4, { seed: 3, nUsers: 5 });
  const snapshot = { ...cat.snapshot, manifest: { ...cat.snapshot.manifest, createdAt: new Date(Date.now() - 3_600_000).toISOString() } };
  const store = new CountedCatalog();
  const live = new LiveCatalog(store, { get: async () => snapshot }, { ttlMs: options.ttlMs ?? TTL, minFullReadMs: options.minFullReadMs, limit: 100, overlapMs: 0 });
  const product = (id: string): Product => ({ ...cat.products[0], id, name: `New ${id}`, updatedAt: new Date().toISOString() });
  return { store, live, product };
}

describe('the live catalog view', () => {
  it('reads one stamp per TTL and the list only when the stamp moved', async () => {
    const { store, live, product } = setup();
    await store.put(product('early'));
    const t0 = 1_000_000;
    const first = await live.get(t0);
    expect([store.stamps, store.lists]).toEqual([1, 1]);
    expect(first.itemIndex.has('early')).toBe(true);
    expect(await live.get(t0 + TTL / 2)).toBe(first);
    expect([store.stamps, store.lists]).toEqual([1, 1]);
    // Past the TTL, nothing changed: the stamp alone confirms the view.
    expect(await live.get(t0 + TTL + 1)).toBe(first);
    expect([store.stamps, store.lists]).toEqual([2, 1]);
    // A put moves the stamp: the next read after the TTL lists the changes and merges the product.
    await new Promise((r) => setTimeout(r, 2));
    await store.put(product('fresh'));
    expect(await live.get(t0 + TTL + 2)).toBe(first); // within the TTL of the last confirmation
    const next = await live.get(t0 + 2 * TTL + 2);
    expect([store.stamps, store.lists]).toEqual([4, 2]); // the stamp that saw the change, then the list and its own stamp
    expect(next.itemIndex.has('fresh')).toBe(true);
    // The same product written again (its stamp moves, the newest id stays): listed again.
    await new Promise((r) => setTimeout(r, 2));
    await store.put({ ...product('fresh'), status: 'blocked' });
    const again = await live.get(t0 + 3 * TTL + 3);
    expect([store.stamps, store.lists]).toEqual([6, 3]);
    expect(again.items[again.itemIndex.get('fresh')!].status).toBe('blocked');
  });

  it('lists the changes every FULL_READ_MS even when the stamp stays (a change stamped older than the newest)', async () => {
    const { store, live, product } = setup();
    await store.put(product('a'));
    const t0 = 2_000_000;
    await live.get(t0);
    store.frozenStamp = (await store.newestChangeSince(0))!;
    await store.put(product('lagging'));
    const stale = await live.get(t0 + 2 * TTL);
    expect(stale.itemIndex.has('lagging')).toBe(false);
    expect(store.lists).toBe(1);
    const later = await live.get(t0 + FULL_READ_MS + 1);
    expect(store.lists).toBe(2);
    expect(later.itemIndex.has('lagging')).toBe(true);
  });

  it('keeps serving the view when the stamp cannot be read, and reads again on the next request', async () => {
    const { store, live, product } = setup();
    const t0 = 3_000_000;
    const first = await live.get(t0);
    store.fail = true;
    expect(await live.get(t0 + TTL + 1)).toBe(first);
    store.fail = false;
    await store.put(product('after-failure'));
    const view = await live.get(t0 + TTL + 2);
    expect(view.itemIndex.has('after-failure')).toBe(true);
  });

  it('moves its generation on the first read that shows a change, and only then', async () => {
    const { store, live, product } = setup({ ttlMs: 0 });
    const t0 = 4_000_000;
    await live.get(t0);
    const g0 = live.generation;
    await live.get(t0 + 1);
    await live.get(t0 + 2);
    expect(live.generation).toBe(g0);
    await new Promise((r) => setTimeout(r, 2));
    await store.put(product('renamed'));
    await live.get(t0 + 3);
    const g1 = live.generation;
    expect(g1).toBeGreaterThan(g0);
    await live.get(t0 + 4);
    expect(live.generation).toBe(g1);
    store.fail = true;
    await live.get(t0 + 5);
    expect(live.generation).toBeGreaterThan(g1);
  });

  it('with minFullReadMs, a change soon after a full read moves the generation at once and the view after the interval', async () => {
    const { store, live, product } = setup({ ttlMs: 0, minFullReadMs: 500 });
    const t0 = 5_000_000;
    const first = await live.get(t0);
    const g0 = live.generation;
    await new Promise((r) => setTimeout(r, 2));
    await store.put(product('imported'));
    const soon = await live.get(t0 + 100);
    expect(soon).toBe(first);
    expect(soon.itemIndex.has('imported')).toBe(false);
    expect(live.generation).toBeGreaterThan(g0);
    const g1 = live.generation;
    expect(store.lists).toBe(1);
    // Every request still reads the stamp; the same stamp does not move the generation again.
    await live.get(t0 + 200);
    expect(live.generation).toBe(g1);
    const later = await live.get(t0 + 501);
    expect(store.lists).toBe(2);
    expect(later.itemIndex.has('imported')).toBe(true);
  });
});
