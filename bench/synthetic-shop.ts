/**
 * A synthetic shop's orders for timing `npm run batch` at shop scale:
 *
 *   npx tsx bench/synthetic-shop.ts OUT_DIR [--rows 330000] [--customers 4000] [--items 4000]
 *
 * Customers in 20 taste groups (items split evenly between them); each order is in the customer's
 * group with probability 0.8, skewed to the group's first items (squared uniform); quantity 1–2;
 * timestamps uniform over 2025. Seeded (mulberry32, seed 7). Writes OUT_DIR/orders.csv
 * (`user_id,item_id,timestamp,event_type,quantity`) and OUT_DIR/users.txt (every eighth customer, 500 at most).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mulberry32 } from '../functions/core/numeric/prng.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { rows: { type: 'string', default: '330000' }, customers: { type: 'string', default: '4000' }, items: { type: 'string', default: '4000' } } });
const [outDir] = positionals;
if (!outDir) throw new Error('usage: npx tsx bench/synthetic-shop.ts OUT_DIR [--rows N] [--customers N] [--items N]');
const rows = Number(values.rows);
const customers = Number(values.customers);
const groups = 20;
const perGroup = Math.floor(Number(values.items) / groups);
const rng = mulberry32(7);
const start = Date.UTC(2025, 0, 1);
const lines = ['user_id,item_id,timestamp,event_type,quantity'];
for (let n = 0; n < rows; n++) {
  const u = Math.floor(rng() * customers);
  const group = rng() < 0.8 ? u % groups : Math.floor(rng() * groups);
  const item = group * perGroup + Math.floor(rng() ** 2 * perGroup);
  const t = start + Math.floor(rng() * 365 * 86_400_000);
  lines.push(`c${u},p${item},${new Date(t).toISOString()},order,${1 + Math.floor(rng() * 2)}`);
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'orders.csv'), lines.join('\n') + '\n');
writeFileSync(path.join(outDir, 'users.txt'), Array.from({ length: Math.min(500, Math.ceil(customers / 8)) }, (_, k) => `c${k * 8}`).join('\n') + '\n');
console.log(`wrote ${rows} orders and the listed users to ${outDir}`);
