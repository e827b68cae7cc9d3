/**
 * The content model trained on a worker thread equals the one trained inline: the same model and
 * the same blended item factors, bit for bit, from the bundled-or-source worker entry.
 */
import { describe, expect, it } from 'vitest';
import { fitContentToFactorAside, fitContentToFactorOnWorker } from '../../functions/core/training/content-model-thread.js';
import { mulberry32 } from '../../functions/core/numeric/prng.js';
import { syntheticCatalog } from '../../bench/support/synthetic.js';

describe('the content model off the calling thread', () => {
  it('trains the same model and blends the same factors as inline', async () => {
    const cat = syntheticCatalog(400, 8, { seed: 12, nUsers: 60 });
    const rng = mulberry32(4);
    const products = cat.products.map((p) => ({ ...p, text_embedding: Array.from({ length: 16 }, () => rng() - 0.5), embedding_version: 'test' }));
    const counts = Int32Array.from(products, (_, i) => Math.floor(rng() * 12));
    const reviews = { means: new Map([[products[3].id, Float32Array.from({ length: 8 }, (_, k) => k / 8)]]), dim: 8, embedder: 'test' };
    const run = async (onWorker: boolean) => {
      const als = { itemFactors: Float32Array.from(cat.snapshot.itemFactors), userFactors: cat.snapshot.userFactors, factors: 8 };
      const model = onWorker ? await fitContentToFactorOnWorker(products, als, counts, { epochs: 5 }, reviews) : await fitContentToFactorAside([products, als, counts, { epochs: 5 }, reviews], false);
      return { model, itemFactors: als.itemFactors };
    };
    const inline = await run(false);
    const aside = await run(true);
    expect(inline.model).toBeDefined();
    expect(inline.model!.training.blendedItems).toBeGreaterThan(0);
    expect(aside.model).toEqual(inline.model);
    expect(Buffer.from(aside.itemFactors.buffer).equals(Buffer.from(inline.itemFactors.buffer))).toBe(true);
    // The blend changed the few-interaction items' factors (so the equality above is not trivial).
    expect(Buffer.from(inline.itemFactors.buffer).equals(Buffer.from(cat.snapshot.itemFactors.buffer))).toBe(false);
  });
});
