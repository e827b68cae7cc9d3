/**
 * The EASE inversion budget: `npm run bench:inverse [-- --sizes 500,1000,2000,4000 --js-max 2000]`.
 * Times the dense SPD inverse of an item Gram matrix (XᵀX + λI of a random sparse X, as EASE builds
 * it) on ONNX Runtime's `Inverse` op (the retrain's inverter) and on the JS Cholesky inverse (the
 * core's default, up to `--js-max` items), one run per size, with the load average beside each row,
 * and writes bench/results/inverse.json. Where EASE ends inside a retrain's selection budget is read
 * from these figures (n³ growth).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { invertSpd } from '../functions/core/numeric/linalg.js';
import { onnxSpdInverter } from '../functions/adapters/onnx-linalg.js';
import { itemGram } from '../functions/core/factorization/ease.js';
import { csrFromTriplets } from '../functions/core/numeric/sparse.js';
import { mulberry32 } from '../functions/core/numeric/prng.js';
import { parseArgs } from '../bin/eval-data.js';
import { machineInfo } from './support/synthetic.js';

const args = parseArgs(process.argv.slice(2));
const sizes = (args.sizes ?? '500,1000,2000,4000').split(',').map(Number);
const jsMax = Number(args['js-max'] ?? 2000);

/** Gram of 5n users × n items with ~20 interactions per user (λ = 500, EASE's default). */
function gram(n: number): Float64Array {
  const rng = mulberry32(n);
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < 5 * n; u++) for (let k = 0; k < 20; k++) (rows.push(u), cols.push(Math.floor(rng() * rng() * n)));
  return itemGram(csrFromTriplets(5 * n, n, rows, cols, rows.map(() => 1)), 500);
}

const invertOnnx = onnxSpdInverter();
const rows: { items: number; onnxSeconds: number; jsSeconds: number | null; loadAvg1m: number }[] = [];
for (const n of sizes) {
  const G = gram(n);
  await invertOnnx(gram(8), 8); // session creation outside the timing
  let t = performance.now();
  await invertOnnx(G, n);
  const onnxSeconds = (performance.now() - t) / 1000;
  let jsSeconds: number | null = null;
  if (n <= jsMax) {
    t = performance.now();
    invertSpd(G, n);
    jsSeconds = (performance.now() - t) / 1000;
  }
  const row = { items: n, onnxSeconds: Number(onnxSeconds.toFixed(3)), jsSeconds: jsSeconds === null ? null : Number(jsSeconds.toFixed(3)), loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100 };
  rows.push(row);
  console.log(`${String(n).padStart(5)} items: ONNX Inverse ${row.onnxSeconds.toFixed(2)} s${jsSeconds === null ? '' : `, JS Cholesky ${row.jsSeconds!.toFixed(2)} s (${(jsSeconds / onnxSeconds).toFixed(1)}×)`}  (load ${row.loadAvg1m})`);
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/inverse.json', JSON.stringify({ machine: machineInfo(), rows }, null, 2) + '\n');
console.log('wrote bench/results/inverse.json');
