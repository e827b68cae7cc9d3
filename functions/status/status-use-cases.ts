/** What `GET /health`, `GET /model` and `GET /openapi.json` report: the serving version, its manifest and the image models', the API document. */
import type { ModelStore } from '../core/domain/ports.js';
import { readManifest } from '../core/snapshot/model-snapshot.js';
import type { ServingModel } from '../adapters/model-cache.js';
import { buildOpenApi } from '../http/openapi.js';
import { dayOf, summarize } from '../core/domain/online-metrics.js';
import type { CounterSnapshot, OnlineMetricsStore } from '../core/domain/ports.js';

export interface StatusDeps {
  models: ModelStore;
  serving: Pick<ServingModel, 'state'>;
  /** The image models' manifest (the layer's or the local artifacts'), null when absent. */
  imageModelsManifest: () => Promise<unknown>;
  /** The image and text models' pointers (README › Image and text models as versions). */
  contentModels: Record<'image' | 'text', Pick<ModelStore, 'readPointer'>>;
}

/**
 * A content model's pointer as GET /model shows it (the version it names; a container refuses one
 * that fails its checks and keeps the last good one); null: the layer's copy serves.
 */
async function contentPointer(store: Pick<ModelStore, 'readPointer'>) {
  const p = await store.readPointer();
  return p ? { version: p.version, previous_versions: p.history ?? [], updated_at: p.updatedAt ?? null } : null;
}

/**
 * The version this container actually serves (it may differ from the pointer's: a refused
 * version, or a cold-start fallback), the pointer's, and whether they differ.
 */
export async function health(deps: Pick<StatusDeps, 'serving'>) {
  const state = await deps.serving.state();
  return {
    status: 'ok',
    model_version: state.serving,
    pointer_version: state.pointer,
    serving_differs_from_pointer: state.serving !== state.pointer,
  };
}

export async function modelStatus(deps: StatusDeps) {
  const pointer = await deps.models.readPointer();
  const manifest = pointer ? await readManifest(deps.models, pointer.version) : null;
  return {
    model_version: pointer?.version ?? null,
    previous_version: pointer?.previous ?? null,
    updated_at: pointer?.updatedAt ?? null,
    recommender: manifest,
    image_models: await deps.imageModelsManifest(),
    content_models: { image: await contentPointer(deps.contentModels.image), text: await contentPointer(deps.contentModels.text) },
  };
}

let openApi: ReturnType<typeof buildOpenApi> | undefined;

/** The OpenAPI document (built once per container), served from the host the caller reached. */
export function openApiDocument(host: string | undefined, proto: string) {
  openApi ??= buildOpenApi();
  return host ? { ...openApi, servers: [{ url: `${proto}://${host}` }] } : openApi;
}

export interface MetricsSummaryDeps {
  onlineMetrics: OnlineMetricsStore;
  attributionWindowHours: number;
  sampleRate: number;
  retentionDays: number;
  /** The in-process business counters; undefined when they go to CloudWatch (`metricsNamespace`). */
  counters?: () => CounterSnapshot;
  metricsNamespace?: string;
}

/**
 * Online quality of recommendations over the last `days` UTC days (today included), and the
 * business counters: this process's totals locally, where to find them on AWS.
 */
export async function onlineMetricsSummary(deps: MetricsSummaryDeps, days: number, today = Date.now()) {
  const dayList = Array.from({ length: days }, (_, i) => dayOf(today - i * 86_400_000));
  const summary = summarize(await deps.onlineMetrics.readCounters(dayList));
  return {
    online: {
      window_days: days,
      since: dayList[dayList.length - 1],
      attribution_window_hours: deps.attributionWindowHours,
      sample_rate: deps.sampleRate,
      retention_days: deps.retentionDays,
      ...summary,
    },
    counters: deps.counters ? { sink: 'memory' as const, ...deps.counters() } : { sink: 'emf' as const, namespace: deps.metricsNamespace ?? null },
  };
}
