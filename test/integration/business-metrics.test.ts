/**
 * Business counters from where they happen: locally they add up in the process and GET /metrics
 * shows them beside the online attribution figures; on AWS the same data points reach a real
 * Powertools Metrics instance, which writes them to stdout as CloudWatch EMF.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { DAY, tasteGroupShop } from '../support/taste-groups.js';
import { engineInputs, trainOfflineEngine } from '../../functions/core/evaluation/offline-engine.js';
import { EmfBusinessMetrics } from '../../functions/adapters/business-metrics.js';
import { resetConfig } from '../../functions/config.js';
import { resetDeps } from '../../functions/adapters/bootstrap.js';

let aws: LocalAws;
let recommend: unknown;
let status: unknown;
const shop = tasteGroupShop({ users: 20, start: Date.now() - 30 * DAY });

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  aws = await startLocalAws();
  recommend = (await import('../../functions/recommend/handler.js')).handler;
  status = (await import('../../functions/status/handler.js')).handler;
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const deps = getDeps();
  const { events, products } = engineInputs(shop.rows);
  for (const p of products) await deps.catalog.put(p);
  for (let i = 0; i < events.length; i += 25) await deps.interactions.putEvents(events.slice(i, i + 25));
  const engine = await trainOfflineEngine(shop.rows, { version: 'v-metrics', secondStage: false });
  await deps.models.putVersion('v-metrics', engine.files);
  await deps.models.swapPointer(undefined, 'v-metrics');
}, 120_000);
afterAll(async () => {
  delete process.env.METRICS_SINK;
  resetConfig();
  await aws.stop();
});
afterEach(() => vi.restoreAllMocks());

const counters = async () => {
  const res = await invoke(status, apiEvent('GET /metrics'));
  expect(res.status).toBe(200);
  return res.body as { online: { window_days: number; responses: number }; counters: { sink: string; values: Record<string, number> } };
};

describe('locally (METRICS_SINK=memory)', () => {
  it('a recommend request increments the counters GET /metrics shows, beside the online figures', async () => {
    const before = await counters();
    expect(before.online.window_days).toBe(7);
    expect(before.counters.sink).toBe('memory');
    const served = before.counters.values.RecommendationsServed ?? 0;
    const cold = before.counters.values.ColdStartAnswers ?? 0;

    expect((await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u1', num: '3' }))).status).toBe(200);
    expect((await invoke(recommend, apiEvent('GET /recommendations/{userId}', { userId: 'a-stranger' }, { top_k: '3' }))).status).toBe(200);
    // No product of the shop is promoted: every promoted slot asked for is a shortfall.
    const short = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u2', num: '4' }, { min_promoted: '2' }));
    expect(short.status).toBe(200);
    expect(short.body.promoted_shortfall).toBe(2);

    const after = await counters();
    expect(after.counters.values.RecommendationsServed).toBe(served + 3);
    expect(after.counters.values.ColdStartAnswers).toBe(cold + 1);
    expect(after.counters.values.PromotedShortfall).toBe((before.counters.values.PromotedShortfall ?? 0) + 2);
  });

  it('a recorded impression and an order that cites it are counted, the order by its event type', async () => {
    const events = (await import('../../functions/events/handler.js')).handler;
    const before = (await counters()).counters.values;
    const shown = await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u3', num: '3' }));
    expect(shown.status).toBe(200);
    const first = shown.body.recommended_products[0].id as string;
    const order = { eventId: 'metrics-order-1', userId: 'u3', productId: first, type: 'order', recommendationId: shown.body.recommendation_id };
    const res = await invoke(events, apiEvent('POST /events', {}, {}, { events: [order] }));
    expect(res.status).toBe(200);
    const after = (await counters()).counters.values;
    expect(after.RecommendationImpressions).toBe((before.RecommendationImpressions ?? 0) + 1);
    expect(after['AttributedEvents{eventType=order}']).toBe((before['AttributedEvents{eventType=order}'] ?? 0) + 1);
    expect(after['AttributedEvents{eventType=view}'] ?? 0).toBe(before['AttributedEvents{eventType=view}'] ?? 0);
    // The same event again is a duplicate: neither stored twice nor attributed twice.
    expect((await invoke(events, apiEvent('POST /events', {}, {}, { events: [order] }))).status).toBe(200);
    expect((await counters()).counters.values['AttributedEvents{eventType=order}']).toBe(after['AttributedEvents{eventType=order}']);
  });

  it('a refused request counts nothing', async () => {
    const before = (await counters()).counters.values.RecommendationsServed ?? 0;
    expect((await invoke(recommend, apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: 'u1', num: '0' }))).status).toBe(400);
    expect((await counters()).counters.values.RecommendationsServed ?? 0).toBe(before);
  });
});

/** Every EMF document written to stdout while `run` runs. */
async function emfDocuments(run: () => Promise<unknown>): Promise<Record<string, any>[]> {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    vi.restoreAllMocks();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
}

const metricNames = (doc: Record<string, any>) => doc._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name);

describe('on AWS (METRICS_SINK=emf)', () => {
  it('the Powertools Metrics instance receives each data point and writes it as EMF', async () => {
    const metrics = new EmfBusinessMetrics(new Metrics({ namespace: 'GiftRecommenderTest', serviceName: 'metrics-test' }));
    const docs = await emfDocuments(async () => {
      metrics.count('EmbedRejected', 1, 'too_large');
      metrics.count('ModelFallback', 1, undefined, { pointerVersion: 'v9', servingVersion: 'v8' });
    });
    expect(docs).toHaveLength(2);
    expect(docs[0]._aws.CloudWatchMetrics[0].Namespace).toBe('GiftRecommenderTest');
    expect(metricNames(docs[0])).toEqual(['EmbedRejected']);
    expect(docs[0].reason).toBe('too_large');
    expect(docs[0]._aws.CloudWatchMetrics[0].Dimensions[0]).toContain('reason');
    expect(docs[0].EmbedRejected).toBe(1);
    expect(metricNames(docs[1])).toEqual(['ModelFallback']);
    expect(docs[1]).toMatchObject({ pointerVersion: 'v9', servingVersion: 'v8', ModelFallback: 1 });
  });

  it('the recommend handler emits RecommendationsServed through the container wiring', async () => {
    process.env.METRICS_SINK = 'emf';
    process.env.POWERTOOLS_METRICS_NAMESPACE = 'GiftRecommenderHandlerTest';
    resetConfig();
    resetDeps();
    try {
      const docs = await emfDocuments(() => invoke(recommend, apiEvent('GET /recommendations/{userId}', { userId: 'another-stranger' }, { top_k: '2' })));
      const names = docs.flatMap(metricNames);
      expect(names).toContain('RecommendationsServed');
      expect(names).toContain('ColdStartAnswers');
      expect(docs.every((d) => d._aws.CloudWatchMetrics[0].Namespace === 'GiftRecommenderHandlerTest')).toBe(true);
      // GET /metrics says where the counters went instead of showing this process's.
      expect((await counters()).counters).toEqual({ sink: 'emf', namespace: 'GiftRecommenderHandlerTest' });
    } finally {
      delete process.env.METRICS_SINK;
      delete process.env.POWERTOOLS_METRICS_NAMESPACE;
      resetConfig();
      resetDeps();
    }
  });
});
