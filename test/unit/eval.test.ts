import { describe, expect, it } from 'vitest';
import {
  alsFactory,
  buildTrainData,
  easeFactory,
  evaluateModel,
  popularityFactory,
  relevantSets,
  svdFactory,
} from '../../functions/core/evaluation/evaluation.js';
import { csvEventsToInteractions, parseDunnhumby, parseInteractionsCsv, parseMovielens } from '../../functions/core/evaluation/datasets.js';
import type { Interaction } from '../../functions/core/evaluation/split.js';

const row = (user: string, item: string, timestamp = 0): Interaction => ({ user, item, value: 1, timestamp });

describe('evaluation harness', () => {
  const train = [row('a', 'x'), row('a', 'y'), row('b', 'x'), row('c', 'x'), row('c', 'z'), row('d', 'y')];
  const test = [row('a', 'z'), row('a', 'x'), row('b', 'y'), row('b', 'w'), row('cold', 'x')];

  it('relevant sets drop cold users and repeats of seen items, keep test-only items', () => {
    const td = buildTrainData(train);
    const rel = relevantSets(td, test);
    expect([...rel.keys()].map((u) => td.users.ids[u])).toEqual(['a', 'b']);
    expect([...rel.get(td.users.get('a')!)!]).toEqual(['z']);
    expect([...rel.get(td.users.get('b')!)!].sort()).toEqual(['w', 'y']);
  });

  it('popularity never recommends seen items and scores by hand', async () => {
    const td = buildTrainData(train);
    const r = await evaluateModel(popularityFactory(), td, relevantSets(td, test), 1);
    // Popularity order x(3) > y(2) > z(1). a has seen x,y → recommends z (hit). b has seen x → y (hit).
    expect(r.metrics.users).toBe(2);
    expect(r.metrics.precision).toBe(1);
    expect(r.metrics.recall).toBeCloseTo((1 + 1 / 2) / 2, 12);
    expect(r.metrics.coverage).toBeCloseTo(2 / 3, 12);
    // Per-user NDCG, users in index order: what the paired bootstrap of bin/eval.ts resamples.
    expect(r.ndcgPerUser).toEqual([1, 1]);
  });

  it('ALS, SVD and EASE run end to end and are deterministic', async () => {
    const td = buildTrainData(train);
    const rel = relevantSets(td, test);
    for (const f of [alsFactory({ factors: 2, iterations: 3 }), svdFactory(2), easeFactory(1)]) {
      const a = await evaluateModel(f, td, rel, 2);
      const b = await evaluateModel(f, td, rel, 2);
      expect(a.metrics).toEqual(b.metrics);
      expect(a.metrics.ndcg).toBeGreaterThanOrEqual(0);
      expect(a.metrics.ndcg).toBeLessThanOrEqual(1);
      expect(a.ndcgPerUser).toHaveLength(a.metrics.users);
      expect(a.ndcgPerUser!.reduce((s, x) => s + x, 0) / a.metrics.users).toBeCloseTo(a.metrics.ndcg, 5);
    }
  });
});

describe('dataset parsers', () => {
  it('parses MovieLens u.data', () => {
    expect(parseMovielens('196\t242\t3\t881250949\n186\t302\t3\t891717742\n')).toEqual([
      { user: '196', item: '242', value: 3, timestamp: 881250949000 },
      { user: '186', item: '302', value: 3, timestamp: 891717742000 },
    ]);
  });

  it('parses the batch CSV and credits gift orders to the receiver', () => {
    const ev = [...parseInteractionsCsv(['user_id,item_id,timestamp,event_type,quantity,receiver_id', 'a,p1,2024-01-01T00:00:00Z,order,2,b', 'a,p2,1700000000,view,,'])];
    expect(ev[0]).toMatchObject({ userId: 'a', itemId: 'p1', type: 'order', quantity: 2, receiverId: 'b', timestamp: Date.parse('2024-01-01T00:00:00Z') });
    expect(ev[1].timestamp).toBe(1700000000000);
    const rows = csvEventsToInteractions(ev);
    expect(rows[0]).toMatchObject({ user: 'b', item: 'p1', value: 2 });
    expect(rows[1]).toMatchObject({ user: 'a', item: 'p2', value: 0.1 });
    expect(() => [...parseInteractionsCsv(['user_id,item_id,event_type', 'a,b,view'])]).toThrow(/timestamp/);
  });

  it('parses dunnhumby transactions', () => {
    const text =
      '"household_id","store_id","basket_id","product_id","quantity","sales_value","retail_disc","coupon_disc","coupon_match_disc","week","transaction_timestamp"\n' +
      '"2261","309","31625220889","940996",1,3.86,0.43,0,0,5,"2017-01-28T19:06:53Z"\n';
    expect(parseDunnhumby(text)).toEqual([{ user: '2261', item: '940996', value: 1, timestamp: Date.parse('2017-01-28T19:06:53Z') }]);
  });
});
