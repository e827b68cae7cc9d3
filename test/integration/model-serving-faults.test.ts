/**
 * Model serving under faults, against s3rver + dynalite: a corrupt pointer version at cold start
 * falls back down the pointer's history; a retrain killed mid-write never moves the pointer;
 * scorer sessions are swapped under concurrent load without disposing one still in use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { awsError, injectFaults } from '../support/fault-injection.js';
import { generateDemoData, writeDemoData } from '../../bin/local/demo-data.js';
import type { ModelSnapshot } from '../../functions/core/snapshot/model-snapshot.js';

let aws: LocalAws;
let first: string;

const recorded = () => {
  const lines: { level: string; message: string; extra: unknown }[] = [];
  const at = (level: string) => (message: string, extra?: unknown) => void lines.push({ level, message, extra });
  return { lines, logger: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
};

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  aws = await startLocalAws();
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
  const deps = getDeps();
  const demo = generateDemoData({ users: 80, now: Date.parse('2026-11-01T00:00:00Z') });
  await writeDemoData(deps, demo);
  // ALS only: a scorer is trained for ALS versions (the scorer suites below need one).
  first = (await retrainModel(deps, { version: 'v-a', als: { regularization: 10 } })).version;
});
afterAll(async () => {
  await aws.stop();
});

/** A copy of a stored version under another name (its manifest says the new name). */
async function copyVersion(from: string, to: string): Promise<void> {
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const { models } = getDeps();
  const manifest = JSON.parse(new TextDecoder().decode(await models.getFile(from, 'manifest.json')));
  const files: Record<string, Uint8Array> = { 'manifest.json': new TextEncoder().encode(JSON.stringify({ ...manifest, version: to })) };
  for (const name of Object.keys(manifest.files)) files[name] = await models.getFile(from, name);
  await models.putVersion(to, files);
}

describe('cold start on a corrupt pointer version', () => {
  it('falls back down the pointer history to the newest version that verifies, with a log line and a metric', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { ServingModel } = await import('../../functions/adapters/model-cache.js');
    const s3Client = (await import('../../functions/adapters/bootstrap.js')).getDeps().s3;
    const deps = getDeps();
    await copyVersion(first, 'v-b');
    await copyVersion(first, 'v-c');
    await deps.models.swapPointer(first, 'v-b');
    await deps.models.swapPointer('v-b', 'v-c');
    expect((await deps.models.readPointer())?.history).toEqual(['v-b', first]);
    // v-c: one factor byte flipped (checksum); v-b: its manifest is not JSON.
    const bytes = await deps.models.getFile('v-c', 'item_factors.f32');
    const flipped = Uint8Array.from(bytes);
    flipped[7] ^= 0xff;
    await s3Client.send(new PutObjectCommand({ Bucket: deps.config.MODELS_BUCKET, Key: 'models/v-c/item_factors.f32', Body: flipped }));
    await s3Client.send(new PutObjectCommand({ Bucket: deps.config.MODELS_BUCKET, Key: 'models/v-b/manifest.json', Body: '{"version":' }));

    const { lines, logger } = recorded();
    const fallbacks: [string, string][] = [];
    const serving = new ServingModel(deps.models, 0, logger as never, { fallback: (from, to) => void fallbacks.push([from, to]) });
    expect((await serving.get()).manifest.version).toBe(first);
    expect(fallbacks).toEqual([['v-c', first]]);
    expect(lines.filter((l) => l.level === 'error').map((l) => (l.extra as { version: string }).version)).toEqual(['v-c', 'v-b']);
    expect(lines.some((l) => l.level === 'warn' && /fallback/.test(l.message))).toBe(true);
    expect(await serving.state()).toEqual({ serving: first, pointer: 'v-c', refused: ['v-c', 'v-b'] });
    // A warm container that already serves keeps its version instead of walking back.
    const warm = new ServingModel(deps.models, 0, logger as never);
    await deps.models.swapPointer('v-c', first);
    expect((await warm.get()).manifest.version).toBe(first);
    await copyVersion(first, 'v-d');
    const broken = await deps.models.getFile('v-d', 'users.json');
    await s3Client.send(new PutObjectCommand({ Bucket: deps.config.MODELS_BUCKET, Key: 'models/v-d/users.json', Body: Uint8Array.from(broken.subarray(1)) }));
    await deps.models.swapPointer(first, 'v-d');
    expect((await warm.get()).manifest.version).toBe(first);
    await deps.models.swapPointer('v-d', first);
  });

  it('a store outage at cold start is not a refusal: the next request loads the version', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { ServingModel } = await import('../../functions/adapters/model-cache.js');
    const s3Client = (await import('../../functions/adapters/bootstrap.js')).getDeps().s3;
    const deps = getDeps();
    const { logger } = recorded();
    const serving = new ServingModel(deps.models, 60_000, logger as never);
    const remove = injectFaults(s3Client, (call) => (call.command === 'GetObjectCommand' ? awsError('SlowDown', 'injected: S3 slow down', 503) : undefined));
    try {
      await expect(serving.get()).rejects.toThrow(/injected/);
    } finally {
      remove();
    }
    expect((await serving.get()).manifest.version).toBe(first);
    expect((await serving.state()).refused).toEqual([]);
  });
});

describe('retrain, retention and a retrain killed while writing its version', () => {
  it('a retrain with nothing new since the serving version writes nothing and says so', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const deps = getDeps();
    const before = (await deps.models.listVersions()).map((v) => v.version).sort();
    const outcome = await retrainModel(deps, { version: 'v-same' });
    expect(outcome).toMatchObject({ skipped: true, promoted: false, version: first });
    expect(outcome.reason).toMatch(/no new events/);
    expect((await deps.models.listVersions()).map((v) => v.version).sort()).toEqual(before);
  });

  it('leaves the pointer where it was; the half-written version is never served, and retention removes it', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const { applyRetention } = await import('../../functions/retrain/retention.js');
    const s3Client = (await import('../../functions/adapters/bootstrap.js')).getDeps().s3;
    const deps = getDeps();
    await deps.interactions.putEvents([{ eventId: 'new-since-v-a', userId: 'u-new', productId: (await deps.catalog.scanAll()[Symbol.asyncIterator]().next()).value.id, type: 'view', quantity: 1, timestamp: Date.now() }]);
    const before = await deps.models.readPointer();
    let puts = 0;
    const remove = injectFaults(s3Client, (call) => (call.command === 'PutObjectCommand' && ++puts === 3 ? awsError('InternalError', 'injected: killed mid-write') : undefined));
    try {
      await expect(retrainModel(deps, { version: 'v-half' })).rejects.toThrow(/injected/);
    } finally {
      remove();
    }
    expect(puts).toBe(3);
    expect(await deps.models.readPointer()).toEqual(before);
    await expect(deps.models.getFile('v-half', 'manifest.json')).rejects.toThrow();
    expect((await deps.models.listVersions()).find((v) => v.version === 'v-half')).toMatchObject({ complete: false });
    // Within the grace period a half-written version may be a retrain still writing: kept.
    expect((await applyRetention(deps.models)).halfWritten).toEqual([]);
    expect((await applyRetention(deps.models, { graceMs: 0 })).halfWritten).toEqual(['v-half']);
    expect((await deps.models.listVersions()).map((v) => v.version)).not.toContain('v-half');
  });

  it('keeps the newest N complete versions plus the pointer chain and the pinned ones', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { applyRetention } = await import('../../functions/retrain/retention.js');
    const deps = getDeps();
    for (let i = 0; i < 5; i++) await copyVersion(first, `v-old-${i}`);
    const pointer = (await deps.models.readPointer())!;
    const chain = [pointer.version, ...(pointer.history ?? [])];
    const all = (await deps.models.listVersions()).filter((v) => v.complete).map((v) => v.version);
    const outcome = await applyRetention(deps.models, { keep: 2, pinned: ['v-old-0'] });
    const left = (await deps.models.listVersions()).map((v) => v.version);
    for (const v of [...chain.filter((c) => all.includes(c)), 'v-old-0', 'v-old-4', 'v-old-3']) expect(left).toContain(v);
    expect(outcome.deleted.length).toBeGreaterThan(0);
    for (const v of outcome.deleted) expect(left).not.toContain(v);
    expect(left.length).toBe(new Set([...chain.filter((c) => all.includes(c)), 'v-old-0', 'v-old-4', 'v-old-3']).size);
  });
});

describe('scorer sessions swapped under concurrent load', () => {
  async function snapshotOf(version: string): Promise<ModelSnapshot> {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { ServingModel } = await import('../../functions/adapters/model-cache.js');
    const deps = getDeps();
    const pinned = { ...deps.models, getFile: deps.models.getFile.bind(deps.models), readPointer: async () => ({ version, updatedAt: '' }) };
    return new ServingModel(pinned, 0, deps.logger).get();
  }

  it('a replaced version keeps its session while a request holds it, and loses it after', async () => {
    const { ScorerSessionCache } = await import('../../functions/adapters/onnx-scorer.js');
    const { FEATURE_COUNT } = await import('../../functions/core/ranking/features.js');
    const snap = await snapshotOf(first);
    expect(snap.scorerOnnx).toBeDefined();
    const cache = new ScorerSessionCache();
    const rows = 4;
    const x = new Float32Array(rows * FEATURE_COUNT).map((_, i) => (i % 5) / 5);
    const old = await cache.acquire('old', snap.scorerOnnx!, FEATURE_COUNT);
    const next = await cache.acquire('new', snap.scorerOnnx!, FEATURE_COUNT);
    // The swap happened while `old` was leased: its session still runs.
    expect(await old.scorer.score(x, rows)).toHaveLength(rows);
    expect(cache.liveVersions().sort()).toEqual(['new', 'old']);
    old.release();
    old.release(); // a second release is a no-op, not a negative count
    expect(cache.liveVersions()).toEqual(['new']);
    await expect(old.scorer.score(x, rows)).rejects.toThrow();
    next.release();
    expect(cache.liveVersions()).toEqual(['new']);
  });

  it('300 concurrent scorings across 6 version swaps: no error, and only the last version stays', async () => {
    const { ScorerSessionCache } = await import('../../functions/adapters/onnx-scorer.js');
    const { FEATURE_COUNT } = await import('../../functions/core/ranking/features.js');
    const snap = await snapshotOf(first);
    const cache = new ScorerSessionCache();
    const rows = 32;
    const x = new Float32Array(rows * FEATURE_COUNT).map((_, i) => ((i * 7) % 11) / 11);
    const errors: unknown[] = [];
    const run = async (i: number) => {
      // Requests that started on an older snapshot keep scoring with it after the swap.
      const version = `v${Math.floor(i / 50)}`;
      const lease = await cache.acquire(version, snap.scorerOnnx!, FEATURE_COUNT);
      try {
        for (let k = 0; k < 3; k++) {
          await new Promise((r) => setImmediate(r));
          const out = await lease.scorer.score(x, rows);
          if (out.length !== rows) throw new Error('short output');
        }
      } catch (err) {
        errors.push(err);
      } finally {
        lease.release();
      }
    };
    // Interleaved so that every version's requests overlap the next version's first ones.
    await Promise.all(Array.from({ length: 300 }, (_, i) => run(i)));
    expect(errors).toEqual([]);
    expect(cache.liveVersions()).toEqual(['v5']);
    expect(cache.leasesOf('v5')).toBe(0);
  });
});
