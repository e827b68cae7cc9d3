/**
 * Offline batch recommendations (a batch-inference job):
 *   npm run batch -- --interactions F.csv[.gz] --users U.txt --k 10 --out R.csv [--exclude seen|owned]
 *                    [--factors N --regularization L --alpha A --iterations I]
 * Trains implicit ALS on F (event weights and gift crediting of functions/core/domain/interactions.ts) and
 * writes `user_id,item_id,rank,score` for every user listed in U (one id per line). Users unknown to
 * F get the most popular items (strength-weighted). Excluded from each user's list: every item they
 * interacted with (`seen`, default, as seed 003) or only the items they own (`owned`: ordered by or
 * given to them — wishlist/cart items stay eligible, as the gifting API does).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { progressBar } from './progress.js';
import { DEFAULT_ALS_PARAMS, fitImplicitAls, type AlsParams } from '../functions/core/factorization/als.js';
import { parseInteractionsCsv, type CsvEvent } from '../functions/core/evaluation/datasets.js';
import { dotScores, topK } from '../functions/core/numeric/topk.js';
import { popularityScores } from '../functions/core/ranking/popularity.js';
import { buildInteractionMatrix, creditedUser, eventStrength, DEFAULT_EVENT_WEIGHTS } from '../functions/core/domain/interactions.js';
import { parseArgs, readText, readUserIds } from './eval-data.js';

export interface BatchOptions {
  interactions: string;
  users: string;
  out: string;
  k: number;
  exclude?: 'seen' | 'owned';
  als?: Partial<AlsParams>;
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
  seconds: { read: number; fit: number; recommend: number };
}

function fmt(x: number): string {
  return Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : '0';
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function runBatch(o: BatchOptions): Promise<BatchSummary> {
  const log = o.progress === false ? () => {} : (m: string) => console.log(m);
  const t0 = performance.now();
  const events: CsvEvent[] = [...parseInteractionsCsv(readText(o.interactions).split('\n'))];
  const { users, items, R } = buildInteractionMatrix(
    events.map((e) => ({ userId: e.userId, receiverId: e.receiverId, productId: e.itemId, type: e.type, quantity: e.quantity })),
  );
  // Owned = ordered by, or given to, the user (credited user of an order).
  const owned = new Map<number, Set<number>>();
  for (const e of events) {
    if (e.type !== 'order') continue;
    const u = users.get(creditedUser(e))!;
    let s = owned.get(u);
    if (!s) owned.set(u, (s = new Set()));
    s.add(items.get(e.itemId)!);
  }
  const popularity = popularityScores(
    events.map((e) => ({ item: items.get(e.itemId)!, weight: eventStrength(e.type, e.quantity, DEFAULT_EVENT_WEIGHTS) })),
    items.size,
  );
  const wanted = readUserIds(o.users);
  const t1 = performance.now();
  log(`read ${events.length} events: ${users.size} users × ${items.size} items (${R.data.length} nonzeros) in ${((t1 - t0) / 1000).toFixed(1)} s`);

  const params = { ...DEFAULT_ALS_PARAMS, ...(o.als ?? {}) };
  const fitBar = progressBar('ALS fit   [{bar}] {value}/{total} iterations | {duration_formatted}', { enabled: o.progress });
  fitBar.start(params.iterations, 0);
  const model = fitImplicitAls(R, params, (it) => fitBar.update(it));
  fitBar.stop();
  const t2 = performance.now();

  const out = createWriteStream(o.out);
  out.write('user_id,item_id,rank,score\n');
  const f = model.factors;
  const scores = new Float32Array(items.size);
  const seen = new Uint8Array(items.size);
  const bar = progressBar('recommend [{bar}] {value}/{total} users | {duration_formatted}', { enabled: o.progress });
  bar.start(wanted.length, 0);
  let cold = 0;
  let rows = 0;
  const exclude = o.exclude ?? 'seen';
  for (let n = 0; n < wanted.length; n++) {
    const id = wanted[n];
    const u = users.get(id);
    let marked: number[] = [];
    let top: { indices: Int32Array; scores: Float32Array };
    if (u === undefined) {
      cold++;
      top = topK(popularity, o.k);
    } else {
      if (exclude === 'seen') marked = Array.from(R.indices.subarray(R.indptr[u], R.indptr[u + 1]));
      else marked = [...(owned.get(u) ?? [])];
      for (const i of marked) seen[i] = 1;
      dotScores(model.itemFactors, f, model.userFactors.subarray(u * f, (u + 1) * f), scores);
      top = topK(scores, o.k, (i) => seen[i] === 1);
      for (const i of marked) seen[i] = 0;
    }
    let chunk = '';
    for (let r = 0; r < top.indices.length; r++) {
      chunk += `${csvField(id)},${csvField(items.ids[top.indices[r]])},${r + 1},${fmt(top.scores[r])}\n`;
      rows++;
    }
    if (!out.write(chunk)) await once(out, 'drain');
    if (n % 500 === 0 || n === wanted.length - 1) bar.update(n + 1);
  }
  bar.stop();
  out.end();
  await once(out, 'finish');
  const t3 = performance.now();
  const summary: BatchSummary = {
    events: events.length,
    users: users.size,
    items: items.size,
    requested: wanted.length,
    coldUsers: cold,
    rowsWritten: rows,
    seconds: { read: (t1 - t0) / 1000, fit: (t2 - t1) / 1000, recommend: (t3 - t2) / 1000 },
  };
  log(`wrote ${rows} rows for ${wanted.length} users (${cold} unknown → popularity) to ${o.out}; fit ${summary.seconds.fit.toFixed(1)} s, recommend ${summary.seconds.recommend.toFixed(1)} s`);
  return summary;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = parseArgs(process.argv.slice(2));
  if (!a.interactions || !a.users || !a.out) {
    console.error('usage: npm run batch -- --interactions F.csv --users U.txt --k 10 --out R.csv [--exclude seen|owned] [--factors N --regularization L --alpha A --iterations I]');
    process.exit(2);
  }
  const exclude = (a.exclude ?? 'seen') as 'seen' | 'owned';
  if (exclude !== 'seen' && exclude !== 'owned') {
    console.error(`--exclude must be seen or owned, got ${exclude}`);
    process.exit(2);
  }
  // ALS overrides (default: the engine's DEFAULT_ALS_PARAMS), e.g. the values `npm run tune` chose.
  const als: Partial<AlsParams> = {};
  for (const key of ['factors', 'regularization', 'alpha', 'iterations'] as const) {
    if (a[key] === undefined) continue;
    const v = Number(a[key]);
    if (!Number.isFinite(v) || v < 0) {
      console.error(`--${key} must be a non-negative number, got ${a[key]}`);
      process.exit(2);
    }
    als[key] = v;
  }
  runBatch({ interactions: a.interactions, users: a.users, out: a.out, k: Number(a.k ?? 10), exclude, als }).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
