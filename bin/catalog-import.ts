/**
 * Bulk catalog import (`npm run import`): a products CSV validated row by row with the API's own
 * product schema, then written through the HTTP API (`PUT /products/{id}`) in batches, photos
 * through the same presigned upload path the app uses, so `embed-image` embeds them.
 *
 * Idempotent: a product whose stored fields already equal the row is not written again, and a
 * photo whose sha256 the product already records (`attributes.source_image_sha256`) is not
 * uploaded again.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { ProductBody } from '../functions/catalog/product-schema.js';
import { idString } from '../functions/http/api.js';

export const KNOWN_COLUMNS = ['id', 'name', 'price', 'description', 'currency', 'category', 'promoted', 'status', 'countries', 'image'] as const;
/** Columns `attr_<name>` become `attributes.<name>`. */
const ATTRIBUTE_PREFIX = 'attr_';
export const IMAGE_HASH_ATTRIBUTE = 'source_image_sha256';
const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

export interface ImportRow {
  line: number;
  id: string;
  body: z.output<typeof ProductBody>;
  /** The photo's file name as given in the `image` column (resolved against --images). */
  image?: string;
}
export interface RowError {
  line: number;
  id?: string;
  reason: string;
}

const decimal = /^\d+(\.\d+)?$/;
const BOOLEAN: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

/** Reads and validates a products CSV (gzip when the name ends in .gz). Line numbers count from 1 (the header). */
export function parseProductsCsv(file: string): { rows: ImportRow[]; errors: RowError[] } {
  const buf = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
  let records: { record: string[]; info: { lines: number; raw?: string } }[];
  try {
    records = parse(text, { info: true, raw: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    return { rows: [], errors: [{ line: line ?? 0, reason: `CSV syntax: ${(err as Error).message}` }] };
  }
  if (records.length === 0) return { rows: [], errors: [{ line: 1, reason: 'empty file: a header line is required' }] };
  const header = records[0].record.map((h) => h.toLowerCase());
  const unknown = header.filter((h) => !(KNOWN_COLUMNS as readonly string[]).includes(h) && !(h.startsWith(ATTRIBUTE_PREFIX) && h.length > ATTRIBUTE_PREFIX.length));
  const missing = ['id', 'name', 'price'].filter((h) => !header.includes(h));
  const dupes = header.filter((h, i) => header.indexOf(h) !== i);
  if (unknown.length || missing.length || dupes.length) {
    const reasons = [
      unknown.length ? `unknown column(s) ${unknown.join(', ')} (known: ${KNOWN_COLUMNS.join(', ')}, ${ATTRIBUTE_PREFIX}<name>)` : '',
      missing.length ? `missing column(s) ${missing.join(', ')}` : '',
      dupes.length ? `repeated column(s) ${dupes.join(', ')}` : '',
    ].filter(Boolean);
    return { rows: [], errors: [{ line: 1, reason: `header: ${reasons.join('; ')}` }] };
  }

  const rows: ImportRow[] = [];
  const errors: RowError[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    // info.lines is where the record ends; a quoted field may span lines.
    const line = info.lines - (info.raw?.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
    if (record.length !== header.length) {
      errors.push({ line, reason: `expected ${header.length} fields, found ${record.length}` });
      continue;
    }
    const cell = Object.fromEntries(header.map((h, i) => [h, record[i]]));
    const result = validateRow(cell);
    if ('reason' in result) {
      errors.push({ line, id: cell.id || undefined, reason: result.reason });
      continue;
    }
    const first = seen.get(result.id);
    if (first !== undefined) {
      errors.push({ line, id: result.id, reason: `duplicate id ${result.id} (first on line ${first})` });
      continue;
    }
    seen.set(result.id, line);
    rows.push({ line, ...result });
  }
  return { rows, errors };
}

function validateRow(cell: Record<string, string>): Omit<ImportRow, 'line'> | { reason: string } {
  const id = idString.safeParse(cell.id);
  if (!id.success) return { reason: `id: ${cell.id ? id.error.issues[0].message : 'is required'}` };
  if (!decimal.test(cell.price)) return { reason: `price: must be a decimal number ≥ 0 (got "${cell.price}")` };
  let promoted: boolean | undefined;
  if (cell.promoted) {
    promoted = BOOLEAN[cell.promoted.toLowerCase()];
    if (promoted === undefined) return { reason: `promoted: must be true/false (got "${cell.promoted}")` };
  }
  const attributes = Object.fromEntries(
    Object.entries(cell)
      .filter(([k, v]) => k.startsWith(ATTRIBUTE_PREFIX) && v !== '')
      .map(([k, v]) => [k.slice(ATTRIBUTE_PREFIX.length), v]),
  );
  const body = ProductBody.safeParse({
    name: cell.name,
    price: Number(cell.price),
    description: cell.description || undefined,
    currency: cell.currency || undefined,
    category: cell.category || undefined,
    promoted,
    status: cell.status || undefined,
    countries: cell.countries ? cell.countries.split(/[|;\s]+/).filter(Boolean).map((c) => c.toUpperCase()) : undefined,
    attributes,
  });
  if (!body.success) {
    const issue = body.error.issues[0];
    return { reason: `${issue.path.join('.') || 'row'}: ${issue.message}` };
  }
  if (cell.image && (cell.image.includes('..') || path.isAbsolute(cell.image))) return { reason: 'image: must be a file name inside --images' };
  return { id: id.data, body: body.data, image: cell.image || undefined };
}

/** The photo of a row: the `image` column, else `<id>.jpg|jpeg|png|webp` in the images folder. */
export function findImage(imagesDir: string, row: ImportRow): { file: string; contentType: string } | undefined {
  const candidates = row.image ? [row.image] : Object.keys(IMAGE_TYPES).map((ext) => `${row.id}${ext}`);
  for (const name of candidates) {
    const file = path.join(imagesDir, name);
    const contentType = IMAGE_TYPES[path.extname(name).toLowerCase()];
    if (contentType && existsSync(file)) return { file, contentType };
  }
  return undefined;
}

export interface ImportOptions {
  api: string;
  token?: string;
  imagesDir?: string;
  batchSize?: number;
  concurrency?: number;
  onProgress?: (done: number) => void;
}

export interface ImportSummary {
  created: number;
  updated: number;
  unchanged: number;
  imagesUploaded: number;
  /** Rows the API refused (with their line), or that failed after retries. */
  failed: RowError[];
}

class HttpError extends Error {
  constructor(readonly status: number, readonly body: any, message: string) {
    super(message);
  }
}

/** Writes the valid rows through the API, `batchSize` rows at a time, `concurrency` requests in flight. */
export async function importRows(rows: readonly ImportRow[], options: ImportOptions): Promise<ImportSummary> {
  const api = options.api.replace(/\/$/, '');
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};
  const summary: ImportSummary = { created: 0, updated: 0, unchanged: 0, imagesUploaded: 0, failed: [] };

  async function call(method: string, p: string, body?: unknown): Promise<any> {
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(api + p, { method, headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
      } catch (err) {
        if (attempt < 3) {
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        throw err;
      }
      const json: any = await res.json().catch(() => null);
      if (res.ok || res.status === 404) return res.ok ? json : undefined;
      // Throttling and server errors are retried; a 4xx is the row's fault and is reported.
      if ((res.status === 429 || res.status >= 500) && attempt < 3) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        continue;
      }
      throw new HttpError(res.status, json, json?.error?.message ?? `${method} ${p}: HTTP ${res.status}`);
    }
  }

  async function upload(productId: string, image: { file: string; contentType: string }): Promise<void> {
    const target = await call('POST', `/products/${encodeURIComponent(productId)}/image`, { content_type: image.contentType });
    const bytes = readFileSync(image.file);
    let res: Response;
    if (target.fields) {
      // Presigned POST: the policy's fields first, the file last.
      const form = new FormData();
      for (const [k, v] of Object.entries(target.fields as Record<string, string>)) form.append(k, v);
      form.append('file', new Blob([bytes], { type: image.contentType }), path.basename(image.file));
      res = await fetch(target.upload_url, { method: 'POST', body: form });
    } else {
      res = await fetch(target.upload_url, { method: 'PUT', headers: { 'content-type': image.contentType }, body: bytes });
    }
    if (!res.ok) throw new Error(`photo upload for ${productId} failed: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  }

  async function importOne(row: ImportRow): Promise<void> {
    const p = `/products/${encodeURIComponent(row.id)}`;
    const existing = await call('GET', p);
    const image = options.imagesDir ? findImage(options.imagesDir, row) : undefined;
    const hash = image ? createHash('sha256').update(readFileSync(image.file)).digest('hex') : undefined;
    const storedHash: string | undefined = existing?.attributes?.[IMAGE_HASH_ATTRIBUTE];
    const needUpload = hash !== undefined && !(storedHash === hash && existing.images?.length > 0);
    // The recorded photo hash is kept unless a new photo replaces it.
    const keptHash = needUpload ? undefined : (hash ?? storedHash);
    const body = { ...row.body, attributes: { ...row.body.attributes, ...(keptHash ? { [IMAGE_HASH_ATTRIBUTE]: keptHash } : {}) } };
    if (existing && sameProduct(existing, body)) summary.unchanged++;
    else {
      await call('PUT', p, body);
      if (existing) summary.updated++;
      else summary.created++;
    }
    if (needUpload && image && hash) {
      await upload(row.id, image);
      await call('PUT', p, { ...body, attributes: { ...body.attributes, [IMAGE_HASH_ATTRIBUTE]: hash } });
      summary.imagesUploaded++;
    }
  }

  const batchSize = options.batchSize ?? 25;
  const concurrency = options.concurrency ?? 8;
  let done = 0;
  for (let i = 0; i < rows.length; i += batchSize) {
    const batch = rows.slice(i, i + batchSize);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, batch.length) }, async () => {
        while (next < batch.length) {
          const row = batch[next++];
          try {
            await importOne(row);
          } catch (err) {
            const detail = err instanceof HttpError ? `API ${err.status}: ${err.message}` : (err as Error).message;
            summary.failed.push({ line: row.line, id: row.id, reason: detail });
          }
          options.onProgress?.(++done);
        }
      }),
    );
  }
  summary.failed.sort((a, b) => a.line - b.line);
  return summary;
}

/** Whether the stored product already has every field the row sets (the API fills the rest). */
function sameProduct(stored: Record<string, unknown>, body: Record<string, unknown>): boolean {
  return Object.entries(body).every(([k, v]) => {
    if (k === 'currency' && v === undefined) return true;
    if (k === 'images') return true;
    return JSON.stringify(canonical(stored[k])) === JSON.stringify(canonical(v));
  });
}

function canonical(v: unknown): unknown {
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
  return v;
}
