/**
 * The scheduled retrain: read interactions + catalog, train a version, write it whole, then
 * move the pointer through the gate with a conditional write. A failure at any
 * step leaves the serving version untouched.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusinessRulesStore, CatalogStore, InteractionStore, ModelStore, UserStore } from '../core/domain/ports.js';
import { activeRules, DEFAULT_BUSINESS_RULES, type BusinessRules } from '../core/ranking/business-rules.js';
import { readManifest, serializeSnapshot, type SnapshotManifest } from '../core/snapshot/model-snapshot.js';
import { trainModelVersion, type HoldoutFigures } from '../core/training/train-model.js';
import type { AlsParams } from '../core/factorization/als.js';
import type { InteractionEvent, Product } from '../core/domain/types.js';
import type { TextEmbedder } from '../core/content/text-embedding.js';
import { exportScorerOnnx } from '../adapters/onnx-scorer.js';
import { exportContentModelOnnx } from '../adapters/onnx-content-model.js';
import { onnxSpdInverter } from '../adapters/onnx-linalg.js';
import type { ModelConfig } from '../core/snapshot/model-config.js';
import type { RankingManifest } from '../core/snapshot/model-snapshot.js';
import { createHash } from 'node:crypto';
import { applyRetention, type RetentionOutcome } from './retention.js';

export interface RetrainDeps {
  /** Only the scans: the tables through the SDK (Lambda) or a table export (the retrain container). */
  catalog: Pick<CatalogStore, 'scanAll'>;
  interactions: Pick<InteractionStore, 'scanAll'>;
  users: Pick<UserStore, 'scanAll'>;
  models: ModelStore;
  /** The rules an admin stored (PUT /config); without it, the environment's or none. */
  rules?: Pick<BusinessRulesStore, 'read'>;
  /** The catalog's text embedder: review texts become content in its space (default: the hashed n-grams). */
  textEmbedder?: TextEmbedder;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export interface RetrainOutcome {
  version: string;
  promoted: boolean;
  /** True when nothing changed since the serving version: nothing was trained or written. */
  skipped?: boolean;
  reason: string;
  /** What retention deleted after this run (absent when skipped or when retention failed). */
  retention?: RetentionOutcome;
  holdout: HoldoutFigures;
  /** The second stage's gate: `two-stage` only if the scorer beat ALS order on held-out users. */
  ranking?: RankingManifest;
  seconds: number;
}

/** Relative NDCG drop against the serving version that still passes (holdouts differ as data grows). */
export const GATE_TOLERANCE = 0.1;

/**
 * The gate: a new version must not be worse than the serving one on the
 * holdout — at most GATE_TOLERANCE below its recorded NDCG@10, since holdouts move as data grows.
 * The first version always passes (anything beats 503s); its comparison with popularity on the
 * same holdout is recorded in the reason and the manifest, for the operator to read.
 */
export function gateDecision(h: HoldoutFigures, servingNdcg: number | undefined): { passed: boolean; reason: string } {
  const ndcg = h.holdoutNdcg10 ?? h.alsNdcg10;
  const vsPopularity = `NDCG@10 ${ndcg.toFixed(4)} vs popularity ${h.popularityNdcg10.toFixed(4)} on ${h.users} held-out users`;
  if (h.users < 20) return { passed: true, reason: `holdout too small to judge (${h.users} users); integrity checks passed` };
  if (servingNdcg === undefined) return { passed: true, reason: `first version (${vsPopularity})` };
  if (ndcg < servingNdcg * (1 - GATE_TOLERANCE)) {
    return { passed: false, reason: `holdout NDCG@10 ${ndcg.toFixed(4)} more than ${GATE_TOLERANCE * 100}% below serving ${servingNdcg.toFixed(4)}` };
  }
  return { passed: true, reason: `not worse than serving ${servingNdcg.toFixed(4)} (${vsPopularity})` };
}

/** How many recent versions' configs (serving first, then the pointer's history) the selection re-scores. */
export const RECENT_VERSIONS = 4;

/** The distinct model configs recorded by these manifests (versions from before model selection have none). */
export function recentConfigs(manifests: readonly (SnapshotManifest | undefined)[]): ModelConfig[] {
  const out: ModelConfig[] = [];
  for (const m of manifests.map((x) => x?.model)) {
    if (!m) continue;
    const c: ModelConfig = { family: m.family, halfLifeDays: m.halfLifeDays, popularityBlend: m.popularityBlend, ...(m.categoryBlend ? { categoryBlend: m.categoryBlend } : {}), ...(m.ease ? { ease: m.ease } : {}), ...(m.als ? { als: m.als } : {}) };
    if (!out.some((o) => JSON.stringify(o) === JSON.stringify(c))) out.push(c);
  }
  return out;
}

/** A stored version's manifest, or undefined when it cannot be read (an old version has nothing to compare). */
async function readManifestIfAny(deps: RetrainDeps, version: string): Promise<SnapshotManifest | undefined> {
  try {
    return await readManifest(deps.models, version);
  } catch {
    return undefined;
  }
}

/** A review's rating and text in its fingerprint line (nothing for other events: their lines stay as they were). */
const reviewPart = (e: InteractionEvent): string => (e.type === 'review' ? `\u0000${e.rating ?? ''}\u0000${e.text ?? ''}` : '');

/**
 * What a version was trained from, order-independent: every event, every product's id, update
 * time, embedding version and status, every user's country. Equal fingerprints, equal inputs.
 */
export function inputsFingerprint(events: readonly InteractionEvent[], products: readonly Product[], userCountries: ReadonlyMap<string, string>): string {
  const lines = [
    ...events.map((e) => `e\u0000${e.eventId}\u0000${e.userId}\u0000${e.receiverId ?? ''}\u0000${e.productId}\u0000${e.type}\u0000${e.quantity}\u0000${e.timestamp}${reviewPart(e)}`),
    ...products.map((p) => `p\u0000${p.id}\u0000${p.updatedAt}\u0000${p.embedding_version ?? ''}\u0000${p.status}`),
    ...[...userCountries].map(([u, c]) => `u\u0000${u}\u0000${c}`),
  ].sort();
  const h = createHash('sha256');
  for (const line of lines) h.update(line).update('\n');
  return h.digest('hex');
}

export interface RetrainOptions {
  now?: number;
  als?: Partial<AlsParams>;
  version?: string;
  selectionBudgetSeconds?: number;
  /** Train and write even when nothing changed since the serving version. */
  force?: boolean;
  /** Versions retention keeps besides the newest `keepVersions` (default 10) and the pointer's chain. */
  pinnedVersions?: readonly string[];
  keepVersions?: number;
  /** The deployment's business rules from the environment (`BUSINESS_RULES`); stored ones take precedence. */
  environmentRules?: BusinessRules;
}

export async function retrainModel(deps: RetrainDeps, options: RetrainOptions = {}): Promise<RetrainOutcome> {
  const started = Date.now();
  const now = options.now ?? started;
  const events: InteractionEvent[] = [];
  for await (const e of deps.interactions.scanAll()) events.push(e);
  // Storage order is arbitrary (a table scan, an export's files): one order, so equal data give equal versions.
  events.sort((a, b) => a.timestamp - b.timestamp || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  const products: Product[] = [];
  for await (const p of deps.catalog.scanAll()) products.push(p);
  const userCountries = new Map<string, string>();
  for await (const u of deps.users.scanAll()) if (u.country) userCountries.set(u.id, u.country);

  const version = options.version ?? `v${new Date(now).toISOString().replace(/[-:.TZ]/g, '').slice(0, 17)}-${events.length}`;
  const inputs = inputsFingerprint(events, products, userCountries);
  const rules = activeRules(await deps.rules?.read(), options.environmentRules);
  const pointer = await deps.models.readPointer();
  let servingNdcg: number | undefined;
  const recentModels: ModelConfig[] = [];
  if (pointer) {
    let serving: SnapshotManifest | undefined;
    try {
      const manifest = (serving = await readManifest(deps.models, pointer.version));
      const m = manifest.metrics ?? {};
      const figure = typeof m.holdoutNdcg10 === 'number' ? m.holdoutNdcg10 : m.alsNdcg10;
      servingNdcg = typeof figure === 'number' ? figure : undefined;
      // Nothing new since the serving version: no version to write (retention keeps what exists).
      // New rules are a reason to retrain even on unchanged data: the version records what it serves with.
      const sameRules = JSON.stringify(manifest.rules?.settings ?? DEFAULT_BUSINESS_RULES) === JSON.stringify(rules.settings);
      if (!options.force && manifest.extra?.inputs === inputs && sameRules) {
        const reason = `no new events, catalog or rule changes since ${manifest.version}: nothing trained or written`;
        deps.logger.info('retrain skipped', { serving: manifest.version, reason });
        return { version: manifest.version, promoted: false, skipped: true, reason, holdout: m as unknown as HoldoutFigures, ranking: manifest.ranking, seconds: (Date.now() - started) / 1000 };
      }
    } catch (err) {
      deps.logger.warn('serving manifest unreadable; gating on popularity only', { error: String(err) });
    }
    const history = await Promise.all((pointer.history ?? []).slice(0, RECENT_VERSIONS - 1).map((v) => readManifestIfAny(deps, v)));
    recentModels.push(...recentConfigs([serving, ...history]));
  }
  // The serving and recent versions' configs are candidates of the selection, scored on the same
  // window: the winner is never worse than any of them there, so small drops cannot add up.
  const { parts, holdout, scorer, model } = await trainModelVersion({
    events,
    products,
    userCountries,
    now,
    version,
    als: options.als,
    includeModels: recentModels,
    invert: onnxSpdInverter(),
    selectionBudgetSeconds: options.selectionBudgetSeconds,
    rules,
    reviewTextEmbedder: deps.textEmbedder,
  });
  // The scorer travels as ONNX too (served by onnxruntime-node), whether or not it was promoted.
  if (scorer) parts.extraFiles = { ...(parts.extraFiles ?? {}), 'scorer.onnx': exportScorerOnnx(scorer) };
  // So does the content-to-collaborative model, for the products the version does not know.
  if (parts.contentModel) parts.extraFiles = { ...(parts.extraFiles ?? {}), 'content_model.onnx': exportContentModelOnnx(parts.contentModel) };

  const holdoutGate = gateDecision(holdout, servingNdcg);
  const included = model.selection?.candidates.filter((c) => recentModels.some((r) => JSON.stringify(r) === JSON.stringify(c.config))) ?? [];
  const bestRecent = included.reduce((a, c) => Math.max(a, c.ndcg10), -Infinity);
  const windowNote = model.selection
    ? `; window nDCG@10 ${model.selection.validationNdcg10.toFixed(4)}${included.length ? ` ≥ best of the last ${included.length} versions' configs ${bestRecent.toFixed(4)}` : ''}`
    : '';
  const gate = { passed: holdoutGate.passed && !(model.selection && model.selection.validationNdcg10 < bestRecent), reason: holdoutGate.reason + windowNote };
  // Artifact first, pointer last: a half-written version is never pointed at.
  const manifest = { ...parts.manifest, gate, extra: { ...(parts.manifest.extra ?? {}), inputs } };
  await deps.models.putVersion(version, serializeSnapshot({ ...parts, manifest }));
  if (gate.passed) await deps.models.swapPointer(pointer?.version, version);
  let retention: RetentionOutcome | undefined;
  try {
    retention = await applyRetention(deps.models, { keep: options.keepVersions, pinned: options.pinnedVersions, now: Date.now() });
  } catch (err) {
    // Retention is housekeeping: its failure must not fail a retrain that served a version.
    deps.logger.warn('model retention failed; old versions stay until the next run', { error: err instanceof Error ? err.message : String(err) });
  }
  const outcome: RetrainOutcome = { version, promoted: gate.passed, reason: gate.reason, retention, holdout, ranking: parts.manifest.ranking, seconds: (Date.now() - started) / 1000 };
  deps.logger.info('retrain finished', { ...outcome });
  return outcome;
}
