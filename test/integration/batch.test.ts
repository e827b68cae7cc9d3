import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBatch } from '../../bin/batch.js';
import { readRulesArg } from '../../bin/eval-data.js';
import { DEFAULT_BUSINESS_RULES } from '../../functions/core/ranking/business-rules.js';

/**
 * Two taste groups (a* items vs b* items); alice gifts b1 to bob, so b1 is owned by bob.
 * carol views/wishlists only. "zed" is unknown and must get popularity.
 */
const CSV = [
  'user_id,item_id,timestamp,event_type,quantity,receiver_id',
  ...['u1', 'u2', 'u3', 'u4'].flatMap((u, k) => [
    `${u},a1,${1000 + k},order,1,`,
    `${u},a2,${1100 + k},order,2,`,
    `${u},a3,${1200 + k},cart,1,`,
  ]),
  ...['v1', 'v2', 'v3'].flatMap((u, k) => [`${u},b1,${2000 + k},order,1,`, `${u},b2,${2100 + k},view,1,`, `${u},b3,${2200 + k},order,1,`]),
  'alice,a1,3000,order,1,',
  'alice,b1,3001,order,1,bob',
  'bob,b2,3002,wishlist,1,',
  'carol,a1,3003,view,1,',
  'carol,a4,3004,wishlist,1,',
].join('\n');

describe('npm run batch (runBatch)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'batch-'));
    writeFileSync(join(dir, 'events.csv'), CSV + '\n');
    writeFileSync(join(dir, 'users.txt'), 'user_id\nbob\nu1\nzed\ncarol\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function read(file: string) {
    const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
    return { header, rows: lines.map((l) => l.split(',')).map(([user, item, rank, score]) => ({ user, item, rank: Number(rank), score: Number(score) })) };
  }

  it('writes k ranked rows per user, excluding seen items, popularity for unknown users', async () => {
    const out = join(dir, 'recs.csv');
    const s = await runBatch({ interactions: join(dir, 'events.csv'), users: join(dir, 'users.txt'), out, k: 3, progress: false, als: { factors: 4, iterations: 10, regularization: 0.1 } });
    expect(s.requested).toBe(4);
    expect(s.coldUsers).toBe(1);
    const { header, rows } = read(out);
    expect(header).toBe('user_id,item_id,rank,score');
    for (const user of ['bob', 'u1', 'zed', 'carol']) {
      const mine = rows.filter((r) => r.user === user);
      expect(mine.map((r) => r.rank)).toEqual([1, 2, 3]);
      for (let n = 1; n < mine.length; n++) expect(mine[n].score).toBeLessThanOrEqual(mine[n - 1].score);
    }
    // bob received b1 as a gift and wishlisted b2: both seen → excluded.
    const bob = rows.filter((r) => r.user === 'bob').map((r) => r.item);
    expect(bob).not.toContain('b1');
    expect(bob).not.toContain('b2');
    expect(bob).toContain('b3'); // his taste group
    const u1 = rows.filter((r) => r.user === 'u1').map((r) => r.item);
    expect(u1).not.toContain('a1');
    expect(u1).not.toContain('a2');
    expect(u1).not.toContain('a3');
    // Unknown user: most popular (strength-weighted) first — a2 (4 orders × qty 2).
    expect(rows.filter((r) => r.user === 'zed')[0].item).toBe('a2');
  });

  it('with --exclude owned keeps wishlisted items eligible but never owned ones', async () => {
    const out = join(dir, 'recs-owned.csv');
    await runBatch({ interactions: join(dir, 'events.csv'), users: join(dir, 'users.txt'), out, k: 4, exclude: 'owned', progress: false, als: { factors: 4, iterations: 10, regularization: 0.1 } });
    const bob = read(out).rows.filter((r) => r.user === 'bob').map((r) => r.item);
    expect(bob).not.toContain('b1');
    expect(bob).toContain('b2');
  });

  it('applies --rules as the API does: the most popular item leaves every list', async () => {
    const out = join(dir, 'recs-rules.csv');
    // 7 items: a share of 0.15 excludes ⌊1.05⌋ = 1, the most popular (a2: 4 orders × qty 2, zed's first pick without rules).
    const rules = readRulesArg('{"excludeMostPopularShare":0.15}');
    expect(rules).toEqual({ ...DEFAULT_BUSINESS_RULES, excludeMostPopularShare: 0.15 });
    const s = await runBatch({ interactions: join(dir, 'events.csv'), users: join(dir, 'users.txt'), out, k: 3, progress: false, rules, als: { factors: 4, iterations: 10, regularization: 0.1 } });
    const rows = read(out).rows;
    expect(rows.filter((r) => r.user === 'zed')).toHaveLength(3);
    expect(rows.map((r) => r.item)).not.toContain('a2');
    expect(s.items).toBe(7);
    expect(() => readRulesArg('{"excludeMostPopularShare":2,"minPrice":-1}')).toThrow(/minPrice: must be ≥ 0; excludeMostPopularShare: must be < 1/);
  });

  it('reads --products as the retrain reads the products table (its prices reach the rules), naming a bad row by its line', async () => {
    const products = ['id,name,price,category,attr_brand', 'a1,A1,10,kitchen,acme', 'a2,A2,1,kitchen,acme', 'a3,A3,10,kitchen,', 'a4,A4,10,kitchen,', 'b1,B1,10,garden,', 'b2,B2,10,garden,', 'b3,B3,10,garden,'];
    writeFileSync(join(dir, 'products.csv'), products.join('\n') + '\n');
    const out = join(dir, 'recs-products.csv');
    const rules = readRulesArg('{"minPrice":5}');
    const s = await runBatch({ interactions: join(dir, 'events.csv'), users: join(dir, 'users.txt'), out, k: 3, progress: false, rules, products: join(dir, 'products.csv'), als: { factors: 4, iterations: 10, regularization: 0.1 } });
    const rows = read(out).rows;
    // a2 costs 1 in the products file (0, unpriced, without it): below the minimum price, in no list.
    expect(rows.map((r) => r.item)).not.toContain('a2');
    expect(rows.filter((r) => r.user === 'zed')).toHaveLength(3);
    expect(s.items).toBe(7);
    writeFileSync(join(dir, 'bad-products.csv'), 'id,name,price\na1,A1,10\na2,A2,cheap\n');
    await expect(runBatch({ interactions: join(dir, 'events.csv'), users: join(dir, 'users.txt'), out, k: 3, progress: false, products: join(dir, 'bad-products.csv') })).rejects.toThrow(/line 3/);
  });

  it('rejects a CSV with a bad event type, naming the line', async () => {
    writeFileSync(join(dir, 'bad.csv'), 'user_id,item_id,timestamp,event_type\nu1,a1,1,order\nu1,a2,2,purchase\n');
    await expect(runBatch({ interactions: join(dir, 'bad.csv'), users: join(dir, 'users.txt'), out: join(dir, 'x.csv'), k: 2, progress: false })).rejects.toThrow(/line 3/);
  });
});
