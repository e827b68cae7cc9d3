/**
 * Re-embedding the catalog after the active image (or text) model changed: every product's main
 * photo goes through {@link embedProductImage} again — the same checks and the same write as an
 * upload — with the models active now. A product whose photo is gone or no longer decodes, or whose
 * embedding fails, keeps its previous embedding (nothing is written for it); products already
 * embedded with the active versions are passed over unless `force`, so an interrupted run resumes
 * where it stopped. Runs sequentially, at most `limit` products per call (a bounded batch).
 */
import { embedProductImage, type EmbedDeps, type EmbedOutcome } from './embed-product-image.js';

export interface ReembedDeps extends EmbedDeps {
  /** The image version the embedder would stamp now (the active one). */
  activeImageVersion: () => Promise<string>;
}

export interface ReembedProgress {
  /** Products with a main photo, in scan order. */
  total: number;
  done: number;
  embedded: number;
  upToDate: number;
  skipped: number;
  failed: number;
}

export interface ReembedSummary extends ReembedProgress {
  /** The `embedding_version` prefix the run embedded with: `<image version>+<text version>`. */
  target: string;
  /** Why each skipped or failed product kept its previous embedding. */
  problems: { productId: string; outcome: 'skipped' | 'failed'; reason: string }[];
  /** True when `limit` stopped the run before the end. */
  truncated: boolean;
}

export interface ReembedOptions {
  /** Re-embed products already at the active versions too. */
  force?: boolean;
  /** Most products embedded by this call. */
  limit?: number;
  onProgress?: (p: ReembedProgress) => void;
}

export async function reembedProducts(deps: ReembedDeps, options: ReembedOptions = {}): Promise<ReembedSummary> {
  const target = `${await deps.activeImageVersion()}+${deps.textEmbedder.version}`;
  const todo: { id: string; key: string; upToDate: boolean }[] = [];
  for await (const p of deps.catalog.scanAll()) {
    if (p.status === 'deleted' || !p.images[0]) continue;
    todo.push({ id: p.id, key: p.images[0], upToDate: p.embedding_version === target && Boolean(p.image_embedding) });
  }
  const progress: ReembedProgress = { total: todo.length, done: 0, embedded: 0, upToDate: 0, skipped: 0, failed: 0 };
  const problems: ReembedSummary['problems'] = [];
  const limit = options.limit ?? Infinity;
  let truncated = false;
  options.onProgress?.({ ...progress });
  for (const item of todo) {
    if (item.upToDate && !options.force) {
      progress.upToDate++;
    } else if (progress.embedded + progress.skipped + progress.failed >= limit) {
      truncated = true;
      break;
    } else {
      let outcome: EmbedOutcome;
      try {
        outcome = await embedProductImage(deps, { bucket: deps.imagesBucket, key: item.key });
      } catch (err) {
        // An infrastructure failure on one product: logged, counted, and the run goes on.
        const reason = err instanceof Error ? err.message : String(err);
        deps.logger.warn(`reembed failed on ${item.id}; its previous embedding stays`, { productId: item.id, key: item.key, error: reason });
        progress.failed++;
        problems.push({ productId: item.id, outcome: 'failed', reason });
        progress.done++;
        options.onProgress?.({ ...progress });
        continue;
      }
      if (outcome.status === 'embedded') progress.embedded++;
      else {
        progress.skipped++;
        problems.push({ productId: item.id, outcome: 'skipped', reason: `${outcome.reason}: ${outcome.message}` });
      }
    }
    progress.done++;
    options.onProgress?.({ ...progress });
  }
  return { ...progress, target, problems, truncated };
}
