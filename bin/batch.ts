/**
 * Offline batch recommendations (a batch-inference job) from the served engine:
 *   npm run batch -- --interactions F.csv[.gz] --users U.txt --k 10 --out R.csv
 *                    [--exclude seen|owned] [--as-of ISO|epoch] [--budget SECONDS]
 *                    [--family ease|als|popularity] [--factors N --regularization L --alpha A --iterations I]
 *                    [--rules JSON|FILE] [--products P.csv]
 * Trains on F exactly as the retrain job does — recency-weighted confidence, the forward-chained
 * model selection over EASE / ALS / popularity, the second stage when its gate lets it — and ranks
 * each user listed in U (one id per line) as `GET /recommendations/{userId}?top_k=k` would at the
 * reference time (the newest event, or `--as-of`). Writes `user_id,item_id,rank,score`.
 * Excluded: every item the user interacted with (`seen`, default) or only owned items (`owned`:
 * ordered by or given to them, the API's rule). Unknown users get the API's cold-start list.
 * No flag is needed; the model flags restrict the search and are reported as overrides.
 * Business rules (README › Business rules): `--rules`, else `BUSINESS_RULES` from the environment, else
 * none; the version records them and the ranking applies them as the API does.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { progressBar } from './progress.js';
import type { AlsParams } from '../functions/core/factorization/als.js';
import { parseInteractionsCsv } from '../functions/core/evaluation/datasets.js';
import { recommendOffline, trainOfflineEngine, type OfflineCatalog } from '../functions/core/evaluation/offline-engine.js';
import { parseProductsCsv } from './catalog-import.js';
import type { ModelFamily, ModelManifest } from '../functions/core/snapshot/model-config.js';
import { onnxSpdInverter } from '../functions/adapters/onnx-linalg.js';
import { parseArgs, readRulesArg, readText, readUserIds } from './eval-data.js';
import type { BusinessRules } from '../functions/core/ranking/business-rules.js';

export interface BatchOptions {
  interactions: string;
  users: string;
  out: string;
  k: number;
  exclude?: 'seen' | 'owned';
  asOf?: number;
  als?: Partial<AlsParams>;
  families?: ModelFamily[];
  budgetSeconds?: number;
  rules?: BusinessRules;
  /** A products CSV in `npm run import`'s format: categories, brands (`attr_brand`) and prices, as the products table gives the retrain. */
  products?: string;
  /** Progress output (default true). */
  progress?: boolean;
}

export interface BatchSummary {
  events: number;
  users: number;
  items: number;
  requested: number;
  coldUsers: number;
  rowsWritten: number;
  model: ModelManifest;
  seconds: { read: number; fit: number; recommend: number };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : '0';
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Category, brand and price per product id from an import-format CSV; a bad row stops the batch with its line. */
function readCatalog(file: string, log: (m: string) => void): OfflineCatalog {
  const { rows, errors } = parseProductsCsv(file);
  if (errors.length > 0) throw new Error(`--products ${file}: ${errors.length} bad rows; first: line ${errors[0].line}: ${JSON.stringify(errors[0])}`);
  log(`read ${rows.length} products (category, brand, price) from ${file}`);
  return new Map(rows.map((r) => [r.id, { category: r.body.category, price: r.body.price, ...(r.body.attributes?.brand ? { brand: r.body.attributes.brand } : {}) }]));
}

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const log = o.progress === false ? () => {} : (m: string) => console.log(m);
  const t0 = performance.now();
  const rows = [...parseInteractionsCsv(readText(o.interactions).split('\n'))];
  const wanted = readUserIds(o.users);
  const t1 = performance.now();
  log(`read ${rows.length} events in ${((t1 - t0) / 1000).toFixed(1)} s`);

  const stageBar = progressBar('train     {stage}', { enabled: o.progress });
  stageBar.start(1, 0, { stage: 'starting' });
  const engine = await trainOfflineEngine(
    rows.map((r) => ({ userId: r.userId, itemId: r.itemId, timestamp: r.timestamp, type: r.type, quantity: r.quantity, receiverId: r.receiverId })),
    { asOf: o.asOf, als: o.als, families: o.families, invert: onnxSpdInverter(), selectionBudgetSeconds: o.budgetSeconds, rules: o.rules, catalog: o.products ? readCatalog(o.products, log) : undefined, onProgress: (stage) => stageBar.update(0, { stage }) },
  );
  stageBar.stop();
  const t2 = performance.now();
  const m = engine.model;
  log(`model: ${m.description}${m.selection ? ` — chosen from ${m.selection.candidates.length} candidates on the newest ${m.selection.window.fraction * 100} % of events (nDCG@10 ${m.selection.validationNdcg10.toFixed(4)}, ${m.selection.window.users} users) in ${m.selection.seconds.toFixed(1)} s` : ` (${m.note ?? 'no selection'})`}`);
  log(`second stage: ${engine.snapshot.manifest.ranking?.mode ?? 'als'} (${engine.snapshot.manifest.ranking?.reason ?? ''})`);
  const rules = engine.snapshot.manifest.rules;
  if (rules && rules.source !== 'default') log(`business rules (${rules.source}): ${JSON.stringify(rules.settings)}; ${rules.allowed} items pass, excluded ${JSON.stringify(rules.excluded)}`);

  const out = createWriteStream(o.out);
  out.write('user_id,item_id,rank,score\n');
  const bar = progressBar('recommend [{bar}] {value}/{total} users | {duration_formatted}', { enabled: o.progress });
  bar.start(wanted.length, 0);
  let cold = 0;
  let written = 0;
  for (let n = 0; n < wanted.length; n++) {
    const id = wanted[n];
    if (!engine.history.has(id)) cold++;
    const items = await recommendOffline(engine, id, o.k, o.exclude ?? 'seen');
    let chunk = '';
    items.forEach((it, r) => (chunk += `${csvField(id)},${csvField(it.id)},${r + 1},${fmt(it.score)}\n`));
    written += items.length;
    if (!out.write(chunk)) await once(out, 'drain');
    if (n % 200 === 0 || n === wanted.length - 1) bar.update(n + 1);
  }
  bar.stop();
  out.end();
  await once(out, 'finish');
  const t3 = performance.now();
  const summary: BatchSummary = {
    events: rows.length,
    users: engine.history.size,
    items: engine.snapshot.items.length,
    requested: wanted.length,
    coldUsers: cold,
    rowsWritten: written,
    model: m,
    seconds: { read: (t1 - t0) / 1000, fit: (t2 - t1) / 1000, recommend: (t3 - t2) / 1000 },
  };
  log(`wrote ${written} rows for ${wanted.length} users (${cold} unknown → cold start) to ${o.out}; train ${summary.seconds.fit.toFixed(1)} s, recommend ${summary.seconds.recommend.toFixed(1)} s`);
  return summary;
}

const USAGE =
  'usage: npm run batch -- --interactions F.csv --users U.txt --k 10 --out R.csv [--exclude seen|owned] [--as-of TIME] [--budget S] [--family ease|als|popularity] [--factors N --regularization L --alpha A --iterations I] [--rules JSON|FILE] [--products P.csv]';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = parseArgs(process.argv.slice(2));
  if (!a.interactions || !a.users || !a.out) fail(USAGE);
  const exclude = (a.exclude ?? 'seen') as 'seen' | 'owned';
  if (exclude !== 'seen' && exclude !== 'owned') fail(`--exclude must be seen or owned, got ${exclude}`);
  const k = Number(a.k ?? 10);
  if (!Number.isInteger(k) || k < 1) fail(`--k must be a positive integer, got ${a.k}`);
  let asOf: number | undefined;
  if (a['as-of'] !== undefined) {
    asOf = /^\d+$/.test(a['as-of']) ? Number(a['as-of']) * (Number(a['as-of']) < 1e11 ? 1000 : 1) : Date.parse(a['as-of']);
    if (!Number.isFinite(asOf)) fail(`--as-of must be an ISO time or epoch, got ${a['as-of']}`);
  }
  const families = a.family ? (a.family.split(',') as ModelFamily[]) : undefined;
  if (families?.some((f) => !['ease', 'als', 'popularity'].includes(f))) fail(`--family must be ease, als or popularity, got ${a.family}`);
  // ALS overrides restrict the search to ALS with these values (reported in the model summary).
  let als: Partial<AlsParams> | undefined;
  for (const key of ['factors', 'regularization', 'alpha', 'iterations'] as const) {
    if (a[key] === undefined) continue;
    const v = Number(a[key]);
    if (!Number.isFinite(v) || v < 0) fail(`--${key} must be a non-negative number, got ${a[key]}`);
    (als ??= {})[key] = v;
  }
  const budgetSeconds = a.budget === undefined ? undefined : Number(a.budget);
  let rules: BusinessRules | undefined;
  try {
    const given = a.rules ?? process.env.BUSINESS_RULES;
    rules = given?.trim() ? readRulesArg(given) : undefined;
  } catch (e) {
    fail((e as Error).message);
  }
  runBatch({ interactions: a.interactions, users: a.users, out: a.out, k, exclude, asOf, als, families, budgetSeconds, rules, products: a.products }).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
