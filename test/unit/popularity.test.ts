import { describe, expect, it } from 'vitest';
import { itemUserCounts, popularityByCountry, popularityScores } from '../../functions/core/ranking/popularity.js';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';

const DAY = 86_400_000;

describe('popularity', () => {
  const events = [
    { item: 0, weight: 1, timestamp: 10 * DAY, country: 'ES' },
    { item: 0, weight: 1, timestamp: 10 * DAY, country: 'FR' },
    { item: 1, weight: 0.5, timestamp: 9 * DAY, country: 'ES' },
    { item: 2, weight: 1, timestamp: 0, country: 'ES' },
    { item: 7, weight: 1, timestamp: 0 }, // out of range: ignored
  ];

  it('sums weights, or counts when unweighted', () => {
    expect(Array.from(popularityScores(events, 3))).toEqual([2, 0.5, 1]);
    expect(Array.from(popularityScores(events, 3, { unweighted: true }))).toEqual([2, 1, 1]);
  });

  it('halves an event one half-life old (now defaults to the newest event)', () => {
    const s = popularityScores(events, 3, { halfLifeMs: DAY });
    expect(s[0]).toBeCloseTo(2, 6);
    expect(s[1]).toBeCloseTo(0.25, 6);
    expect(s[2]).toBeCloseTo(Math.pow(0.5, 10), 6);
  });

  it('filters by country and builds one vector per country', () => {
    expect(Array.from(popularityScores(events, 3, { country: 'FR' }))).toEqual([1, 0, 0]);
    const by = popularityByCountry(events, 3);
    expect([...by.keys()]).toEqual(['*', 'ES', 'FR']);
    expect(Array.from(by.get('ES')!)).toEqual([1, 0.5, 1]);
  });

  it('counts distinct users per item from R', () => {
    const R = csrFromTriplets(3, 2, [0, 1, 1, 2], [0, 0, 1, 0], [1, 2, 1, 0.1]);
    expect(Array.from(itemUserCounts(R))).toEqual([3, 1]);
  });
});
