import { beforeAll, describe, expect, it } from 'vitest';
import { historyReason, rankForReceiver } from '../../functions/core/ranking/recommend.js';
import { trainModelVersion } from '../../functions/core/training/train-model.js';
import { deserializeSnapshot, serializeSnapshot, type ModelSnapshot } from '../../functions/core/snapshot/model-snapshot.js';
import { decayedStrengths, summarizeUserEvents } from '../../functions/core/domain/interactions.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';
import { easeScores, fitEase, neighbourScores, strongestContributor } from '../../functions/core/factorization/ease.js';
import { invertGaussJordan, invertSpd, solveSpd } from '../../functions/core/numeric/linalg.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';

describe('EASE (Steck 2019)', () => {
  it('matches the hand-computed 2-item case', () => {
    // X = [[1,1],[1,0]], λ = 1: G = [[3,1],[1,2]], P = G⁻¹ = [[2,−1],[−1,3]]/5,
    // B_01 = −P_01/P_11 = 1/3, B_10 = −P_10/P_00 = 1/2, zero diagonal.
    const R = csrFromTriplets(2, 2, [0, 0, 1], [0, 1, 0], [1, 1, 1]);
    const m = fitEase(R, 1);
    expect(m.B[0]).toBe(0);
    expect(m.B[3]).toBe(0);
    expect(m.B[1]).toBeCloseTo(1 / 3, 6);
    expect(m.B[2]).toBeCloseTo(1 / 2, 6);
    const s = easeScores(m, [0]);
    expect(s[1]).toBeCloseTo(1 / 3, 6);
  });

  it('Cholesky inverse agrees with Gauss–Jordan and solves', () => {
    const n = 12;
    const rng = mulberry32(5);
    const a = new Float64Array(n * n);
    const x = Array.from({ length: n * n }, () => rng() - 0.5);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 0.5 : 0;
        for (let k = 0; k < n; k++) s += x[i * n + k] * x[j * n + k];
        a[i * n + j] = s;
      }
    const inv = invertSpd(a, n);
    const ref = invertGaussJordan(a, n);
    for (let k = 0; k < n * n; k++) expect(inv[k]).toBeCloseTo(ref[k], 8);
    const b = Array.from({ length: n }, (_, i) => i + 1);
    const sol = solveSpd(a, n, b);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j] * sol[j];
      expect(s).toBeCloseTo(b[i], 8);
    }
    expect(() => invertSpd(Float64Array.of(1, 2, 2, 1), 2)).toThrow(/positive definite/);
  });
});

describe('serving by the version\'s family', () => {
  const NOW = Date.UTC(2025, 0, 1);
  const cat = syntheticCatalog(150, 8, { seed: 41, nUsers: 40, now: NOW });
  const events = [...cat.history.values()].flat();
  const train = async (family: 'ease' | 'popularity') => {
    const { parts } = await trainModelVersion({ events, products: cat.products, userCountries: new Map(cat.users.map((u) => [u.id, u.country!])), now: NOW, version: family, als: { factors: 8, iterations: 3 }, model: { family, halfLifeDays: 14, popularityBlend: 0 } });
    return deserializeSnapshot(serializeSnapshot(parts));
  };
  let ease: ModelSnapshot;
  let popular: ModelSnapshot;
  beforeAll(async () => {
    [ease, popular] = [await train('ease'), await train('popularity')];
  });
  /** The same version, its manifest saying ALS (the neighbours file still there). */
  const asAls = (s: ModelSnapshot): ModelSnapshot => ({ ...s, manifest: { ...s.manifest, model: { ...s.manifest.model!, family: 'als' } } });
  const receivers = () => cat.users.slice(0, 6).map((u) => ({ history: cat.history.get(u.id)!, profile: u, now: NOW }));

  it('an EASE version ranks by its neighbour scores of the decayed history, explained by the strongest contributor', async () => {
    expect(ease.neighbours).toBeDefined();
    for (const receiver of receivers()) {
      const q = { userId: receiver.profile.id, num: 15, minPromoted: 1 };
      const idx: number[] = [];
      const w: number[] = [];
      for (const [id, strength] of decayedStrengths(receiver.history, NOW, 14)) {
        const i = ease.itemIndex.get(id);
        if (i !== undefined && strength > 0) [idx.push(i), w.push(strength)];
      }
      const raw = neighbourScores(ease.neighbours!, idx, w);
      const got = await rankForReceiver(ease, receiver, q);
      // The ALS path fed the EASE scores gives the same list and scores; only the explanations differ.
      const want = await rankForReceiver({ ...asAls(ease), neighbours: undefined }, receiver, q, { scoreAll: () => Float32Array.from(raw) });
      expect(got.personalized).toBe(true);
      expect(got.items.map((r) => [r.index, r.score])).toEqual(want.items.map((r) => [r.index, r.score]));
      const summaries = summarizeUserEvents(receiver.history);
      for (const r of got.items) {
        const explained = r.reasons.find((x) => x.startsWith('because_you_'));
        const h = raw[r.index] > 0 && !r.reasons.some((x) => x === 'on_wishlist' || x === 'in_cart') ? strongestContributor(ease.neighbours!, r.index, idx, w) : undefined;
        expect(explained).toBe(h === undefined ? undefined : historyReason(summaries.get(ease.items[h].id), ease.items[h].id));
      }
    }
  });

  it('an EASE version without history is not personalized: the cold list, as the ALS version gives it', async () => {
    for (const { profile } of receivers()) {
      const q = { userId: profile.id, num: 10, minPromoted: 1 };
      for (const p of [profile, { ...profile, country: undefined }]) {
        const got = await rankForReceiver(ease, { history: [], profile: p, now: NOW }, q);
        expect(got.personalized).toBe(false);
        expect(got).toEqual(await rankForReceiver({ ...asAls(ease), neighbours: undefined }, { history: [], profile: p, now: NOW }, q));
      }
    }
  });

  it('a version whose manifest says ALS is served by fold-in even if it carries neighbours', async () => {
    for (const receiver of receivers()) {
      const q = { userId: receiver.profile.id, num: 10, minPromoted: 0 };
      const got = await rankForReceiver(asAls(ease), receiver, q);
      expect(got).toEqual(await rankForReceiver({ ...asAls(ease), neighbours: undefined }, receiver, q));
      expect(got.items.map((r) => r.index)).not.toEqual((await rankForReceiver(ease, receiver, q)).items.map((r) => r.index));
    }
  });

  it('a popularity version ranks every receiver by popularity: not personalized, whatever their history', async () => {
    for (const receiver of receivers()) {
      const q = { userId: receiver.profile.id, num: 10, minPromoted: 0 };
      const got = await rankForReceiver(popular, receiver, q);
      expect(got.personalized).toBe(false);
      expect(got.items.some((r) => r.reasons.some((x) => x.startsWith('because_you_')))).toBe(false);
    }
  });
});
