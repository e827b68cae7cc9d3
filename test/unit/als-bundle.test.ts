/**
 * The ALS threads as they run in Lambda and the retrain container: an entry bundled by esbuild with
 * the worker emitted beside it (lib/bundle-options.ts, the same commands the CDK runs), started by
 * plain node without tsx. Its factors must equal the in-process single-thread fit.
 */
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSync } from 'esbuild';
import { BUNDLE_TARGET, REQUIRE_BANNER, workerBundleCommands } from '../../lib/bundle-options.js';
import { fitImplicitAls } from '../../functions/core/factorization/als.js';
import { csrFromTriplets } from '../../functions/core/numeric/sparse.js';

const root = resolve(__dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'als-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROGRAM = `
import { fitImplicitAls } from ${JSON.stringify(join(root, 'functions/core/factorization/als.ts'))};
import { csrFromTriplets } from ${JSON.stringify(join(root, 'functions/core/numeric/sparse.ts'))};
import { fitContentToFactorOnWorker } from ${JSON.stringify(join(root, 'functions/core/training/content-model-thread.ts'))};
export function contentInputs() {
  const f = 4, n = 120, products = [], itemFactors = new Float32Array(n * f), userFactors = new Float32Array(30 * f), counts = [];
  for (let i = 0; i < n; i++) {
    products.push({ id: 'p' + i, name: 'Item ' + (i % 9), category: ['hat', 'bag', 'mug'][i % 3], price: 5 + (i % 17), status: 'active', images: [], attributes: {}, text_embedding: [Math.sin(i), Math.cos(i), (i % 5) / 5] });
    for (let a = 0; a < f; a++) itemFactors[i * f + a] = Math.sin(i * 7 + a) / 2;
    counts.push(i % 11);
  }
  for (let k = 0; k < userFactors.length; k++) userFactors[k] = Math.cos(k) / 2;
  return { products, als: { itemFactors, userFactors, factors: f }, counts };
}
if (process.argv[2] === 'content') {
  const { products, als, counts } = contentInputs();
  const model = await fitContentToFactorOnWorker(products, als, counts, { epochs: 3, minInteractions: 1 });
  process.stdout.write(JSON.stringify({ model, factors: Buffer.from(als.itemFactors.buffer).toString('base64') }));
}
export function matrix(csr) {
  const rows = [], cols = [], vals = [];
  for (let k = 0; k < 20000; k++) { rows.push((k * 7919) % 4000); cols.push((k * 104729) % 250); vals.push(1 + (k % 3)); }
  return csr(4000, 250, rows, cols, vals);
}
if (process.argv[2] === 'run') {
  const m = fitImplicitAls(matrix(csrFromTriplets), { factors: 8, iterations: 2, seed: 3 }, undefined, { threads: 2, minNonZerosForThreads: 0 });
  process.stdout.write(Buffer.from(m.itemFactors.buffer).toString('base64'));
}
`;

describe('ALS worker threads from a bundle', () => {
  it('run with plain node from the bundled worker and give the single-thread bytes', () => {
    writeFileSync(join(dir, 'entry.mjs'), PROGRAM);
    buildSync({
      entryPoints: [join(dir, 'entry.mjs')], outfile: join(dir, 'out/index.mjs'), bundle: true, platform: 'node', format: 'esm',
      target: BUNDLE_TARGET, banner: { js: REQUIRE_BANNER }, logLevel: 'silent',
    });
    for (const cmd of workerBundleCommands(root, join(dir, 'out'))) execSync(cmd, { cwd: root });
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['als-worker.mjs', 'index.mjs']);
    // No tsx here: had the bundle not found als-worker.mjs it would try to load the .ts source and fail.
    const out = execFileSync(process.execPath, [join(dir, 'out/index.mjs'), 'run'], { cwd: dir, env: { PATH: process.env.PATH } }).toString();
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let k = 0; k < 20000; k++) {
      rows.push((k * 7919) % 4000);
      cols.push((k * 104729) % 250);
      vals.push(1 + (k % 3));
    }
    const one = fitImplicitAls(csrFromTriplets(4000, 250, rows, cols, vals), { factors: 8, iterations: 2, seed: 3 }, undefined, { threads: 1 });
    expect(out).toBe(Buffer.from(one.itemFactors.buffer).toString('base64'));
  });
});

describe('the content model on the bundled worker', () => {
  it('runs with plain node and gives the inline model and blended factors', async () => {
    // The bundle of the test above (built there; this file's tests run in order).
    const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'out/index.mjs'), 'content'], { cwd: dir, env: { PATH: process.env.PATH } }).toString());
    const { contentInputs } = await import(join(dir, 'entry.mjs'));
    const { fitContentToFactor } = await import('../../functions/core/training/train-content-model.js');
    const { products, als, counts } = contentInputs();
    const model = fitContentToFactor(products, als, counts, { epochs: 3, minInteractions: 1 });
    expect(model).toBeDefined();
    expect(out.factors).toBe(Buffer.from(als.itemFactors.buffer).toString('base64'));
    expect(out.model).toEqual(JSON.parse(JSON.stringify(model)));
  });
});

describe('the retrain container program', () => {
  it('is one bundle plus its ALS worker, and runs under plain node (usage error without --export)', async () => {
    const { buildRetrainBundle } = await import('../../lib/retrain-bundle.js');
    const out = join(dir, 'container');
    buildRetrainBundle(root, out);
    expect(readdirSync(out).sort()).toEqual(['als-worker.mjs', 'retrain.mjs', 'retrain.mjs.map']);
    // The image installs the external native modules; here the repository's stand in for them.
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
    let stderr = '';
    try {
      execFileSync(process.execPath, [join(out, 'retrain.mjs')], { cwd: out, env: { PATH: process.env.PATH, RETRAIN_STORAGE: 'aws' }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    }
    expect(stderr).toMatch(/--export is required/);
  });
});
