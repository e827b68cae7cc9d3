/**
 * The retrain from a DynamoDB table export (the container path, `npm run retrain -- --export DIR`)
 * against the Lambda path on the same data: the tables are scanned by the SDK in one embedded
 * AWS, exported in ExportTableToPointInTime's layout, and read back by the CLI into a fresh one.
 * The two versions must hold the same files, and the exported one must serve.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { generateDemoData } from '../../bin/local/demo-data.js';
import { toItem } from '../../functions/adapters/dynamo-stores.js';
import { exportStores, directoryExportSource, writeTableExport } from '../../functions/adapters/dynamodb-export.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');
const exportDir = mkdtempSync(path.join(os.tmpdir(), 'gift-export-'));
let aws: LocalAws | undefined;
afterAll(async () => {
  await aws?.stop();
  rmSync(exportDir, { recursive: true, force: true });
});

async function versionFiles(version: string): Promise<Record<string, string>> {
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const models = getDeps().models;
  const out: Record<string, string> = {};
  const manifest = JSON.parse(Buffer.from(await models.getFile(version, 'manifest.json')).toString('utf8'));
  for (const name of Object.keys(manifest.files ?? {}).sort()) out[name] = Buffer.from(await models.getFile(version, name)).toString('base64');
  // The version's own name, the gate's wording and how long each step took are the only expected differences.
  delete manifest.version;
  delete manifest.gate;
  out['manifest.json'] = JSON.stringify(manifest, (key, value) => (key === 'seconds' ? undefined : value));
  return out;
}

describe('retrain from a DynamoDB export', () => {
  it('writes the same version as the Lambda path on the same data, and it serves', async () => {
    const demo = generateDemoData({ users: 150, now: NOW });
    aws = await startLocalAws();
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    // The container's client of the moment: the second embedded AWS below gets a new one.
    const documentClient = () => getDeps().ddb;
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const cfg = getDeps().config;
    const write = async (table: string, items: Record<string, unknown>[]) => {
      for (let k = 0; k < items.length; k += 25) {
        await documentClient().send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(k, k + 25).map((Item) => ({ PutRequest: { Item } })) } }));
      }
    };
    const fill = async () => {
      await write(cfg.PRODUCTS_TABLE, demo.products as unknown as Record<string, unknown>[]);
      await write(cfg.USERS_TABLE, demo.users as unknown as Record<string, unknown>[]);
      await write(cfg.INTERACTIONS_TABLE, demo.events.map((e) => toItem(e) as unknown as Record<string, unknown>));
    };
    await fill();

    const viaScan = await retrainModel(getDeps(), { now: NOW, version: 'v-scan' });
    expect(viaScan.promoted).toBe(true);
    const scanFiles = await versionFiles('v-scan');

    // The tables as ExportTableToPointInTime writes them: one export per table under one prefix.
    const scan = async (table: string) => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documentClient().send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    };
    const arn = (t: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${t}`;
    for (const t of [cfg.INTERACTIONS_TABLE, cfg.PRODUCTS_TABLE, cfg.USERS_TABLE]) await writeTableExport(exportDir, arn(t), await scan(t), { filesPerTable: 3 });
    await aws.stop();

    // A fresh deployment: empty tables, no model; the CLI reads only the export.
    aws = await startLocalAws();
    const stores = await exportStores(directoryExportSource(exportDir), { interactions: cfg.INTERACTIONS_TABLE, products: cfg.PRODUCTS_TABLE, users: cfg.USERS_TABLE });
    expect(stores.tables).toEqual({ interactions: [cfg.INTERACTIONS_TABLE], products: [cfg.PRODUCTS_TABLE], users: [cfg.USERS_TABLE] });
    const argv = process.argv;
    process.argv = [argv[0], 'retrain', '--export', exportDir, '--now', new Date(NOW).toISOString(), '--version', 'v-export', '--threads', '2'];
    let viaExport;
    try {
      viaExport = await (await import('../../bin/retrain.js')).main();
    } finally {
      process.argv = argv;
    }
    expect(viaExport.promoted).toBe(true);
    expect(viaExport.holdout).toEqual(viaScan.holdout);
    const exportFiles = await versionFiles('v-export');
    expect(Object.keys(exportFiles)).toEqual(Object.keys(scanFiles));
    // File by file, so a difference names the file instead of printing megabytes of base64.
    expect(JSON.parse(exportFiles['manifest.json'])).toEqual(JSON.parse(scanFiles['manifest.json']));
    expect(Object.keys(scanFiles).filter((name) => exportFiles[name] !== scanFiles[name])).toEqual([]);

    // Served by a deployment whose tables hold that data (the tables the export was taken from).
    await fill();
    const recommend = (await import('../../functions/recommend/handler.js')).handler;
    const rec = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: '3', num: '4' }));
    expect(rec.status).toBe(200);
    expect(rec.body.model_version).toBe('v-export');
    expect(rec.body.recommended_products).toHaveLength(4);
  });

  it('refuses a directory that is not an export, and a manifest whose data file is missing', async () => {
    await expect((async () => exportStores(directoryExportSource(path.join(exportDir, 'nope')), { interactions: 'a', products: 'b', users: 'c' }))()).rejects.toThrow(/does not exist/);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'gift-noexport-'));
    try {
      await expect(exportStores(directoryExportSource(empty), { interactions: 'a', products: 'b', users: 'c' })).rejects.toThrow(/no manifest-summary/);
      const base = await writeTableExport(empty, 'arn:aws:dynamodb:us-east-1:1:table/t', [{ id: 'x', price: 1 }], { filesPerTable: 1 });
      const { readdirSync } = await import('node:fs');
      rmSync(path.join(base, 'data', readdirSync(path.join(base, 'data'))[0]));
      await expect(exportStores(directoryExportSource(empty), { interactions: 'a', products: 't', users: 'c' })).rejects.toThrow(/missing/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
