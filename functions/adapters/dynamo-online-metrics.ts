/**
 * Online metrics in one DynamoDB table (`pk`, `sk`, TTL attribute `expiresAt`):
 * - `rec#{recommendationId}` / `impression`: what one sampled response showed;
 * - `rec#{recommendationId}` / `attr#{type}#{productId}`: an attribution, written once (conditional);
 * - `day#{YYYY-MM-DD}` / `{modelVersion}`: counters, incremented in place (`if_not_exists + n`).
 * Everything expires after the retention, so storage is bounded by traffic × sample rate × days.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { OnlineMetricsStore } from '../core/domain/ports.js';
import type { FunnelEventType } from '../core/domain/types.js';
import { attributionCounters, dayOf, impressionCounterDelta, impressionCounters, type CounterRow, type Impression } from '../core/domain/online-metrics.js';

/** The impression item's key. */
const impressionKey = (recommendationId: string) => ({ pk: `rec#${recommendationId}`, sk: 'impression' });

export class DynamoOnlineMetricsStore implements OnlineMetricsStore {
  constructor(private readonly client: DynamoDBDocumentClient, private readonly table: string, private readonly ttlDays: number) {}

  private expiresAt(from: number): number {
    return Math.floor(from / 1000) + this.ttlDays * 86_400;
  }

  private async add(day: string, modelVersion: string, counters: Record<string, number>, expiresAt: number): Promise<void> {
    const names: Record<string, string> = { '#exp': 'expiresAt' };
    const values: Record<string, unknown> = { ':zero': 0, ':exp': expiresAt };
    const sets = Object.entries(counters).map(([key, n], i) => {
      names[`#c${i}`] = key;
      values[`:n${i}`] = n;
      return `#c${i} = if_not_exists(#c${i}, :zero) + :n${i}`;
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `day#${day}`, sk: modelVersion },
        UpdateExpression: `SET ${[...sets, '#exp = :exp'].join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async recordImpression(imp: Impression): Promise<void> {
    const expiresAt = this.expiresAt(imp.shownAt);
    // Independent items (the impression, the day's counters): one round trip instead of two on the request path.
    await Promise.all([
      this.client.send(new PutCommand({ TableName: this.table, Item: { ...impressionKey(imp.recommendationId), ...imp, expiresAt } })),
      this.add(dayOf(imp.shownAt), imp.modelVersion, impressionCounters(imp), expiresAt),
    ]);
  }

  async replaceImpression(previous: Impression, next: Impression | undefined): Promise<void> {
    const expiresAt = this.expiresAt(previous.shownAt);
    const key = impressionKey(previous.recommendationId);
    await Promise.all([
      next
        ? this.client.send(new PutCommand({ TableName: this.table, Item: { ...key, ...next, expiresAt } }))
        : this.client.send(new DeleteCommand({ TableName: this.table, Key: key })),
      this.add(dayOf(previous.shownAt), previous.modelVersion, impressionCounterDelta(previous, next), expiresAt),
    ]);
  }

  async getImpression(recommendationId: string): Promise<Impression | undefined> {
    const res = await this.client.send(new GetCommand({ TableName: this.table, Key: impressionKey(recommendationId) }));
    const item = res.Item;
    // DynamoDB deletes expired items lazily (and dynalite never): an expired one is gone.
    if (!item || (typeof item.expiresAt === 'number' && item.expiresAt * 1000 < Date.now())) return undefined;
    return { recommendationId: item.recommendationId, userId: item.userId, modelVersion: item.modelVersion, shownAt: item.shownAt, items: item.items };
  }

  async recordAttribution(imp: Impression, productId: string, type: FunnelEventType, reasons: readonly string[]): Promise<boolean> {
    const expiresAt = this.expiresAt(imp.shownAt);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `rec#${imp.recommendationId}`, sk: `attr#${type}#${productId}`, at: Date.now(), expiresAt },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
    await this.add(dayOf(imp.shownAt), imp.modelVersion, attributionCounters(type, reasons), expiresAt);
    return true;
  }

  async readCounters(days: readonly string[]): Promise<CounterRow[]> {
    const pages = await Promise.all(
      days.map(async (day) => {
        const rows: CounterRow[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.client.send(
            new QueryCommand({ TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `day#${day}` }, ExclusiveStartKey: startKey }),
          );
          for (const item of page.Items ?? []) {
            const { pk: _pk, sk, expiresAt: _exp, ...counters } = item;
            rows.push({ day, modelVersion: sk as string, counters: counters as Record<string, number> });
          }
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return rows;
      }),
    );
    return pages.flat();
  }
}
