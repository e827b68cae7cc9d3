/** `GET /health` and `GET /model` (the serving model's manifest plus the image models'). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseInput, type ApiEvent } from '../http/api.js';
import { MetricsQuery } from '../http/schemas.js';
import { dayOf, summarize } from '../core/domain/online-metrics.js';
import { buildOpenApi } from '../http/openapi.js';
import { readManifest } from '../core/snapshot/model-snapshot.js';

async function imageModelsManifest(modelsDir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}

let openApi: ReturnType<typeof buildOpenApi> | undefined;

export const handler = apiHandler(
  {
    // The version this container actually serves (it may differ from the pointer's: a refused
    // version, or a cold-start fallback), the pointer's, and whether they differ.
    'GET /health': async () => {
      const state = await getDeps().serving.state();
      return json(200, {
        status: 'ok',
        model_version: state.serving,
        pointer_version: state.pointer,
        serving_differs_from_pointer: state.serving !== state.pointer,
      });
    },
    'GET /openapi.json': async (event: ApiEvent) => {
      // Built once per container; the server URL is the host the caller reached (API Gateway sets x-forwarded-proto).
      openApi ??= buildOpenApi();
      const host = event.headers?.host ?? event.requestContext?.domainName;
      const proto = event.headers?.['x-forwarded-proto'] ?? 'http';
      return json(200, host ? { ...openApi, servers: [{ url: `${proto}://${host}` }] } : openApi);
    },
    'GET /metrics': async (event: ApiEvent) => {
      const { days } = parseInput(MetricsQuery, event.queryStringParameters ?? {}, 'query');
      const { onlineMetrics, config } = getDeps();
      const today = Date.now();
      const dayList = Array.from({ length: days }, (_, i) => dayOf(today - i * 86_400_000));
      const summary = summarize(await onlineMetrics.readCounters(dayList));
      return json(200, {
        online: {
          window_days: days,
          since: dayList[dayList.length - 1],
          attribution_window_hours: config.ATTRIBUTION_WINDOW_HOURS,
          sample_rate: config.IMPRESSION_SAMPLE_RATE,
          retention_days: config.IMPRESSION_TTL_DAYS,
          ...summary,
        },
      });
    },
    'GET /model': async () => {
      const { models, config } = getDeps();
      const pointer = await models.readPointer();
      const manifest = pointer ? await readManifest(models, pointer.version) : null;
      return json(200, {
        model_version: pointer?.version ?? null,
        previous_version: pointer?.previous ?? null,
        updated_at: pointer?.updatedAt ?? null,
        recommender: manifest,
        image_models: await imageModelsManifest(config.MODELS_DIR),
      });
    },
  },
  getDeps().logger,
);
