/**
 * A small shop with known structure: `users` customers in three taste groups, `items` items split
 * evenly between the groups, `eventsPerUser` orders each, `inGroup` of them in the user's own group,
 * spread over 60 days. The best top-5 for a user is inside their group.
 */
import type { OfflineEvent } from '../../functions/core/evaluation/offline-engine.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

export const DAY = 86_400_000;

export function tasteGroupShop(o: { users?: number; items?: number; eventsPerUser?: number; inGroup?: number; seed?: number; start?: number } = {}): {
  rows: OfflineEvent[];
  groupOfUser: (id: string) => number;
  groupOfItem: (id: string) => number;
} {
  const users = o.users ?? 80;
  const perGroup = Math.floor((o.items ?? 60) / 3);
  const rng = mulberry32(o.seed ?? 7);
  const start = o.start ?? Date.UTC(2026, 0, 1);
  const rows: OfflineEvent[] = [];
  for (let u = 0; u < users; u++) {
    const g = u % 3;
    for (let k = 0; k < (o.eventsPerUser ?? 12); k++) {
      const group = rng() < (o.inGroup ?? 0.9) ? g : (g + 1 + Math.floor(rng() * 2)) % 3;
      const item = group * perGroup + Math.floor(rng() * perGroup);
      rows.push({ userId: `u${u}`, itemId: `i${item}`, timestamp: start + Math.floor(rng() * 60) * DAY, type: 'order', quantity: 1 });
    }
  }
  return { rows, groupOfUser: (id) => Number(id.slice(1)) % 3, groupOfItem: (id) => Math.floor(Number(id.slice(1)) / perGroup) };
}
