/**
 * Fault injection against dynalite + s3rver: SDK middleware fails chosen DynamoDB / S3 calls, and
 * the engine must leave storage as if the request never happened (or whole), keep a good model
 * serving, and never dispose an ONNX session a request is still using.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { awsError, injectFaults } from '../support/fault-injection.js';
import type { InteractionEvent } from '../../functions/core/domain/types.js';

let aws: LocalAws;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  aws = await startLocalAws();
});
afterAll(async () => {
  await aws.stop();
});

async function tableItems(table: string): Promise<Record<string, unknown>[]> {
  const documentClient = (await import('../../functions/adapters/bootstrap.js')).getDeps().ddb;
  return (await documentClient.send(new ScanCommand({ TableName: table }))).Items ?? [];
}

const ev = (eventId: string, over: Partial<InteractionEvent> = {}): InteractionEvent => ({
  eventId,
  userId: 'ana',
  productId: 'p1',
  type: 'view',
  quantity: 1,
  timestamp: 1_700_000_000_000,
  ...over,
});

describe('events: one eventId is one event, and a batch is all or nothing', () => {
  it('a storage error on the 3rd of 5 item writes leaves no item and no claim; the retry writes all 5', async () => {
    const documentClient = (await import('../../functions/adapters/bootstrap.js')).getDeps().ddb;
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { config } = getDeps();
    const batch = [1, 2, 3, 4, 5].map((i) => ev(`fail-mid-${i}`, { productId: `p${i}` }));
    let itemPuts = 0;
    const remove = injectFaults(documentClient, (call) => {
      if (call.command === 'PutItemCommand' && call.input.TableName === config.INTERACTIONS_TABLE && ++itemPuts === 3) {
        return awsError('ProvisionedThroughputExceededException', 'injected: throttled', 400);
      }
      return undefined;
    });
    try {
      await expect(getDeps().interactions.putEvents(batch)).rejects.toThrow(/injected/);
    } finally {
      remove();
    }
    expect(itemPuts).toBeGreaterThanOrEqual(3);
    const ids = (rows: Record<string, unknown>[]) => rows.map((r) => String(r.eventId)).filter((id) => id.startsWith('fail-mid-'));
    expect(ids(await tableItems(config.INTERACTIONS_TABLE))).toEqual([]);
    expect(ids(await tableItems(config.EVENT_IDS_TABLE))).toEqual([]);
    expect(await getDeps().interactions.putEvents(batch)).toEqual({ accepted: 5, duplicates: 0 });
    expect(ids(await tableItems(config.INTERACTIONS_TABLE)).sort()).toEqual(batch.map((e) => e.eventId).sort());
  });

  it('a failed claim rolls back the claims already made', async () => {
    const documentClient = (await import('../../functions/adapters/bootstrap.js')).getDeps().ddb;
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { config } = getDeps();
    const batch = [1, 2, 3, 4].map((i) => ev(`claim-fail-${i}`));
    const remove = injectFaults(documentClient, (call) =>
      call.command === 'PutItemCommand' && call.input.TableName === config.EVENT_IDS_TABLE && call.input.Item?.eventId === 'claim-fail-4'
        ? awsError('InternalServerError', 'injected: claim failed')
        : undefined,
    );
    try {
      await expect(getDeps().interactions.putEvents(batch)).rejects.toThrow(/injected/);
    } finally {
      remove();
    }
    const claims = (await tableItems(config.EVENT_IDS_TABLE)).filter((r) => String(r.eventId).startsWith('claim-fail-'));
    expect(claims).toEqual([]);
  });

  it('where DynamoDB has transactions the items go in one TransactWriteItems; a cancelled one releases the claims', async () => {
    const documentClient = (await import('../../functions/adapters/bootstrap.js')).getDeps().ddb;
    const { DynamoInteractionStore } = await import('../../functions/adapters/dynamo-stores.js');
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { config } = getDeps();
    // As on AWS: the store believes transactions exist; the middleware answers the commit as AWS
    // answers a cancelled transaction (dynalite would say UnknownOperation).
    const store = new DynamoInteractionStore(documentClient, config.INTERACTIONS_TABLE, config.EVENT_IDS_TABLE, { transactions: true });
    const seen: { items: number; token?: string }[] = [];
    const remove = injectFaults(documentClient, (call) => {
      if (call.command !== 'TransactWriteItemsCommand') return undefined;
      seen.push({ items: call.input.TransactItems.length, token: call.input.ClientRequestToken });
      return awsError('TransactionCanceledException', 'injected: Transaction cancelled', 400);
    });
    const batch = Array.from({ length: 100 }, (_, i) => ev(`tx-${i}`, { productId: `p${i % 7}` }));
    try {
      await expect(store.putEvents(batch)).rejects.toThrow(/Transaction cancelled/);
    } finally {
      remove();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].items).toBe(100);
    expect(seen[0].token).toMatch(/^[0-9a-f]{36}$/);
    const left = (await tableItems(config.EVENT_IDS_TABLE)).filter((r) => String(r.eventId).startsWith('tx-'));
    expect(left).toEqual([]);
  });

  it('the same eventId from another user, or with another product, is refused (409) and nothing of the batch is written', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { config, interactions } = getDeps();
    expect(await interactions.putEvents([ev('global-1', { userId: 'ana' })])).toEqual({ accepted: 1, duplicates: 0 });
    expect(await interactions.putEvents([ev('global-1', { userId: 'ana', timestamp: 5 })])).toEqual({ accepted: 0, duplicates: 1 });
    for (const clash of [{ userId: 'bob' }, { productId: 'p9' }, { type: 'order' as const, receiverId: 'carl' }]) {
      await expect(interactions.putEvents([ev('global-2', { userId: 'dora' }), ev('global-1', clash)])).rejects.toMatchObject({ name: 'EventIdConflict' });
    }
    const rows = await tableItems(config.INTERACTIONS_TABLE);
    expect(rows.filter((r) => r.eventId === 'global-1')).toEqual([expect.objectContaining({ userId: 'ana', productId: 'p1' })]);
    expect(rows.filter((r) => r.eventId === 'global-2')).toEqual([]);
    expect((await tableItems(config.EVENT_IDS_TABLE)).filter((r) => r.eventId === 'global-2')).toEqual([]);
  });

  it('a batch whose writer died after claiming is completed by its retry', async () => {
    const documentClient = (await import('../../functions/adapters/bootstrap.js')).getDeps().ddb;
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { config, interactions } = getDeps();
    const batch = [ev('crash-1'), ev('crash-2', { productId: 'p2' })];
    // The writer "dies" between the claims and the items: every item write fails, and so does the
    // rollback of the claims (the process is gone), so the claims stay behind.
    const remove = injectFaults(documentClient, (call) =>
      (call.command === 'PutItemCommand' && call.input.TableName === config.INTERACTIONS_TABLE) || call.command === 'DeleteItemCommand' ? awsError('RequestTimeout', 'injected: process gone') : undefined,
    );
    try {
      await expect(interactions.putEvents(batch)).rejects.toThrow(/injected/);
    } finally {
      remove();
    }
    expect((await tableItems(config.EVENT_IDS_TABLE)).filter((r) => String(r.eventId).startsWith('crash-'))).toHaveLength(2);
    expect((await tableItems(config.INTERACTIONS_TABLE)).filter((r) => String(r.eventId).startsWith('crash-'))).toEqual([]);
    // The client retries the same request: the claims match, so the items are written.
    expect(await interactions.putEvents(batch)).toEqual({ accepted: 0, duplicates: 2 });
    expect((await tableItems(config.INTERACTIONS_TABLE)).filter((r) => String(r.eventId).startsWith('crash-'))).toHaveLength(2);
  });
});
