/**
 * Recency weighting, the EASE neighbour family and the automatic model selection: closed forms,
 * a slow reference, the validation carve's promises, and the small-shop behaviour they exist for.
 */
import { describe, expect, it } from 'vitest';
import { buildInteractionMatrix, decayedStrengths, recencyWeight } from '../../functions/core/domain/interactions.js';
import { deserializeNeighbours, easeScores, fitEase, fitEaseNeighbours, neighbourScores, serializeNeighbours } from '../../functions/core/factorization/ease.js';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { MAX_VALIDATION_USERS, MIN_VALIDATION_USERS, MIN_WINDOW_USERS, scoredUsers, selectionSample, selectModel, validationWindow, type ModelConfig, type Selection } from '../../functions/core/training/select-model.js';
import { engineInputs, recommendOffline, trainOfflineEngine } from '../../functions/core/evaluation/offline-engine.js';
import { DEFAULT_INTERACTION_SETTINGS } from '../../functions/core/domain/interactions.js';
import { deserializeSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { CorruptArtifact } from '../../functions/core/domain/errors.js';
import { DAY, tasteGroupShop } from '../support/taste-groups.js';

describe('recencyWeight (the one decay rule)', () => {
  it('halves per half-life, is 1 when off, and never exceeds 1 for events after the reference', () => {
    const ref = Date.UTC(2026, 5, 1);
    expect(recencyWeight(ref, ref, 14)).toBe(1);
    expect(recencyWeight(ref - 14 * DAY, ref, 14)).toBeCloseTo(0.5, 12);
    expect(recencyWeight(ref - 42 * DAY, ref, 14)).toBeCloseTo(0.125, 12);
    expect(recencyWeight(ref - 400 * DAY, ref, null)).toBe(1);
    expect(recencyWeight(ref + 5 * DAY, ref, 14)).toBe(1);
  });

  it('weights the training matrix and the serving history the same way', () => {
    const ref = Date.UTC(2026, 5, 1);
    const events = [
      { userId: 'a', productId: 'x', type: 'order' as const, quantity: 1, timestamp: ref - 14 * DAY },
      { userId: 'a', productId: 'y', type: 'view' as const, quantity: 1, timestamp: ref },
    ];
    const { R, items } = buildInteractionMatrix(events, { recency: { refTime: ref, halfLifeDays: 14 } });
    const served = decayedStrengths(events, ref, 14);
    expect(R.data[R.indices.indexOf(items.get('x')!)]).toBeCloseTo(0.5, 6);
    expect(served.get('x')).toBeCloseTo(0.5, 12);
    expect(R.data[R.indices.indexOf(items.get('y')!)]).toBeCloseTo(0.1, 6);
    expect(served.get('y')).toBeCloseTo(0.1, 12);
  });
});

describe('EASE neighbours', () => {
  const rng = mulberry32(3);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < 60; u++) for (let i = 0; i < 25; i++) if (rng() < (i % 2 === u % 2 ? 0.35 : 0.08)) (rows.push(u), cols.push(i));
  const R = csrFromTriplets(60, 25, rows, cols, rows.map(() => 1));

  it('equal dense EASE when M and the item budget cover everything (a slow reference)', async () => {
    const dense = fitEase(R, 10);
    const nb = await fitEaseNeighbours(R, { lambda: 10, neighbours: 24, maxItems: 25, binary: true });
    for (let j = 0; j < 25; j++) {
      const kept = new Map<number, number>();
      for (let q = nb.indptr[j]; q < nb.indptr[j + 1]; q++) kept.set(nb.indices[q], nb.weights[q]);
      for (let i = 0; i < 25; i++) if (i !== j) expect(kept.get(i) ?? 0).toBeCloseTo(dense.B[j * 25 + i], 5);
    }
    const history = [1, 4, 7];
    const s = neighbourScores(nb, history, [1, 1, 1]);
    const ref = easeScores(dense, history);
    for (let i = 0; i < 25; i++) expect(s[i]).toBeCloseTo(ref[i], 5);
  });

  it('keep the weights of largest magnitude, negative ones included', async () => {
    const dense = fitEase(R, 10);
    const nb = await fitEaseNeighbours(R, { lambda: 10, neighbours: 5, maxItems: 25, binary: true });
    for (let j = 0; j < 25; j++) {
      const kept = Array.from(nb.weights.subarray(nb.indptr[j], nb.indptr[j + 1]), Math.abs);
      const all = Array.from({ length: 25 }, (_, i) => (i === j ? 0 : Math.abs(dense.B[j * 25 + i]))).sort((a, b) => b - a);
      expect(Math.min(...kept)).toBeCloseTo(all[4], 5);
    }
  });

  it('keep at most M per item and only the budgeted most-interacted items', async () => {
    const nb = await fitEaseNeighbours(R, { lambda: 10, neighbours: 3, maxItems: 10, binary: true });
    const withRows = new Set<number>();
    for (let j = 0; j < 25; j++) {
      expect(nb.indptr[j + 1] - nb.indptr[j]).toBeLessThanOrEqual(3);
      if (nb.indptr[j + 1] > nb.indptr[j]) withRows.add(j);
    }
    expect(withRows.size).toBeLessThanOrEqual(10);
  });

  it('round-trip through bytes, and a corrupt table is refused by the snapshot loader', async () => {
    const nb = await fitEaseNeighbours(R, { lambda: 10, neighbours: 5, maxItems: 25, binary: true });
    expect(deserializeNeighbours(serializeNeighbours(nb))).toEqual(nb);
    const bad = serializeNeighbours(nb);
    new Int32Array(bad.buffer, 8, 1)[0] = 999; // indptr[0] ≠ 0
    expect(() => deserializeNeighbours(bad)).toThrow(RangeError);

    const { rows: shop } = tasteGroupShop({ users: 30 });
    const engine = await trainOfflineEngine(shop, { secondStage: false, model: { family: 'ease', halfLifeDays: null, popularityBlend: 0 } });
    expect(engine.snapshot.neighbours).toBeDefined();
    const files = { ...engine.files };
    const { 'neighbours.bin': _dropped, ...withoutTable } = files;
    expect(() => deserializeSnapshot(withoutTable)).toThrow(CorruptArtifact);
  });
});

describe('validation window', () => {
  it('is forward-chained when the newest window holds enough users: every fit event precedes every window event', () => {
    const { rows } = tasteGroupShop({ users: 3 * MIN_WINDOW_USERS, eventsPerUser: 10 });
    const { events, products } = engineInputs(rows);
    const w = validationWindow(events, new Map(products.map((p, i) => [p.id, i])))!;
    expect(w.carve).toBe('temporal');
    expect(w.fit.every((e) => e.timestamp < w.cutoff)).toBe(true);
    expect(w.fit.length).toBeLessThan(events.length);
    expect(w.relevant.size).toBeGreaterThanOrEqual(MIN_WINDOW_USERS);
  });

  it('falls back to a seeded per-user carve on a thin window, never validating on fitted items', () => {
    const { rows } = tasteGroupShop({ users: 40 });
    const { events, products } = engineInputs(rows);
    const index = new Map(products.map((p, i) => [p.id, i]));
    const w = validationWindow(events, index)!;
    expect(w.carve).toBe('random per user');
    expect(validationWindow(events, index)).toEqual(w);
    for (const [user, items] of w.relevant) {
      const fitted = new Set(w.fit.filter((e) => e.userId === user).map((e) => index.get(e.productId)));
      for (const i of items) expect(fitted.has(i)).toBe(false);
    }
  });
});

describe('automatic selection', () => {
  const { rows, groupOfUser, groupOfItem } = tasteGroupShop();

  it('never ends below a config it was told to include (the serving version), on the same window', async () => {
    const { events, products } = engineInputs(rows);
    const serving: ModelConfig = { family: 'als', halfLifeDays: 7, popularityBlend: 0.4, als: { factors: 4, regularization: 50, alpha: 1, iterations: 3, cgSteps: 3, seed: 1 } };
    const s = (await selectModel({ events, catalogIds: products.map((p) => p.id).sort(), settings: DEFAULT_INTERACTION_SETTINGS, include: [serving] }))!;
    const included = s.candidates.find((c) => JSON.stringify(c.config) === JSON.stringify(serving))!;
    expect(included).toBeDefined();
    expect(s.validationNdcg10).toBeGreaterThanOrEqual(included.ndcg10);
    expect(s.validationNdcg10).toBe(Math.max(...s.candidates.map((c) => c.ndcg10)));
    expect(s.candidates.some((c) => c.config.family === 'ease') && s.candidates.some((c) => c.config.family === 'als')).toBe(true);
  });

  it('a small three-group shop with no flags: ≥ 80 % of top-5 items in the user\'s group, ≥ 40 distinct lists for 80 users', async () => {
    const engine = await trainOfflineEngine(rows);
    let inGroup = 0;
    let total = 0;
    const lists = new Set<string>();
    for (let u = 0; u < 80; u++) {
      const recs = await recommendOffline(engine, `u${u}`, 5, 'seen');
      expect(recs).toHaveLength(5);
      lists.add(recs.map((r) => r.id).join());
      for (const r of recs) {
        total++;
        if (groupOfItem(r.id) === groupOfUser(`u${u}`)) inGroup++;
      }
    }
    expect(inGroup / total).toBeGreaterThanOrEqual(0.8);
    expect(lists.size).toBeGreaterThanOrEqual(40);
    expect(engine.model.selection?.candidates.length).toBeGreaterThan(5);
  });
});

describe('selection half-lives follow the data span', () => {
  const halfLivesTried = async (rows: ReturnType<typeof tasteGroupShop>['rows']) => {
    const { events, products } = engineInputs(rows);
    const s = (await selectModel({ events, catalogIds: products.map((p) => p.id).sort(), settings: DEFAULT_INTERACTION_SETTINGS, families: ['ease'] }))!;
    return { s, halfLives: [...new Set(s.candidates.map((c) => c.config.halfLifeDays))] };
  };

  it('a shop of sixty days tries the fixed half-lives only (7 d and up, and none)', async () => {
    const { halfLives } = await halfLivesTried(tasteGroupShop().rows);
    expect(halfLives).toContain(null);
    expect(halfLives.filter((h) => h !== null).every((h) => h! >= 7)).toBe(true);
  });

  it('a log of one day gets a quarter and a sixteenth of its span, where the long fixed half-lives would be "no decay"', async () => {
    const start = Date.UTC(2026, 0, 1);
    // The same shop squeezed into one day.
    const rows = tasteGroupShop({ start }).rows.map((r) => ({ ...r, timestamp: start + Math.round((r.timestamp - start) / 60) }));
    const { s, halfLives } = await halfLivesTried(rows);
    const relative = halfLives.filter((h): h is number => h !== null && h < 1);
    expect(relative).toHaveLength(2);
    const [quarter, sixteenth] = relative.sort((a, b) => b - a);
    expect(quarter / sixteenth).toBeCloseTo(4, 0); // two significant digits each
    // A quarter of the fitted part of the day (all of it when the window is carved per user).
    expect(quarter).toBeGreaterThan(0.15);
    expect(quarter).toBeLessThanOrEqual(0.25);
    expect(halfLives).not.toContain(30); // weights every event of one day within 3 %: skipped
    expect(halfLives).not.toContain(90);
    expect(s.notes.some((n) => n.includes('a quarter and a sixteenth'))).toBe(true);
  });
});

describe('the selection continues longer ALS fits from shorter ones', () => {
  it('scores every candidate exactly as fitting it from scratch does', async () => {
    const { events, products } = engineInputs(tasteGroupShop({ users: 90 }).rows);
    const input = { events, catalogIds: products.map((p) => p.id).sort(), settings: DEFAULT_INTERACTION_SETTINGS, families: ['als' as const], budgetSeconds: 600 };
    const continued = (await selectModel(input))!;
    const scratch = (await selectModel({ ...input, continueFits: false }))!;
    const byConfig = new Map(scratch.candidates.map((c) => [JSON.stringify(c.config), c.ndcg10]));
    // The search includes a 25-iteration refinement of a 15-iteration config: the case continued.
    expect(continued.candidates.some((c) => c.config.als?.iterations === 25)).toBe(true);
    for (const c of continued.candidates) expect(c.ndcg10).toBe(byConfig.get(JSON.stringify(c.config)));
    expect(continued.chosen).toEqual(scratch.chosen);
  });
});

describe('selection on large data', () => {
  const { events, products } = engineInputs(tasteGroupShop({ users: 3 * MIN_WINDOW_USERS, eventsPerUser: 10 }).rows);
  const catalogIds = products.map((p) => p.id).sort();
  const win = validationWindow(events, new Map(catalogIds.map((id, i) => [id, i])))!;
  const scored = [...win.relevant.keys()].sort().slice(0, scoredUsers(catalogIds.length));

  it('the sample keeps every event of the kept users, whole users only, within the cap, whatever the event order', () => {
    const keep = new Set(scored.slice(0, 50));
    const cap = 2000;
    const sample = selectionSample(win.fit, keep, cap);
    const users = new Set(sample.map((e) => e.userId));
    for (const u of keep) expect(users.has(u)).toBe(true);
    for (const u of users) expect(sample.filter((e) => e.userId === u).length).toBe(win.fit.filter((e) => e.userId === u).length);
    expect(sample.length).toBeLessThanOrEqual(cap);
    expect(users.size).toBeGreaterThan(keep.size); // others are sampled too
    expect(selectionSample([...win.fit].reverse(), keep, cap).map((e) => e.eventId).sort()).toEqual(sample.map((e) => e.eventId).sort());
    expect(selectionSample(win.fit, keep, win.fit.length)).toBe(win.fit); // at or under the cap: everything
  });

  it(`above the cap every candidate is fitted on one sample, which holds every scored validation user; under it on every fit user`, async () => {
    const fitted = async (sampleEvents?: number) => {
      const seen: string[][] = [];
      const s = (await selectModel({ events, catalogIds, settings: DEFAULT_INTERACTION_SETTINGS, families: ['als', 'popularity'], budgetSeconds: 600, sampleEvents, onFit: (_c, users) => seen.push([...users.keys()].sort()) }))!;
      return { s, seen };
    };
    const all = await fitted();
    const allUsers = new Set(win.fit.map((e) => e.userId));
    expect(all.s.window.sample).toBeUndefined();
    for (const users of all.seen) expect(users.length).toBe(allUsers.size);

    const cap = Math.floor(win.fit.length / 2);
    const sampled = await fitted(cap);
    expect(sampled.seen.length).toBeGreaterThan(3);
    for (const users of sampled.seen) expect(users).toEqual(sampled.seen[0]);
    const inSample = new Set(sampled.seen[0]);
    expect(inSample.size).toBeLessThan(allUsers.size);
    for (const u of scored) expect(inSample.has(u)).toBe(true);
    expect(sampled.s.window.sample).toMatchObject({ users: inSample.size, ofUsers: allUsers.size, ofEvents: win.fit.length });
    // Within the cap, or only the scored users when their own events already pass it.
    const scoredEvents = win.fit.filter((e) => scored.includes(e.userId)).length;
    expect(sampled.s.window.sample!.events).toBeLessThanOrEqual(Math.max(cap, scoredEvents));
    expect(sampled.s.notes.some((n) => n.startsWith('candidates fitted on a sample'))).toBe(true);
  });

  it('above the cap the α refinements are skipped (with a note); under it they run', async () => {
    const alphas = (s: Selection) => new Set(s.candidates.filter((c) => c.config.family === 'als').map((c) => c.config.als!.alpha));
    const run = (sampleEvents?: number) => selectModel({ events, catalogIds, settings: DEFAULT_INTERACTION_SETTINGS, families: ['als', 'popularity'], budgetSeconds: 600, sampleEvents });
    const all = (await run())!;
    expect([...alphas(all)].sort((a, b) => a - b)).toEqual(expect.arrayContaining([1, 5]));
    expect(alphas(all).size).toBeGreaterThan(2); // ×0.6, ×1.25, ×2 of the best α
    expect(all.notes.some((n) => n.startsWith('α refinements'))).toBe(false);
    const sampled = (await run(Math.floor(win.fit.length / 2)))!;
    expect([...alphas(sampled)].sort((a, b) => a - b)).toEqual([1, 5]);
    expect(sampled.candidates.some((c) => c.config.als?.iterations === 25)).toBe(true); // the continued fit still runs
    expect(sampled.notes.some((n) => n.startsWith('α refinements') && n.includes('sample'))).toBe(true);
  });

  it('fits every ALS candidate with the deployment overrides: a pinned iteration count leaves no longer fit to try', async () => {
    const s = (await selectModel({ events, catalogIds, settings: DEFAULT_INTERACTION_SETTINGS, families: ['als'], budgetSeconds: 600, alsOverrides: { factors: 8, iterations: 5 } }))!;
    const als = s.candidates.filter((c) => c.config.family === 'als');
    expect(als.length).toBeGreaterThan(3);
    for (const c of als) expect(c.config.als).toMatchObject({ factors: 8, iterations: 5 });
    expect(new Set(s.candidates.map((c) => JSON.stringify(c.config))).size).toBe(s.candidates.length); // the 25-iteration step was the same config: not fitted twice
  });

  it('scores fewer validation users on a large catalogue: at most 12M item scores per candidate, never under the floor', async () => {
    expect(scoredUsers(1682)).toBe(MAX_VALIDATION_USERS);
    expect(scoredUsers(6000)).toBe(MAX_VALIDATION_USERS);
    expect(scoredUsers(20_000)).toBe(600);
    expect(scoredUsers(1_000_000)).toBe(MIN_VALIDATION_USERS);
    // A shop of 1500 users in a catalogue of 100k products (the rest never interacted with).
    const shop = engineInputs(tasteGroupShop({ users: 1500, eventsPerUser: 10 }).rows);
    const ids = shop.products.map((p) => p.id);
    expect(validationWindow(shop.events, new Map(ids.map((id, i) => [id, i])))!.relevant.size).toBeGreaterThan(MIN_VALIDATION_USERS);
    const big = [...ids, ...Array.from({ length: 100_000 }, (_, k) => `z${k}`)].sort();
    const s = (await selectModel({ events: shop.events, catalogIds: big, settings: DEFAULT_INTERACTION_SETTINGS, families: ['popularity'] }))!;
    expect(s.window.users).toBe(MIN_VALIDATION_USERS);
    expect(s.notes.some((n) => n.includes('validation users scored'))).toBe(true);
  });
});
