/**
 * Scores a recommendations file against held-out interactions, independently of the evaluation
 * pipeline (only files in, metrics out):
 *   npm run score -- --recs R.csv --test DIR/test.csv --train DIR/train.csv --users DIR/users.txt [--k 10]
 * R.csv is `npm run batch` output (`user_id,item_id,rank,score`); test.csv is `user_id,item_id`;
 * train.csv is the training events (only user_id,item_id are read). A user's relevant set is their
 * test items not seen in train (as docs/evaluation.md); users listed in users.txt are scored (a user
 * with no recommendations counts as all-zero). Prints Precision, Recall, NDCG, MAP@k and coverage.
 */
import { pathToFileURL } from 'node:url';
import { evaluateRanking, type RankingMetrics } from '../functions/core/evaluation/metrics.js';
import { splitCsvLine } from '../functions/core/evaluation/datasets.js';
import { parseArgs, readText, readUserIds } from './eval-data.js';

/** Rows of a headered CSV as string arrays (header dropped; quoted fields as `npm run batch` writes them). */
function csvRows(path: string): string[][] {
  return readText(path)
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => splitCsvLine(l).map((f) => f.trim()));
}

export function scoreFiles(o: { recs: string; test: string; train: string; users: string; k: number }): RankingMetrics {
  const seen = new Map<string, Set<string>>();
  const items = new Set<string>();
  for (const [u, i] of csvRows(o.train)) {
    let s = seen.get(u);
    if (!s) seen.set(u, (s = new Set()));
    s.add(i);
    items.add(i);
  }
  const relevant = new Map<string, Set<string>>();
  for (const [u, i] of csvRows(o.test)) {
    if (seen.get(u)?.has(i)) continue;
    let s = relevant.get(u);
    if (!s) relevant.set(u, (s = new Set()));
    s.add(i);
  }
  const lists = new Map<string, { rank: number; item: string }[]>();
  for (const [u, i, rank] of csvRows(o.recs)) {
    let l = lists.get(u);
    if (!l) lists.set(u, (l = []));
    l.push({ rank: Number(rank), item: i });
  }
  const users = readUserIds(o.users);
  const cases = users.map((u) => ({
    rec: (lists.get(u) ?? []).sort((a, b) => a.rank - b.rank).map((x) => x.item),
    relevant: relevant.get(u) ?? new Set<string>(),
  }));
  return evaluateRanking(cases, o.k, items.size);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const a = parseArgs(process.argv.slice(2));
  if (!a.recs || !a.test || !a.train || !a.users) {
    console.error('usage: npm run score -- --recs R.csv --test DIR/test.csv --train DIR/train.csv --users DIR/users.txt [--k 10]');
    process.exit(2);
  }
  const k = Number(a.k ?? 10);
  const m = scoreFiles({ recs: a.recs, test: a.test, train: a.train, users: a.users, k });
  const f = (x: number) => x.toFixed(4);
  console.log(`${m.users} users: NDCG@${k} ${f(m.ndcg)}  P@${k} ${f(m.precision)}  R@${k} ${f(m.recall)}  MAP@${k} ${f(m.mapAtK)}  coverage ${f(m.coverage)}`);
}
