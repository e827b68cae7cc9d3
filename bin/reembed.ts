/**
 * `npm run reembed -- [--force] [--limit N] [--data-dir .data]`
 *
 * Re-embeds every product photo with the active image and text model versions (after
 * `npm run vae:train -- --publish`, or a new `.vec` file became the text model): the embed-image
 * use case on each product's main photo, products already at the active versions passed over
 * (`--force` re-embeds them too), at most `--limit` per run. A photo that no longer decodes, or an
 * embedding that fails, leaves that product's previous embedding in place and is listed at the end.
 * Storage: the deployment's when an AWS endpoint is configured, else `npm start`'s data dir
 * (bin/storage.ts). Exit code 1 when some product failed (skipped ones are reported, not failures).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { progressBar } from './progress.js';
import { openStorage } from './storage.js';
import type { Deps } from '../functions/adapters/bootstrap.js';
import { reembedProducts, type ReembedSummary } from '../functions/embed-image/reembed-products.js';
import { embedDepsOf } from '../functions/embed-image/handler.js';

const USAGE = 'usage: npm run reembed -- [--force] [--limit N] [--data-dir DIR]';

/** The re-embedding over `deps` with a progress bar; the summary printed. */
export async function runReembed(deps: Deps, options: { force?: boolean; limit?: number } = {}): Promise<ReembedSummary> {
  const bar = progressBar('reembed [{bar}] {value}/{total} products | {embedded} embedded, {upToDate} up to date, {skipped} kept (bad photo), {failed} failed | {duration_formatted}');
  let started = false;
  const summary = await reembedProducts(
    {
      ...(await embedDepsOf(deps)),
      activeImageVersion: () => deps.imageEmbedder.activeVersion?.() ?? Promise.resolve(deps.imageEmbedder.version),
    },
    {
      ...options,
      onProgress: (p) => {
        if (!started) bar.start(p.total, 0, p);
        started = true;
        bar.update(p.done, p);
      },
    },
  );
  bar.stop();
  for (const p of summary.problems) console.error(`${p.productId}: ${p.outcome}, previous embedding kept — ${p.reason}`);
  console.log(
    `re-embedded with ${summary.target}: ${summary.embedded} embedded, ${summary.upToDate} already up to date, ${summary.skipped} kept their previous embedding, ${summary.failed} failed` +
      (summary.truncated ? ` (stopped at --limit; run again for the rest)` : ''),
  );
  return summary;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { force: { type: 'boolean', default: false }, limit: { type: 'string' }, 'data-dir': { type: 'string' } }, strict: true }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    console.error(`--limit must be a positive integer\n${USAGE}`);
    return 2;
  }
  // One line per product would bury the progress bar: warnings (kept embeddings) and errors only.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const storage = await openStorage(values['data-dir']);
  console.error(`re-embedding products in ${storage.where}`);
  try {
    const { getDeps } = await import('../functions/adapters/bootstrap.js');
    const { onnxAdapters } = await import('../functions/adapters/onnx-runtime.js');
    const summary = await runReembed(getDeps(onnxAdapters), { force: values.force, limit });
    return summary.failed > 0 ? 1 : 0;
  } finally {
    await storage.stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]).replace(/\.[cm]?[jt]s$/, '') === path.resolve(import.meta.dirname ?? '.', 'reembed').replace(/\.[cm]?[jt]s$/, '')) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
