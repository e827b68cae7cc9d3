/**
 * Training as of a time (the batch's `--as-of`, an evaluation's train/test split in time): events
 * after it are the test period, and nothing of the version — the selection's validation window,
 * the factors, popularity, the item facts — may see them.
 */
import { describe, expect, it } from 'vitest';
import { engineInputs } from '../../functions/core/evaluation/offline-engine.js';
import { trainModelVersion } from '../../functions/core/training/train-model.js';
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
