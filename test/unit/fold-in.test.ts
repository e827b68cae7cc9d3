/**
 * Fold-in at serving: the receiver's vector is solved from their current (decayed) history against
 * the serving item factors, not read from the trained user factors, so an order placed after the
 * last retrain moves that item's factor-space neighbours up at once. The snapshot has no image or
 * name embeddings and no feature store: nothing but the factors can explain the move.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALS_PARAMS } from '../../functions/core/factorization/als.js';
import { dotScores, topK } from '../../functions/core/numeric/topk.js';
import { rankForReceiver } from '../../functions/core/ranking/recommend.js';
import { deserializeSnapshot, serializeSnapshot, type SnapshotItem } from '../../functions/core/snapshot/model-snapshot.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20);
const F = 2;

/** Two taste clusters in factor space: a0..a5 near (1, 0), b0..b5 near (0, 1). */
function twoClusterSnapshot() {
  const ids = [...Array.from({ length: 6 }, (_, k) => `a${k}`), ...Array.from({ length: 6 }, (_, k) => `b${k}`)];
  const items: SnapshotItem[] = ids.map((id) => ({ id, price: 20, category: 'gift', promoted: false, status: 'active', countries: [], createdAt: NOW - 400 * DAY, interactionCount: 10 }));
  const itemFactors = new Float32Array(ids.length * F);
  ids.forEach((id, i) => {
    const k = Number(id.slice(1));
    const [major, minor] = [1 - 0.02 * k, 0.05 + 0.01 * k];
    itemFactors.set(id.startsWith('a') ? [major, minor] : [minor, major], i * F);
  });
  // ana was trained on cluster A; her trained vector still points there.
  const userFactors = Float32Array.from([1, 0]);
  const files = serializeSnapshot({
    manifest: { version: 'v-fold', createdAt: new Date(NOW - 30 * DAY).toISOString(), als: { ...DEFAULT_ALS_PARAMS, factors: F, regularization: 0.1 }, counts: { users: 1, items: ids.length, interactions: 40 }, metrics: {} },
    userIds: ['ana'],
    items,
    userFactors,
    itemFactors,
    popularity: new Float32Array(ids.length),
    popularByCountry: {},
    embeddings: [],
  });
  return { snapshot: deserializeSnapshot(files), ids, itemFactors, userFactors };
}

describe('fold-in of the receiver at serving', () => {
  it('a fresh order in cluster B ranks B above A, where the trained vector ranks A first', async () => {
    const { snapshot, ids, itemFactors, userFactors } = twoClusterSnapshot();
    expect(snapshot.embeddings.ids).toHaveLength(0);
    expect(snapshot.featureStore).toBeUndefined();
    const history = [
      { productId: 'a0', type: 'view' as const, quantity: 1, timestamp: NOW - 700 * DAY },
      { productId: 'b0', type: 'order' as const, quantity: 1, timestamp: NOW - DAY },
    ];
    const query = { userId: 'ana', num: 5, minPromoted: 0 };
    const ranking = await rankForReceiver(snapshot, { history, profile: { id: 'ana', blacklist: [] }, now: NOW }, query);
    expect(ranking.personalized).toBe(true);
    const got = ranking.items.map((r) => r.id);
    expect(got).toHaveLength(5);
    // b0 is owned (ordered); its neighbours b1..b5 fill the list.
    expect(new Set(got)).toEqual(new Set(['b1', 'b2', 'b3', 'b4', 'b5']));
    for (const r of ranking.items) expect(r.reasons).toContain('because_you_bought:b0');

    // The trained vector alone would have served cluster A.
    const trained = dotScores(itemFactors, F, userFactors);
    const owned = ids.indexOf('b0');
    const trainedTop = Array.from(topK(trained, 5, (i) => i === owned).indices).map((i) => ids[i]);
    expect(trainedTop.every((id) => id.startsWith('a'))).toBe(true);
    expect(got.some((id) => trainedTop.includes(id))).toBe(false);
  });

  it('with no events the receiver is not personalized, trained vector or not', async () => {
    const { snapshot } = twoClusterSnapshot();
    const ranking = await rankForReceiver(snapshot, { history: [], profile: { id: 'ana', blacklist: [] }, now: NOW }, { userId: 'ana', num: 3, minPromoted: 0 });
    expect(ranking.personalized).toBe(false);
    for (const r of ranking.items) expect(r.reasons.some((x) => x.startsWith('because_you_bought'))).toBe(false);
  });
});
