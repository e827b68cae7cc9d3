/**
 * `GET /recommend/{receiverId}/{num}` (the gifting app's route), `GET /recommendations/{userId}?top_k=`
 * (the buyer route) and
 * `GET /recommendation?customer_id=&top=` (the same recommendation, three spellings;
 * functions/http/schemas.ts maps their names):
 * parse → serveRecommendation → JSON.
 */
import { getDeps } from '../adapters/bootstrap.js';
import { onnxAdapters } from '../adapters/onnx-runtime.js';
import { apiHandler, json, parseRequest, requestCaller, type ApiEvent } from '../http/api.js';
import { HybridRecommendationRequest, RecommendationsRequest, RecommendRequest } from '../http/schemas.js';
import type { RecommendationQuery } from '../core/domain/types.js';
import { serveRecommendation } from './serve-recommendation.js';
import { visibleReasons } from '../http/auth.js';

async function respond(event: ApiEvent, query: RecommendationQuery) {
  // This Lambda has the ONNX Runtime layer: catalog scoring, the scorer and new products' factors run on it.
  const { catalog, interactions, users, snapshot, viewProducts, config, onlineMetrics, logger, metrics, ranking: kernels } = getDeps(onnxAdapters);
  const ranking = { ...kernels, explorationShare: config.EXPLORATION_SHARE, newArrivalDays: config.NEW_ARRIVAL_DAYS };
  const deps = { catalog, interactions, users, snapshot, viewProducts, onlineMetrics, logger, metrics, historyLimit: config.USER_HISTORY_LIMIT, sampleRate: config.IMPRESSION_SAMPLE_RATE, ranking };
  const caller = requestCaller(event);
  return json(200, await serveRecommendation(deps, query, (wishlistPublic) => visibleReasons(caller, query.userId, wishlistPublic)));
}

export const handler = apiHandler(
  {
    'GET /recommend/{receiverId}/{num}': async (event: ApiEvent) => respond(event, parseRequest(RecommendRequest, event)),
    'GET /recommendations/{userId}': async (event: ApiEvent) => respond(event, parseRequest(RecommendationsRequest, event)),
    'GET /recommendation': async (event: ApiEvent) => respond(event, parseRequest(HybridRecommendationRequest, event)),
  },
  () => getDeps(onnxAdapters).logger,
);
