/**
 * Retrain benchmark: `npm run bench:retrain [-- --sizes 100000,1000000 --threads 1,2 --job-sizes 100000,1000000
 * --pinned-job-sizes 100000 --factors 64 --iterations 15 --solver auto|cg|woodbury]`.
 *
 * For every size × thread count: implicit ALS on synthetic power-law interactions
 * (bench/support/synthetic-matrix.ts), then the whole retrain job as the Lambda and the container
 * run it minus storage I/O (trainModelVersion: ALS + holdout + feature store + scorer + gate) at
 * --job-sizes (`''` skips it). Each run is its own child process, so its CPU seconds (all threads)
 * and peak RSS are its own. Writes bench/results/retrain.json:
 *   {"als":[{interactions,threads,seconds,cpu_seconds,rss_mb,…}],"job":[…same…, stages]}
 * with the load average beside every row (compare ratios within one run on a shared machine).
 * --pinned-job-sizes runs the same job with the model pinned (one ALS fit of the shipped config, no
 * selection: the retrain before model selection existed) into "pinnedJob", and prints each size's
 * job / pinned-job ratio: what the selection costs.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { progressBar } from '../bin/progress.js';
import { configureAlsThreads, DEFAULT_ALS_PARAMS, fitImplicitAls, type AlsParams } from '../functions/core/factorization/als.js';
import { syntheticMatrix, syntheticTriplets } from './support/synthetic-matrix.js';
import { trainModelVersion } from '../functions/core/training/train-model.js';
import type { InteractionEvent, Product } from '../functions/core/domain/types.js';

function arg(name: string, def: string): string {
  const k = process.argv.indexOf(`--${name}`);
  return k >= 0 && process.argv[k + 1] !== undefined && !process.argv[k + 1].startsWith('--') ? process.argv[k + 1] : k >= 0 ? '' : def;
}
const list = (s: string) => s.split(',').filter(Boolean).map(Number);

const factors = Number(arg('factors', '64'));
const iterations = Number(arg('iterations', '15'));
const solver = arg('solver', 'auto') as NonNullable<AlsParams['solver']>;

/** One measured run (the JSON row). */
interface Run {
  interactions: number;
  threads: number;
  seconds: number;
  cpu_seconds: number;
  rss_mb: number;
  load_average_1m: number;
  [extra: string]: unknown;
}

/** Retail-like shape for n interactions: ~10 events per user, ~50 per item. */
function shapeFor(n: number): { users: number; items: number } {
  return { users: Math.round(n / 10), items: Math.max(1000, Math.round(n / 50)) };
}

/** Peak RSS, sampled every 50 ms and on demand (`sample()` from progress callbacks). */
function peakRss(): { sample: () => void; stop: () => number } {
  let peak = process.memoryUsage().rss;
  const sample = () => void (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 50);
  return { sample, stop: () => (clearInterval(timer), sample(), peak / 2 ** 20) };
}

function alsRun(n: number, threads: number): Run {
  const { users, items } = shapeFor(n);
  const rss = peakRss();
  const R = syntheticMatrix({ nUsers: users, nItems: items, nnz: n, seed: 7 });
  const bar = progressBar(`ALS ${String(n).padStart(8)} × ${threads} thread(s) [{bar}] {value}/{total} iterations | {duration_formatted}`, { notTTYScheduleMs: 5000 });
  bar.start(iterations, 0);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  fitImplicitAls(R, { ...DEFAULT_ALS_PARAMS, factors, iterations, solver }, (it) => (rss.sample(), bar.update(it)), { threads });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  bar.stop();
  return {
    interactions: n, threads, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, rss_mb: rss.stop(), load_average_1m: os.loadavg()[0],
    nnz: R.data.length, users, items, factors, iterations, solver, seconds_per_iteration: seconds / Math.max(1, iterations),
  };
}

async function jobRun(n: number, threads: number, pinned = false): Promise<Run> {
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
  // CPU seconds per stage (all threads of this process): wall time alone misleads on a shared machine.
  const stageCpu: Record<string, number> = {};
  const cpuNow = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; };
  let stage = 'start';
  let stageStart = performance.now();
  let stageCpuStart = cpuNow();
  const bar = progressBar(`job ${String(n).padStart(8)} × ${threads} thread(s) {stage} | {duration_formatted}`, { notTTYScheduleMs: 5000 });
  bar.start(1, 0, { stage });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  configureAlsThreads(threads);
  const result = await trainModelVersion({
    events, products, userCountries: new Map(), now, version: 'bench', als: { factors, iterations },
    ...(pinned ? { model: { family: 'als' as const, halfLifeDays: null, popularityBlend: 0, als: { ...DEFAULT_ALS_PARAMS, factors, iterations } } } : {}),
    onProgress: (name) => {
      rss.sample();
      if (name === stage) return;
      stages[stage] = (stages[stage] ?? 0) + (performance.now() - stageStart) / 1000;
      stageCpu[stage] = (stageCpu[stage] ?? 0) + cpuNow() - stageCpuStart;
      stage = name;
      stageStart = performance.now();
      stageCpuStart = cpuNow();
      bar.update(0, { stage });
    },
  });
  stages[stage] = (stages[stage] ?? 0) + (performance.now() - stageStart) / 1000;
  stageCpu[stage] = (stageCpu[stage] ?? 0) + cpuNow() - stageCpuStart;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  bar.update(1, { stage: 'done' });
  bar.stop();
  return {
    interactions: n, threads, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6, rss_mb: rss.stop(), load_average_1m: os.loadavg()[0],
    stages, stage_cpu_seconds: stageCpu, ranking_mode: String(result.parts.manifest.ranking?.mode ?? 'als'), scorer_reason: result.parts.manifest.ranking?.reason,
  };
}

const child = arg('child', '');
if (child) {
  // One measurement in a fresh process; the parent reads the last stdout line.
  const n = Number(arg('size', '0'));
  const threads = Number(arg('run-threads', '1'));
  const run = child === 'als' ? alsRun(n, threads) : await jobRun(n, threads, child === 'pinned');
  process.stdout.write(`\n${JSON.stringify(run)}\n`);
} else {
  const sizes = list(arg('sizes', '100000,1000000'));
  const jobSizes = list(arg('job-sizes', '100000,1000000'));
  const pinnedSizes = list(arg('pinned-job-sizes', ''));
  const threadCounts = list(arg('threads', `1,${os.availableParallelism()}`));
  const self = fileURLToPath(import.meta.url);
  const measure = (kind: 'als' | 'job' | 'pinned', n: number, threads: number): Run => {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, self, '--child', kind, '--size', String(n), '--run-threads', String(threads), '--factors', String(factors), '--iterations', String(iterations), '--solver', solver],
      { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 },
    ).toString().trim().split('\n');
    const run = JSON.parse(out[out.length - 1]) as Run;
    console.log(`${kind} ${n} interactions, ${threads} thread(s): ${run.seconds.toFixed(1)} s wall / ${run.cpu_seconds.toFixed(1)} s CPU, peak RSS ${run.rss_mb.toFixed(0)} MB (load avg ${run.load_average_1m.toFixed(2)})${run.stages ? ` stages ${JSON.stringify(Object.fromEntries(Object.entries(run.stages as Record<string, number>).map(([k, v]) => [k, +v.toFixed(1)])))}` : ''}`);
    return run;
  };
  const loadBefore = os.loadavg();
  const als = sizes.flatMap((n) => threadCounts.map((t) => measure('als', n, t)));
  const job = jobSizes.flatMap((n) => threadCounts.map((t) => measure('job', n, t)));
  const pinnedJob = pinnedSizes.flatMap((n) => threadCounts.map((t) => measure('pinned', n, t)));
  // What the selection costs: the job over the pinned job at the same size and thread count, in one run.
  const selectionCost = pinnedJob.flatMap((p) => {
    const j = job.find((r) => r.interactions === p.interactions && r.threads === p.threads);
    return j ? [{ interactions: p.interactions, threads: p.threads, wall: +(j.seconds / p.seconds).toFixed(2), cpu: +(j.cpu_seconds / p.cpu_seconds).toFixed(2) }] : [];
  });
  if (selectionCost.length) console.log('job with selection / pinned job (same run):', JSON.stringify(selectionCost));
  const speedups = (rows: Run[]) =>
    Object.fromEntries([...new Set(rows.map((r) => r.interactions))].map((n) => {
      const base = rows.find((r) => r.interactions === n && r.threads === 1);
      return [n, Object.fromEntries(rows.filter((r) => r.interactions === n && base).map((r) => [r.threads, +(base!.seconds / r.seconds).toFixed(2)]))];
    }));
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/retrain.json',
    JSON.stringify({
      date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, availableParallelism: os.availableParallelism(), cpuModel: os.cpus()[0]?.model,
      loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg(),
      als, job, ...(pinnedJob.length ? { pinnedJob, selectionCost } : {}), speedup: { als: speedups(als), job: speedups(job) },
    }, null, 2) + '\n',
  );
  console.log('speed-up vs 1 thread (same run):', JSON.stringify({ als: speedups(als), job: speedups(job) }));
  console.log('wrote bench/results/retrain.json');
}
