/**
 * ALS retrain benchmark: `npm run bench:retrain [-- --sizes 100000,1000000 --factors 64 --iterations 15
 * --solver auto|cg|woodbury --job-sizes 100000,1000000]`. Synthetic power-law interactions
 * (bench/support/synthetic-matrix.ts), implicit ALS; reports wall and CPU seconds and peak RSS per size,
 * then the same for the whole retrain job (trainModelVersion incl. the second stage) at --job-sizes,
 * and writes bench/results/retrain.json.
 * Run with --expose-gc (the npm script does) so each size starts from a collected heap.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { progressBar } from '../bin/progress.js';
import { DEFAULT_ALS_PARAMS, fitImplicitAls, type AlsParams } from '../functions/core/factorization/als.js';
import { syntheticMatrix, syntheticTriplets } from './support/synthetic-matrix.js';
import { trainModelVersion } from '../functions/core/training/train-model.js';
import type { InteractionEvent, Product } from '../functions/core/domain/types.js';

function arg(name: string, def: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] ? process.argv[k + 1] : def;
}

const sizes = arg('sizes', '100000,1000000').split(',').map(Number);
const factors = Number(arg('factors', '64'));
const iterations = Number(arg('iterations', '15'));
const solver = arg('solver', 'auto') as NonNullable<AlsParams['solver']>;
/** Sizes for the whole retrain job (trainModelVersion: ALS + holdout + feature store + scorer + gate). */
const jobSizes = arg('job-sizes', '100000,1000000').split(',').filter(Boolean).map(Number);

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

/** Retail-like shape for n interactions: ~10 events per user, ~50 per item; starts from a collected heap. */
function shapeFor(n: number): { users: number; items: number } {
  (globalThis as { gc?: () => void }).gc?.();
  return { users: Math.round(n / 10), items: Math.max(1000, Math.round(n / 50)) };
}

/** Peak RSS, sampled every 50 ms and on demand (`sample()` from progress callbacks). */
function peakRss(): { sample: () => void; stop: () => number } {
  let peak = process.memoryUsage().rss;
  const sample = () => void (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 50);
  return { sample, stop: () => (clearInterval(timer), sample(), peak / 2 ** 20) };
}

const rows: Row[] = [];
for (const n of sizes) {
  const { users, items } = shapeFor(n);
  const rss = peakRss();
  const t0 = performance.now();
  const R = syntheticMatrix({ nUsers: users, nItems: items, nnz: n, seed: 7 });
  const t1 = performance.now();
  const bar = progressBar(`${String(n).padStart(8)} interactions [{bar}] {value}/{total} iterations | {duration_formatted}`, { notTTYScheduleMs: 2000 });
  bar.start(iterations, 0);
  const cpu0 = process.cpuUsage();
  const t2 = performance.now();
  fitImplicitAls(R, { ...DEFAULT_ALS_PARAMS, factors, iterations, solver }, (it) => {
    rss.sample();
    bar.update(it);
  });
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  bar.stop();
  const peakRssMb = rss.stop();
  const row: Row = {
    interactions: n,
    nnz: R.data.length,
    users,
    items,
    factors,
    iterations,
    solver,
    buildSeconds: (t1 - t0) / 1000,
    fitSeconds: (t3 - t2) / 1000,
    fitCpuSeconds: (cpu.user + cpu.system) / 1e6,
    secondsPerIteration: (t3 - t2) / 1000 / Math.max(1, iterations),
    peakRssMb,
    loadAverage1m: os.loadavg()[0],
  };
  rows.push(row);
  console.log(
    `${n} interactions (nnz ${row.nnz}, ${users} users × ${items} items, f=${factors}, ${iterations} it): fit ${row.fitSeconds.toFixed(1)} s wall / ${row.fitCpuSeconds.toFixed(1)} s CPU, peak RSS ${row.peakRssMb.toFixed(0)} MB (load avg ${row.loadAverage1m.toFixed(1)})`,
  );
}

/** The retrain job as the Lambda runs it, minus storage I/O: events and products in, a model version out. */
interface JobRow {
  interactions: number;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  stages: Record<string, number>;
  rankingMode: string;
  loadAverage1m: number;
}
const jobs: JobRow[] = [];
for (const n of jobSizes) {
  const { users, items } = shapeFor(n);
  const { rows: ru, cols: ci } = syntheticTriplets({ nUsers: users, nItems: items, nnz: n, seed: 7 });
  const now = Date.parse('2026-11-01T00:00:00Z');
  const types: InteractionEvent['type'][] = ['view', 'view', 'view', 'cart', 'wishlist', 'order'];
  const events: InteractionEvent[] = Array.from(ru, (u, k) => ({
    eventId: `e${k}`,
    userId: `u${u}`,
    productId: `p${ci[k]}`,
    type: types[k % types.length],
    quantity: 1,
    // Spread over 90 days so the temporal windows of the scorer have data on both sides.
    timestamp: now - ((k * 2654435761) % 90) * 86_400_000 - (k % 86_400_000),
  }));
  const products: Product[] = Array.from({ length: items }, (_, i) => ({
    id: `p${i}`, name: `Product ${i}`, description: '', price: 1000 + ((i * 7919) % 99_000), currency: 'EUR', category: `c${i % 12}`,
    promoted: i % 3 === 0, status: 'active', countries: [], images: [], createdAt: new Date(now - (i % 180) * 86_400_000).toISOString(),
    updatedAt: new Date(now).toISOString(), attributes: {},
  }));
  const rss = peakRss();
  const stages: Record<string, number> = {};
  let stage = 'start';
  let stageStart = performance.now();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await trainModelVersion({
    events, products, userCountries: new Map(), now, version: 'bench', als: { factors, iterations },
    onProgress: (name) => {
      if (name === stage) return;
      stages[stage] = (stages[stage] ?? 0) + (performance.now() - stageStart) / 1000;
      stage = name;
      stageStart = performance.now();
      rss.sample();
    },
  });
  stages[stage] = (stages[stage] ?? 0) + (performance.now() - stageStart) / 1000;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const job: JobRow = {
    interactions: n, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: rss.stop(),
    stages, rankingMode: String(result.parts.manifest.ranking?.mode ?? 'als'), loadAverage1m: os.loadavg()[0],
  };
  jobs.push(job);
  console.log(`retrain job, ${n} events: ${seconds.toFixed(1)} s wall / ${job.cpuSeconds.toFixed(1)} s CPU, peak RSS ${job.peakRssMb.toFixed(0)} MB, stages ${JSON.stringify(Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, +v.toFixed(1)])))}`);
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/retrain.json',
  JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, results: rows, retrainJob: jobs }, null, 2) + '\n',
);
console.log('wrote bench/results/retrain.json');
