/**
 * Child process of the local runtime: the background Lambdas, `retrain` and `embed-image`, on their
 * own event loop so a retrain or an ONNX image embedding never stalls an HTTP request. Requests:
 * `configure` `{ env }` (the embedded AWS endpoints: set before any handler's first call reads them),
 * `retrain` → the handler's outcome, `embed` `{ event }` (an S3 event in AWS's shape) → nothing.
 */
import type { S3Event } from 'aws-lambda';
import { serveParent } from './child-process.js';

// Loading the handlers (and ONNX Runtime) while the parent waits for the AWS servers: they read
// their configuration on their first call, not at import.
const [retrain, embedImage] = await Promise.all([import('../../functions/retrain/handler.js'), import('../../functions/embed-image/handler.js')]);
const running = new Set<Promise<unknown>>();
const track = <T>(job: Promise<T>): Promise<T> => {
  running.add(job);
  return job.finally(() => running.delete(job));
};

const parent = serveParent({
  configure: async (payload) => {
    Object.assign(process.env, (payload as { env: Record<string, string> }).env);
  },
  retrain: () => track(retrain.handler()),
  embed: (payload) => track(embedImage.handler((payload as { event: S3Event }).event)),
  // Jobs in flight finish (a half-written model version is what the retention sweep cleans, but
  // there is no reason to leave one).
  stop: async () => void (await Promise.allSettled([...running])),
});
parent.ready();
