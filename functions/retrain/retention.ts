/**
 * Model-version retention, run after each retrain: keeps the newest `keep` complete versions, the
 * pointer's version and its history (the cold-start fallback chain), and any pinned version;
 * deletes the rest, and deletes half-written versions (no manifest: their writer died) once they
 * are older than a grace period, so a retrain writing right now is never touched. On AWS a lifecycle
 * rule on the models bucket is the backstop (lib/buckets.ts).
 */
import type { ModelStore } from '../core/domain/ports.js';

export const DEFAULT_KEEP_VERSIONS = 10;
/** A version without a manifest younger than this may still be being written. */
export const HALF_WRITTEN_GRACE_MS = 15 * 60 * 1000;

export interface RetentionOutcome {
  kept: string[];
  deleted: string[];
  halfWritten: string[];
}

export async function applyRetention(
  models: ModelStore,
  options: { keep?: number; pinned?: readonly string[]; now?: number; graceMs?: number } = {},
): Promise<RetentionOutcome> {
  const keep = options.keep ?? DEFAULT_KEEP_VERSIONS;
  const now = options.now ?? Date.now();
  const grace = options.graceMs ?? HALF_WRITTEN_GRACE_MS;
  const [versions, pointer] = await Promise.all([models.listVersions(), models.readPointer()]);
  const protectedVersions = new Set([...(options.pinned ?? []), ...(pointer ? [pointer.version, ...(pointer.history ?? []), ...(pointer.previous ? [pointer.previous] : [])] : [])]);
  const complete = versions.filter((v) => v.complete).sort((a, b) => b.lastModified - a.lastModified || (a.version < b.version ? 1 : -1));
  const kept = new Set([...complete.slice(0, keep).map((v) => v.version), ...[...protectedVersions].filter((v) => versions.some((s) => s.version === v))]);
  const deleted: string[] = [];
  const halfWritten: string[] = [];
  for (const v of complete) {
    if (kept.has(v.version)) continue;
    await models.deleteVersion(v.version);
    deleted.push(v.version);
  }
  for (const v of versions) {
    if (v.complete || protectedVersions.has(v.version) || now - v.lastModified < grace) continue;
    await models.deleteVersion(v.version);
    halfWritten.push(v.version);
  }
  return { kept: [...kept], deleted, halfWritten };
}
