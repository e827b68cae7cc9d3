/**
 * The scheduled retrain Lambda with a real EventBridge event against dynalite + s3rver: a version
 * is written whole before the pointer moves, and a failed or gated-out retrain leaves the serving
 * version in place.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventBridgeEvent } from 'aws-lambda';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { generateDemoData, writeDemoData } from '../../bin/local/demo-data.js';

let aws: LocalAws;

const scheduledEvent: EventBridgeEvent<'Scheduled Event', Record<string, never>> = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-23T12:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:123456789012:rule/gift-recommender-retrain'],
  detail: {},
};

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.ALS_REGULARIZATION = '10'; // the small synthetic catalog, run as the local runtime runs it
  aws = await startLocalAws();
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const deps = getDeps();
  const demo = generateDemoData({ users: 120, now: Date.parse('2026-11-01T00:00:00Z') });
  await writeDemoData(deps, demo);
});
afterAll(async () => {
  await aws.stop();
});

/** Every file of a stored version, as the serving container fetches them. */
async function readVersion(version: string): Promise<Record<string, Uint8Array>> {
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const { models } = getDeps();
  const manifestBytes = await models.getFile(version, 'manifest.json');
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  const files: Record<string, Uint8Array> = { 'manifest.json': manifestBytes };
  for (const name of Object.keys(manifest.files)) files[name] = await models.getFile(version, name);
  return files;
}

/** A copy of a stored version under another name, its manifest edited by `edit` (the manifest is not checksummed). */
async function copyVersion(from: string, to: string, edit: (manifest: Record<string, any>) => Record<string, any>): Promise<void> {
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const files = await readVersion(from);
  const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
  files['manifest.json'] = new TextEncoder().encode(JSON.stringify(edit({ ...manifest, version: to })));
  await getDeps().models.putVersion(to, files);
}

describe('retrain Lambda', () => {
  it('writes a checksummed version, then moves the pointer; the serving model loads it', async () => {
    const { handler } = await import('../../functions/retrain/handler.js');
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const deps = getDeps();
    const outcome = await handler(scheduledEvent);
    expect(outcome.promoted).toBe(true);
    expect(outcome.holdout.users).toBeGreaterThan(20);
    // ALS must beat popularity on this taste-driven data, or the gate would not have passed.
    expect(outcome.holdout.alsNdcg10).toBeGreaterThan(outcome.holdout.popularityNdcg10);
    expect((await deps.models.readPointer())?.version).toBe(outcome.version);
    const manifest = JSON.parse(new TextDecoder().decode(await deps.models.getFile(outcome.version, 'manifest.json')));
    expect(manifest.gate.passed).toBe(true);
    expect(Object.keys(manifest.files).length).toBeGreaterThanOrEqual(6);
    const snapshot = await deps.serving.get(Date.now());
    expect(snapshot.manifest.version).toBe(outcome.version);
    expect(snapshot.items.length).toBe(400);
  });

  it('a fresh container loads once for concurrent first requests, and a failed pointer read keeps the loaded version serving', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { ServingModel } = await import('../../functions/adapters/model-cache.js');
    const deps = getDeps();
    const version = (await deps.models.readPointer())!.version;
    let pointerReads = 0;
    let pointerFails = false;
    const store = {
      ...deps.models,
      getFile: deps.models.getFile.bind(deps.models),
      readPointer: async () => {
        pointerReads++;
        if (pointerFails) throw new Error('ThrottlingException');
        return deps.models.readPointer();
      },
    };
    const serving = new ServingModel(store, 1000, deps.logger);
    const now = Date.now();
    // Three requests arrive before the first load finishes: all are answered by the one load.
    const snapshots = await Promise.all([serving.get(now), serving.get(now), serving.get(now)]);
    expect(snapshots.map((s) => s.manifest.version)).toEqual([version, version, version]);
    expect(pointerReads).toBe(1);
    // Past the TTL the pointer is re-read; when that read fails, the loaded version answers.
    pointerFails = true;
    expect((await serving.get(now + 5000)).manifest.version).toBe(version);
    expect(pointerReads).toBe(2);
  });

  it('a retrain that fails midway leaves the pointer where it was', async () => {
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const deps = getDeps();
    const before = await deps.models.readPointer();
    const failingModels = { ...deps.models, readPointer: deps.models.readPointer.bind(deps.models), getFile: deps.models.getFile.bind(deps.models), swapPointer: deps.models.swapPointer.bind(deps.models), putVersion: async () => { throw new Error('S3 unavailable'); } };
    await expect(retrainModel({ ...deps, models: failingModels }, { force: true })).rejects.toThrow('S3 unavailable');
    expect(await deps.models.readPointer()).toEqual(before);
  });

  it('the gate refuses a version worse than the serving one, and always lets the first version serve', async () => {
    const { gateDecision } = await import('../../functions/retrain/retrain-model.js');
    const first = gateDecision({ users: 100, alsHitRate10: 0.1, alsNdcg10: 0.05, popularityHitRate10: 0.2, popularityNdcg10: 0.1 }, undefined);
    expect(first.passed).toBe(true);
    expect(first.reason).toContain('popularity 0.1000');
    const regressed = gateDecision({ users: 100, alsHitRate10: 0.3, alsNdcg10: 0.15, popularityHitRate10: 0.2, popularityNdcg10: 0.1 }, 0.2);
    expect(regressed.passed).toBe(false);
    const fine = gateDecision({ users: 100, alsHitRate10: 0.3, alsNdcg10: 0.19, popularityHitRate10: 0.2, popularityNdcg10: 0.1 }, 0.2);
    expect(fine.passed).toBe(true);
  });

  it('a retrain the gate refuses is written whole but the pointer stays on the serving version', async () => {
    const { retrainModel } = await import('../../functions/retrain/retrain-model.js');
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const deps = getDeps();
    const serving = (await deps.models.readPointer())!.version;
    // A serving version whose recorded holdout NDCG no retrain on this data can come within 10 % of.
    await copyVersion(serving, 'v-unbeatable', (m) => ({ ...m, metrics: { ...m.metrics, alsNdcg10: 0.99, holdoutNdcg10: 0.99 } }));
    await deps.models.swapPointer(serving, 'v-unbeatable');
    try {
      const outcome = await retrainModel(deps, { version: 'v-refused', force: true });
      expect(outcome.promoted).toBe(false);
      expect(outcome.reason).toMatch(/below serving 0\.9900/);
      expect((await deps.models.readPointer())?.version).toBe('v-unbeatable');
      const written = JSON.parse(new TextDecoder().decode(await deps.models.getFile('v-refused', 'manifest.json')));
      expect(written.gate.passed).toBe(false);
    } finally {
      await deps.models.swapPointer('v-unbeatable', serving);
    }
  });

  it('one flipped byte in item_factors.f32 (same length, still finite) is refused; the container keeps its version', async () => {
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const { ServingModel } = await import('../../functions/adapters/model-cache.js');
    const { deserializeSnapshot } = await import('../../functions/core/snapshot/model-snapshot.js');
    const { CorruptArtifact } = await import('../../functions/core/domain/errors.js');
    const deps = getDeps();
    const serving = (await deps.models.readPointer())!.version;
    // A warm container keeps what it has: no walk down the pointer history, no fallback counted.
    const fallbacks: [string, string][] = [];
    const container = new ServingModel(deps.models, 0, deps.logger, { fallback: (from, to) => void fallbacks.push([from, to]) });
    expect((await container.get()).manifest.version).toBe(serving);

    const files = await readVersion(serving);
    const factors = Uint8Array.from(files['item_factors.f32']);
    factors[0] ^= 0x01; // lowest mantissa bit of the first factor: the value moves by ~1e-8, stays finite
    const flippedValue = new Float32Array(factors.buffer, 0, 1)[0];
    expect(Number.isFinite(flippedValue) && flippedValue !== new Float32Array(Uint8Array.from(files['item_factors.f32']).buffer, 0, 1)[0]).toBe(true);
    const flipped = { ...files, 'item_factors.f32': factors };
    expect(() => deserializeSnapshot(flipped)).toThrow(CorruptArtifact);
    expect(() => deserializeSnapshot(flipped)).toThrow(/item_factors\.f32: checksum mismatch/);
    expect(deserializeSnapshot(files).manifest.version).toBe(serving);

    await deps.models.putVersion('v-flipped', flipped);
    await deps.models.swapPointer(serving, 'v-flipped');
    try {
      expect((await container.get()).manifest.version).toBe(serving);
      expect(await container.state()).toMatchObject({ serving, pointer: 'v-flipped', refused: ['v-flipped'] });
      expect(fallbacks).toEqual([]);
    } finally {
      await deps.models.swapPointer('v-flipped', serving);
    }
  });
});
