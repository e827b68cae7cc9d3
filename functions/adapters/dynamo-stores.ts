/**
 * DynamoDB implementations of the core's CatalogStore, InteractionStore and UserStore.
 * SDK errors are translated here into the core's typed errors; nothing above sees the SDK.
 */
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { CatalogStore, InteractionStore, UserStore } from '../core/domain/ports.js';
import type { InteractionEvent, Product, UserProfile } from '../core/domain/types.js';
import { NotFound } from '../core/domain/errors.js';
import { creditedUser } from '../core/domain/interactions.js';

const BATCH_GET_LIMIT = 100;

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

export class DynamoCatalogStore implements CatalogStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  async get(id: string): Promise<Product | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.table, Key: { id } }));
    return res.Item as Product | undefined;
  }

  async batchGet(ids: readonly string[]): Promise<Product[]> {
    const unique = [...new Set(ids)];
    const out: Product[] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + BATCH_GET_LIMIT).map((id) => ({ id }));
      // Unprocessed keys come back under throttling: retry them until none remain.
      for (let attempt = 0; keys && keys.length > 0 && attempt < 8; attempt++) {
        const res = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }));
        out.push(...((res.Responses?.[this.table] ?? []) as Product[]));
        keys = res.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined;
        if (keys?.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
    return out;
  }

  async put(product: Product): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: product }));
  }

  async setEmbeddings(
    id: string,
    update: { image_embedding?: number[]; text_embedding?: number[]; embedding_version: string },
  ): Promise<void> {
    const names: Record<string, string> = { '#id': 'id', '#ev': 'embedding_version' };
    const values: Record<string, unknown> = { ':ev': update.embedding_version };
    const sets = ['#ev = :ev'];
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
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { id },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(#id)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new NotFound(`product ${id} does not exist`, undefined, { cause: err });
      throw err;
    }
  }

  scanAll(): AsyncIterable<Product> {
    return scanTable<Product>(this.client, this.table);
  }
}

interface InteractionItem {
  userId: string;
  eventId: string;
  actorId: string;
  productId: string;
  type: InteractionEvent['type'];
  quantity: number;
  timestamp: number;
}

function toEvent(item: InteractionItem): InteractionEvent {
  const gift = item.actorId !== item.userId;
  return {
    eventId: item.eventId,
    userId: gift ? item.actorId : item.userId,
    receiverId: gift ? item.userId : undefined,
    productId: item.productId,
    type: item.type,
    quantity: item.quantity,
    timestamp: item.timestamp,
  };
}

export class DynamoInteractionStore implements InteractionStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string) {}

  async putEvents(events: readonly InteractionEvent[]): Promise<{ accepted: number; duplicates: number }> {
    const results = await mapLimited(events, 8, async (e) => {
      const item: InteractionItem = {
        userId: creditedUser(e),
        eventId: e.eventId,
        actorId: e.userId,
        productId: e.productId,
        type: e.type,
        quantity: e.quantity,
        timestamp: e.timestamp,
      };
      try {
        await this.client.send(
          new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(eventId)' }),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false; // already stored: idempotent
        throw err;
      }
    });
    const accepted = results.filter(Boolean).length;
    return { accepted, duplicates: results.length - accepted };
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
    return { id, country: res.Item.country as string | undefined, blacklist: (res.Item.blacklist as string[]) ?? [] };
  }

  async put(user: UserProfile): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: user }));
  }

  async *scanAll(): AsyncIterable<UserProfile> {
    for await (const item of scanTable<UserProfile>(this.client, this.table)) yield { ...item, blacklist: item.blacklist ?? [] };
  }
}
