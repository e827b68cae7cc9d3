/**
 * The retrain gate on its boundaries: a version may be at most GATE_TOLERANCE (10 %) below the
 * serving one's recorded holdout NDCG@10; the first version and a holdout under 20 users pass; the
 * served family's figure (holdoutNdcg10) is judged when present, ALS's otherwise.
 */
import { describe, expect, it } from 'vitest';
import { gateDecision, GATE_TOLERANCE, recentConfigs } from '../../functions/retrain/retrain-model.js';
import type { SnapshotManifest } from '../../functions/core/snapshot/model-snapshot.js';

const figures = (ndcg: number, users = 100, extra: { holdoutNdcg10?: number } = {}) => ({ users, alsHitRate10: 0.3, alsNdcg10: ndcg, popularityHitRate10: 0.2, popularityNdcg10: 0.1, ...extra });

describe('gateDecision', () => {
  it('passes exactly 10 % below the serving figure and refuses just under it', () => {
    expect(GATE_TOLERANCE).toBe(0.1);
    expect(gateDecision(figures(0.45), 0.5).passed).toBe(true);
    expect(gateDecision(figures(0.4499), 0.5).passed).toBe(false);
    expect(gateDecision(figures(0.25), 0.2).passed).toBe(true);
  });

  it('says why, with the figures', () => {
    expect(gateDecision(figures(0.15), 0.2).reason).toBe('holdout NDCG@10 0.1500 more than 10% below serving 0.2000');
    expect(gateDecision(figures(0.19), 0.2).reason).toBe('not worse than serving 0.2000 (NDCG@10 0.1900 vs popularity 0.1000 on 100 held-out users)');
    expect(gateDecision(figures(0.05), undefined)).toEqual({ passed: true, reason: 'first version (NDCG@10 0.0500 vs popularity 0.1000 on 100 held-out users)' });
  });

  it('lets a holdout under 20 users pass on integrity alone, and judges from 20 users on', () => {
    expect(gateDecision(figures(0.01, 19), 0.5)).toEqual({ passed: true, reason: 'holdout too small to judge (19 users); integrity checks passed' });
    expect(gateDecision(figures(0.01, 20), 0.5).passed).toBe(false);
  });

  it('judges the served family figure when there is one', () => {
    expect(gateDecision(figures(0.01, 100, { holdoutNdcg10: 0.19 }), 0.2).passed).toBe(true);
    expect(gateDecision(figures(0.3, 100, { holdoutNdcg10: 0.1 }), 0.2).passed).toBe(false);
    expect(gateDecision(figures(0.3, 100, { holdoutNdcg10: 0.1 }), 0.2).reason).toContain('0.1000');
  });
});

describe('recentConfigs (the configs the selection must not end below)', () => {
  const base = { version: 'v', createdAt: '', als: {} as never, counts: { users: 0, items: 0, interactions: 0 }, metrics: {}, files: {} } as unknown as SnapshotManifest;
  it('keeps each recorded config whole, its category prior included, once', () => {
    const model = { family: 'ease' as const, halfLifeDays: 7, popularityBlend: 0.05, categoryBlend: 10, ease: { lambda: 500, neighbours: 200, maxItems: 6000, binary: false }, description: '', refTime: '' };
    const configs = recentConfigs([{ ...base, model }, { ...base, model }, undefined, { ...base }]);
    expect(configs).toEqual([{ family: 'ease', halfLifeDays: 7, popularityBlend: 0.05, categoryBlend: 10, ease: model.ease }]);
  });
});
