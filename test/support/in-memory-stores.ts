/**
 * In-memory implementations of the core's ports (functions/core/domain/ports.ts), for use-case
 * tests that need no storage. Each passes the same contract suite as its DynamoDB/S3 adapter
 * (test/support/port-contracts.ts, run by test/integration/port-contracts.test.ts), so a use case
 * tested on them behaves as it does on the real stores.
 */
import { ConflictError, EventIdConflict, InvalidInput, NotFound, ArtifactMissing } from '../../functions/core/domain/errors.js';
import { creditedUser } from '../../functions/core/domain/interactions.js';
import { attributionCounters, dayOf, impressionCounterDelta, impressionCounters, type CounterRow, type Impression } from '../../functions/core/domain/online-metrics.js';
import type {
  CatalogStore,
  ChangeStamp,
  EmbeddingUpdate,
  ImageStore,
  InteractionStore,
  ModelPointer,
  ModelStore,
  OnlineMetricsStore,
  PresignedUpload,
  ProductListQuery,
  StoredVersion,
  UserStore,
} from '../../functions/core/domain/ports.js';
import type { FunnelEventType, InteractionEvent, Product, UserProfile } from '../../functions/core/domain/types.js';
// The same payload identity and stored shape as the DynamoDB adapter (pure functions of it).
import { eventFingerprint, toEvent, toItem } from '../../functions/adapters/dynamo-stores.js';
import { publicProduct, type PublicProduct } from '../../functions/core/domain/product-view.js';

const clone = <T>(v: T): T => structuredClone(v);

export class InMemoryCatalogStore implements CatalogStore {
  private readonly products = new Map<string, { product: Product; changedAt: number }>();

  async get(id: string): Promise<Product | undefined> {
    const row = this.products.get(id);
    return row && clone(row.product);
  }

  async batchGet(ids: readonly string[]): Promise<Product[]> {
    return [...new Set(ids)].flatMap((id) => (this.products.has(id) ? [clone(this.products.get(id)!.product)] : []));
  }

  async batchGetPublic(ids: readonly string[]): Promise<PublicProduct[]> {
    return (await this.batchGet(ids)).map(publicProduct);
  }

  async put(product: Product): Promise<void> {
    this.products.set(product.id, { product: clone(product), changedAt: Date.now() });
  }

  async setEmbeddings(id: string, update: EmbeddingUpdate): Promise<void> {
    const row = this.products.get(id);
    if (!row) throw new NotFound(`product ${id} does not exist`);
    const { images, ...embeddings } = update;
    if (images && row.product.updatedAt !== images.ifUpdatedAt) throw new ConflictError(`product ${id} was replaced meanwhile`);
    const defined = Object.fromEntries(Object.entries(embeddings).filter(([, v]) => v !== undefined));
    this.products.set(id, { product: { ...row.product, ...clone(defined), ...(images ? { images: [...images.next] } : {}) }, changedAt: Date.now() });
  }

  async *scanAll(): AsyncIterable<Product> {
    for (const { product } of this.products.values()) yield clone(product);
  }

  async list(query: ProductListQuery): Promise<{ items: Product[]; cursor?: string }> {
    const ids = [...this.products.keys()].sort();
    let start = 0;
    if (query.cursor !== undefined) {
      const after = decodeCursor(query.cursor);
      start = ids.findIndex((id) => id > after);
      if (start < 0) start = ids.length;
    }
    const wanted = (p: Product) => (query.status ? p.status === query.status : p.status !== 'deleted') && (query.category === undefined || p.category === query.category);
    const items: Product[] = [];
    let i = start;
    for (; i < ids.length && items.length < query.limit; i++) {
      const p = this.products.get(ids[i])!.product;
      if (wanted(p)) items.push(clone(p));
    }
    return { items, cursor: i < ids.length ? encodeCursor(ids[i - 1]) : undefined };
  }

  async softDelete(id: string, at: string): Promise<Product> {
    const row = this.products.get(id);
    if (!row) throw new NotFound(`product ${id} does not exist`);
    const product = { ...row.product, status: 'deleted' as const, deletedAt: (row.product as { deletedAt?: string }).deletedAt ?? at, updatedAt: at };
    this.products.set(id, { product, changedAt: Date.now() });
    return clone(product);
  }

  async newestChangeSince(sinceMs: number): Promise<ChangeStamp | undefined> {
    let newest: ChangeStamp | undefined;
    for (const [id, r] of this.products) if (r.changedAt >= sinceMs && (!newest || r.changedAt > newest.changedAt)) newest = { id, changedAt: r.changedAt };
    return newest;
  }

  async listChangedSince(sinceMs: number, limit: number): Promise<Product[]> {
    return [...this.products.values()]
      .filter((r) => r.changedAt >= sinceMs)
      .sort((a, b) => b.changedAt - a.changedAt)
      .slice(0, limit)
      .map((r) => clone(r.product));
  }
}

const encodeCursor = (id: string) => Buffer.from(JSON.stringify({ id })).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof key?.id === 'string' && Object.keys(key).length === 1) return key.id;
  } catch {
    /* reported below */
  }
  throw new InvalidInput('cursor is not one this API issued', { details: [{ path: 'cursor', message: 'invalid cursor' }] });
}

export class InMemoryInteractionStore implements InteractionStore {
  /** eventId → fingerprint of the payload that claimed it. */
  private readonly claims = new Map<string, string>();
  private readonly events: InteractionEvent[] = [];

  async putEvents(events: readonly InteractionEvent[]): Promise<{ accepted: number; duplicates: number }> {
    const conflicts = events.filter((e) => this.claims.has(e.eventId) && this.claims.get(e.eventId) !== eventFingerprint(e)).map((e) => e.eventId);
    if (conflicts.length > 0) {
      throw new EventIdConflict(`eventId already used for a different event: ${conflicts.slice(0, 5).join(', ')}`, {
        details: conflicts.map((id) => ({ path: 'eventId', message: `${id} was stored with another payload` })),
      });
    }
    let accepted = 0;
    let duplicates = 0;
    for (const e of events) {
      if (this.claims.has(e.eventId)) {
        duplicates++;
        continue;
      }
      this.claims.set(e.eventId, eventFingerprint(e));
      this.events.push(toEvent(toItem(e)));
      accepted++;
    }
    return { accepted, duplicates };
  }

  async listForUser(userId: string, limit = 500): Promise<InteractionEvent[]> {
    return this.events
      .filter((e) => creditedUser(e) === userId)
      .sort((a, b) => b.timestamp - a.timestamp || (a.eventId < b.eventId ? -1 : 1))
      .slice(0, limit)
      .map(clone);
  }

  async countForUser(userId: string): Promise<number> {
    return this.events.filter((e) => creditedUser(e) === userId).length;
  }

  async *scanAll(): AsyncIterable<InteractionEvent> {
    for (const e of this.events) yield clone(e);
  }
}

export class InMemoryUserStore implements UserStore {
  private readonly users = new Map<string, UserProfile>();

  async get(id: string): Promise<UserProfile | undefined> {
    const u = this.users.get(id);
    return u && clone(u);
  }

  async put(user: UserProfile): Promise<void> {
    this.users.set(user.id, clone(user));
  }

  async *scanAll(): AsyncIterable<UserProfile> {
    for (const u of this.users.values()) yield clone(u);
  }
}

/** How many replaced versions the pointer remembers (as the S3 model store). */
const POINTER_HISTORY = 5;

export class InMemoryModelStore implements ModelStore {
  private readonly files = new Map<string, Map<string, { bytes: Uint8Array; at: number }>>();
  private pointer?: ModelPointer;

  async putVersion(version: string, files: Record<string, Uint8Array>): Promise<void> {
    const names = Object.keys(files).sort((a, b) => Number(a === 'manifest.json') - Number(b === 'manifest.json'));
    const stored = this.files.get(version) ?? new Map();
    this.files.set(version, stored);
    for (const name of names) stored.set(name, { bytes: Uint8Array.from(files[name]), at: Date.now() });
  }

  async listVersions(): Promise<StoredVersion[]> {
    return [...this.files].map(([version, files]) => ({
      version,
      complete: files.has('manifest.json'),
      lastModified: Math.max(...[...files.values()].map((f) => f.at)),
    }));
  }

  async deleteVersion(version: string): Promise<void> {
    this.files.delete(version);
  }

  async getFile(version: string, name: string): Promise<Uint8Array> {
    const f = this.files.get(version)?.get(name);
    if (!f) throw new ArtifactMissing(`model file ${version}/${name} is missing`);
    return Uint8Array.from(f.bytes);
  }

  async readPointer(): Promise<ModelPointer | undefined> {
    return this.pointer && clone(this.pointer);
  }

  async swapPointer(expected: string | undefined, next: string): Promise<void> {
    if ((this.pointer?.version ?? undefined) !== expected) throw new ConflictError(`model pointer moved: expected ${expected ?? '(none)'}`);
    const history = expected === undefined ? [] : [expected, ...(this.pointer?.history ?? [])].filter((v, i, all) => v !== next && all.indexOf(v) === i).slice(0, POINTER_HISTORY);
    this.pointer = { version: next, previous: expected, history, updatedAt: new Date().toISOString() };
  }
}

/** Images held in memory; presigned URLs point at a made-up host with the key, a policy and an expiry. */
export class InMemoryImageStore implements ImageStore {
  readonly objects = new Map<string, Uint8Array>();

  constructor(private readonly expiresIn = 900) {}

  async presignUpload(key: string, contentType: string, maxBytes: number): Promise<PresignedUpload> {
    const policy = {
      expiration: new Date(Date.now() + this.expiresIn * 1000).toISOString(),
      conditions: [{ key }, ['eq', '$Content-Type', contentType], ['content-length-range', 1, maxBytes]],
    };
    return { url: 'https://images.invalid/', fields: { key, 'Content-Type': contentType, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') } };
  }

  async deleteObject(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async presignDownload(key: string): Promise<string> {
    return `https://images.invalid/${encodeURI(key)}?method=GET&X-Amz-Expires=${this.expiresIn}`;
  }

  async getObject(key: string): Promise<{ bytes: Uint8Array; size: number }> {
    const bytes = this.objects.get(key);
    if (!bytes) throw new NotFound(`image ${key} does not exist`);
    return { bytes: Uint8Array.from(bytes), size: bytes.byteLength };
  }
}

export class InMemoryOnlineMetricsStore implements OnlineMetricsStore {
  private readonly impressions = new Map<string, Impression>();
  private readonly attributed = new Set<string>();
  private readonly counters = new Map<string, CounterRow>();

  private add(day: string, modelVersion: string, counters: Record<string, number>): void {
    const key = `${day}\u0000${modelVersion}`;
    const row = this.counters.get(key) ?? { day, modelVersion, counters: {} };
    for (const [k, n] of Object.entries(counters)) row.counters[k] = (row.counters[k] ?? 0) + n;
    this.counters.set(key, row);
  }

  async recordImpression(imp: Impression): Promise<void> {
    this.impressions.set(imp.recommendationId, clone(imp));
    this.add(dayOf(imp.shownAt), imp.modelVersion, impressionCounters(imp));
  }

  async replaceImpression(previous: Impression, next: Impression | undefined): Promise<void> {
    if (next) this.impressions.set(previous.recommendationId, clone(next));
    else this.impressions.delete(previous.recommendationId);
    this.add(dayOf(previous.shownAt), previous.modelVersion, impressionCounterDelta(previous, next));
  }

  async getImpression(recommendationId: string): Promise<Impression | undefined> {
    const imp = this.impressions.get(recommendationId);
    return imp && clone(imp);
  }

  async recordAttribution(imp: Impression, productId: string, type: FunnelEventType, reasons: readonly string[]): Promise<boolean> {
    const key = `${imp.recommendationId}\u0000${type}\u0000${productId}`;
    if (this.attributed.has(key)) return false;
    this.attributed.add(key);
    this.add(dayOf(imp.shownAt), imp.modelVersion, attributionCounters(type, reasons));
    return true;
  }

  async readCounters(days: readonly string[]): Promise<CounterRow[]> {
    const wanted = new Set(days);
    return [...this.counters.values()].filter((r) => wanted.has(r.day)).map(clone);
  }
}
