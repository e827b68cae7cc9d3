/**
 * `GET /recommend/{receiverId}/{num}` (the gifting app's route) and `GET /recommendations/{userId}`
 * (the buyer route), `GET /recommendation?customer_id=&top=` (the hybrid recommender's): parse → recommendForReceiver → JSON.
 */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseInput, type ApiEvent } from '../http/api.js';
import { MAX_NUM, HybridRecommendationQuery, RecommendationsQuery, RecommendationsPath, RecommendPath, RecommendQuery } from '../http/schemas.js';
import { InvalidInput } from '../core/domain/errors.js';
import type { RecommendationQuery } from '../core/domain/types.js';
import { recommendForReceiver } from './recommend-for-receiver.js';
import { withImpression } from './record-impression.js';
import { onnxScoreAll } from '../adapters/onnx-score-kernel.js';
import { onnxScoreRows } from '../adapters/onnx-scorer.js';
import { predictContentFactors } from '../adapters/onnx-content-model.js';

export { MAX_NUM };

// New products' factors from `content_model.onnx` on ONNX Runtime (this Lambda has the layer).
getDeps().live.usePredictor(predictContentFactors);

function toQuery(userId: string, num: number, q: { min_price?: number; max_price?: number; min_promoted?: number; country?: string; category?: string }): RecommendationQuery {
  if (q.min_price !== undefined && q.max_price !== undefined && q.min_price > q.max_price) {
    throw new InvalidInput('min_price must not exceed max_price', [{ path: 'min_price', message: 'greater than max_price' }]);
  }
  const minPromoted = q.min_promoted ?? 0;
  if (minPromoted > num) throw new InvalidInput(`min_promoted (${minPromoted}) must not exceed the number of items asked for (${num})`, [{ path: 'min_promoted', message: 'greater than num' }]);
  return { userId, num, minPrice: q.min_price, maxPrice: q.max_price, minPromoted, country: q.country, category: q.category };
}

async function respond(query: RecommendationQuery) {
  const deps = getDeps();
  const result = await recommendForReceiver(
    {
      ...deps,
      snapshot: () => deps.live.get(),
      historyLimit: deps.config.USER_HISTORY_LIMIT,
      ranking: { scoreAll: onnxScoreAll, scoreRows: onnxScoreRows, explorationShare: deps.config.EXPLORATION_SHARE, newArrivalDays: deps.config.NEW_ARRIVAL_DAYS },
    },
    query,
  );
  return json(200, await withImpression({ ...deps, sampleRate: deps.config.IMPRESSION_SAMPLE_RATE }, query.userId, result));
}

export const handler = apiHandler(
  {
    'GET /recommend/{receiverId}/{num}': async (event: ApiEvent) => {
      const path = parseInput(RecommendPath, event.pathParameters ?? {}, 'path');
      const q = parseInput(RecommendQuery, event.queryStringParameters ?? {}, 'query');
      return respond(toQuery(path.receiverId, path.num, q));
    },
    'GET /recommendations/{userId}': async (event: ApiEvent) => {
      const path = parseInput(RecommendationsPath, event.pathParameters ?? {}, 'path');
      const q = parseInput(RecommendationsQuery, event.queryStringParameters ?? {}, 'query');
      return respond(toQuery(path.userId, q.top_k ?? 5, q));
    },
    'GET /recommendation': async (event: ApiEvent) => {
      const q = parseInput(HybridRecommendationQuery, event.queryStringParameters ?? {}, 'query');
      return respond(toQuery(q.customer_id, q.top ?? 5, q));
    },
  },
  getDeps().logger,
);
