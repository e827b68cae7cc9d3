/**
 * bench:recommend — serving latency of the recommendation path, on synthetic catalogs of
 * 10k and 100k products × 64 factors (bench/support/synthetic.ts).
 *
 *   npm run bench:recommend -- [--sizes 10000,100000] [--iters 500] [--handler-iters 500] [--no-handler] [--no-kernel]
 *   (--sizes restricts the kernel sweep too, so one size's ranking and kernel figures come from one run)
 *
 * 1. Kernel: `ScoreAll` alone (JS loop vs ONNX Runtime MatMul with the items as a graph input,
 *    1 and 2 intra-op threads, vs items baked in as an initializer) over catalog sizes from 1k to
 *    100k, variants interleaved so machine noise hits them alike; gives the JS/ONNX crossover.
 * 2. Ranking: `rankForReceiver` (fold-in of ~20 history events, scoring, price range + country +
 *    min_promoted=3 filters, selection, reasons) with each kernel; ≥ 500 warm iterations over
 *    200 receivers. Targets at the largest size, as ratios to the kernel alone in the same run
 *    (`ratios`): ranking p50 ≤ 1.5 × kernel p50, ranking p99 ≤ 3 × kernel p50. Garbage collections
 *    during the timed iterations are counted per variant (`gc`, PerformanceObserver 'gc' entries).
 * 3. Handler: the `recommend` Lambda handler as deployed (ONNX kernel), invoked with API Gateway v2
 *    events against dynalite + s3rver; the model version is written with serializeSnapshot →
 *    ModelStore.putVersion → swapPointer and loaded by the handler's ServingModel. Target: p99 ≤ 10 ms.
 *
 * Writes bench/results/recommend.json and docs/bench-recommend.svg (`--plot-only` redraws it from the JSON).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { barChartSvg } from './plot.js';
import { latencyStats, machineInfo, syntheticCatalog, withFeatureStore, type LatencyStats, type SyntheticCatalog } from './support/synthetic.js';
import { createOnnxScoreAll, DEFAULT_MIN_ITEMS, type OnnxScoreAll } from '../functions/adapters/onnx-score-kernel.js';
import { serializeSnapshot } from '../functions/core/snapshot/model-snapshot.js';
import { jsScoreAll, rankForReceiver, type ScoreAll } from '../functions/core/ranking/recommend.js';
import type { RecommendationQuery } from '../functions/core/domain/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const F = 64;
const TARGET_RANK_P99_MS = 3;
const TARGET_HANDLER_P99_MS = 10;
/** Ranking p50 and p99 over the kernel's p50, in one run. */
const TARGET_RANK_P50_OVER_KERNEL = 1.5;
const TARGET_RANK_P99_OVER_KERNEL = 3;
/** The kernel variant each ranking variant scores with. */
const KERNEL_OF: Record<string, string> = { js: 'js', 'onnx t=1': 'onnx input t=1', 'onnx t=2': 'onnx input t=2', 'onnx t=1 + store': 'onnx input t=1' };

/** Garbage collections seen while a variant ran its timed iterations. */
interface GcStats {
  requests: number;
  collections: number;
  /** By kind: minor (scavenge), major (mark-compact), incremental, weak callbacks. */
  byKind: Record<string, number>;
  totalMs: number;
  maxMs: number;
  /** Collections and pause per 1000 requests. */
  per1000Requests: { collections: number; ms: number };
  /** Heap used after minus before the timed iterations (MB; allocation not yet collected). */
  heapUsedDeltaMb: number;
}

/** With --expose-gc (the npm script): collect the setup's garbage so it is not charged to the timed loop. */
const collectSetupGarbage = (): void => (globalThis as { gc?: () => void }).gc?.();

const GC_KIND: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Collects 'gc' performance entries between start() and stop(). */
function gcRecorder(): { start(): void; stop(requests: number): Promise<GcStats> } {
  let entries: PerformanceEntry[] = [];
  let heapBefore = 0;
  const obs = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  return {
    start() {
      entries = [];
      heapBefore = process.memoryUsage().heapUsed;
      obs.observe({ entryTypes: ['gc'] });
    },
    async stop(requests) {
      const heapAfter = process.memoryUsage().heapUsed;
      await new Promise((r) => setImmediate(r)); // entries are delivered asynchronously
      obs.disconnect();
      const byKind: Record<string, number> = {};
      let totalMs = 0;
      let maxMs = 0;
      for (const e of entries) {
        const kind = GC_KIND[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        totalMs += e.duration;
        maxMs = Math.max(maxMs, e.duration);
      }
      const r3 = (v: number) => Math.round(v * 1000) / 1000;
      return {
        requests,
        collections: entries.length,
        byKind,
        totalMs: r3(totalMs),
        maxMs: r3(maxMs),
        per1000Requests: { collections: r3((entries.length * 1000) / requests), ms: r3((totalMs * 1000) / requests) },
        heapUsedDeltaMb: r3((heapAfter - heapBefore) / 2 ** 20),
      };
    },
  };
}

interface Args {
  sizes: number[];
  iters: number;
  handlerIters: number;
  handler: boolean;
  kernel: boolean;
  /** `--sizes` was given: the kernel sweep is restricted to those sizes too. */
  sizesGiven: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { sizes: [10_000, 100_000], iters: 500, handlerIters: 500, handler: true, kernel: true, sizesGiven: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--sizes') {
      a.sizes = argv[++i].split(',').map(Number);
      a.sizesGiven = true;
    }
    else if (k === '--iters') a.iters = Number(argv[++i]);
    else if (k === '--handler-iters') a.handlerIters = Number(argv[++i]);
    else if (k === '--no-handler') a.handler = false;
    else if (k === '--no-kernel') a.kernel = false;
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.sizes.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--sizes must be positive integers');
  return a;
}

function bar(label: string, total: number): cliProgress.SingleBar {
  const b = new cliProgress.SingleBar({ format: `  ${label.padEnd(34)} {bar} {value}/{total}`, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  b.start(total, 0);
  return b;
}

const fmt = (s: LatencyStats) => `p50 ${s.p50.toFixed(3).padStart(8)}  p99 ${s.p99.toFixed(3).padStart(8)}  mean ${s.mean.toFixed(3).padStart(8)} ms`;

/** Realistic queries: a price range, the receiver's country, min_promoted=3; a category now and then. */
function queries(cat: SyntheticCatalog): { query: RecommendationQuery; userIdx: number }[] {
  return cat.users.map((u, k) => ({
    userIdx: k,
    query: {
      userId: u.id,
      num: k % 4 === 0 ? 20 : 10,
      minPrice: 20,
      maxPrice: k % 3 === 0 ? 80 : 150,
      minPromoted: 3,
      country: u.country,
      categories: k % 7 === 0 ? ['bag'] : undefined,
    },
  }));
}

// ── 1. kernel ────────────────────────────────────────────────────────────────
async function benchKernel(only?: number[]): Promise<{ sizes: number[]; variants: Record<string, Record<number, LatencyStats>>; crossover: number | null }> {
  const sizes = only ?? [1_000, 2_500, 5_000, 10_000, 25_000, 100_000];
  const kernels: Record<string, OnnxScoreAll | ScoreAll> = {
    js: jsScoreAll,
    'onnx input t=1': createOnnxScoreAll({ minItems: 0, intraOpNumThreads: 1 }),
    'onnx input t=2': createOnnxScoreAll({ minItems: 0, intraOpNumThreads: 2 }),
    'onnx initializer t=1': createOnnxScoreAll({ minItems: 0, intraOpNumThreads: 1, mode: 'initializer' }),
  };
  const variants: Record<string, Record<number, LatencyStats>> = Object.fromEntries(Object.keys(kernels).map((k) => [k, {}]));
  console.log('\n1. ScoreAll kernel alone (f = 64), 300 interleaved runs per variant');
  for (const n of sizes) {
    const cat = syntheticCatalog(n, F, { nUsers: 16, seed: n });
    const Y = cat.snapshot.itemFactors;
    const users = Array.from({ length: 16 }, (_, u) => cat.snapshot.userFactors.slice(u * F, (u + 1) * F));
    const names = Object.keys(kernels);
    for (const k of names) for (let w = 0; w < 20; w++) await kernels[k](Y, F, users[w % 16]); // warm (sessions, JIT)
    const samples: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
    const iters = n >= 100_000 ? 200 : 300;
    collectSetupGarbage();
    const b = bar(`n = ${n}`, iters);
    for (let it = 0; it < iters; it++) {
      for (const k of names) {
        const t = performance.now();
        await kernels[k](Y, F, users[it % 16]);
        samples[k].push(performance.now() - t);
      }
      b.increment();
    }
    b.stop();
    for (const k of names) {
      variants[k][n] = latencyStats(samples[k]);
      console.log(`  n=${String(n).padStart(6)}  ${k.padEnd(22)} ${fmt(variants[k][n])}`);
    }
  }
  for (const k of Object.values(kernels)) if ('release' in k) await k.release();
  const crossover = sizes.find((n) => variants['onnx input t=1'][n].p50 < variants.js[n].p50) ?? null;
  console.log(`  ONNX (input, t=1) beats the JS loop from n = ${crossover ?? 'never'} (p50); kernel falls back to JS below ${DEFAULT_MIN_ITEMS}`);
  return { sizes, variants, crossover };
}

// ── 2. ranking ───────────────────────────────────────────────────────────────
async function benchRanking(cat: SyntheticCatalog, iters: number): Promise<{ stats: Record<string, LatencyStats>; gc: Record<string, GcStats> }> {
  const n = cat.snapshot.items.length;
  const kernels: Record<string, ScoreAll> = {
    js: jsScoreAll,
    'onnx t=1': createOnnxScoreAll({ intraOpNumThreads: 1 }),
    'onnx t=2': createOnnxScoreAll({ intraOpNumThreads: 2 }),
    'onnx t=1 + store': createOnnxScoreAll({ intraOpNumThreads: 1 }),
  };
  // The last variant ranks against a snapshot carrying a feature store, as retrained versions do.
  const stored = withFeatureStore(cat);
  const qs = queries(cat);
  const now = Date.UTC(2025, 0, 1);
  const out: Record<string, LatencyStats> = {};
  const gc: Record<string, GcStats> = {};
  const gcRec = gcRecorder();
  console.log(`\n2. rankForReceiver, ${n} products × ${F}, ${iters} warm iterations, ${qs.length} receivers (~20 events each), price range + country + min_promoted=3`);
  for (const [name, scoreAll] of Object.entries(kernels)) {
    const run = async (k: number) => {
      const { query, userIdx } = qs[k % qs.length];
      const u = cat.users[userIdx];
      const snapshot = name.endsWith('+ store') ? stored : cat.snapshot;
      const r = await rankForReceiver(snapshot, { history: cat.history.get(u.id)!, profile: u, now }, query, { scoreAll });
      if (r.items.length === 0) throw new Error('empty ranking');
      return r;
    };
    for (let w = 0; w < 50; w++) await run(w);
    const samples: number[] = [];
    const b = bar(name, iters);
    collectSetupGarbage();
    gcRec.start();
    for (let it = 0; it < iters; it++) {
      const t = performance.now();
      await run(it);
      samples.push(performance.now() - t);
      b.increment();
    }
    gc[name] = await gcRec.stop(iters);
    b.stop();
    out[name] = latencyStats(samples);
    const g = gc[name];
    console.log(`  ${name.padEnd(10)} ${fmt(out[name])}  gc ${g.collections} (${JSON.stringify(g.byKind)}) ${g.totalMs.toFixed(1)} ms, max ${g.maxMs.toFixed(1)} ms`);
    if ('release' in scoreAll) await (scoreAll as OnnxScoreAll).release();
  }
  return { stats: out, gc };
}

// ── 3. handler ───────────────────────────────────────────────────────────────
async function benchHandler(sizes: number[], iters: number): Promise<Record<number, { firstRequestMs: number; warm: LatencyStats; errors: number }>> {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const { startLocalAws } = await import('../test/support/local-aws.js');
  const { apiEvent, invoke } = await import('../test/support/api-events.js');
  const aws = await startLocalAws();
  const results: Record<number, { firstRequestMs: number; warm: LatencyStats; errors: number }> = {};
  try {
    const { getDeps } = await import('../functions/adapters/bootstrap.js');
        const { handler } = await import('../functions/recommend/handler.js');
    const deps = getDeps();
    const ddb = deps.ddb;
    let pointer: string | undefined;
    for (const n of sizes) {
      console.log(`\n3. recommend handler (API Gateway v2 event → DynamoDB history/profile → ranking (ONNX) → the shown products, kept until the catalog changes), ${n} products`);
      const cat = syntheticCatalog(n, F, { nUsers: 50, seed: n + 1 });
      // Products: BatchWrite 25 at a time, 8 in flight.
      const b = bar('write products to dynalite', n);
      const chunks: (typeof cat.products)[] = [];
      for (let i = 0; i < n; i += 25) chunks.push(cat.products.slice(i, i + 25));
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < chunks.length) {
            const chunk = chunks[next++];
            let req: Record<string, any> | undefined = { [deps.config.PRODUCTS_TABLE]: chunk.map((p) => ({ PutRequest: { Item: p } })) };
            for (let attempt = 0; req && Object.keys(req).length > 0; attempt++) {
              if (attempt > 8) throw new Error('BatchWrite kept returning unprocessed items');
              const res: { UnprocessedItems?: Record<string, any> } = await ddb.send(new BatchWriteCommand({ RequestItems: req }));
              req = res.UnprocessedItems;
            }
            b.increment(chunk.length);
          }
        }),
      );
      b.stop();
      for (const u of cat.users) await deps.users.put(u);
      for (const evs of cat.history.values()) await deps.interactions.putEvents(evs);
      const version = `bench-${n}-${Date.now()}`;
      await deps.models.putVersion(version, serializeSnapshot({ ...cat.parts, manifest: { ...cat.parts.manifest, version } }));
      await deps.models.swapPointer(pointer, version);
      pointer = version;

      const qs = queries(cat);
      const event = (k: number) => {
        const { query } = qs[k % qs.length];
        const q: Record<string, string> = { min_price: String(query.minPrice), max_price: String(query.maxPrice), min_promoted: '3', country: query.country! };
        if (query.categories) q.category = query.categories.join(',');
        return apiEvent('GET /recommend/{receiverId}/{num}', { receiverId: query.userId, num: String(query.num) }, q);
      };
      let errors = 0;
      const call = async (k: number) => {
        const res = await invoke(handler, event(k));
        if (res.status !== 200 || res.body.model_version !== version) {
          errors++;
          if (errors <= 3) console.error(`  unexpected answer: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      };
      // The first request after the pointer moved loads the version (S3 → deserialize → YᵀY).
      let t = performance.now();
      await call(0);
      const firstRequestMs = performance.now() - t;
      while (errors === 0) {
        // The ServingModel re-reads the pointer at most every MODEL_POINTER_TTL_MS: wait until it serves this version.
        const res = await invoke(handler, event(1));
        if (res.body?.model_version === version) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      for (let w = 0; w < 50; w++) await call(w);
      const samples: number[] = [];
      const pb = bar('warm requests', iters);
      for (let it = 0; it < iters; it++) {
        t = performance.now();
        await call(it);
        samples.push(performance.now() - t);
        pb.increment();
      }
      pb.stop();
      results[n] = { firstRequestMs: Math.round(firstRequestMs), warm: latencyStats(samples), errors };
      console.log(`  first request (loads the version): ${results[n].firstRequestMs} ms`);
      console.log(`  warm ${fmt(results[n].warm)}  errors ${errors}`);
    }
  } finally {
    await aws.stop();
  }
  return results;
}

interface RecommendResult {
  machine: ReturnType<typeof machineInfo>;
  ranking: Record<number, Record<string, LatencyStats>>;
  handler?: Record<number, { warm: LatencyStats }>;
}

/** docs/bench-recommend.svg from a result (also `--plot-only`, from bench/results/recommend.json). */
function writePlot(result: RecommendResult): void {
  const { machine, ranking, handler } = result;
  const args = { sizes: Object.keys(ranking).map(Number) };
  // Two panels side by side: ranking step per kernel, and the whole handler.
  const names = Object.keys(ranking[args.sizes[0]]);
  const rankPanel = barChartSvg({
    title: `rankForReceiver, ms (${F} factors)`,
    groups: args.sizes.flatMap((n) => [`${n / 1000}k p50`, `${n / 1000}k p99`]),
    series: names.map((k) => ({ name: k, values: args.sizes.flatMap((n) => [ranking[n][k].p50, ranking[n][k].p99]) })),
    width: 560,
    digits: 1,
  });
  const panels = [rankPanel];
  if (handler) {
    panels.push(
      barChartSvg({
        title: 'whole recommend handler (ONNX), ms',
        groups: args.sizes.map((n) => `${n / 1000}k products`),
        series: [
          { name: 'p50', values: args.sizes.map((n) => handler[n].warm.p50) },
          { name: 'p99', values: args.sizes.map((n) => handler[n].warm.p99) },
        ],
        width: 440,
        digits: 1,
      }),
    );
  }
  const widths = [560, 440].slice(0, panels.length);
  let x = 0;
  const inner = panels.map((svgDoc, i) => {
    const out = svgDoc.replace('<svg ', `<svg x="${x}" y="24" `);
    x += widths[i];
    return out;
  });
  const caption = `${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAvg1m}, ${machine.date}`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${x}" height="384" viewBox="0 0 ${x} 384" font-family="sans-serif">\n` +
    `<rect width="${x}" height="384" fill="#fff"/>\n<text x="${x / 2}" y="16" text-anchor="middle" font-size="12">bench:recommend — ${caption.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>\n` +
    inner.join('') +
    '</svg>\n';
  mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'docs/bench-recommend.svg'), svg);
}

async function main(): Promise<void> {
  if (process.argv.includes('--plot-only')) {
    writePlot(JSON.parse(readFileSync(path.join(repoRoot, 'bench/results/recommend.json'), 'utf8')) as RecommendResult);
    console.log('wrote docs/bench-recommend.svg');
    return;
  }
  const args = parseArgs(process.argv.slice(2));
  const machine = machineInfo();
  console.log(`bench:recommend on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAvg1m}`);
  const kernel = args.kernel ? await benchKernel(args.sizesGiven ? args.sizes : undefined) : undefined;
  const ranking: Record<number, Record<string, LatencyStats>> = {};
  const gc: Record<number, Record<string, GcStats>> = {};
  for (const n of args.sizes) ({ stats: ranking[n], gc: gc[n] } = await benchRanking(syntheticCatalog(n, F, { seed: n }), args.iters));
  // Ranking over kernel, both from this run (the kernel's p50 as the unit for both percentiles).
  const ratios: Record<number, Record<string, { kernel: string; p50: number; p99: number }>> = {};
  if (kernel) {
    for (const n of args.sizes) {
      if (!kernel.variants.js[n]) continue;
      ratios[n] = {};
      for (const [k, s] of Object.entries(ranking[n])) {
        const kp50 = kernel.variants[KERNEL_OF[k]][n].p50;
        ratios[n][k] = { kernel: KERNEL_OF[k], p50: Math.round((s.p50 / kp50) * 100) / 100, p99: Math.round((s.p99 / kp50) * 100) / 100 };
      }
    }
  }
  const handler = args.handler ? await benchHandler(args.sizes, args.handlerIters) : undefined;

  console.log('\nSummary (ms)');
  console.log('  step                      size      p50      p99     mean');
  for (const n of args.sizes) {
    for (const [k, s] of Object.entries(ranking[n])) console.log(`  rank ${k.padEnd(20)} ${String(n).padStart(7)} ${s.p50.toFixed(3).padStart(8)} ${s.p99.toFixed(3).padStart(8)} ${s.mean.toFixed(3).padStart(8)}`);
    if (handler?.[n]) console.log(`  handler (onnx)            ${String(n).padStart(7)} ${handler[n].warm.p50.toFixed(3).padStart(8)} ${handler[n].warm.p99.toFixed(3).padStart(8)} ${handler[n].warm.mean.toFixed(3).padStart(8)}`);
  }
  const big = Math.max(...args.sizes);
  const rankP99 = ranking[big]['onnx t=1'].p99;
  console.log(`  target ranking p99 ≤ ${TARGET_RANK_P99_MS} ms at ${big}: ${rankP99} ms (onnx t=1) → ${rankP99 <= TARGET_RANK_P99_MS ? 'met' : 'NOT met'}`);
  if (ratios[big]) {
    console.log(`\nRanking / kernel p50 at ${big} (same run; targets p50 ≤ ${TARGET_RANK_P50_OVER_KERNEL}×, p99 ≤ ${TARGET_RANK_P99_OVER_KERNEL}×)`);
    for (const [k, r] of Object.entries(ratios[big])) {
      const met = r.p50 <= TARGET_RANK_P50_OVER_KERNEL && r.p99 <= TARGET_RANK_P99_OVER_KERNEL;
      console.log(`  ${k.padEnd(18)} over ${r.kernel.padEnd(16)} p50 ${r.p50.toFixed(2)}×  p99 ${r.p99.toFixed(2)}×  → ${met ? 'met' : 'NOT met'}`);
    }
  }
  if (handler?.[big]) console.log(`  target handler p99 ≤ ${TARGET_HANDLER_P99_MS} ms at ${big}: ${handler[big].warm.p99} ms → ${handler[big].warm.p99 <= TARGET_HANDLER_P99_MS ? 'met' : 'NOT met'}`);

  const result = {
    benchmark: 'recommend',
    machine: { ...machine, loadAvg1mAtEnd: machineInfo().loadAvg1m },
    factors: F,
    kernel,
    ranking,
    ratios,
    gc,
    handler,
    targets: {
      rankingP99Ms: TARGET_RANK_P99_MS,
      handlerP99Ms: TARGET_HANDLER_P99_MS,
      rankingP50OverKernelP50: TARGET_RANK_P50_OVER_KERNEL,
      rankingP99OverKernelP50: TARGET_RANK_P99_OVER_KERNEL,
    },
  };
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(path.join(repoRoot, 'bench/results/recommend.json'), JSON.stringify(result, null, 2) + '\n');

  writePlot(result);
  console.log('\nwrote bench/results/recommend.json and docs/bench-recommend.svg');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
