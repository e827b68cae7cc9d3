/**
 * DynamoDB implementations of the core's CatalogStore, InteractionStore and UserStore.
 * SDK errors are translated here into the core's typed errors; nothing above sees the SDK.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { PublicProduct } from '../core/domain/product-view.js';
import type { CatalogStore, ChangeStamp, EmbeddingUpdate, InteractionStore, ProductListQuery, UserStore } from '../core/domain/ports.js';
import type { InteractionEvent, Product, UserProfile } from '../core/domain/types.js';
import { ConflictError, EventIdConflict, InvalidInput, NotFound } from '../core/domain/errors.js';
import { creditedUser } from '../core/domain/interactions.js';

const BATCH_GET_LIMIT = 100;

/**
 * The products GSI of recent changes: partition `changeDay` (UTC `YYYY-MM-DD` of the change), sort
 * `changedAt` (epoch ms). Every put and every setEmbeddings stamps both, so "changed since t" is
 * one Query per day since t, not a Scan. Day partitions keep the index's write load spread.
 */
export const CHANGES_INDEX = { name: 'by-change-day', partitionKey: 'changeDay', sortKey: 'changedAt' } as const;
const DAY_MS = 86_400_000;
const changeDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
/** Change-tracking attributes the store adds; never part of the product object it returns. */
function withoutChangeStamp(item: Record<string, unknown>): Product {
  const { changeDay: _d, changedAt: _t, ...rest } = item;
  return rest as unknown as Product;
}

async function* scanTable<T>(client: DynamoDBDocumentClient, table: string): AsyncIterable<T> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) yield item as T;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Every stored product attribute but the embedding vectors: what batchGetPublic reads. The check
 * below fails to compile when Product gains an attribute this list does not name.
 */
const PUBLIC_FIELDS = ['id', 'name', 'description', 'price', 'currency', 'category', 'promoted', 'status', 'countries', 'images', 'createdAt', 'updatedAt', 'attributes', 'embedding_version', 'deletedAt'] as const;
type UnlistedField = Exclude<keyof PublicProduct, (typeof PUBLIC_FIELDS)[number]>;
const publicFieldsComplete: [UnlistedField] extends [never] ? true : UnlistedField = true;
void publicFieldsComplete;
const PUBLIC_PROJECTION = {
  ProjectionExpression: PUBLIC_FIELDS.map((_, k) => `#f${k}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(PUBLIC_FIELDS.map((f, k) => [`#f${k}`, f])),
};

export class DynamoCatalogStore implements CatalogStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  async get(id: string): Promise<Product | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.table, Key: { id } }));
    return res.Item ? withoutChangeStamp(res.Item) : undefined;
  }

  async batchGet(ids: readonly string[]): Promise<Product[]> {
    return this.batchRead(ids, {});
  }

  async batchGetPublic(ids: readonly string[]): Promise<PublicProduct[]> {
    return this.batchRead(ids, PUBLIC_PROJECTION);
  }

  private async batchRead(ids: readonly string[], projection: Partial<typeof PUBLIC_PROJECTION>): Promise<Product[]> {
    const unique = [...new Set(ids)];
    const out: Product[] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_GET_LIMIT).map((id) => ({ id }));
      // Unprocessed keys come back under throttling: retry them until none remain.
      for (let attempt = 0; keys && keys.length > 0 && attempt < 8; attempt++) {
        const res = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ...projection } } }));
        out.push(...(res.Responses?.[this.table] ?? []).map(withoutChangeStamp));
        keys = res.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined;
        if (keys?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
    return out;
  }

  async put(product: Product): Promise<void> {
    const now = Date.now();
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...product, [CHANGES_INDEX.partitionKey]: changeDay(now), [CHANGES_INDEX.sortKey]: now } }));
  }

  async setEmbeddings(
    id: string,
    update: EmbeddingUpdate,
  ): Promise<void> {
    const now = Date.now();
    const names: Record<string, string> = { '#id': 'id', '#ev': 'embedding_version', '#cd': CHANGES_INDEX.partitionKey, '#ca': CHANGES_INDEX.sortKey };
    const values: Record<string, unknown> = { ':ev': update.embedding_version, ':cd': changeDay(now), ':ca': now };
    const sets = ['#ev = :ev', '#cd = :cd', '#ca = :ca'];
    if (update.image_embedding) {
      names['#ie'] = 'image_embedding';
      values[':ie'] = update.image_embedding;
      sets.push('#ie = :ie');
    }
    if (update.text_embedding) {
      names['#te'] = 'text_embedding';
      values[':te'] = update.text_embedding;
      sets.push('#te = :te');
    }
    let condition = 'attribute_exists(#id)';
    if (update.images) {
      names['#im'] = 'images';
      names['#ua'] = 'updatedAt';
      values[':im'] = update.images.next;
      values[':readAt'] = update.images.ifUpdatedAt;
      sets.push('#im = :im');
      // Not replaced by a PUT since it was read (every PUT stamps updatedAt).
      condition += ' AND #ua = :readAt';
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      if (update.images && (await this.get(id))) throw new ConflictError(`product ${id} was replaced meanwhile`, { cause: err });
      throw new NotFound(`product ${id} does not exist`, { cause: err });
    }
  }

  async *scanAll(): AsyncIterable<Product> {
    for await (const item of scanTable<Record<string, unknown>>(this.client, this.table)) yield withoutChangeStamp(item);
  }

  async listChangedSince(sinceMs: number, limit: number): Promise<Product[]> {
    const out: Product[] = [];
    const now = Date.now();
    // Newest day first, so a limit keeps the latest changes.
    for (let day = now; out.length < limit && day >= sinceMs - DAY_MS; day -= DAY_MS) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: CHANGES_INDEX.name,
            KeyConditionExpression: '#d = :d AND #t >= :t',
            ExpressionAttributeNames: { '#d': CHANGES_INDEX.partitionKey, '#t': CHANGES_INDEX.sortKey },
            ExpressionAttributeValues: { ':d': changeDay(day), ':t': sinceMs },
            ScanIndexForward: false,
            Limit: limit - out.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) out.push(withoutChangeStamp(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey && out.length < limit);
      if (changeDay(day) === changeDay(sinceMs)) break;
    }
    return out.slice(0, limit);
  }

  async newestChangeSince(sinceMs: number): Promise<ChangeStamp | undefined> {
    // Newest day first; the first day with a change in range holds the newest one.
    for (let day = Date.now(); day >= sinceMs - DAY_MS; day -= DAY_MS) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: CHANGES_INDEX.name,
          KeyConditionExpression: '#d = :d AND #t >= :t',
          ExpressionAttributeNames: { '#d': CHANGES_INDEX.partitionKey, '#t': CHANGES_INDEX.sortKey, '#id': 'id' },
          ExpressionAttributeValues: { ':d': changeDay(day), ':t': sinceMs },
          ProjectionExpression: '#id, #t',
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      const item = page.Items?.[0];
      if (item) return { id: String(item.id), changedAt: Number(item[CHANGES_INDEX.sortKey]) };
      if (changeDay(day) === changeDay(sinceMs)) break;
    }
    return undefined;
  }

  async list(query: ProductListQuery): Promise<{ items: Product[]; cursor?: string }> {
    let startKey = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const filters: string[] = [];
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    if (query.status) {
      filters.push('#status = :status');
      values[':status'] = query.status;
    } else {
      filters.push('(attribute_not_exists(#status) OR #status <> :deleted)');
      values[':deleted'] = 'deleted';
    }
    if (query.category !== undefined) {
      filters.push('#category = :category');
      names['#category'] = 'category';
      values[':category'] = query.category;
    }
    const items: Product[] = [];
    // Limit = items still wanted, so a page never reads past what it returns; a filtered scan that
    // finds little stops after a bounded number of reads and hands back a cursor instead.
    for (let reads = 0; items.length < query.limit && reads < LIST_MAX_READS; reads++) {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.table,
          Limit: query.limit - items.length,
          ExclusiveStartKey: startKey,
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      items.push(...(page.Items ?? []).map(withoutChangeStamp));
      startKey = page.LastEvaluatedKey;
      if (!startKey) break;
    }
    return { items, cursor: startKey ? encodeCursor(startKey) : undefined };
  }

  async softDelete(id: string, at: string): Promise<Product> {
    try {
      const res = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          // Stamped as a change too: serving drops the product at once, not at the next retrain.
          UpdateExpression: 'SET #status = :deleted, #deletedAt = if_not_exists(#deletedAt, :at), #updatedAt = :at, #cd = :cd, #ca = :ca',
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id', '#status': 'status', '#deletedAt': 'deletedAt', '#updatedAt': 'updatedAt', '#cd': CHANGES_INDEX.partitionKey, '#ca': CHANGES_INDEX.sortKey },
          ExpressionAttributeValues: { ':deleted': 'deleted', ':at': at, ':cd': changeDay(Date.now()), ':ca': Date.now() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return withoutChangeStamp(res.Attributes ?? {});
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new NotFound(`product ${id} does not exist`, { cause: err });
      throw err;
    }
  }
}

/** Scan calls one `list` page may make before returning what it has (filters that match rarely). */
const LIST_MAX_READS = 20;

/** Cursors are the table's own LastEvaluatedKey, opaque to callers (base64url JSON of `{id}`). */
function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ id: key.id })).toString('base64url');
}

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && typeof (key as { id?: unknown }).id === 'string' && Object.keys(key).length === 1) return key as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new InvalidInput('cursor is not one this API issued', { details: [{ path: 'cursor', message: 'invalid cursor' }] });
}

export interface InteractionItem {
  userId: string;
  eventId: string;
  actorId: string;
  productId: string;
  type: InteractionEvent['type'];
  quantity: number;
  timestamp: number;
  /** Reviews: the stars and, when given, the text. */
  rating?: number;
  text?: string;
}

/** A review's own fields, only where the event has them (no undefined attributes in the item). */
function reviewFields(e: Pick<InteractionEvent, 'rating' | 'text'>): Pick<InteractionEvent, 'rating' | 'text'> {
  return { ...(e.rating !== undefined ? { rating: e.rating } : {}), ...(e.text !== undefined ? { text: e.text } : {}) };
}

/** A domain event as its interactions-table item (userId = the credited user). */
export function toItem(e: InteractionEvent): InteractionItem {
  return {
    userId: creditedUser(e),
    eventId: e.eventId,
    actorId: e.userId,
    productId: e.productId,
    type: e.type,
    quantity: e.quantity,
    timestamp: e.timestamp,
    ...reviewFields(e),
  };
}

/** An interactions-table item as the domain event (the scan and the table export read it alike). */
export function toEvent(item: InteractionItem): InteractionEvent {
  const gift = item.actorId !== item.userId;
  return {
    eventId: item.eventId,
    userId: gift ? item.actorId : item.userId,
    receiverId: gift ? item.userId : undefined,
    productId: item.productId,
    type: item.type,
    quantity: item.quantity,
    timestamp: item.timestamp,
    ...reviewFields(item),
  };
}

/** DynamoDB's TransactWriteItems ceiling: a batch of events is at most this many items. */
export const TRANSACTION_LIMIT = 100;

/**
 * What makes two events with one eventId "the same event": who, for whom, what, which kind, how
 * many, and for a review its rating and text. The timestamp is not part of it — when the client
 * leaves it out the server's clock fills it in, and a retry must still count as the same event.
 */
export function eventFingerprint(e: InteractionEvent): string {
  const identity = [e.userId, e.type === 'order' ? (e.receiverId ?? '') : '', e.productId, e.type, String(e.quantity)];
  // A review is also what it says; only reviews append, so the claims of other events keep their fingerprint.
  if (e.type === 'review') identity.push(String(e.rating ?? ''), e.text ?? '');
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

interface EventClaim {
  eventId: string;
  fingerprint: string;
  /** The interaction item as first written (a retry rewrites exactly this). */
  item: InteractionItem;
  claimedAt: string;
}

/** Re-exported where it is thrown: an eventId already claimed by a different payload. */
export { EventIdConflict };

/**
 * Interactions, one item per event in the user's partition, plus one claim per eventId in the
 * event-ids table: the claim is what makes an eventId one event globally (the interactions
 * table is keyed by user, so its own condition only sees one user's partition).
 *
 * A batch is written in three steps:
 * 1. claim every eventId (conditional put). An existing claim with the same fingerprint is a
 *    duplicate; with another fingerprint the whole batch is refused (EventIdConflict) and the
 *    claims this batch made are deleted again.
 * 2. write the interaction items of the new *and* the duplicate events (a duplicate's item is
 *    rewritten from its claim, byte-identical: this is what completes a batch whose writer died
 *    between steps 1 and 2) — in one TransactWriteItems where DynamoDB has it (AWS: all or
 *    nothing, retried idempotently with a ClientRequestToken). dynalite has no transactions: there
 *    the items are written one by one and, if one fails, the new ones already written are deleted
 *    (compensation) before the error is rethrown.
 * 3. on any failure after step 1, the claims this batch made are deleted, so a retry starts clean.
 * Readers (listForUser, scanAll, retrain) read only the interactions table, so they never see a
 * claim; on AWS they see a batch whole or not at all.
 */
export class DynamoInteractionStore implements InteractionStore {
  /** Whether TransactWriteItems works here; false after dynalite answered UnknownOperationException. */
  private transactions: boolean | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly eventIdsTable: string,
    options: { transactions?: boolean } = {},
  ) {
    this.transactions = options.transactions;
  }

  async putEvents(events: readonly InteractionEvent[]): Promise<{ accepted: number; duplicates: number }> {
    if (events.length > TRANSACTION_LIMIT) throw new RangeError(`at most ${TRANSACTION_LIMIT} events per batch`);
    const claimedAt = new Date().toISOString();
    const wanted = events.map((e): EventClaim => ({ eventId: e.eventId, fingerprint: eventFingerprint(e), item: toItem(e), claimedAt }));
    const made: EventClaim[] = [];
    const items: InteractionItem[] = [];
    let duplicates = 0;
    try {
      const outcomes = await mapLimited(wanted, 8, (c) => this.claim(c));
      for (let i = 0; i < wanted.length; i++) {
        const o = outcomes[i];
        if (o.status === 'claimed') made.push(wanted[i]);
      }
      const conflicts = outcomes.flatMap((o, i) => (o.status === 'conflict' ? [wanted[i].eventId] : []));
      if (conflicts.length > 0) {
        throw new EventIdConflict(`eventId already used for a different event: ${conflicts.slice(0, 5).join(', ')}`, { details: conflicts.map((id) => ({ path: 'eventId', message: `${id} was stored with another payload` })) });
      }
      const byKey = new Map<string, InteractionItem>();
      for (const o of outcomes) {
        if (o.status === 'duplicate') duplicates++;
        byKey.set(`${o.item.userId}\u0000${o.item.eventId}`, o.item);
      }
      await this.writeItems([...byKey.values()], made.map((c) => c.item));
    } catch (err) {
      await this.releaseClaims(made);
      throw err;
    }
    return { accepted: made.length, duplicates };
  }

  private async claim(c: EventClaim): Promise<{ status: 'claimed' | 'duplicate' | 'conflict'; item: InteractionItem }> {
    try {
      await this.client.send(new PutCommand({ TableName: this.eventIdsTable, Item: c, ConditionExpression: 'attribute_not_exists(eventId)' }));
      return { status: 'claimed', item: c.item };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
    const res = await this.client.send(new GetCommand({ TableName: this.eventIdsTable, Key: { eventId: c.eventId }, ConsistentRead: true }));
    const existing = res.Item as EventClaim | undefined;
    // Deleted in between (another writer's rollback): claim again.
    if (!existing) return this.claim(c);
    return existing.fingerprint === c.fingerprint ? { status: 'duplicate', item: existing.item } : { status: 'conflict', item: existing.item };
  }

  /** Step 2: all of `items`, atomically where transactions exist; `fresh` are the ones this batch introduced. */
  private async writeItems(items: InteractionItem[], fresh: InteractionItem[]): Promise<void> {
    if (items.length === 0) return;
    if (this.transactions !== false) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: items.map((item) => ({ Put: { TableName: this.table, Item: item } })),
            // Same batch, same token: the SDK's retries of a commit that did land are no-ops.
            ClientRequestToken: createHash('sha256').update(items.map((i) => `${i.userId}/${i.eventId}`).join('\n')).digest('hex').slice(0, 36),
          }),
        );
        this.transactions = true;
        return;
      } catch (err) {
        if ((err as { name?: string }).name !== 'UnknownOperationException') throw err;
        this.transactions = false;
      }
    }
    const written: InteractionItem[] = [];
    const freshKeys = new Set(fresh.map((i) => `${i.userId}\u0000${i.eventId}`));
    try {
      for (const item of items) {
        await this.client.send(new PutCommand({ TableName: this.table, Item: item }));
        if (freshKeys.has(`${item.userId}\u0000${item.eventId}`)) written.push(item);
      }
    } catch (err) {
      // Compensation: the items this batch introduced go again (a duplicate's item existed before).
      await Promise.allSettled(written.map((i) => this.client.send(new DeleteCommand({ TableName: this.table, Key: { userId: i.userId, eventId: i.eventId } }))));
      throw err;
    }
  }

  private async releaseClaims(made: EventClaim[]): Promise<void> {
    await Promise.allSettled(
      made.map((c) =>
        this.client.send(
          new DeleteCommand({
            TableName: this.eventIdsTable,
            Key: { eventId: c.eventId },
            // Only our own claim (never one another writer made after a rollback).
            ConditionExpression: 'fingerprint = :f AND claimedAt = :t',
            ExpressionAttributeValues: { ':f': c.fingerprint, ':t': c.claimedAt },
          }),
        ),
      ),
    );
  }

  /** Pages of one user's partition; `count` asks DynamoDB for counts only. */
  private async *userPages(userId: string, count = false): AsyncIterable<{ items: InteractionItem[]; count: number }> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
          Select: count ? 'COUNT' : undefined,
          ExclusiveStartKey: startKey,
        }),
      );
      yield { items: (page.Items ?? []) as InteractionItem[], count: page.Count ?? 0 };
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async listForUser(userId: string, limit = 500): Promise<InteractionEvent[]> {
    const items: InteractionItem[] = [];
    // The sort key is the eventId, not time: read the partition (bounded), then order by timestamp.
    for await (const page of this.userPages(userId)) {
      items.push(...page.items);
      if (items.length >= limit * 4) break;
    }
    items.sort((a, b) => b.timestamp - a.timestamp || (a.eventId < b.eventId ? -1 : 1));
    return items.slice(0, limit).map(toEvent);
  }

  async countForUser(userId: string): Promise<number> {
    let count = 0;
    for await (const page of this.userPages(userId, true)) count += page.count;
    return count;
  }

  async *scanAll(): AsyncIterable<InteractionEvent> {
    for await (const item of scanTable<InteractionItem>(this.client, this.table)) yield toEvent(item);
  }
}

export class DynamoUserStore implements UserStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  async get(id: string): Promise<UserProfile | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.table, Key: { id } }));
    if (!res.Item) return undefined;
    return {
      id,
      country: res.Item.country as string | undefined,
      blacklist: (res.Item.blacklist as string[]) ?? [],
      ...(typeof res.Item.wishlistPublic === 'boolean' ? { wishlistPublic: res.Item.wishlistPublic } : {}),
    };
  }

  async put(user: UserProfile): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: user }));
  }

  async *scanAll(): AsyncIterable<UserProfile> {
    for await (const item of scanTable<UserProfile>(this.client, this.table)) yield { ...item, blacklist: item.blacklist ?? [] };
  }
}
