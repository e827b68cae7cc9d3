/**
 * Parsers for the offline datasets (pure: text in, interactions out; the CLIs read the files).
 */
import type { EventType } from '../domain/types.js';
import { EVENT_TYPES, MAX_RATING, MIN_RATING } from '../domain/types.js';
import { creditedUser, eventStrength, DEFAULT_EVENT_WEIGHTS, type EventWeights } from '../domain/interactions.js';
import type { Interaction } from './split.js';
import { InvalidInput } from '../domain/errors.js';

/** MovieLens `u.data`: `user \t item \t rating \t unix seconds`. value = rating (1–5, all positive). */
export function parseMovielens(text: string): Interaction[] {
  const out: Interaction[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [u, i, r, t] = line.split(/\t|::|,/);
    out.push({ user: u, item: i, value: Number(r), timestamp: Number(t) * 1000 });
  }
  return out;
}

/** Splits one CSV line with optional double quotes (no embedded newlines). */
export function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k];
    if (q) {
      if (ch === '"' && line[k + 1] === '"') {
        cur += '"';
        k++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** One row of the batch interactions CSV (`user_id,item_id,timestamp,event_type[,quantity][,receiver_id][,rating]`). */
export interface CsvEvent {
  userId: string;
  itemId: string;
  timestamp: number;
  type: EventType;
  quantity: number;
  receiverId?: string;
  /** Review rows: 1–5 stars. */
  rating?: number;
}

function parseTime(s: string): number {
  const n = Number(s);
  if (Number.isFinite(n) && s.trim() !== '') return n < 1e11 ? n * 1000 : n; // seconds or ms
  const d = Date.parse(s);
  if (Number.isNaN(d)) throw new InvalidInput(`invalid timestamp "${s}"`);
  return d;
}

/**
 * `user_id,item_id,timestamp,event_type[,quantity][,receiver_id][,rating]` with a header line.
 * Timestamps are epoch seconds, epoch ms or ISO-8601. `rating` (1–5, an integer) is required on
 * `review` rows and must be empty on the others, as in `POST /events`. Throws InvalidInput naming
 * the line on bad rows.
 */
export function* parseInteractionsCsv(lines: Iterable<string>): Generator<CsvEvent> {
  let header: string[] | undefined;
  let col: Record<string, number> = {};
  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const f = splitCsvLine(line);
    if (!header) {
      header = f.map((h) => h.trim().toLowerCase());
      col = Object.fromEntries(header.map((h, k) => [h, k]));
      for (const need of ['user_id', 'item_id', 'timestamp', 'event_type']) {
        if (col[need] === undefined) throw new InvalidInput(`CSV header lacks "${need}" (got: ${header.join(',')})`);
      }
      continue;
    }
    const type = f[col.event_type]?.trim() as EventType;
    if (!EVENT_TYPES.includes(type)) throw new InvalidInput(`line ${n}: unknown event_type "${f[col.event_type]}"`);
    const userId = f[col.user_id]?.trim();
    const itemId = f[col.item_id]?.trim();
    if (!userId || !itemId) throw new InvalidInput(`line ${n}: empty user_id or item_id`);
    const q = col.quantity !== undefined && f[col.quantity] ? Number(f[col.quantity]) : 1;
    const receiver = col.receiver_id !== undefined ? f[col.receiver_id]?.trim() : undefined;
    let timestamp: number;
    try {
      timestamp = parseTime(f[col.timestamp] ?? '');
    } catch (e) {
      throw new InvalidInput(`line ${n}: ${(e as Error).message}`, { cause: e });
    }
    const ratingText = col.rating !== undefined ? (f[col.rating]?.trim() ?? '') : '';
    const rating = ratingText === '' ? undefined : Number(ratingText);
    if (type === 'review' && (rating === undefined || !Number.isInteger(rating) || rating < MIN_RATING || rating > MAX_RATING)) {
      throw new InvalidInput(`line ${n}: a review needs a rating, an integer from ${MIN_RATING} to ${MAX_RATING} (got "${ratingText}")`);
    }
    if (type !== 'review' && rating !== undefined) throw new InvalidInput(`line ${n}: only review rows carry a rating`);
    yield { userId, itemId, timestamp, type, quantity: Number.isFinite(q) ? q : 1, receiverId: receiver || undefined, ...(rating !== undefined ? { rating } : {}) };
  }
}

/**
 * CSV events → interactions credited by the gifting rule (the receiver of a gift order). Rows with
 * no strength (1★ and 2★ reviews) are no positives and are left out, as the retrain leaves them out.
 */
export function csvEventsToInteractions(events: Iterable<CsvEvent>, weights: EventWeights = DEFAULT_EVENT_WEIGHTS): Interaction[] {
  const out: Interaction[] = [];
  for (const e of events) {
    const value = eventStrength(e.type, e.quantity, weights, e.rating);
    if (value > 0) out.push({ user: creditedUser(e), item: e.itemId, value, timestamp: e.timestamp, type: e.type, ...(e.rating !== undefined ? { rating: e.rating } : {}) });
  }
  return out;
}

/**
 * dunnhumby Complete Journey `transactions*.csv`: each line is a purchase (order, strength 1) by
 * `household_id` of `product_id` at `transaction_timestamp`. Lines with quantity 0 are kept (the
 * product was still in the basket).
 */
export function parseDunnhumby(text: string): Interaction[] {
  const lines = text.split('\n');
  const header = splitCsvLine(lines[0]).map((h) => h.trim());
  const hu = header.indexOf('household_id');
  const pi = header.indexOf('product_id');
  const ts = header.indexOf('transaction_timestamp');
  if (hu < 0 || pi < 0 || ts < 0) throw new InvalidInput('not a dunnhumby transactions file (header)');
  const out: Interaction[] = [];
  for (let k = 1; k < lines.length; k++) {
    if (!lines[k].trim()) continue;
    const f = splitCsvLine(lines[k]);
    out.push({ user: f[hu], item: f[pi], value: 1, timestamp: Date.parse(f[ts]) });
  }
  return out;
}

/** Event weight of a retail dataset's event type (the engine's defaults: order 1, cart 0.5, view 0.1). */
function retailRow(user: string, item: string, type: EventType, timestamp: number): Interaction {
  return { user, item, value: eventStrength(type, 1, DEFAULT_EVENT_WEIGHTS), timestamp, type };
}

/**
 * REES46 multi-category store (`event_time,event_type,product_id,…,user_id,user_session`):
 * `view` → view, `cart` → cart, `purchase` → order; other types are skipped.
 */
export function parseRees46(text: string): Interaction[] {
  const lines = text.split('\n');
  const head = splitCsvLine(lines[0] ?? '').map((h) => h.trim());
  const col = (name: string) => {
    const k = head.indexOf(name);
    if (k < 0) throw new InvalidInput(`REES46 header lacks "${name}"`);
    return k;
  };
  const [t, e, p, u] = [col('event_time'), col('event_type'), col('product_id'), col('user_id')];
  const types: Record<string, EventType> = { view: 'view', cart: 'cart', purchase: 'order' };
  const out: Interaction[] = [];
  for (let n = 1; n < lines.length; n++) {
    if (!lines[n].trim()) continue;
    const f = splitCsvLine(lines[n]);
    const type = types[f[e]];
    const ts = Date.parse(f[t].replace(' UTC', 'Z').replace(' ', 'T'));
    if (type && f[u] && f[p] && Number.isFinite(ts)) out.push(retailRow(f[u], f[p], type, ts));
  }
  return out;
}

/** OTTO sessions (JSON lines `{"session", "events":[{"aid","ts","type"}]}`): clicks → view, carts → cart, orders → order. */
export function parseOtto(text: string): Interaction[] {
  const types: Record<string, EventType> = { clicks: 'view', carts: 'cart', orders: 'order' };
  const out: Interaction[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const s = JSON.parse(line) as { session: number; events: { aid: number; ts: number; type: string }[] };
    for (const ev of s.events) if (types[ev.type]) out.push(retailRow(String(s.session), String(ev.aid), types[ev.type], ev.ts));
  }
  return out;
}
