/**
 * Reads a DynamoDB table export (ExportTableToPointInTime, DYNAMODB_JSON format) as the retrain's
 * stores: from S3 in the retrain container, from a directory locally. An export is
 *   <prefix>AWSDynamoDB/<exportId>/manifest-summary.json   {tableArn, manifestFilesS3Key, itemCount, …}
 *   <prefix>AWSDynamoDB/<exportId>/manifest-files.json     one JSON object a line: {dataFileS3Key, itemCount, …}
 *   <prefix>AWSDynamoDB/<exportId>/data/<id>.json.gz       one {"Item": {attr: {S|N|…}}} a line, gzip
 * Several exports (interactions, products, users) may share one prefix; each is told apart by the
 * table in its summary's tableArn, else by the shape of its items.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, gzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { CatalogStore, InteractionStore, UserStore } from '../core/domain/ports.js';
import type { InteractionEvent, Product, UserProfile } from '../core/domain/types.js';
import { toEvent, type InteractionItem } from './dynamo-stores.js';

/** Where an export's files are: keys are '/'-separated, relative to the source's root. */
export interface ExportSource {
  readonly description: string;
  list(): Promise<string[]>;
  readText(key: string): Promise<string>;
  /** The file's bytes as a stream (gunzipped by the reader when the key ends in .gz). */
  stream(key: string): Promise<Readable>;
}

export function directoryExportSource(dir: string): ExportSource {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`export directory ${dir} does not exist`);
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.isFile() ? [relative(dir, join(d, e.name)).split(sep).join('/')] : []));
  return {
    description: dir,
    list: async () => walk(dir),
    readText: async (key) => {
      const chunks: Buffer[] = [];
      for await (const c of createReadStream(join(dir, key))) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    stream: async (key) => createReadStream(join(dir, key)),
  };
}

/** `s3://bucket/prefix/` through the given client (GetObject and ListBucket on the prefix, nothing else). */
export function s3ExportSource(s3: S3Client, bucket: string, prefix: string): ExportSource {
  const root = prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix;
  const get = async (key: string) => {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: root + key }));
    return res.Body as Readable;
  };
  return {
    description: `s3://${bucket}/${root}`,
    async list() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: root, ContinuationToken: token }));
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key.slice(root.length));
        token = page.NextContinuationToken;
      } while (token);
      return keys;
    },
    async readText(key) {
      const chunks: Buffer[] = [];
      for await (const c of await get(key)) chunks.push(Buffer.from(c as Uint8Array));
      return Buffer.concat(chunks).toString('utf8');
    },
    stream: get,
  };
}

/** `s3://bucket/prefix` → its parts; undefined for anything else (a local path). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m ? { bucket: m[1], prefix: m[2] } : undefined;
}

/** One table's export inside a source. */
export interface TableExport {
  /** From the summary's tableArn; undefined when the export has no summary. */
  table?: string;
  dataFiles: string[];
}

/**
 * The exports in a source: every manifest-summary.json with its data files (manifest-files.json).
 * Data files are named by their full S3 key in the manifests; they are found again under the
 * summary's own folder, so a downloaded or copied export reads the same.
 */
export async function findExports(source: ExportSource): Promise<TableExport[]> {
  const keys = await source.list();
  const present = new Set(keys);
  const out: TableExport[] = [];
  for (const summaryKey of keys.filter((k) => k === 'manifest-summary.json' || k.endsWith('/manifest-summary.json'))) {
    const base = summaryKey.slice(0, -'manifest-summary.json'.length);
    const summary = JSON.parse(await source.readText(summaryKey)) as { tableArn?: string; manifestFilesS3Key?: string; exportFormat?: string };
    if (summary.exportFormat && summary.exportFormat !== 'DYNAMODB_JSON') throw new Error(`${source.description}${summaryKey}: export format ${summary.exportFormat} (only DYNAMODB_JSON is read)`);
    const filesKey = present.has(`${base}manifest-files.json`) ? `${base}manifest-files.json` : undefined;
    if (!filesKey) throw new Error(`${source.description}${base}: manifest-files.json missing (an export still running, or copied partly?)`);
    const locate = (s3Key: string) => {
      const k = s3Key.indexOf('/data/') >= 0 ? `${base}data/${s3Key.slice(s3Key.lastIndexOf('/data/') + '/data/'.length)}` : s3Key;
      if (!present.has(k)) throw new Error(`${source.description}: data file ${s3Key} listed in ${filesKey} is missing`);
      return k;
    };
    const dataFiles = (await source.readText(filesKey))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => locate((JSON.parse(l) as { dataFileS3Key: string }).dataFileS3Key));
    const table = summary.tableArn?.split(':table/')[1]?.split('/')[0];
    out.push({ table, dataFiles });
  }
  if (out.length === 0) throw new Error(`${source.description}: no manifest-summary.json found (not a DynamoDB export)`);
  return out;
}

/** Every item of one table export, unmarshalled, in file then line order. */
export async function* exportItems(source: ExportSource, exp: TableExport): AsyncIterable<Record<string, unknown>> {
  for (const key of exp.dataFiles) {
    const raw = await source.stream(key);
    const lines = createInterface({ input: key.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      let parsed: { Item?: Record<string, unknown> };
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new Error(`${source.description}${key}:${n}: not JSON`);
      }
      if (!parsed.Item) throw new Error(`${source.description}${key}:${n}: no "Item"`);
      yield unmarshall(parsed.Item as Parameters<typeof unmarshall>[0]);
    }
  }
}

type Kind = 'interactions' | 'products' | 'users' | 'other';

/** What an item looks like: interactions carry eventId + productId, products a price, users neither. */
function kindOfItem(item: Record<string, unknown>): Kind {
  if (typeof item.eventId === 'string' && typeof item.productId === 'string') return 'interactions';
  if (typeof item.id === 'string' && typeof item.price === 'number') return 'products';
  if (typeof item.id === 'string') return 'users';
  return 'other';
}

export interface ExportStores {
  interactions: Pick<InteractionStore, 'scanAll'>;
  catalog: Pick<CatalogStore, 'scanAll'>;
  users: Pick<UserStore, 'scanAll'>;
  /** Which export became which store (for the log). */
  tables: Record<Exclude<Kind, 'other'>, string[]>;
}

/**
 * The retrain's three scans over a source's exports. Tables are matched by name (the deployment's
 * table names), else by their first item's shape; a table with no export reads as empty.
 */
export async function exportStores(source: ExportSource, names: { interactions: string; products: string; users: string }): Promise<ExportStores> {
  const exports = await findExports(source);
  const byKind: Record<Exclude<Kind, 'other'>, TableExport[]> = { interactions: [], products: [], users: [] };
  for (const exp of exports) {
    let kind: Kind = exp.table === names.interactions ? 'interactions' : exp.table === names.products ? 'products' : exp.table === names.users ? 'users' : 'other';
    if (kind === 'other' && exp.table === undefined) {
      for await (const item of exportItems(source, exp)) {
        kind = kindOfItem(item);
        break;
      }
    }
    if (kind !== 'other') byKind[kind].push(exp);
  }
  const scan = <T>(kind: Exclude<Kind, 'other'>, map: (item: Record<string, unknown>) => T) =>
    async function* (): AsyncIterable<T> {
      for (const exp of byKind[kind]) for await (const item of exportItems(source, exp)) yield map(item);
    };
  return {
    interactions: { scanAll: scan<InteractionEvent>('interactions', (i) => toEvent(i as unknown as InteractionItem)) },
    catalog: { scanAll: scan<Product>('products', (i) => i as unknown as Product) },
    users: { scanAll: scan<UserProfile>('users', (i) => ({ ...(i as unknown as UserProfile), blacklist: (i.blacklist as string[] | undefined) ?? [] })) },
    tables: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, v.map((e) => e.table ?? '(by item shape)')])) as ExportStores['tables'],
  };
}

/**
 * Writes items as one table export under `dir` (the layout ExportTableToPointInTime writes to S3),
 * `filesPerTable` gzip data files. For tests, the local `retrain --export` path and demos.
 */
export async function writeTableExport(dir: string, tableArn: string, items: readonly Record<string, unknown>[], options: { exportId?: string; filesPerTable?: number } = {}): Promise<string> {
  const exportId = options.exportId ?? `01${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const base = `AWSDynamoDB/${exportId}`;
  await mkdir(join(dir, base, 'data'), { recursive: true });
  const nFiles = Math.max(1, Math.min(options.filesPerTable ?? 2, items.length || 1));
  const manifest: string[] = [];
  for (let f = 0; f < nFiles; f++) {
    const part = items.filter((_, k) => k % nFiles === f);
    const name = `${base}/data/${f.toString().padStart(4, '0')}${exportId.slice(0, 8)}.json.gz`;
    const body = part.map((it) => JSON.stringify({ Item: marshall(it, { removeUndefinedValues: true }) })).join('\n') + (part.length ? '\n' : '');
    await writeFile(join(dir, name), gzipSync(body));
    manifest.push(JSON.stringify({ itemCount: part.length, md5Checksum: '', etag: '', dataFileS3Key: `exports/${name}` }));
  }
  await writeFile(join(dir, base, 'manifest-files.json'), manifest.join('\n') + '\n');
  await writeFile(
    join(dir, base, 'manifest-summary.json'),
    JSON.stringify({
      version: '2020-06-30', exportArn: `${tableArn}/export/${exportId}`, startTime: new Date().toISOString(), endTime: new Date().toISOString(),
      tableArn, tableId: exportId, exportTime: new Date().toISOString(), s3Bucket: 'local', s3Prefix: 'exports', s3SseAlgorithm: 'AES256',
      manifestFilesS3Key: `exports/${base}/manifest-files.json`, billedSizeBytes: 0, itemCount: items.length, outputFormat: 'DYNAMODB_JSON', exportFormat: 'DYNAMODB_JSON',
    }) + '\n',
  );
  return join(dir, base);
}
