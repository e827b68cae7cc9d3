import { describe, expect, it } from 'vitest';
import { roundHalfEven, stratifiedSplit, temporalSplit } from '../../functions/core/evaluation/split.js';

function rows(n: number) {
  const out = [];
  for (let k = 0; k < n; k++) out.push({ user: `u${k % 7}`, item: `i${k % 5}`, value: 1, timestamp: k });
  return out;
}

describe('splits', () => {
  it('rounds halves to even like numpy', () => {
    expect([0.5, 1.5, 2.5, 3.5, 0.75, 2.25].map(roundHalfEven)).toEqual([0, 2, 2, 4, 1, 2]);
  });

  it('stratified split puts round(0.75·n) of each item in train, deterministically', () => {
    const data = rows(53);
    const a = stratifiedSplit(data, { ratio: 0.75, filterBy: 'item', seed: 42 });
    const b = stratifiedSplit(data, { ratio: 0.75, filterBy: 'item', seed: 42 });
    expect(a).toEqual(b);
    expect(a.train.length + a.test.length).toBe(53);
    for (let i = 0; i < 5; i++) {
      const n = data.filter((r) => r.item === `i${i}`).length;
      expect(a.train.filter((r) => r.item === `i${i}`).length).toBe(roundHalfEven(0.75 * n));
    }
    const c = stratifiedSplit(data, { ratio: 0.75, filterBy: 'item', seed: 7 });
    expect(c.test).not.toEqual(a.test);
  });

  it('temporal split sends the last 20% of time to test', () => {
    const { train, test, cutoff } = temporalSplit(rows(100), 0.2);
    expect(cutoff).toBe(80);
    expect(test.length).toBe(20);
    expect(Math.max(...train.map((r) => r.timestamp))).toBeLessThan(cutoff);
  });
});
