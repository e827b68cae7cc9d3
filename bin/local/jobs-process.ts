/**
 * Child process of the local runtime: the background Lambdas, `retrain` and `embed-image`, on their
 * own event loop so a retrain or an ONNX image embedding never stalls an HTTP request. Requests:
 * `configure` `{ env }` (the embedded AWS endpoints: set before any handler's first call reads them),
 * `retrain` → the handler's outcome, `embed` `{ event }` (an S3 event in AWS's shape) → nothing,
 * `reembed` → the re-embedding's summary when the active image or text model changed since the last
 * one (null otherwise), its progress pushed as `log` lines.
 */
import type { S3Event } from 'aws-lambda';
import { serveParent } from './child-process.js';

// The handlers (and ONNX Runtime) load in the background: the process is ready at once, so start-up
// does not wait for them, and each job awaits them. They read their configuration on their first
// call, not at import.
const handlers = Promise.all([import('../../functions/retrain/handler.js'), import('../../functions/embed-image/handler.js')]);
handlers.catch(() => undefined); // a failed load fails each job that awaits it, not the process
const running = new Set<Promise<unknown>>();

/** The `<image version>+<text version>` the catalog was last re-embedded with (this process's lifetime). */
let embeddedWith: string | undefined;
async function reembedIfModelsChanged() {
  const [{ getDeps }, { onnxAdapters }, { reembedProducts }] = await Promise.all([
    import('../../functions/adapters/bootstrap.js'),
    import('../../functions/adapters/onnx-runtime.js'),
    import('../../functions/embed-image/reembed-products.js'),
  ]);
  const { embedDepsOf } = (await handlers)[1];
  const d = getDeps(onnxAdapters);
  const textEmbedder = await d.activeTextEmbedder();
  const imageVersion = await (d.imageEmbedder.activeVersion?.() ?? Promise.resolve(d.imageEmbedder.version));
  const target = `${imageVersion}+${textEmbedder.version}`;
  if (target === embeddedWith) return null;
  embeddedWith = target;
  const log = (line: string) => parent.push({ type: 'log', line });
  let logged = 0;
  const summary = await reembedProducts(
    { ...(await embedDepsOf(d)), textEmbedder, activeImageVersion: async () => imageVersion },
    {
      onProgress: (p) => {
        const work = p.done - p.upToDate;
        if (work > 0 && (p.done === p.total || work - logged >= Math.max(10, Math.ceil(p.total / 10)))) {
          logged = work;
          log(`reembed (${target}): ${p.done}/${p.total} products, ${p.embedded} re-embedded, ${p.skipped + p.failed} kept their previous embedding`);
        }
      },
    },
  );
  if (summary.problems.length > 0) log(`reembed: kept previous embeddings of ${summary.problems.map((x) => x.productId).join(', ')}`);
  return summary;
}
const track = <T>(job: Promise<T>): Promise<T> => {
  running.add(job);
  return job.finally(() => running.delete(job));
};

const parent = serveParent({
  configure: async (payload) => {
    Object.assign(process.env, (payload as { env: Record<string, string> }).env);
  },
  retrain: () => track(handlers.then(([retrain]) => retrain.handler())),
  embed: (payload) => track(handlers.then(([, embedImage]) => embedImage.handler((payload as { event: S3Event }).event))),
  reembed: () => track(reembedIfModelsChanged()),
  // Jobs in flight finish (a half-written model version is what the retention sweep cleans, but
  // there is no reason to leave one).
  stop: async () => void (await Promise.allSettled([...running])),
});
parent.ready();
