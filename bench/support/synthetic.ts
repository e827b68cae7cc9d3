/**
 * Synthetic catalogs for the serving benchmarks: products, a model snapshot (assembled as
 * `trainModelVersion` assembles its parts, then through serializeSnapshot/deserializeSnapshot as
 * the serving container loads it), and receivers with ~20 history events each.
 * Factors are Gaussian (not trained): scoring cost does not depend on their values.
 */
import os from 'node:os';
import { DEFAULT_ALS_PARAMS } from '../../functions/core/factorization/als.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot, type SnapshotParts } from '../../functions/core/snapshot/model-snapshot.js';
import { gaussian, mulberry32, randInt } from '../../functions/core/numeric/prng.js';
import { topK } from '../../functions/core/numeric/topk.js';
import type { EventType, InteractionEvent, Product, UserProfile } from '../../functions/core/domain/types.js';
import { snapshotItem } from '../../functions/core/snapshot/model-snapshot.js';
import { buildItemFeatureStore, type IndexedInteraction } from '../../functions/core/ranking/features.js';

export const CATEGORIES = ['scarf', 'shirt', 'dress', 'shoes', 'bag', 'hat', 'jacket', 'watch', 'toy', 'book', 'mug', 'candle'];
export const COUNTRIES = ['ES', 'FR', 'DE', 'IT', 'PT', 'GB', 'US', 'MX'];
const DAY_MS = 86_400_000;

export interface SyntheticCatalog {
  products: Product[];
  parts: SnapshotParts;
  files: Record<string, Uint8Array>;
  snapshot: ModelSnapshot;
  users: UserProfile[];
  /** Events per user id (credited to that user), ~20 each. */
  history: Map<string, InteractionEvent[]>;
}

export const productId = (i: number): string => `p${String(i).padStart(6, '0')}`;

/** n products × f factors, `nUsers` receivers with `eventsPerUser` events; deterministic for a seed. */
export function syntheticCatalog(n: number, f = 64, opts: { nUsers?: number; eventsPerUser?: number; seed?: number; now?: number } = {}): SyntheticCatalog {
  const rng = mulberry32(opts.seed ?? 7);
  const now = opts.now ?? Date.UTC(2025, 0, 1);
  const nUsers = opts.nUsers ?? 200;
  const eventsPerUser = opts.eventsPerUser ?? 20;
  const iso = new Date(now - 30 * DAY_MS).toISOString();
  const products: Product[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng();
    products.push({
      id: productId(i),
      name: `Product ${i}`,
      description: 'synthetic',
      price: Math.round((5 + 295 * rng() ** 2) * 100) / 100,
      currency: 'EUR',
      category: CATEGORIES[randInt(rng, CATEGORIES.length)],
      promoted: r < 0.05,
      status: r > 0.98 ? 'draft' : 'active',
      // Two thirds sold everywhere, the rest in two countries.
      countries: rng() < 0.67 ? [] : [COUNTRIES[randInt(rng, COUNTRIES.length)], COUNTRIES[randInt(rng, COUNTRIES.length)]],
      images: [],
      createdAt: new Date(now - rng() * 365 * DAY_MS).toISOString(),
      updatedAt: iso,
      attributes: {},
    });
  }
  const scale = 1 / Math.sqrt(f);
  const itemFactors = new Float32Array(n * f);
  for (let k = 0; k < itemFactors.length; k++) itemFactors[k] = gaussian(rng) * scale;
  const userIds = Array.from({ length: nUsers }, (_, u) => `u${String(u).padStart(5, '0')}`);
  const userFactors = new Float32Array(nUsers * f);
  for (let k = 0; k < userFactors.length; k++) userFactors[k] = gaussian(rng) * scale;
  // Zipf-like popularity, max-normalised.
  const popularity = new Float32Array(n);
  for (let i = 0; i < n; i++) popularity[i] = 1 / (1 + randInt(rng, n)) ** 0.8;
  let max = 0;
  for (const p of popularity) max = Math.max(max, p);
  for (let i = 0; i < n; i++) popularity[i] /= max;
  const popularByCountry: Record<string, number[]> = {};
  for (const c of COUNTRIES) {
    const v = Float32Array.from(popularity, (p) => p * rng());
    popularByCountry[c] = Array.from(topK(v, 200).indices);
  }

  const users: UserProfile[] = userIds.map((id, u) => ({ id, country: COUNTRIES[u % COUNTRIES.length], blacklist: u % 5 === 0 ? [productId(randInt(rng, n))] : [] }));
  const types: EventType[] = ['view', 'view', 'view', 'wishlist', 'cart', 'order'];
  const history = new Map<string, InteractionEvent[]>();
  for (const id of userIds) {
    const evs: InteractionEvent[] = [];
    for (let e = 0; e < eventsPerUser; e++) {
      evs.push({
        eventId: `${id}-e${e}`,
        userId: id,
        productId: productId(randInt(rng, n)),
        type: types[randInt(rng, types.length)],
        quantity: 1,
        timestamp: now - randInt(rng, 60) * DAY_MS - e * 1000,
      });
    }
    history.set(id, evs);
  }

  const parts: SnapshotParts = {
    manifest: {
      version: `bench-${n}x${f}`,
      createdAt: new Date(now).toISOString(),
      als: { ...DEFAULT_ALS_PARAMS, factors: f },
      counts: { users: nUsers, items: n, interactions: nUsers * eventsPerUser },
      metrics: { synthetic: true },
    },
    userIds,
    items: products.map((p, i) => snapshotItem(p, Math.round(popularity[i] * 50))),
    userFactors,
    itemFactors,
    popularity,
    popularByCountry,
    embeddings: [],
  };
  const files = serializeSnapshot(parts);
  return { products, parts, files, snapshot: deserializeSnapshot(files), users, history };
}

/** Latency summary in milliseconds (nearest-rank percentiles). */
export interface LatencyStats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export function latencyStats(samplesMs: readonly number[]): LatencyStats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: s.length,
    p50: r3(at(0.5)),
    p90: r3(at(0.9)),
    p99: r3(at(0.99)),
    mean: r3(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    min: r3(s[0] ?? NaN),
    max: r3(s[s.length - 1] ?? NaN),
  };
}

/** What the figures were measured on (load average included: these machines are shared). */
export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
  };
}

/**
 * The same snapshot with the second stage's feature store built from the receivers' histories, as
 * every retrained version carries one (ranking mode 'als': no scorer passed the gate). Serving then
 * also looks up content neighbours; without it the benchmark would miss that per-request work.
 */
export function withFeatureStore(cat: SyntheticCatalog): ModelSnapshot {
  const n = cat.snapshot.items.length;
  const users = new Map(cat.users.map((u, k) => [u.id, k]));
  const interactions: IndexedInteraction[] = [];
  for (const [id, events] of cat.history) {
    for (const e of events) {
      const i = cat.snapshot.itemIndex.get(e.productId);
      if (i !== undefined) interactions.push({ user: users.get(id)!, item: i, weight: 1, timestamp: e.timestamp });
    }
  }
  const store = buildItemFeatureStore(n, interactions, (i) => ({ price: cat.snapshot.items[i].price, category: cat.snapshot.items[i].category }));
  return { ...cat.snapshot, featureStore: store, manifest: { ...cat.snapshot.manifest, ranking: { mode: 'als', reason: 'benchmark: no scorer' } } };
}
