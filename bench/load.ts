/**
 * bench:load — the local runtime under concurrent recommendation traffic.
 *
 *   npm run bench:load -- [--concurrency 8,32] [--seconds 15] [--no-wait-embeddings]
 *
 * Starts `startLocalRuntime` in this process (dynalite + s3rver + the HTTP gateway in front of the
 * real Lambda handlers; it seeds the demo catalog and trains the first model), waits until the demo
 * photos are embedded and the follow-up retrain is done (so no background work competes), then for
 * each concurrency level runs that many closed-loop clients (Node's built-in fetch, keep-alive) for
 * `--seconds`, each firing `GET /recommend/{id}/{num}` and `GET /recommendations/{id}` over the demo
 * users (known and unknown), with price ranges, countries, categories and min_promoted.
 * Client and server share this process and its 2 cores, so latencies include the client's work.
 * Reports requests/s, p50/p99 latency and errors (non-2xx + network errors); target: zero errors.
 * Writes bench/results/load.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CATEGORIES, DEMO_COUNTRIES, DEMO_DEFAULT_USERS, DEMO_QUERY_RANGE, generateDemoData } from '../bin/local/demo-data.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { latencyStats, machineInfo, type LatencyStats } from './support/synthetic.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  concurrency: number[];
  seconds: number;
  waitEmbeddings: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { concurrency: [8, 32], seconds: 15, waitEmbeddings: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--concurrency') a.concurrency = argv[++i].split(',').map(Number);
    else if (k === '--seconds') a.seconds = Number(argv[++i]);
    else if (k === '--no-wait-embeddings') a.waitEmbeddings = false;
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.concurrency.every((c) => Number.isInteger(c) && c > 0) || !(a.seconds > 0)) throw new Error('bad --concurrency / --seconds');
  return a;
}

/** A deterministic mix of request paths: mostly known receivers with filters, some cold ones. */
function requestMix(userIds: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < 400; k++) {
    const known = k % 10 !== 9;
    const id = known ? userIds[(k * 37) % userIds.length] : `bench-unknown-${k}`;
    const q = new URLSearchParams();
    if (k % 2 === 0) {
      q.set('min_price', String(DEMO_QUERY_RANGE.min));
      q.set('max_price', String(DEMO_QUERY_RANGE.max));
    }
    if (k % 3 === 0) q.set('min_promoted', '3');
    if (k % 4 === 1) q.set('country', DEMO_COUNTRIES[k % DEMO_COUNTRIES.length]);
    if (k % 11 === 5) q.set('category', DEMO_CATEGORIES[k % DEMO_CATEGORIES.length]);
    const qs = q.toString() ? `?${q}` : '';
    if (k % 5 === 4) {
      q.set('top_k', '5');
      out.push(`/recommendations/${encodeURIComponent(id)}?${q}`);
    } else out.push(`/recommend/${encodeURIComponent(id)}/${k % 3 === 0 ? 20 : 10}${qs}`);
  }
  return out;
}

interface LevelResult {
  concurrency: number;
  seconds: number;
  requests: number;
  requestsPerS: number;
  latencyMs: LatencyStats;
  errors: { total: number; non2xx: number; network: number; byStatus: Record<string, number>; samples: string[] };
}

async function runLevel(base: string, paths: string[], concurrency: number, seconds: number): Promise<LevelResult> {
  const samples: number[] = [];
  const errors = { total: 0, non2xx: 0, network: 0, byStatus: {} as Record<string, number>, samples: [] as string[] };
  const deadline = performance.now() + seconds * 1000;
  let next = 0;
  const started = performance.now();
  let lastPrint = started;
  const client = async () => {
    while (performance.now() < deadline) {
      const p = paths[next++ % paths.length];
      const t = performance.now();
      try {
        const res = await fetch(base + p);
        const body = await res.text();
        samples.push(performance.now() - t);
        if (res.status < 200 || res.status >= 300) {
          errors.non2xx++;
          errors.byStatus[res.status] = (errors.byStatus[res.status] ?? 0) + 1;
          if (errors.samples.length < 5) errors.samples.push(`${res.status} ${p} ${body.slice(0, 160)}`);
        }
      } catch (err) {
        errors.network++;
        if (errors.samples.length < 5) errors.samples.push(`network ${p}: ${err instanceof Error ? err.message : String(err)}`);
      }
      const now = performance.now();
      if (now - lastPrint > 1000) {
        lastPrint = now;
        process.stdout.write(`\r  c=${concurrency}: ${((now - started) / 1000).toFixed(0)}/${seconds} s, ${samples.length} requests, ${errors.non2xx + errors.network} errors   `);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write('\r' + ' '.repeat(70) + '\r');
  errors.total = errors.non2xx + errors.network;
  return {
    concurrency,
    seconds: Math.round(elapsed * 100) / 100,
    requests: samples.length + errors.network,
    requestsPerS: Math.round(((samples.length + errors.network) / elapsed) * 10) / 10,
    latencyMs: latencyStats(samples),
    errors,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const machine = machineInfo();
  console.log(`bench:load on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAvg1m}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-load-'));
  const t0 = performance.now();
  const rt = await startLocalRuntime({ port: 0, dataDir, retrainIntervalS: 0, log: (l) => console.log(`  [runtime] ${l}`) });
  const results: LevelResult[] = [];
  try {
    console.log(`  runtime up at ${rt.url} after ${((performance.now() - t0) / 1000).toFixed(1)} s (demo catalog seeded, first model trained)`);
    if (args.waitEmbeddings) {
      console.log('  waiting for the demo photos to be embedded and the follow-up retrain (use --no-wait-embeddings to skip)…');
      await rt.embeddingsIdle();
      await rt.retrain(); // serialized after the runtime's own follow-up retrain
      console.log(`  background work done after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // A model must be serving before load is meaningful: a 503 model_not_ready here is a setup failure.
    const demo = generateDemoData({ users: DEMO_DEFAULT_USERS });
    const probe = await fetch(`${rt.url}/recommend/${encodeURIComponent(demo.users[0].id)}/5`);
    if (probe.status !== 200) throw new Error(`no model serving before the load test: ${probe.status} ${(await probe.text()).slice(0, 200)}`);
    const paths = requestMix(demo.users.map((u) => u.id));
    // Warm the handlers (model load, JIT, ONNX session) before measuring.
    for (const p of paths.slice(0, 40)) await (await fetch(rt.url + p)).text();
    for (const c of args.concurrency) {
      const r = await runLevel(rt.url, paths, c, args.seconds);
      results.push(r);
      console.log(
        `  c=${String(c).padStart(3)}  ${r.requestsPerS.toFixed(1).padStart(7)} req/s  p50 ${r.latencyMs.p50.toFixed(1).padStart(6)} ms  p99 ${r.latencyMs.p99.toFixed(1).padStart(6)} ms  ` +
          `requests ${r.requests}  errors ${r.errors.total}${r.errors.total ? ` ${JSON.stringify(r.errors.byStatus)}` : ''}`,
      );
      for (const s of r.errors.samples) console.log(`    ${s}`);
    }
  } finally {
    await rt.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const totalErrors = results.reduce((a, r) => a + r.errors.total, 0);
  console.log(`  target: zero errors → ${totalErrors === 0 ? 'met' : `NOT met (${totalErrors})`}`);
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(repoRoot, 'bench/results/load.json'),
    JSON.stringify({ benchmark: 'load', machine: { ...machine, loadAvg1mAtEnd: machineInfo().loadAvg1m }, client: 'in-process fetch (undici), closed loop', levels: results, totalErrors }, null, 2) + '\n',
  );
  console.log('wrote bench/results/load.json');
  if (totalErrors > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
