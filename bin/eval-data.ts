/**
 * Dataset loading for the offline CLIs (eval, tune): reads a path, checksums it, parses it and
 * splits it by the protocol of its format. Shared so tune and eval see the same train split.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { csvEventsToInteractions, splitCsvLine, parseDunnhumby, parseInteractionsCsv, parseMovielens, parseOtto, parseRees46 } from '../functions/core/evaluation/datasets.js';
import type { AlsParams } from '../functions/core/factorization/als.js';
import type { TrainData } from '../functions/core/evaluation/evaluation.js';
import { stratifiedSplit, temporalSplit, type Interaction } from '../functions/core/evaluation/split.js';
import { BusinessRulesSchema, type BusinessRules } from '../functions/core/ranking/business-rules.js';

export type DatasetFormat = 'movielens' | 'csv' | 'dunnhumby' | 'rees46' | 'otto';

export interface LoadedDataset {
  name: string;
  format: DatasetFormat;
  file: string;
  sha256: string;
  rows: Interaction[];
  train: Interaction[];
  test: Interaction[];
  split: string;
  seed: number;
}

export const SPLIT_SEED = 42;

function decode(file: string, buf: Buffer): string {
  return (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** A text file, gunzipped when its name ends in .gz. */
export function readText(file: string): string {
  return decode(file, readFileSync(file));
}

/** A user-id list: one id per line, an optional `user_id` header line, blank lines ignored (.gz allowed). */
export function readUserIds(file: string): string[] {
  return readText(file)
    .split('\n')
    .map((l) => l.trim())
    .filter((l, i) => l && !(i === 0 && l === 'user_id'));
}

function readMaybeGz(file: string): { text: string; sha256: string } {
  const buf = readFileSync(file);
  return { text: decode(file, buf), sha256: createHash('sha256').update(buf).digest('hex') };
}

/** Resolves a MovieLens folder to its ratings file. */
function movielensFile(path: string): string {
  if (statSync(path).isDirectory()) {
    for (const f of ['u.data', 'ratings.dat', 'ratings.csv']) if (existsSync(join(path, f))) return join(path, f);
    throw new Error(`no u.data / ratings.dat / ratings.csv in ${path}`);
  }
  return path;
}

/** Splits rows by the format's protocol (see docs/evaluation.md). */
export function splitByProtocol(format: DatasetFormat, rows: Interaction[], seed = SPLIT_SEED): { train: Interaction[]; test: Interaction[]; split: string } {
  if (format === 'movielens') {
    const { train, test } = stratifiedSplit(rows, { ratio: 0.75, filterBy: 'item', seed });
    return { train, test, split: `per-item stratified random 75/25 (python_stratified_split protocol, filter_by="item", min_rating=1), seed ${seed}, mulberry32 PRNG` };
  }
  const { train, test, cutoff } = temporalSplit(rows, 0.2);
  return { train, test, split: `temporal: events at or after the 80th time percentile (${new Date(cutoff).toISOString()}) are test` };
}

export function loadDataset(path: string, format: DatasetFormat): LoadedDataset {
  const file = format === 'movielens' ? movielensFile(path) : path;
  const { text, sha256 } = readMaybeGz(file);
  let rows: Interaction[];
  if (format === 'movielens') rows = parseMovielens(text);
  else if (format === 'dunnhumby') rows = parseDunnhumby(text);
  else if (format === 'rees46') rows = parseRees46(text);
  else if (format === 'otto') rows = parseOtto(text);
  else rows = csvEventsToInteractions(parseInteractionsCsv(text.split('\n')));
  const name =
    format === 'movielens'
      ? basename(statSync(path).isDirectory() ? path : join(path, '..'))
      : format === 'dunnhumby' || format === 'rees46' || format === 'otto'
        ? format
        : basename(file).replace(/\.csv(\.gz)?$/, '');
  const { train, test, split } = splitByProtocol(format, rows);
  return { name, format, file, sha256, rows, train, test, split, seed: SPLIT_SEED };
}

/** What a dataset's catalogue says of a product: its category, brand and median unit price. */
export interface CatalogEntry {
  price?: number;
  category?: string;
  brand?: string;
}

/**
 * REES46 rows carry their product's category, brand and price; the catalogue is read from the rows
 * before the test cut only (the products the shop had shown by then, with their latest attributes):
 * a product first seen in the test period would tell the engine which items the test is about.
 */
function rees46Catalog(file: string, trainRows: readonly Interaction[]): Map<string, CatalogEntry> {
  const known = new Set(trainRows.map((r) => r.item));
  const cut = trainRows.reduce((t, r) => Math.max(t, r.timestamp), -Infinity);
  const lines = readText(file).split('\n');
  const head = splitCsvLine(lines[0]).map((h) => h.trim());
  const [t, p, cid, code, br, pr] = ['event_time', 'product_id', 'category_id', 'category_code', 'brand', 'price'].map((c) => head.indexOf(c));
  const catalog = new Map<string, CatalogEntry>();
  for (let k = 1; k < lines.length; k++) {
    if (!lines[k].trim()) continue;
    const f = splitCsvLine(lines[k]);
    const ts = Date.parse(f[t].replace(' UTC', 'Z').replace(' ', 'T'));
    if (!(ts <= cut) || !known.has(f[p])) continue;
    const price = Number(f[pr]);
    const brand = (f[br] ?? '').trim();
    catalog.set(f[p], { category: (f[code] || f[cid] || '').trim(), ...(brand ? { brand } : {}), ...(Number.isFinite(price) ? { price } : {}) });
  }
  return catalog;
}

/** Minimal `--flag value` parser. */
export function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const next = argv[k + 1];
    if (next === undefined || next.startsWith('--')) out[key] = 'true';
    else {
      out[key] = next;
      k++;
    }
  }
  return out;
}

/**
 * The split as files: train.csv (`user_id,item_id,timestamp,event_type` — every interaction an
 * `order`, weight 1, i.e. the binary matrix the models train on), test.csv (`user_id,item_id`) and
 * users.txt (the evaluated users, in evaluation order).
 */
export function writeSplit(dir: string, trainRows: readonly Interaction[], testRows: readonly Interaction[], train: TrainData, relevant: Map<number, Set<string>>): void {
  mkdirSync(dir, { recursive: true });
  const csv = (rows: string[]) => rows.join('\n') + '\n';
  writeFileSync(join(dir, 'train.csv'), csv(['user_id,item_id,timestamp,event_type', ...trainRows.map((r) => `${r.user},${r.item},${r.timestamp},order`)]));
  writeFileSync(join(dir, 'test.csv'), csv(['user_id,item_id', ...testRows.map((r) => `${r.user},${r.item}`)]));
  writeFileSync(join(dir, 'users.txt'), csv([...relevant.keys()].map((u) => train.users.ids[u])));
  console.log(`wrote the split to ${dir}/{train.csv,test.csv,users.txt}`);
}

/** What `npm run tune` chose on the validation split of a dataset's training rows (bench/results/tune-<name>.json). */
export interface TunedParams {
  source: string;
  als: Partial<AlsParams>;
  binary: boolean;
  easeLambda?: number;
}

/**
 * Reads the tuner's choice for this dataset, if it was run. The tuner only ever sees a split of
 * the training rows, so using its choice here keeps the test split unseen — the protocol of the
 * Recommenders benchmark (each model tuned per dataset). The engine's shipped defaults
 * (DEFAULT_ALS_PARAMS) are one compromise across datasets and are reported as their own row.
 */
export function readTuned(dataset: string, sha256: string): TunedParams | undefined {
  const file = `bench/results/tune-${dataset}.json`;
  if (!existsSync(file)) return undefined;
  const t = JSON.parse(readFileSync(file, 'utf8')) as { sha256: string; bestAls: Partial<AlsParams> & { binary?: boolean; ndcg?: number }; bestEase?: { lambda: number } };
  if (t.sha256 !== sha256) return undefined; // tuned on another file
  const { binary = true, ndcg: _ndcg, ...als } = t.bestAls;
  return { source: file, als, binary, easeLambda: t.bestEase?.lambda || undefined };
}

/**
 * A `--rules` value: inline JSON (`{"minPrice":5}`) or the path of a JSON file, validated by the
 * business rules' schema (absent fields off). Throws a message naming every bad field.
 */
export function readRulesArg(value: string): BusinessRules {
  const text = value.trim().startsWith('{') ? value : readFileSync(value, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`--rules: not JSON (${value.slice(0, 60)})`);
  }
  const parsed = BusinessRulesSchema.safeParse(json);
  if (!parsed.success) throw new Error(`--rules: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(object)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * The dataset's own catalogue, where it has one: dunnhumby's `products.csv.gz` beside the transactions
 * file gives each product its category (`product_category`, else `department`), and its price is the
 * median unit price (`sales_value ÷ quantity`, quantity > 0) over the transactions file: a shelf price,
 * a catalogue fact rather than an interaction. Other formats have none (undefined).
 */
export function loadCatalog(file: string, format: DatasetFormat, trainRows: readonly Interaction[] = []): Map<string, CatalogEntry> | undefined {
  if (format === 'rees46') return rees46Catalog(file, trainRows);
  if (format !== 'dunnhumby') return undefined;
  const productsFile = join(file, '..', 'products.csv.gz');
  if (!existsSync(productsFile)) return undefined;
  const catalog = new Map<string, CatalogEntry>();
  const lines = readText(productsFile).split('\n');
  const head = splitCsvLine(lines[0]).map((h) => h.trim());
  const [pi, dept, cat, br] = ['product_id', 'department', 'product_category', 'brand'].map((c) => head.indexOf(c));
  for (let k = 1; k < lines.length; k++) {
    if (!lines[k].trim()) continue;
    const f = splitCsvLine(lines[k]);
    const category = (f[cat] || f[dept] || '').trim();
    const brand = (f[br] ?? '').trim();
    if (f[pi]) catalog.set(f[pi], { category, ...(brand ? { brand } : {}) });
  }
  const tx = readText(file).split('\n');
  const th = splitCsvLine(tx[0]).map((h) => h.trim());
  const [tp, tq, tv] = ['product_id', 'quantity', 'sales_value'].map((c) => th.indexOf(c));
  const unit = new Map<string, number[]>();
  for (let k = 1; k < tx.length; k++) {
    if (!tx[k].trim()) continue;
    const f = splitCsvLine(tx[k]);
    const q = Number(f[tq]);
    const v = Number(f[tv]);
    if (!(q > 0) || !Number.isFinite(v)) continue;
    let u = unit.get(f[tp]);
    if (!u) unit.set(f[tp], (u = []));
    u.push(v / q);
  }
  for (const [id, prices] of unit) {
    prices.sort((a, b) => a - b);
    const m = prices.length >> 1;
    const price = prices.length % 2 ? prices[m] : (prices[m - 1] + prices[m]) / 2;
    catalog.set(id, { ...(catalog.get(id) ?? {}), price: Math.round(price * 100) / 100 });
  }
  return catalog;
}
