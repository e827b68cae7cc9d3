/** `GET /health`, `GET /model` (the serving model's manifest plus the image models'), `GET /openapi.json`, `GET /metrics`, `GET|PUT /config` (business rules). */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseRequest, type ApiEvent, requestCaller } from '../http/api.js';
import { MetricsRequest } from '../http/schemas.js';
import { health, modelStatus, onlineMetricsSummary, openApiDocument } from './status-use-cases.js';
import { ConfigGetRequest, ConfigPutRequest } from '../http/config-schema.js';
import { getConfig, putConfig } from './config-use-cases.js';

const configDeps = () => {
  const { rules, models, config } = getDeps();
  return { rules, models, environment: config.BUSINESS_RULES };
};

export const handler = apiHandler(
  {
    'GET /health': async () => json(200, await health(getDeps())),
    // API Gateway sets x-forwarded-proto; the document names the host the caller reached.
    'GET /openapi.json': async (event: ApiEvent) =>
      json(200, openApiDocument(event.headers?.host ?? event.requestContext?.domainName, event.headers?.['x-forwarded-proto'] ?? 'http')),
    'GET /metrics': async (event: ApiEvent) => {
      const { query } = parseRequest(MetricsRequest, event);
      const { onlineMetrics, config, counters } = getDeps();
      const settings = { attributionWindowHours: config.ATTRIBUTION_WINDOW_HOURS, sampleRate: config.IMPRESSION_SAMPLE_RATE, retentionDays: config.IMPRESSION_TTL_DAYS };
      return json(200, await onlineMetricsSummary({ onlineMetrics, counters, metricsNamespace: config.POWERTOOLS_METRICS_NAMESPACE, ...settings }, query.days));
    },
    'GET /model': async () => json(200, await modelStatus(getDeps())),
    'GET /config': async (event: ApiEvent) => {
      parseRequest(ConfigGetRequest, event);
      return json(200, await getConfig(configDeps()));
    },
    'PUT /config': async (event: ApiEvent) => {
      const { body } = parseRequest(ConfigPutRequest, event);
      const caller = requestCaller(event);
      return json(200, await putConfig(configDeps(), body, 'sub' in caller ? caller.sub : undefined));
    },
  },
  () => getDeps().logger,
);
