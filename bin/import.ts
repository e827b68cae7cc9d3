/**
 * `npm run import -- --api URL --products products.csv[.gz] [--images DIR] [--token T] [--dry-run]`
 * Validates every row (bad rows are reported with their line number and never written), then writes
 * the good ones through the API in batches, photos through the presigned upload path. Safe to re-run.
 * Exit code 0 when every row was imported, 1 when some were rejected, 2 on bad usage.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { importRows, parseProductsCsv } from './catalog-import.js';
import { progressBar } from './progress.js';

const USAGE = 'usage: npm run import -- --api URL --products products.csv[.gz] [--images DIR] [--token T] [--batch-size 25] [--concurrency 8] [--dry-run]';

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      api: { type: 'string' },
      products: { type: 'string' },
      images: { type: 'string' },
      token: { type: 'string' },
      'batch-size': { type: 'string', default: '25' },
      concurrency: { type: 'string', default: '8' },
      'dry-run': { type: 'boolean', default: false },
    },
    strict: true,
  }));
} catch (err) {
  fail((err as Error).message);
}
if (!values.products) fail('--products is required');
if (!values.api && !values['dry-run']) fail('--api is required');
if (!existsSync(values.products)) fail(`no such file: ${values.products}`);
if (values.images && !(existsSync(values.images) && statSync(values.images).isDirectory())) fail(`--images must be a folder: ${values.images}`);
if (values.api && !/^https?:\/\//.test(values.api)) fail('--api must be an http(s) URL');
const batchSize = Number(values['batch-size']);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) fail('--batch-size must be an integer 1–1000');
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) fail('--concurrency must be an integer 1–64');

const { rows, errors } = parseProductsCsv(values.products);
for (const e of errors) console.error(`line ${e.line}${e.id ? ` (${e.id})` : ''}: ${e.reason}`);
console.log(`${values.products}: ${rows.length} valid rows, ${errors.length} rejected`);
if (values['dry-run'] || rows.length === 0) process.exit(errors.length ? 1 : 0);

const bar = progressBar('import |{bar}| {value}/{total} products | {duration_formatted}');
bar.start(rows.length, 0);
const summary = await importRows(rows, { api: values.api!, token: values.token, imagesDir: values.images, batchSize, concurrency, onProgress: (n) => bar.update(n) });
bar.stop();
for (const e of summary.failed) console.error(`line ${e.line} (${e.id}): ${e.reason}`);
console.log(
  `imported: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.imagesUploaded} photos uploaded; ` +
    `${errors.length + summary.failed.length} rows rejected`,
);
process.exit(errors.length + summary.failed.length > 0 ? 1 : 0);
