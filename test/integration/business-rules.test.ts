/**
 * Business rules end to end against dynalite + s3rver, with API Gateway v2 events carrying the JWT
 * authorizer's claims (AUTH=jwt): `GET|PUT /config` are admin-only and refuse bad values with a 400
 * naming each bad field (nothing stored); the environment's rules show as such until an admin stores
 * some; the next retrain records the stored rules in its manifest (`GET /model`), and the served list
 * then obeys them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalAws, type LocalAws } from '../support/local-aws.js';
import { apiEvent, invoke } from '../support/api-events.js';
import { generateDemoData, writeDemoData } from '../../bin/local/demo-data.js';
import { DEFAULT_BUSINESS_RULES } from '../../functions/core/ranking/business-rules.js';
import { ConfigResponse } from '../../functions/http/config-schema.js';

let aws: LocalAws;
let status: unknown;
let recommend: unknown;
const ENV_RULES = { minPrice: 1 };

type Who = 'anonymous' | 'user' | 'service' | 'admin';
const SCOPES: Record<Exclude<Who, 'anonymous'>, string[]> = { user: [], service: ['gift-recommender/service'], admin: ['gift-recommender/admin'] };

/** The event as API Gateway's JWT authorizer hands it over: claims and scopes in `requestContext.authorizer.jwt`. */
function as(who: Who, event: APIGatewayProxyEventV2): APIGatewayProxyEventV2 {
  if (who === 'anonymous') return event;
  const scopes = SCOPES[who];
  const authorizer = { jwt: { claims: { sub: `${who}-1`, scope: scopes.join(' ') }, scopes } };
  return { ...event, requestContext: { ...event.requestContext, authorizer } as APIGatewayProxyEventV2['requestContext'] };
}

const getConfig = (who: Who = 'admin') => invoke(status, as(who, apiEvent('GET /config')));
const putConfig = (body: unknown, who: Who = 'admin') => invoke(status, as(who, apiEvent('PUT /config', {}, {}, body)));

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
  process.env.MODEL_POINTER_TTL_MS = '0';
  process.env.LIVE_CATALOG_TTL_MS = '0';
  process.env.LIVE_CATALOG_REBUILD_MS = '0';
  process.env.ALS_REGULARIZATION = '10';
  process.env.AUTH = 'jwt';
  process.env.BUSINESS_RULES = JSON.stringify(ENV_RULES);
  aws = await startLocalAws();
  status = (await import('../../functions/status/handler.js')).handler;
  recommend = (await import('../../functions/recommend/handler.js')).handler;
  const { getDeps } = await import('../../functions/adapters/bootstrap.js');
  const deps = getDeps();
  const demo = generateDemoData({ users: 120, now: Date.parse('2026-11-01T00:00:00Z') });
  await writeDemoData(deps, demo);
});
afterAll(async () => {
  delete process.env.AUTH;
  delete process.env.BUSINESS_RULES;
  await aws.stop();
});

describe('GET|PUT /config access', () => {
  it.each([
    ['anonymous', 401],
    ['user', 403],
    ['service', 403],
  ] as const)('%s callers get %i on both routes, and nothing is stored', async (who, code) => {
    expect((await getConfig(who)).status).toBe(code);
    const put = await putConfig({ minPrice: 5 }, who);
    expect(put.status).toBe(code);
    expect(put.body.error.code).toBe(code === 401 ? 'unauthorized' : 'forbidden');
    const after = await getConfig();
    expect(after.body.source).toBe('environment');
  });

  it('before any PUT, an admin sees the environment\'s rules, no serving version, every default off', async () => {
    const res = await getConfig();
    expect(res.status).toBe(200);
    ConfigResponse.parse(res.body);
    expect(res.body).toMatchObject({ source: 'environment', rules: { ...DEFAULT_BUSINESS_RULES, ...ENV_RULES }, environment: { ...DEFAULT_BUSINESS_RULES, ...ENV_RULES }, serving: null, updated_at: null });
    expect(res.body.defaults).toEqual(DEFAULT_BUSINESS_RULES);
  });

  it('answers 400 listing every bad field, and stores nothing', async () => {
    const bad = await putConfig({ minPrice: -1, excludeMostPopularShare: 1.5, minItemsPerCategory: 2.5, promotedBoost: 'high', excludeNotSoldForMonths: 0, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_input');
    const fields = bad.body.error.details.map((d: { path: string; message: string }) => d.path || d.message);
    for (const f of ['minPrice', 'excludeMostPopularShare', 'minItemsPerCategory', 'promotedBoost', 'excludeNotSoldForMonths']) expect(fields).toContain(f);
    expect(bad.body.error.details.some((d: { message: string }) => d.message.includes('colour'))).toBe(true);
    // Cross-field: an empty price range.
    const empty = await putConfig({ minPrice: 50, maxPrice: 10 });
    expect(empty.status).toBe(400);
    expect(empty.body.error.details).toEqual([{ path: 'minPrice', message: 'must not exceed maxPrice (10)' }]);
    expect((await putConfig('not json at all')).status).toBe(400);
    // Strict like every route: no query parameters, no body on the GET.
    const withQuery = await invoke(status, as('admin', apiEvent('PUT /config', {}, { dry_run: '1' }, { minPrice: 5 })));
    expect(withQuery.status).toBe(400);
    expect(withQuery.body.error.message).toMatch(/^Invalid query/);
    expect((await invoke(status, as('admin', apiEvent('GET /config', {}, {}, { minPrice: 5 })))).status).toBe(400);
    expect((await getConfig()).body.source).toBe('environment');
  });
});

describe('rules through the retrain into serving', () => {
  /** The admin's view of one receiver's list (an admin sees every reason). */
  const listFor = async (receiverId: string) => {
    const res = await invoke(recommend, as('admin', apiEvent('GET /recommend/{receiverId}/{num}', { receiverId, num: '10' })));
    expect(res.status).toBe(200);
    return res.body.recommended_products as { id: string; price: number; promoted: boolean }[];
  };

  it('the next retrain records the stored rules in its manifest, and the served list obeys them', async () => {
    const { handler: retrain } = await import('../../functions/retrain/handler.js');
    const { getDeps } = await import('../../functions/adapters/bootstrap.js');
    const first = await retrain();
    expect(first.promoted).toBe(true);
    const model = await invoke(status, as('admin', apiEvent('GET /model')));
    expect(model.body.recommender.rules).toMatchObject({ source: 'environment', settings: { ...DEFAULT_BUSINESS_RULES, ...ENV_RULES } });
    const receiver = 'u001';
    const before = await listFor(receiver);
    expect(before).toHaveLength(10);

    // An admin caps the price below the cheapest half of what was served.
    const prices = before.map((p) => p.price).sort((a, b) => a - b);
    const maxPrice = prices[4];
    const put = await putConfig({ maxPrice, promotedBoost: 0.05 });
    expect(put.status).toBe(200);
    ConfigResponse.parse(put.body);
    expect(put.body).toMatchObject({ source: 'stored', updated_by: 'admin-1', rules: { ...DEFAULT_BUSINESS_RULES, maxPrice, promotedBoost: 0.05 }, pending_retrain: true });
    expect(put.body.serving).toMatchObject({ model_version: first.version, rules: { ...DEFAULT_BUSINESS_RULES, ...ENV_RULES } });
    // Until the retrain, serving keeps the version's own rules.
    expect(await listFor(receiver)).toEqual(before);

    // Same events and catalog: only the rules changed, and that is reason enough to retrain.
    const second = await retrain();
    expect(second.skipped).toBeUndefined();
    expect(second.promoted).toBe(true);
    const manifest = JSON.parse(new TextDecoder().decode(await getDeps().models.getFile(second.version, 'manifest.json')));
    expect(manifest.rules.settings).toEqual({ ...DEFAULT_BUSINESS_RULES, maxPrice, promotedBoost: 0.05 });
    expect(manifest.rules.source).toBe('stored');
    expect(manifest.rules.excluded.maxPrice).toBeGreaterThan(0);
    const after = await listFor(receiver);
    expect(after).toHaveLength(10);
    for (const p of after) expect(p.price).toBeLessThanOrEqual(maxPrice);
    expect(after.map((p) => p.id)).not.toEqual(before.map((p) => p.id));

    const config = await getConfig();
    expect(config.body.pending_retrain).toBe(false);
    // Retention ran after each retrain and left the stored rules alone (they are not a version).
    expect(config.body.source).toBe('stored');
    expect(config.body.serving.model_version).toBe(second.version);
    expect(config.body.serving.excluded.maxPrice).toBe(manifest.rules.excluded.maxPrice);
    // And a third run with nothing new is skipped again.
    expect((await retrain()).skipped).toBe(true);
  });
});
