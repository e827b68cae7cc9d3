/**
 * ALS retrain benchmark: `npm run bench:retrain [-- --sizes 100000,1000000 --factors 64 --iterations 15]`.
 * Synthetic power-law interactions (functions/core/synthetic.ts), implicit ALS with the default
 * solver; reports wall and CPU seconds and peak RSS per size, and writes bench/results/retrain.json.
 * Run with --expose-gc (the npm script does) so each size starts from a collected heap.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import cliProgress from 'cli-progress';
import { DEFAULT_ALS_PARAMS, fitImplicitAls, type AlsParams } from '../functions/core/als.js';
import { syntheticMatrix } from '../functions/core/synthetic.js';

function arg(name: string, def: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] ? process.argv[k + 1] : def;
}

const sizes = arg('sizes', '100000,1000000').split(',').map(Number);
const factors = Number(arg('factors', '64'));
const iterations = Number(arg('iterations', '15'));
const solver = arg('solver', 'auto') as AlsParams['solver'];

interface Row {
  interactions: number;
  nnz: number;
  users: number;
  items: number;
  factors: number;
  iterations: number;
  solver: string;
  buildSeconds: number;
  fitSeconds: number;
  fitCpuSeconds: number;
  secondsPerIteration: number;
  peakRssMb: number;
  loadAverage1m: number;
}

const rows: Row[] = [];
for (const n of sizes) {
  (globalThis as { gc?: () => void }).gc?.();
  // Retail-like shape: ~10 events per user, ~50 per item.
  const users = Math.round(n / 10);
  const items = Math.max(1000, Math.round(n / 50));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const t0 = performance.now();
  const R = syntheticMatrix({ nUsers: users, nItems: items, nnz: n, seed: 7 });
  const t1 = performance.now();
  const bar = new cliProgress.SingleBar({ format: `${String(n).padStart(8)} interactions [{bar}] {value}/{total} iterations | {duration_formatted}`, noTTYOutput: true, notTTYSchedule: 2000 }, cliProgress.Presets.shades_classic);
  bar.start(iterations, 0);
  const cpu0 = process.cpuUsage();
  const t2 = performance.now();
  fitImplicitAls(R, { ...DEFAULT_ALS_PARAMS, factors, iterations, solver }, (it) => {
    peak = Math.max(peak, process.memoryUsage().rss);
    bar.update(it);
  });
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  bar.stop();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const row: Row = {
    interactions: n,
    nnz: R.data.length,
    users,
    items,
    factors,
    iterations,
    solver: solver ?? 'auto',
    buildSeconds: (t1 - t0) / 1000,
    fitSeconds: (t3 - t2) / 1000,
    fitCpuSeconds: (cpu.user + cpu.system) / 1e6,
    secondsPerIteration: (t3 - t2) / 1000 / Math.max(1, iterations),
    peakRssMb: peak / 2 ** 20,
    loadAverage1m: os.loadavg()[0],
  };
  rows.push(row);
  console.log(
    `${n} interactions (nnz ${row.nnz}, ${users} users × ${items} items, f=${factors}, ${iterations} it): fit ${row.fitSeconds.toFixed(1)} s wall / ${row.fitCpuSeconds.toFixed(1)} s CPU, peak RSS ${row.peakRssMb.toFixed(0)} MB (load avg ${row.loadAverage1m.toFixed(1)})`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/retrain.json',
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, results: rows }, null, 2) + '\n',
);
console.log('wrote bench/results/retrain.json');
