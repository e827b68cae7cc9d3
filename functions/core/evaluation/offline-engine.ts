/**
 * The served engine, offline: the retrain's training (model selection included) and the recommend
 * handler's ranking (`rankForReceiver`: the version's family, recency, owned-item exclusion,
 * popularity blend, second stage when gated in) over an event list instead of the tables. What
 * `npm run batch` writes and the evaluation's `engine` row score is therefore what the API serves.
 *
 * Products are not in an interactions file: each item becomes an active, unpriced product created
 * at its first event, so every business filter passes and "new arrival" means what it means online.
 * A dataset that has a catalogue (dunnhumby's products file, REES46's product columns) may give each item its price, category and brand.
 */
import type { InteractionEvent, Product } from '../domain/types.js';
import type { CsvEvent } from './datasets.js';
import { creditedUser } from '../domain/interactions.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot } from '../snapshot/model-snapshot.js';
import type { SpdInverter } from '../factorization/ease.js';
import type { AlsParams } from '../factorization/als.js';
import type { ModelConfig, ModelFamily, ModelManifest } from '../snapshot/model-config.js';
import { rankForReceiver, type RankedItem, type RankingOptions } from '../ranking/recommend.js';
import { trainModelVersion } from '../training/train-model.js';
import { DEFAULT_BUSINESS_RULES, rulesActive, type BusinessRules } from '../ranking/business-rules.js';
import type { ModelFactory, TrainData } from './evaluation.js';

/** Offline jobs (batch, eval) give the search more time than a scheduled retrain (240 s). */
export const OFFLINE_SELECTION_BUDGET_SECONDS = 600;

/** One interactions-file row (the batch CSV's columns). */
export type OfflineEvent = CsvEvent;

export interface OfflineTrainOptions {
  /** Version name written into the manifest (default `offline`). */
  version?: string;
  /** Reference time (default: the newest event); later events are ignored. */
  asOf?: number;
  als?: Partial<AlsParams>;
  families?: readonly ModelFamily[];
  model?: ModelConfig;
  invert?: SpdInverter;
  selectionBudgetSeconds?: number;
  /** Train the second stage as the retrain does (default true). */
  secondStage?: boolean;
  onProgress?: (stage: string, fraction: number) => void;
  /** Business rules recorded in the version (a CLI's `--rules`): its ranking applies them as serving does. */
  rules?: BusinessRules;
  /** Prices and categories of the items, when the dataset has a catalogue. */
  catalog?: OfflineCatalog;
}

export interface OfflineEngine {
  snapshot: ModelSnapshot;
  /** The version's files, as the retrain job would store them. */
  files: Record<string, Uint8Array>;
  model: ModelManifest;
  /** Events credited to each user (their own and gifts received), for the receiver's history. */
  history: Map<string, InteractionEvent[]>;
  refTime: number;
}

/** What a dataset's own catalogue says of an item (absent: unpriced, no category). */
export type OfflineCatalog = ReadonlyMap<string, { price?: number; category?: string; brand?: string }>;

/** Events as the interactions table holds them, and one product per item. */
export function engineInputs(rows: readonly OfflineEvent[], catalog?: OfflineCatalog): { events: InteractionEvent[]; products: Product[] } {
  const firstSeen = new Map<string, number>();
  const events = rows.map((r, k): InteractionEvent => {
    firstSeen.set(r.itemId, Math.min(firstSeen.get(r.itemId) ?? Infinity, r.timestamp));
    return { eventId: `row-${k}`, userId: r.userId, productId: r.itemId, type: r.type, quantity: r.quantity, timestamp: r.timestamp, ...(r.receiverId ? { receiverId: r.receiverId } : {}), ...(r.rating !== undefined ? { rating: r.rating } : {}) };
  });
  const products = [...firstSeen].map(([id, t]): Product => {
    const at = new Date(t).toISOString();
    const known = catalog?.get(id);
    return { id, name: id, description: '', price: known?.price ?? 0, currency: 'USD', category: known?.category ?? '', promoted: false, status: 'active', countries: [], images: [], createdAt: at, updatedAt: at, attributes: known?.brand ? { brand: known.brand } : {} };
  });
  return { events, products };
}

/** Trains a version exactly as the retrain job does and loads it as the recommend handler does. */
export async function trainOfflineEngine(rows: readonly OfflineEvent[], o: OfflineTrainOptions = {}): Promise<OfflineEngine> {
  const { events, products } = engineInputs(o.asOf === undefined ? rows : rows.filter((r) => r.timestamp <= o.asOf!), o.catalog);
  const refTime = o.asOf ?? events.reduce((t, e) => Math.max(t, e.timestamp), 0);
  const { parts, model } = await trainModelVersion({
    events,
    products,
    userCountries: new Map(),
    now: refTime,
    asOf: o.asOf,
    version: o.version ?? 'offline',
    als: o.als,
    families: o.families,
    model: o.model,
    invert: o.invert,
    selectionBudgetSeconds: o.selectionBudgetSeconds ?? OFFLINE_SELECTION_BUDGET_SECONDS,
    secondStage: o.secondStage === false ? false : undefined,
    onProgress: o.onProgress,
    ...(o.rules ? { rules: { settings: o.rules, source: 'command-line' as const } } : {}),
  });
  const history = new Map<string, InteractionEvent[]>();
  for (const e of events) {
    const u = creditedUser(e);
    let h = history.get(u);
    if (!h) history.set(u, (h = []));
    h.push(e);
  }
  // Through the bytes, as the handler gets it: the same checks and the same derived columns.
  const files = serializeSnapshot(parts);
  return { snapshot: deserializeSnapshot(files), files, model, history, refTime };
}

/**
 * One user's list, as `GET /recommendations/{userId}?top_k=k` returns it at `refTime`. `exclude`:
 * `owned` (the API's rule: ordered by or given to the user) or `seen` (every item in their history).
 */
export async function recommendOffline(engine: OfflineEngine, userId: string, k: number, exclude: 'seen' | 'owned' = 'owned', options: Partial<RankingOptions> = {}): Promise<RankedItem[]> {
  const history = engine.history.get(userId) ?? [];
  const blacklist = exclude === 'seen' ? [...new Set(history.map((e) => e.productId))] : [];
  const ranking = await rankForReceiver(engine.snapshot, { history, profile: { id: userId, blacklist }, now: engine.refTime }, { userId, num: k, minPromoted: 0 }, options);
  return ranking.items;
}

/** Evaluation rows → offline events (rows carry the credited user already; type defaults to order). */
function rowsAsEvents(train: TrainData): OfflineEvent[] {
  return train.rows.map((r) => ({ userId: r.user, itemId: r.item, timestamp: r.timestamp, type: r.type ?? 'order', quantity: 1, ...(r.rating !== undefined ? { rating: r.rating } : {}) }));
}

/**
 * The engine as shipped, as an evaluation row: `trainOfflineEngine` on the training rows (its model
 * selection carves its validation window out of those rows only: the test split is never seen) and
 * `recommendOffline` with seen items excluded, as the protocol asks. `rules`: the ranking applies these
 * business rules instead of the version's (none). Rules change the ranking only, never the training, so
 * factories given the same `fits` share one fit per training split.
 */
export function engineFactory(options: OfflineTrainOptions & { name?: string; describe?: string; fits?: EngineFits } = {}): ModelFactory {
  const { fits = newEngineFits(), rules, ...train } = options;
  const ranking = rules ? { rules } : { rules: DEFAULT_BUSINESS_RULES };
  const factory: ModelFactory = {
    name: options.name ?? 'engine',
    describe: options.describe ?? 'the served engine: automatic selection on a window of the training rows, recommend handler ranking',
    async fit(data) {
      const engine = await fits.get(data, () => trainOfflineEngine(rowsAsEvents(data), train));
      const withRules = rules && rulesActive(rules) ? `; business rules ${JSON.stringify(rules)}` : '';
      const priced = train.catalog ? `; the dataset's catalogue (${train.catalog.size} products: category, brand, price)` : '';
      factory.describe = `${options.describe ?? 'engine'}: ${engine.model.description}; second stage ${engine.snapshot.manifest.ranking?.mode ?? 'als'}${priced}${withRules}`;
      return {
        async recommend(u, k) {
          const items = await recommendOffline(engine, data.users.ids[u], k, 'seen', ranking);
          return Int32Array.from(items, (it) => data.items.get(it.id) ?? -1).filter((i) => i >= 0);
        },
      };
    },
  };
  return factory;
}

/** One engine fit per training split, shared by the rows with and without rules. */
export interface EngineFits {
  get(train: TrainData, fit: () => Promise<OfflineEngine>): Promise<OfflineEngine>;
}

export function newEngineFits(): EngineFits {
  let last: { train: TrainData; engine: Promise<OfflineEngine> } | undefined;
  return {
    get(train, fit) {
      if (last?.train !== train) last = { train, engine: fit() };
      return last.engine;
    },
  };
}
