/**
 * The retrain's content model, trained on a worker thread while the calling thread builds the
 * second stage: both are single-threaded and independent (the content model reads the version's
 * final factors, the second stage the selection's fit), ~6 s and ~10 s at 1M events, so on two
 * cores the retrain waits for the longer one only. The worker runs the same fitContentToFactor on
 * copies of the same inputs: the same model and the same blended factors, bit for bit (a test).
 */
import { Worker } from 'node:worker_threads';
import type { ContentModel } from '../content/content-to-cf.js';
import type { Product } from '../domain/types.js';
import { alsThreads } from '../factorization/als.js';
import { trainingWorkerSource } from '../factorization/als-threads.js';
import { fitContentToFactor, type ContentTrainParams, type ReviewContent } from './train-content-model.js';

/** Below this many catalogue items the model trains on the calling thread (a worker takes ~0.3–1 s to start). */
export const CONTENT_WORKER_MIN_ITEMS = 5_000;

interface ContentModelTaskData {
  products: readonly Product[];
  itemFactors: Float32Array;
  userFactors: Float32Array;
  factors: number;
  interactionCount: ArrayLike<number>;
  params?: Partial<ContentTrainParams>;
  reviews?: ReviewContent;
}

/** The worker's side: fitContentToFactor on its copies; the blended item factors come back with the model. */
export function contentModelTask(d: ContentModelTaskData): { model?: ContentModel; itemFactors: Float32Array } {
  const als = { itemFactors: d.itemFactors, userFactors: d.userFactors, factors: d.factors };
  return { model: fitContentToFactor(d.products, als, d.interactionCount, d.params, d.reviews), itemFactors: als.itemFactors };
}

function onWorker(data: ContentModelTaskData): Promise<{ model?: ContentModel; itemFactors: Float32Array }> {
  const code = `const { workerData, parentPort } = require('node:worker_threads');
${trainingWorkerSource()}.then((m) => parentPort.postMessage({ result: m.contentModelTask(workerData) })).catch((err) => parentPort.postMessage({ error: String((err && err.stack) || err) }));`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: data });
    w.once('message', (m: { result?: { model?: ContentModel; itemFactors: Float32Array }; error?: string }) => {
      void w.terminate();
      if (m.result) resolve(m.result);
      else reject(new Error(m.error ?? 'content model worker gave no result'));
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`content model worker exited (${code}) before answering`)));
  });
}

/** What fitContentToFactor takes: products, the final factors (blended in place), interaction counts, params, reviews. */
export type ContentFitArgs = Parameters<typeof fitContentToFactor>;

/** fitContentToFactor on a worker thread; rejects when the worker cannot start or fails (`als` untouched then). */
export async function fitContentToFactorOnWorker(...[products, als, interactionCount, params, reviews]: ContentFitArgs): Promise<ContentModel | undefined> {
  const out = await onWorker({ products, itemFactors: Float32Array.from(als.itemFactors), userFactors: als.userFactors, factors: als.factors, interactionCount: Array.from(interactionCount), params, reviews });
  als.itemFactors.set(out.itemFactors);
  return out.model;
}

/**
 * fitContentToFactor, on a worker thread when there is a second core and the catalogue is large
 * enough (`offThread` forces either way). Resolves once the model is trained and the blend written
 * into `als.itemFactors` (in place, as inline); until then the caller must not read those factors.
 * A worker that cannot start or fails leaves the factors untouched and the model is trained inline.
 */
export async function fitContentToFactorAside(args: ContentFitArgs, offThread = alsThreads() > 1 && args[0].length >= CONTENT_WORKER_MIN_ITEMS): Promise<ContentModel | undefined> {
  const [products, als] = args;
  if (offThread && als.itemFactors.length === products.length * als.factors) {
    try {
      return await fitContentToFactorOnWorker(...args);
    } catch {
      // Trained here instead: same result, only later.
    }
  }
  return fitContentToFactor(...args);
}
