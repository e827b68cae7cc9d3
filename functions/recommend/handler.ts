/**
 * `GET /recommend/{receiverId}/{num}` (seed 000's route) and `GET /recommendations/{userId}`
 * (seed 003's): parse → recommendForReceiver → JSON.
 */
import { z } from 'zod';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, countryCode, decimalString, idString, intString, json, parseInput, type ApiEvent } from '../http/api.js';
import { InvalidInput } from '../core/domain/errors.js';
import type { RecommendationQuery } from '../core/domain/types.js';
import { recommendForReceiver } from './recommend-for-receiver.js';
import { onnxScoreAll } from '../adapters/onnx-score-kernel.js';
import { onnxScoreRows } from '../adapters/onnx-scorer.js';

export const MAX_NUM = 100;

const filters = {
  min_price: decimalString.pipe(z.number().min(0, 'must be ≥ 0')).optional(),
  max_price: decimalString.pipe(z.number().min(0, 'must be ≥ 0')).optional(),
  min_promoted: intString.pipe(z.number().min(0, 'must be ≥ 0').max(MAX_NUM)).optional(),
  country: countryCode.optional(),
  category: z.string().trim().min(1).max(64).optional(),
};
const count = intString.pipe(z.number().min(1, `must be between 1 and ${MAX_NUM}`).max(MAX_NUM, `must be between 1 and ${MAX_NUM}`));
// Built once per container: zod compiles a schema on first use, so a schema built per request
// would be compiled on every request.
const RecommendPath = z.object({ receiverId: idString, num: count });
const RecommendQuery = z.object(filters);
const RecommendationsPath = z.object({ userId: idString });
const RecommendationsQuery = z.object({ ...filters, top_k: count.optional() });

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
    { ...deps, snapshot: () => deps.serving.get(), historyLimit: deps.config.USER_HISTORY_LIMIT, ranking: { scoreAll: onnxScoreAll, scoreRows: onnxScoreRows } },
    query,
  );
  return json(200, result);
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
  },
  getDeps().logger,
);
