/**
 * Training as of a time (the batch's `--as-of`, an evaluation's train/test split in time): events
 * after it are the test period, and nothing of the version — the selection's validation window,
 * the factors, popularity, the item facts — may see them.
 */
import { describe, expect, it } from 'vitest';
import { engineInputs } from '../../functions/core/evaluation/offline-engine.js';
import { REFIT_ITERATIONS, secondStageUsers, trainModelVersion, trainSecondStage } from '../../functions/core/training/train-model.js';
import { buildEmbeddingIndex } from '../../functions/core/content/similarity.js';
import { DEFAULT_ALS_PARAMS, fitImplicitAls } from '../../functions/core/factorization/als.js';
import { buildInteractionMatrix, DEFAULT_INTERACTION_SETTINGS } from '../../functions/core/domain/interactions.js';
import { dotScores } from '../../functions/core/numeric/topk.js';
import { DAY, tasteGroupShop } from '../support/taste-groups.js';

describe('training as of a time', () => {
  it('never sees the events after it: not in the selection window, the counts, popularity or the item facts', async () => {
    const start = Date.UTC(2026, 0, 1);
    const shop = tasteGroupShop({ users: 45, start });
    const asOf = start + 60 * DAY;
    // The test period: every user orders one item nobody bought before, twice.
    const future = Array.from({ length: 45 }, (_, u) => ({ userId: `u${u}`, itemId: 'i0', timestamp: asOf + (1 + (u % 5)) * DAY, type: 'order' as const, quantity: 2 }));
    const past = shop.rows.filter((r) => r.itemId !== 'i0');
    const { events, products } = engineInputs([...past, ...future]);
    const { parts, model } = await trainModelVersion({ events, products, userCountries: new Map(), now: asOf + 30 * DAY, asOf, version: 'as-of', secondStage: false, selectionBudgetSeconds: 20 });

    expect(parts.manifest.counts.interactions).toBe(past.length);
    const i0 = parts.items.findIndex((it) => it.id === 'i0');
    expect(i0).toBeGreaterThanOrEqual(0); // in the catalogue, with nothing learnt about it
    expect(parts.items[i0]).toMatchObject({ interactionCount: 0 });
    expect(parts.items[i0].lastSoldAt).toBeUndefined();
    expect(parts.popularity[i0]).toBe(0);
    // The factors are those of a training that never had the later events at all (i0's row comes
    // from the content model alone, trained on the past items).
    const pastOnly = await trainModelVersion({ events: engineInputs(past).events, products, userCountries: new Map(), now: asOf + 30 * DAY, asOf, version: 'as-of', secondStage: false, selectionBudgetSeconds: 20 });
    expect(model.description).toBe(pastOnly.model.description);
    expect(Array.from(parts.itemFactors)).toEqual(Array.from(pastOnly.parts.itemFactors));
    if (model.selection) expect(model.selection.window.cutoff).toBeLessThanOrEqual(asOf);
  });
});

describe('the training holdout', () => {
  it('is never in the selection window: the selection sees the same events as a training without those events', async () => {
    const start = Date.UTC(2026, 0, 1);
    const shop = tasteGroupShop({ users: 45, start });
    // Each user's newest order, on an item of its own group, after everything else: leave-last-out holds it out.
    const newest = Array.from({ length: 45 }, (_, u) => ({ userId: `u${u}`, itemId: `i${(u % 3) * 20 + (u % 7)}`, timestamp: start + 61 * DAY + u * 3_600_000, type: 'order' as const, quantity: 1 }));
    const rows = [...shop.rows, ...newest];
    // The holdout rule (each user with ≥ 3 distinct items; every event on the product of its newest event).
    const heldProduct = new Map(newest.map((e) => [e.userId, e.itemId]));
    const withoutHoldout = rows.filter((r) => heldProduct.get(r.userId) !== r.itemId);
    expect(withoutHoldout.length).toBeLessThan(rows.length - 40);

    const { events, products } = engineInputs(rows);
    const common = { products, userCountries: new Map(), now: start + 70 * DAY, version: 'holdout', secondStage: false as const, selectionBudgetSeconds: 20 };
    const withHoldout = await trainModelVersion({ ...common, events });
    expect(withHoldout.holdout.users).toBe(45);
    const noHoldout = await trainModelVersion({ ...common, events: engineInputs(withoutHoldout).events, holdoutUsers: 0 });
    expect(noHoldout.holdout.users).toBe(0);

    expect(withHoldout.model.selection).toBeDefined();
    // Carved before the search (deterministic, unlike the timed search itself): same cutoff, users, relevance.
    expect(withHoldout.model.selection!.window).toEqual(noHoldout.model.selection!.window);
    expect(withHoldout.model.selection!.window.cutoff).toBeLessThan(start + 61 * DAY);
  });
});

describe('the serving refit', () => {
  it('continues from the holdout fit for REFIT_ITERATIONS on every event (a slow reference), and learns the held-out items', async () => {
    const start = Date.UTC(2026, 0, 1);
    const shop = tasteGroupShop({ users: 45, start });
    const newest = Array.from({ length: 45 }, (_, u) => ({ userId: `u${u}`, itemId: `i${(u % 3) * 20 + (u % 7)}`, timestamp: start + 61 * DAY + u * 3_600_000, type: 'order' as const, quantity: 1 }));
    const rows = [...shop.rows, ...newest];
    const heldProduct = new Map(newest.map((e) => [e.userId, e.itemId]));
    const { events, products } = engineInputs(rows);
    const als = { ...DEFAULT_ALS_PARAMS, factors: 8, iterations: 10 };
    const pinned = { family: 'als' as const, halfLifeDays: null, popularityBlend: 0, als };
    const { parts, holdout } = await trainModelVersion({ events, products, userCountries: new Map(), now: start + 70 * DAY, version: 'refit', secondStage: false, contentModel: false, model: pinned });
    expect(holdout.users).toBe(45);

    // The reference: the holdout fit from scratch, then REFIT_ITERATIONS from its factors on all events.
    const catalogItemIds = products.map((p) => p.id).sort();
    const matrix = (on: typeof events) => buildInteractionMatrix(on, { settings: DEFAULT_INTERACTION_SETTINGS, catalogItemIds, restrictToCatalog: true, recency: { refTime: start + 61 * DAY + 44 * 3_600_000, halfLifeDays: null } });
    const train = matrix(events.filter((e) => heldProduct.get(e.userId) !== e.productId));
    const first = fitImplicitAls(train.R, als);
    const all = matrix(events);
    const userFactors = new Float32Array(all.users.size * 8);
    all.users.ids.forEach((id, k) => userFactors.set(first.userFactors.subarray(train.users.get(id)! * 8, (train.users.get(id)! + 1) * 8), k * 8));
    const refit = fitImplicitAls(all.R, { ...als, iterations: REFIT_ITERATIONS }, undefined, { warmStart: { userFactors, itemFactors: first.itemFactors } });
    expect(Array.from(parts.itemFactors)).toEqual(Array.from(refit.itemFactors));
    expect(Array.from(parts.userFactors)).toEqual(Array.from(refit.userFactors));

    // What the refit is for: each user's held-out item scores higher for them than in the holdout fit.
    let higher = 0;
    for (const [u, item] of heldProduct) {
      const i = all.items.get(item)!;
      const score = (m: { userFactors: Float32Array; itemFactors: Float32Array }, row: number) => dotScores(m.itemFactors, 8, m.userFactors.subarray(row * 8, (row + 1) * 8))[i];
      if (score(refit, all.users.get(u)!) > score(first, train.users.get(u)!)) higher++;
    }
    expect(higher).toBeGreaterThan(40);
  });
});

describe('the second stage and the family', () => {
  it('trains no scorer for a version serving EASE (its gate compares with ALS order), and keeps the feature store', async () => {
    const { events, products } = engineInputs(tasteGroupShop({ users: 60 }).rows);
    const common = { events, products, userCountries: new Map(), now: Date.UTC(2026, 3, 1), version: 'stage2', contentModel: false as const };
    const ease = await trainModelVersion({ ...common, model: { family: 'ease', halfLifeDays: null, popularityBlend: 0 } });
    expect(ease.parts.scorer).toBeUndefined();
    expect(ease.parts.featureStore).toBeDefined();
    expect(ease.parts.manifest.ranking).toMatchObject({ mode: 'als', reason: expect.stringMatching(/scorer not trained: .* serves ease/) });
    const als = await trainModelVersion({ ...common, model: { family: 'als', halfLifeDays: null, popularityBlend: 0, als: { ...DEFAULT_ALS_PARAMS, factors: 8, iterations: 5 } } });
    expect(als.parts.manifest.ranking?.reason).not.toMatch(/scorer not trained/);
    expect(als.parts.scorer).toBeDefined(); // trained (whether it then serves is its gate's call)
  });
});

describe('the second stage on large data', () => {
  const { events, products } = engineInputs(tasteGroupShop({ users: 240, eventsPerUser: 12 }).rows);
  const sorted = [...products].sort((a, b) => (a.id < b.id ? -1 : 1));
  const itemIndex = new Map(sorted.map((p, i) => [p.id, i]));
  const stage2 = (opt: Parameters<typeof trainSecondStage>[6]) => trainSecondStage(events, sorted, itemIndex, buildEmbeddingIndex([]), DEFAULT_INTERACTION_SETTINGS, { ...DEFAULT_ALS_PARAMS, factors: 8, iterations: 5 }, opt);

  it('above the cap its ALS is fitted on a sample that holds every featurized user: the same users are gated, on a different stage-1 model', () => {
    const full = stage2({});
    const sampled = stage2({ sampleEvents: 600 });
    const again = stage2({ sampleEvents: 600 });
    const figures = (r: typeof full) => ('figures' in r.decision ? r.decision.figures : undefined);
    expect(figures(full)!.users).toBeGreaterThan(100);
    // Every labelled user is featurized either way (a user missing from the sample would have no ALS row).
    expect(figures(sampled)!.users).toBe(figures(full)!.users);
    expect(figures(sampled)!.alsNdcg).not.toBe(figures(full)!.alsNdcg);
    expect(again.decision).toEqual(sampled.decision); // seeded
  });

  it("when the selection fitted on a sample, the scorer's stage 1 is the selection's fit of the served config on the window before its cutoff (no second fit)", async () => {
    const shop = engineInputs(tasteGroupShop({ users: 600, eventsPerUser: 10 }).rows);
    const common = { events: shop.events, products: shop.products, userCountries: new Map(), now: Date.UTC(2026, 3, 1), version: 'reuse', contentModel: false as const, families: ['als'] as const, selectionBudgetSeconds: 600 };
    const sampled = await trainModelVersion({ ...common, selectionSampleEvents: Math.floor(shop.events.length / 3) });
    const window = sampled.model.selection!.window;
    expect(window.carve).toBe('temporal');
    expect(window.sample).toBeDefined();
    const reason = sampled.parts.manifest.ranking!.reason;
    expect(reason).toContain(`(stage 1: the selection's fit of ${sampled.model.description.replace(/, popularity blend .*$/, '')} on its sample, before ${new Date(window.cutoff).toISOString()})`);
    expect('figures' in sampled.parts.manifest.ranking! && sampled.parts.manifest.ranking.figures!.users).toBeGreaterThan(20);
    // Under the cap the scorer fits its own stage 1 on its own older window.
    const whole = await trainModelVersion(common);
    expect(whole.model.selection!.window.sample).toBeUndefined();
    expect(whole.parts.manifest.ranking!.reason).not.toContain('stage 1');
  });

  it('featurizes fewer users on a large catalogue: 5000 up to 8000 items, never under 1500', () => {
    expect(secondStageUsers(1682)).toBe(5000);
    expect(secondStageUsers(8000)).toBe(5000);
    expect(secondStageUsers(20_000)).toBe(2000);
    expect(secondStageUsers(1_000_000)).toBe(1500);
    // Some 2000 labelled users in a 30 000-product catalogue: 1333 by the rule, so 1500 featurized.
    const shop = engineInputs(tasteGroupShop({ users: 2600, eventsPerUser: 12 }).rows);
    const padding = Array.from({ length: 30_000 - shop.products.length }, (_, k) => ({ ...shop.products[0], id: `z${String(k).padStart(5, '0')}`, name: `z${k}` }));
    const catalogue = [...shop.products, ...padding].sort((a, b) => (a.id < b.id ? -1 : 1));
    const gated = (maxUsers?: number) => {
      const d = trainSecondStage(shop.events, catalogue, new Map(catalogue.map((p, i) => [p.id, i])), buildEmbeddingIndex([]), DEFAULT_INTERACTION_SETTINGS, { ...DEFAULT_ALS_PARAMS, factors: 4, iterations: 2 }, { scorer: { epochs: 1 }, maxUsers }).decision;
      return 'figures' in d ? d.figures.users : 0;
    };
    // Of the first 1500 labelled users, those whose label items they had all seen are not gated.
    expect(gated()).toBeGreaterThan(1000);
    expect(gated()).toBeLessThanOrEqual(1500);
    expect(gated(5000)).toBeGreaterThan(1500);
  }, 60_000);
});
