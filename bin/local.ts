/**
 * `npm start`: the engine on one machine. Honours PORT (3000), DATA_DIR (.data) and
 * RETRAIN_INTERVAL_S (60). Data persists under DATA_DIR across restarts.
 */
import path from 'node:path';
import { z } from 'zod';
import { startLocalRuntime } from './local/runtime.js';

const env = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATA_DIR: z.string().min(1).default('.data'),
    RETRAIN_INTERVAL_S: z.coerce.number().min(0).default(60),
  })
  .parse(process.env);

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const runtime = await startLocalRuntime({ port: env.PORT, dataDir: path.resolve(env.DATA_DIR), retrainIntervalS: env.RETRAIN_INTERVAL_S });
const u = runtime.url;
console.log(`
gift-recommender is running at ${u}  (data: ${path.resolve(env.DATA_DIR)}, retrain every ${env.RETRAIN_INTERVAL_S} s)
Try:
  curl '${u}/health'
  curl '${u}/recommend/2/5?min_price=5000.01&max_price=20000.2&min_promoted=3'
  curl '${u}/recommendations/1?top_k=5'
  curl '${u}/products/p-0001'
  curl '${u}/products/p-0001/similar?k=5'
  curl '${u}/users/2'
  curl '${u}/model'
  curl -X POST '${u}/events' -H 'content-type: application/json' \\
       -d '{"events":[{"eventId":"try-1","userId":"1","productId":"p-0002","type":"order"}]}'
`);

const shutdown = async () => {
  await runtime.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
