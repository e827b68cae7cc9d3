/**
 * `npm run batch` returns what the API serves: a version trained by the offline engine (the batch's
 * code) is stored through the ModelStore, the same events go through the interactions table, and for
 * a sample of users `GET /recommendations/{userId}?top_k=5` (API Gateway v2 event, dynalite + s3rver)
 * answers the batch's list — same items, same order, same scores — for both families.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { DAY, tasteGroupShop } from '../support/taste-groups.js';
import { engineInputs, recommendOffline, trainOfflineEngine } from '../../functions/core/evaluation/offline-engine.js';
import type { ModelConfig } from '../../functions/core/snapshot/model-config.js';

let aws: LocalAws;
let recommend: unknown;
let deps: Awaited<ReturnType<typeof import('../../functions/adapters/bootstrap.js')['getDeps']>>;

// The newest event is a minute old: the batch ranks at that instant, the handler seconds later —
// a uniform decay factor of 2^(−seconds/half-life) that leaves orders equal and scores equal to ~1e-6.
const shop = tasteGroupShop({ users: 45, start: Date.now() - 60 * DAY });
const newest = Math.max(...shop.rows.map((r) => r.timestamp));
const rows = shop.rows.map((r) => ({ ...r, timestamp: r.timestamp - newest + Date.now() - 60_000 }));

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = process.env.DEBUG_LOG ?? 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  aws = await startLocalAws();
  recommend = (await import('../../functions/recommend/handler.js')).handler;
  deps = (await import('../../functions/adapters/bootstrap.js')).getDeps();
  const { events, products } = engineInputs(rows);
  for (const p of products) await deps.catalog.put(p);
  for (let i = 0; i < events.length; i += 25) await deps.interactions.putEvents(events.slice(i, i + 25));
});
afterAll(async () => {
  await aws.stop();
});

describe('batch rows = the recommend handler on the same version', () => {
  const configs: [string, ModelConfig | undefined][] = [
    ['as selected (no flags)', undefined],
    ['EASE neighbours with recency', { family: 'ease', halfLifeDays: 14, popularityBlend: 0.15 }],
    ['ALS fold-in with recency', { family: 'als', halfLifeDays: 30, popularityBlend: 0 }],
  ];
  let previous: string | undefined;

  it.each(configs)('%s', async (_name, model) => {
    const version = `batch-${model?.family ?? 'auto'}`;
    const engine = await trainOfflineEngine(rows, { model, version });
    await deps.models.putVersion(version, engine.files);
    await deps.models.swapPointer(previous, version);
    previous = version;
    for (const user of ['u0', 'u1', 'u2', 'u7', 'u30', 'nobody']) {
        const res = await invoke(recommend, apiEvent('GET /recommendations/{userId}', { userId: user }, { top_k: '5' }));
        expect(res.status).toBe(200);
        expect(res.body.model_version).toBe(version);
        const batch = await recommendOffline(engine, user, 5, 'owned');
        const served = res.body.recommended_products as { id: string; score: number }[];
        expect(served.map((p) => p.id)).toEqual(batch.map((b) => b.id));
        expect(served).toHaveLength(5);
        served.forEach((p, r) => expect(p.score).toBeCloseTo(batch[r].score, 4));
      }
  }, 120_000);
});
