/**
 * Automatic model selection inside every retrain: which collaborative family (EASE item-to-item
 * neighbours, implicit ALS, or recency-weighted popularity), with which parameters, recency
 * half-life and popularity blend, serves this shop best *now*.
 *
 * Protocol (forward-chained, like the offline evaluation of retail data): the newest
 * {@link VALIDATION_FRACTION} of the training events by time form the validation window; candidates
 * are fitted on the older events only, with the recency reference at the window's start, and scored
 * by nDCG@10 over the whole catalogue on the items each user first interacts with in the window
 * (orders when enough users ordered there, else any event; items already seen are excluded from the
 * ranking, as they are not "new" to the user). Why the newest 15 %: the question a retrain answers
 * is "what predicts the next weeks", so validation must be later in time than what it fits, and
 * 15 % leaves 85 % of history for fitting while holding enough users to compare candidates.
 *
 * Search: coarse to fine and time-bounded. EASE half-lives at a middle λ, then λ around the best,
 * then ALS at the best half-life and without decay, then the popularity blend of the winner. Each
 * step is skipped when the time measured for its family says it would not finish before the
 * deadline, so the search shrinks as data grow. The winner is refitted on all data by the caller.
 *
 * Large data: above {@link SAMPLE_ABOVE_EVENTS} fit events, every candidate is fitted on one user
 * sample of the fit events ({@link selectionSample}: every scored validation user, then a seeded
 * sample of the others up to that many events), and on catalogues where scoring every validation
 * user would cost more than {@link MAX_VALIDATION_SCORES} item scores per candidate, fewer users
 * are scored. The comparison stays fair because every candidate — popularity included — is fitted
 * on the same sample and scored on the same users with their whole fit history; what the sample
 * loses is some accuracy of every candidate alike, not the order between them. The caller's final
 * fit uses all data.
 */
import { DEFAULT_ALS_PARAMS, fitImplicitAls, type AlsModel, type AlsParams } from '../factorization/als.js';
import { DEFAULT_EASE_PARAMS, fitEaseNeighbours, neighbourScores, type SpdInverter } from '../factorization/ease.js';
import { buildInteractionMatrix, creditedUser, type HalfLife, type InteractionSettings } from '../domain/interactions.js';
import type { InteractionEvent } from '../domain/types.js';
import { dotScores, topK } from '../numeric/topk.js';
import { blendWithPopularity, recencyPopularity } from '../ranking/popularity.js';
import type { CsrMatrix } from '../numeric/sparse.js';
import { ndcgAtK } from '../evaluation/metrics.js';
import { mulberry32 } from '../numeric/prng.js';
import type { CandidateResult, ModelConfig, ModelFamily, SelectionFacts } from '../snapshot/model-config.js';
import { addCategoryPrior, categoryPrior, MIN_GROUPS, type ItemGroups } from '../ranking/category-prior.js';

export type { CandidateResult, ModelConfig, ModelFamily } from '../snapshot/model-config.js';

/** The search's answer; `validationNdcg10` is the chosen config's figure on the window (fitted without it). */
export interface Selection extends SelectionFacts {
  chosen: ModelConfig;
}

export const VALIDATION_FRACTION = 0.15;
/** Fewest users in the newest window for a forward-chained comparison (see {@link validationWindow}). */
export const MIN_WINDOW_USERS = 200;
/** Most validation users scored per candidate (deterministic choice): bounds the search's cost. */
export const MAX_VALIDATION_USERS = 2000;
/**
 * Most item scores per candidate (scored users × catalogue items): scoring one ALS candidate on
 * 2000 users of a 20 000-item catalogue costs ~3 s of one core, more than fitting it on the sample.
 * Catalogues up to 6000 items keep {@link MAX_VALIDATION_USERS}; larger ones score fewer users,
 * never fewer than {@link MIN_VALIDATION_USERS}.
 */
export const MAX_VALIDATION_SCORES = 12_000_000;
export const MIN_VALIDATION_USERS = 500;
/**
 * Fit events above which the candidates are fitted on a user sample of about this many events
 * (see {@link selectionSample}): a 15-iteration ALS fit of 850k events costs ~35 CPU-s, of 100k ~6.
 */
export const SAMPLE_ABOVE_EVENTS = 100_000;
/** Popularity's own half-life (the trending prior): the last weeks count most. */
export const TRENDING_HALF_LIFE_DAYS = 30;
const HALF_LIVES: HalfLife[] = [null, 7, 14, 30, 90];
const BLENDS = [0, 0.05, 0.15, 0.4, 1];
/** Weights γ of the category prior tried on each family's best config (0 = off, the config as fitted); up to 100 because P(i | g) is about 1 / group size. */
export const CATEGORY_BLENDS = [0.3, 1, 3, 10, 30, 100];
const K = 10;

export interface SelectionInput {
  events: readonly InteractionEvent[];
  catalogIds: readonly string[];
  settings: InteractionSettings;
  invert?: SpdInverter;
  /** Wall-clock budget of the whole search, seconds. */
  budgetSeconds?: number;
  /** Configs always scored (e.g. the serving version's): the winner is never worse than them on this window. */
  include?: readonly ModelConfig[];
  /** Restrict the families searched (e.g. `['als']` for "ALS tuned on validation"). */
  families?: readonly ModelFamily[];
  onProgress?: (step: string) => void;
  /** Clock for the deadline (tests). */
  clock?: () => number;
  /** Longer ALS fits continue from shorter ones of the same config (default); false refits from scratch (tests compare both). */
  continueFits?: boolean;
  /** Each catalogue item's category group ({@link itemGroups}): the category prior is searched when there are two or more. */
  itemGroups?: ItemGroups;
  /** Fit events above which candidates are fitted on a user sample (default {@link SAMPLE_ABOVE_EVENTS}; tests lower it). */
  sampleEvents?: number;
  /** Called with each candidate and the users its matrix holds (tests). */
  onFit?: (config: ModelConfig, users: ReadonlyMap<string, number>) => void;
  /** The deployment's ALS_* overrides: every ALS candidate is fitted with them, as the winner will be served. */
  alsOverrides?: Partial<AlsParams>;
  /** Called with each fitted candidate, its matrix and users (the retrain reuses an ALS fit for the scorer's stage 1). */
  onFitted?: (config: ModelConfig, fitted: FittedFamily, users: ReadonlyMap<string, number>, R: CsrMatrix) => void;
}

/** The default when selection cannot run (too little data): EASE when the catalogue fits, no decay. */
export function defaultConfig(nItems: number): ModelConfig {
  return nItems <= DEFAULT_EASE_PARAMS.maxItems
    ? { family: 'ease', halfLifeDays: null, ease: { ...DEFAULT_EASE_PARAMS }, popularityBlend: 0 }
    : { family: 'als', halfLifeDays: null, als: { ...DEFAULT_ALS_PARAMS }, popularityBlend: 0 };
}

export function describeConfig(c: ModelConfig): string {
  const hl = c.halfLifeDays === null ? 'no decay' : `half-life ${c.halfLifeDays} d`;
  const blend = (c.popularityBlend > 0 ? `, popularity blend ${c.popularityBlend}` : '') + (c.categoryBlend ? `, category prior ${c.categoryBlend}` : '');
  if (c.family === 'ease') return `EASE λ=${c.ease!.lambda} M=${c.ease!.neighbours}, ${hl}${blend}`;
  if (c.family === 'als') return `ALS f=${c.als!.factors} λ=${c.als!.regularization} α=${c.als!.alpha} it=${c.als!.iterations}, ${hl}${blend}`;
  return `popularity, ${hl}${blend}`;
}

/** A fitted candidate: scores every catalogue item for one (fit-window) user row. */
export interface FittedFamily {
  scores(user: number, out: Float32Array): Float32Array;
  /** The ALS model, so a longer fit of the same config can continue from it. */
  als?: AlsModel;
}

/** Fits one config on a matrix already weighted with its half-life. */
export async function fitFamily(config: ModelConfig, R: CsrMatrix, popularity: Float32Array, invert?: SpdInverter, continueFrom?: { model: AlsModel; iterations: number }): Promise<FittedFamily> {
  if (config.family === 'ease') {
    const nb = await fitEaseNeighbours(R, config.ease, invert);
    return {
      scores: (u, out) => neighbourScores(nb, R.indices.subarray(R.indptr[u], R.indptr[u + 1]), R.data.subarray(R.indptr[u], R.indptr[u + 1]), out),
    };
  }
  if (config.family === 'als') {
    // The same config fitted for fewer iterations is this fit's state after them (ALS warm start):
    // only the remaining iterations are run, and the bytes are those of a fit from scratch.
    const remaining = continueFrom ? config.als!.iterations! - continueFrom.iterations : undefined;
    const m = remaining && remaining > 0 ? fitImplicitAls(R, { ...config.als, iterations: remaining }, undefined, { warmStart: continueFrom!.model }) : fitImplicitAls(R, config.als);
    const f = m.factors;
    return { als: m, scores: (u, out) => dotScores(m.itemFactors, f, m.userFactors.subarray(u * f, (u + 1) * f), out) };
  }
  return { scores: (_u, out) => (out.set(popularity), out) };
}

interface ValidationWindow {
  fit: InteractionEvent[];
  /** Recency reference of the fit part: the window's start, or the newest fit event for the random carve. */
  cutoff: number;
  carve: 'temporal' | 'random per user';
  relevance: 'orders' | 'any event';
  /** user id → items first seen in the window. */
  relevant: Map<string, Set<number>>;
}

/**
 * The validation carve. Forward-chained by default: older events to fit, the newest `fraction`
 * (ties kept together) to validate. When that window holds fewer than {@link MIN_WINDOW_USERS}
 * users with a history, it cannot separate candidates (the standard error of nDCG@10 over ~80
 * users is ≈ 0.02, larger than the gaps between good candidates), so `fraction` of each user's
 * events is held out at random instead (seeded), and the recency reference is the newest fit event.
 */
export function validationWindow(events: readonly InteractionEvent[], itemIndex: ReadonlyMap<string, number>, fraction = VALIDATION_FRACTION): ValidationWindow | undefined {
  if (events.length < 20) return undefined;
  const times = Float64Array.from(events, (e) => e.timestamp).sort();
  const cutoff = times[Math.floor(times.length * (1 - fraction))];
  const temporal = labelWindow(
    events.filter((e) => e.timestamp < cutoff),
    events.filter((e) => e.timestamp >= cutoff),
    itemIndex,
  );
  if (temporal && temporal.relevant.size >= MIN_WINDOW_USERS) return { ...temporal, cutoff, carve: 'temporal' };
  const rng = mulberry32(42);
  const fit: InteractionEvent[] = [];
  const later: InteractionEvent[] = [];
  const byUser = new Map<string, InteractionEvent[]>();
  for (const e of events) {
    const u = creditedUser(e);
    let list = byUser.get(u);
    if (!list) byUser.set(u, (list = []));
    list.push(e);
  }
  for (const u of [...byUser.keys()].sort()) {
    const list = byUser.get(u)!;
    const r = list.map(() => rng());
    const held = list.length >= 3 ? Math.max(1, Math.round(fraction * list.length)) : 0;
    const order = list.map((_, k) => k).sort((a, b) => r[a] - r[b]);
    order.forEach((k, pos) => (pos < held ? later : fit).push(list[k]));
  }
  const random = labelWindow(fit, later, itemIndex);
  if (!random) return temporal ? { ...temporal, cutoff, carve: 'temporal' } : undefined;
  return { ...random, cutoff: fit.reduce((t, e) => Math.max(t, e.timestamp), 0), carve: 'random per user' };
}

/** Relevant items per user: those first interacted with in `later` (orders when ≥ 20 users ordered there). */
function labelWindow(fit: InteractionEvent[], later: InteractionEvent[], itemIndex: ReadonlyMap<string, number>): Omit<ValidationWindow, 'cutoff' | 'carve'> | undefined {
  if (fit.length === 0 || later.length === 0) return undefined;
  const seen = new Map<string, Set<number>>();
  for (const e of fit) {
    const i = itemIndex.get(e.productId);
    if (i === undefined) continue;
    const u = creditedUser(e);
    let s = seen.get(u);
    if (!s) seen.set(u, (s = new Set()));
    s.add(i);
  }
  const orderers = new Set(later.filter((e) => e.type === 'order' && seen.has(creditedUser(e))).map(creditedUser));
  const relevance = orderers.size >= 20 ? 'orders' : 'any event';
  const relevant = new Map<string, Set<number>>();
  for (const e of later) {
    if (relevance === 'orders' && e.type !== 'order') continue;
    const u = creditedUser(e);
    const i = itemIndex.get(e.productId);
    const s = seen.get(u);
    if (!s || i === undefined || s.has(i)) continue;
    let r = relevant.get(u);
    if (!r) relevant.set(u, (r = new Set()));
    r.add(i);
  }
  return { fit, relevance, relevant };
}

/** Seeded 32-bit hash of an id (FNV-1a, then a murmur finaliser): the sample's order of users. */
function hashId(id: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let k = 0; k < id.length; k++) h = Math.imul(h ^ id.charCodeAt(k), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The fit events the candidates are fitted on: all of them up to `maxEvents`; above, every event
 * of the `keep` users (the scored validation users, whose histories the scoring reads), then the
 * other users whole, in a seeded hash order of their ids, while the total stays within `maxEvents`.
 * Whole users, so each sampled user's history is the real one; by id hash, so the sample does not
 * depend on the events' order and a user stays in it from one retrain to the next.
 */
export function selectionSample(fit: readonly InteractionEvent[], keep: ReadonlySet<string>, maxEvents: number, seed = 42): InteractionEvent[] {
  if (fit.length <= maxEvents) return fit as InteractionEvent[];
  const count = new Map<string, number>();
  for (const e of fit) {
    const u = creditedUser(e);
    count.set(u, (count.get(u) ?? 0) + 1);
  }
  const chosen = new Set<string>();
  let total = 0;
  for (const u of keep) {
    if (!count.has(u) || chosen.has(u)) continue;
    chosen.add(u);
    total += count.get(u)!;
  }
  const others = [...count.keys()].filter((u) => !chosen.has(u)).map((u) => [hashId(u, seed), u] as const);
  others.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [, u] of others) {
    const n = count.get(u)!;
    if (total + n > maxEvents) break;
    chosen.add(u);
    total += n;
  }
  return fit.filter((e) => chosen.has(creditedUser(e)));
}

type MatrixFor = (h: HalfLife) => { R: CsrMatrix; users: Map<string, number> };

/** One weighted matrix of the fit events per half-life, built on demand; users keep one index across them. */
function matricesByHalfLife(input: SelectionInput, fit: readonly InteractionEvent[], cutoff: number): MatrixFor {
  const matrices = new Map<string, { R: CsrMatrix; users: Map<string, number> }>();
  return (h) => {
    const key = String(h);
    let m = matrices.get(key);
    if (!m) {
      const built = buildInteractionMatrix(fit, { settings: input.settings, catalogItemIds: input.catalogIds, restrictToCatalog: true, recency: { refTime: cutoff, halfLifeDays: h } });
      m = { R: built.R, users: new Map(built.users.ids.map((id, k) => [id, k])) };
      matrices.set(key, m);
    }
    return m;
  };
}

/**
 * Half-lives much longer than the data's span weight every event within a few percent: the same
 * model as no decay, so they are skipped. Data spanning less than four weeks (a new shop, a
 * session log of hours) get half-lives relative to their span instead — a quarter and a sixteenth
 * of it — so recency can still be tried at the time scale the data have.
 */
function usableHalfLives(win: ValidationWindow, notes: string[]): HalfLife[] {
  const spanDays = (win.cutoff - win.fit.reduce((t, e) => Math.min(t, e.timestamp), win.cutoff)) / 86_400_000;
  const halfLives = HALF_LIVES.filter((h) => h === null || spanDays / h >= 0.05);
  if (halfLives.length < HALF_LIVES.length) notes.push(`half-lives ${HALF_LIVES.filter((h) => !halfLives.includes(h)).join(', ')} d skipped: the data span ${spanDays.toFixed(1)} days`);
  if (spanDays > 0 && spanDays < 4 * 7) {
    const relative = [spanDays / 4, spanDays / 16].map((h) => Number(h.toPrecision(2))).filter((h) => h > 0 && !halfLives.includes(h));
    halfLives.push(...relative);
    notes.push(`half-lives ${relative.join(', ')} d added: a quarter and a sixteenth of the ${spanDays.toFixed(2)}-day span`);
  }
  return halfLives;
}

/**
 * The candidates tried so far, fitted and scored (mean NDCG@10 of the validation users), within the
 * time budget: a config whose family's last fit would pass the deadline is skipped with a note.
 */
class CandidateSearch {
  readonly results: CandidateResult[] = [];
  readonly fitted = new Map<CandidateResult, FittedFamily>();
  private readonly lastSeconds = new Map<ModelFamily, number>();
  private readonly tried = new Set<string>();
  /**
   * Set when the candidates are fitted on a user sample (large data): then the three α
   * refinements are skipped (see {@link searchFamilies}).
   */
  sampled = false;

  constructor(
    private readonly input: SelectionInput,
    private readonly families: ReadonlySet<ModelFamily>,
    private readonly clock: () => number,
    private readonly deadline: number,
    private readonly notes: string[],
    private readonly matrixFor: MatrixFor,
    private readonly popularity: Float32Array,
    readonly score: (fitted: FittedFamily, users: Map<string, number>, R: CsrMatrix, beta: number, gamma?: number) => number,
  ) {}

  async run(config: ModelConfig): Promise<CandidateResult | undefined> {
    // Candidates are fitted as they would be served: with a pinned iteration count the longer-fit
    // step is the same config again (skipped as tried), with pinned factors no candidate uses others.
    if (config.family === 'als' && this.input.alsOverrides) config = { ...config, als: { ...config.als!, ...this.input.alsOverrides } };
    const key = JSON.stringify(config);
    if (this.tried.has(key) || !this.families.has(config.family)) return undefined;
    const estimate = this.lastSeconds.get(config.family) ?? 0;
    if (this.clock() + estimate > this.deadline) {
      this.notes.push(`skipped ${describeConfig(config)}: would pass the ${this.input.budgetSeconds ?? 240} s budget`);
      return undefined;
    }
    this.tried.add(key);
    this.input.onProgress?.(describeConfig(config));
    const t0 = this.clock();
    const { R, users } = this.matrixFor(config.halfLifeDays);
    this.input.onFit?.(config, users);
    const model = await fitFamily(config, R, this.popularity, this.input.invert, this.input.continueFits === false ? undefined : this.shorterFitOf(config));
    const r: CandidateResult = { config, ndcg10: this.score(model, users, R, config.popularityBlend, config.categoryBlend ?? 0), seconds: 0 };
    r.seconds = this.clock() - t0;
    this.lastSeconds.set(config.family, r.seconds);
    this.results.push(r);
    this.fitted.set(r, model);
    this.input.onFitted?.(config, model, users, R);
    return r;
  }

  /** A fitted ALS candidate that differs from `config` only by fewer iterations (the longest such). */
  private shorterFitOf(config: ModelConfig): { model: AlsModel; iterations: number } | undefined {
    if (config.family !== 'als' || !config.als) return undefined;
    const same = (c: ModelConfig) => JSON.stringify({ ...c, als: { ...c.als, iterations: 0 } }) === JSON.stringify({ ...config, als: { ...config.als, iterations: 0 } });
    let found: { model: AlsModel; iterations: number } | undefined;
    for (const [r, fitted] of this.fitted) {
      const its = r.config.als?.iterations ?? 0;
      if (fitted.als && r.config.family === 'als' && its < config.als.iterations! && same(r.config) && (!found || its > found.iterations)) found = { model: fitted.als, iterations: its };
    }
    return found;
  }

  /** Records a step of the search left out by a rule (not by the budget). */
  skip(note: string): void {
    this.notes.push(note);
  }

  /** A blend of a fitted candidate (its β or γ changed): rescored only, on the fit's own matrix. */
  rescore(fit: CandidateResult, config: ModelConfig): void {
    const { R, users } = this.matrixFor(config.halfLifeDays);
    const t0 = this.clock();
    this.results.push({ config, ndcg10: this.score(this.fitted.get(fit)!, users, R, config.popularityBlend, config.categoryBlend ?? 0), seconds: this.clock() - t0 });
  }

  best(family?: ModelFamily): CandidateResult | undefined {
    return this.results.filter((r) => !family || r.config.family === family).reduce<CandidateResult | undefined>((a, r) => (!a || r.ndcg10 > a.ndcg10 ? r : a), undefined);
  }
}

/** The search order: the caller's configs, popularity, EASE (half-lives, then λ), ALS (half-lives, shrinkage, confidence). */
async function searchFamilies(search: CandidateSearch, include: readonly ModelConfig[], nItems: number, halfLives: readonly HalfLife[]): Promise<void> {
  for (const c of include) await search.run(c);
  await search.run({ family: 'popularity', halfLifeDays: TRENDING_HALF_LIFE_DAYS, popularityBlend: 0 });
  // EASE while its inverse fits: half-lives at the middle λ, then λ coarse (×4) and fine (×2).
  if (nItems > 0) {
    const ease = (h: HalfLife, lambda: number): ModelConfig => ({ family: 'ease', halfLifeDays: h, ease: { ...DEFAULT_EASE_PARAMS, lambda }, popularityBlend: 0 });
    for (const h of halfLives) await search.run(ease(h, DEFAULT_EASE_PARAMS.lambda));
    const h = search.best('ease')?.config.halfLifeDays ?? null;
    for (const factor of [4, 2]) {
      const l = search.best('ease')?.config.ease?.lambda ?? DEFAULT_EASE_PARAMS.lambda;
      await search.run(ease(h, l / factor));
      await search.run(ease(h, l * factor));
    }
  }
  // ALS at the best half-life found so far and without decay, then a lower-confidence variant.
  const bestH = search.best()?.config.halfLifeDays ?? null;
  const als = (h: HalfLife, p: Partial<AlsParams>): ModelConfig => ({ family: 'als', halfLifeDays: h, als: { ...DEFAULT_ALS_PARAMS, ...p }, popularityBlend: 0 });
  await search.run(als(bestH, {}));
  await search.run(als(null, {}));
  // Small shops want less shrinkage than the defaults (tuned on larger data); lower confidence helps dense ones.
  const alsH = search.best('als')?.config.halfLifeDays ?? bestH;
  await search.run(als(alsH, { regularization: 10 }));
  await search.run(als(alsH, { alpha: 1, regularization: 10 }));
  // Refine the best ALS: more confidence and longer fits (the search space the retrain can afford).
  const longer = search.best('als')?.config;
  if (longer?.als) await search.run({ ...longer, als: { ...longer.als, iterations: 25 } });
  const bestAls = search.best('als')?.config;
  // Large data (candidates fitted on a sample): the α refinements are three more full fits (at 1M
  // events 23 of the search's 48 CPU-s) for a fine step around the winner of the coarse λ/α steps,
  // so they are skipped there. The remaining candidates still all see the same sample and users.
  if (bestAls?.als && search.sampled) {
    search.skip(`α refinements of ${describeConfig(bestAls)} skipped: candidates are fitted on a sample (large data)`);
    return;
  }
  if (bestAls?.als) for (const factor of [0.6, 1.25, 2]) await search.run({ ...bestAls, als: { ...bestAls.als, alpha: Number((bestAls.als.alpha * factor).toPrecision(6)) } }); // 1.8, not 1.7999999999999998, in the manifest
}

/**
 * The category prior's weight γ: rescoring only, on the best config of each family (the prior can
 * change which family wins: popularity within liked categories may beat a thin collaborative
 * model), then the popularity blend again at the best γ, which shifts the scale it is added to.
 */
function searchCategoryPrior(search: CandidateSearch, clock: () => number, deadline: number, notes: string[]): void {
  const rescore = (base: CandidateResult, config: ModelConfig): void => {
    if (!search.results.some((r) => JSON.stringify(r.config) === JSON.stringify(config))) search.rescore(base, config);
  };
  // Blend rows are rescorings of a fitted candidate: find the fit each best config came from.
  const fitKey = (c: ModelConfig) => JSON.stringify([c.family, c.halfLifeDays, c.ease, c.als]);
  const fitOf = (c: ModelConfig) => [...search.fitted.keys()].find((r) => fitKey(r.config) === fitKey(c));
  const families: ModelFamily[] = ['ease', 'als', 'popularity'];
  for (const family of families) {
    const best = search.best(family);
    const base = best && fitOf(best.config);
    if (!best || !base) continue;
    for (const gamma of CATEGORY_BLENDS) {
      if (clock() > deadline) {
        notes.push('category prior search stopped: the budget is spent');
        return;
      }
      rescore(base, { ...best.config, categoryBlend: gamma });
    }
  }
  const top = search.best();
  const base = top && fitOf(top.config);
  if (!top?.config.categoryBlend || !base || top.config.family === 'popularity') return;
  for (const beta of BLENDS) if (clock() <= deadline) rescore(base, { ...top.config, popularityBlend: beta });
}

/** Validation users scored per candidate on a catalogue of `nItems` (see {@link MAX_VALIDATION_SCORES}). */
export function scoredUsers(nItems: number): number {
  return Math.min(MAX_VALIDATION_USERS, Math.max(MIN_VALIDATION_USERS, Math.floor(MAX_VALIDATION_SCORES / Math.max(1, nItems))));
}

function sampleFacts(fit: readonly InteractionEvent[], all: readonly InteractionEvent[]): NonNullable<SelectionFacts['window']['sample']> {
  return { users: new Set(fit.map(creditedUser)).size, events: fit.length, ofUsers: new Set(all.map(creditedUser)).size, ofEvents: all.length };
}

/** Runs the search. Returns undefined when the data are too few to validate on. */
export async function selectModel(input: SelectionInput): Promise<Selection | undefined> {
  const clock = input.clock ?? (() => performance.now() / 1000);
  const started = clock();
  const deadline = started + (input.budgetSeconds ?? 240);
  const nItems = input.catalogIds.length;
  const itemIndex = new Map(input.catalogIds.map((id, i) => [id, i]));
  const win = validationWindow(input.events, itemIndex);
  if (!win || win.relevant.size < 5) return undefined;
  const families = new Set<ModelFamily>(input.families ?? ['ease', 'als', 'popularity']);
  const notes: string[] = [];
  const halfLives = usableHalfLives(win, notes);
  const evalUsers = [...win.relevant.keys()].sort().slice(0, scoredUsers(nItems));
  const fit = selectionSample(win.fit, new Set(evalUsers), input.sampleEvents ?? SAMPLE_ABOVE_EVENTS);
  const sample = fit === win.fit ? undefined : sampleFacts(fit, win.fit);
  if (sample) notes.push(`candidates fitted on a sample: ${sample.users} of ${sample.ofUsers} users (${sample.events} of ${sample.ofEvents} fit events), every scored validation user and a seeded sample of the others`);
  if (evalUsers.length < Math.min(MAX_VALIDATION_USERS, win.relevant.size)) notes.push(`${evalUsers.length} validation users scored (at most ${MAX_VALIDATION_SCORES / 1e6}M item scores per candidate on ${nItems} items)`);
  const matrixFor = matricesByHalfLife(input, fit, win.cutoff);
  // Popularity from the same sample: the candidate and the blend see the data the others are fitted on.
  const popularity = recencyPopularity(fit, itemIndex, nItems, win.cutoff, TRENDING_HALF_LIFE_DAYS, input.settings);

  const prior = input.itemGroups && input.itemGroups.nGroups >= MIN_GROUPS ? categoryPrior(input.itemGroups, popularity) : undefined;
  // The last scored fit's raw scores for every validation user (at most MAX_VALIDATION_SCORES
  // floats): its β and γ rescorings then only blend and select, without scoring the catalogue again.
  let lastRaw: { fitted: FittedFamily; scores: Float32Array } | undefined;
  const rawScores = (fitted: FittedFamily, users: Map<string, number>): Float32Array => {
    if (lastRaw?.fitted === fitted) return lastRaw.scores;
    lastRaw = undefined; // the previous fit's array can go before this one is allocated
    const scores = new Float32Array(evalUsers.length * nItems);
    evalUsers.forEach((id, k) => {
      const row = scores.subarray(k * nItems, (k + 1) * nItems);
      const got = fitted.scores(users.get(id)!, row);
      if (got !== row) row.set(got);
    });
    lastRaw = { fitted, scores };
    return scores;
  };
  const score = (fitted: FittedFamily, users: Map<string, number>, R: CsrMatrix, beta: number, gamma = 0): number => {
    const s = new Float32Array(nItems);
    const raw = rawScores(fitted, users);
    let total = 0;
    for (let k = 0; k < evalUsers.length; k++) {
      const id = evalUsers[k];
      const u = users.get(id)!;
      s.set(raw.subarray(k * nItems, (k + 1) * nItems));
      // The same order of terms as serving: the category prior on the normalised scores, then the popularity blend.
      if (gamma > 0 && prior) addCategoryPrior(s, nItems, prior, R.indices.subarray(R.indptr[u], R.indptr[u + 1]), R.data.subarray(R.indptr[u], R.indptr[u + 1]), gamma);
      if (beta > 0) blendWithPopularity(s, popularity, beta, s);
      const seen = new Set(R.indices.subarray(R.indptr[u], R.indptr[u + 1]));
      total += ndcgAtK(topK(s, K, (i) => seen.has(i)).indices, win.relevant.get(id)!, K);
    }
    return total / evalUsers.length;
  };

  const search = new CandidateSearch(input, families, clock, deadline, notes, matrixFor, popularity, score);
  search.sampled = sample !== undefined;
  await searchFamilies(search, input.include ?? [], nItems, halfLives);
  // The popularity blend of the winner: rescoring only, no refit.
  const winner = search.best();
  if (!winner) return undefined;
  if (winner.config.family !== 'popularity') for (const beta of BLENDS) if (beta !== winner.config.popularityBlend) search.rescore(winner, { ...winner.config, popularityBlend: beta });
  if (prior) searchCategoryPrior(search, clock, deadline, notes);
  const chosen = search.best()!;
  return {
    chosen: chosen.config,
    validationNdcg10: chosen.ndcg10,
    window: { fraction: VALIDATION_FRACTION, carve: win.carve, cutoff: win.cutoff, users: evalUsers.length, relevance: win.relevance, ...(sample ? { sample } : {}) },
    candidates: search.results,
    seconds: clock() - started,
    notes,
  };
}
