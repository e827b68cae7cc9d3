/**
 * bench:load — the local runtime under concurrent recommendation traffic.
 *
 *   npm run bench:load -- [--concurrency 8,32] [--seconds 15] [--warmup 5] [--no-wait-embeddings] [--profile]
 *
 * Starts `startLocalRuntime` (the HTTP gateway in front of the real Lambda handlers in this process;
 * dynalite + s3rver and the background jobs in its child processes; it seeds the demo catalog and
 * trains the first model), waits until the demo
 * photos are embedded and the follow-up retrain is done (so no background work competes), then for
 * each concurrency level runs that many closed-loop clients (Node's built-in fetch, keep-alive) for
 * `--warmup` seconds (not counted: the JIT of the gateway, handlers, SDK, dynalite and the clients
 * is still climbing; the warm-up's own figures are kept in the JSON) and then `--seconds`, each
 * firing `GET /recommend/{id}/{num}` and `GET /recommendations/{id}` over the demo users (known and unknown), with price ranges, countries, categories and min_promoted.
 * The clients run in their own process (bench/load-client.ts); the runtime is the one `npm start` runs
 * (this process serves HTTP, the AWS servers and the background jobs are its child processes). All of
 * them share the machine's cores, so latencies still include the clients' CPU time.
 * Then times three restarts on the seeded data (a fresh `bin/local.ts` process until /health answers).
 * Reports requests/s, p50/p99 latency and errors (non-2xx + network errors); target: zero errors.
 * Writes bench/results/load.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CATEGORIES, DEMO_COUNTRIES, DEMO_DEFAULT_USERS, DEMO_QUERY_RANGE, generateDemoData } from '../bin/local/demo-data.js';
import { startLocalRuntime } from '../bin/local/runtime.js';
import { machineInfo } from './support/synthetic.js';
import { ChildProcessClient } from '../bin/local/child-process.js';
import type { LevelResult } from './load-client.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Args {
  concurrency: number[];
  seconds: number;
  warmupSeconds: number;
  waitEmbeddings: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { concurrency: [8, 32], seconds: 15, warmupSeconds: 5, waitEmbeddings: true, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--concurrency') a.concurrency = argv[++i].split(',').map(Number);
    else if (k === '--seconds') a.seconds = Number(argv[++i]);
    else if (k === '--warmup') a.warmupSeconds = Number(argv[++i]);
    else if (k === '--no-wait-embeddings') a.waitEmbeddings = false;
    else if (k === '--profile') a.profile = true;
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.concurrency.every((c) => Number.isInteger(c) && c > 0) || !(a.seconds > 0) || !(a.warmupSeconds >= 0)) throw new Error('bad --concurrency / --seconds / --warmup');
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSecondsOf(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** `--profile`: a V8 CPU profile of this (the HTTP) process over the measured levels only. */
async function startCpuProfile(): Promise<{ stop(file: string): Promise<string> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return file;
    },
  };
}

/** Seconds from spawning `bin/local.ts` on `dataDir` to its first 200 from /health; the process is stopped after. */
async function timeRestart(dataDir: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bin/local.ts')], {
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, RETRAIN_INTERVAL_S: '0' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /running at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`bin/local.ts exited before it was up (${code})`)));
    });
    while ((await fetch(`${url}/health`).catch(() => undefined))?.status !== 200) await new Promise((r) => setTimeout(r, 20));
    return (performance.now() - t0) / 1000;
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
}

type ProcessCpu = Record<string, number | undefined>;
const cpuOf = (pids: Record<string, number | undefined>): ProcessCpu => Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  const machine = machineInfo();
  console.log(`bench:load on ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load average ${machine.loadAvg1m}`);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-load-'));
  const t0 = performance.now();
  const rt = await startLocalRuntime({ port: 0, dataDir, retrainIntervalS: 0, log: (l) => console.log(`  [runtime] ${l}`) });
  const results: (LevelResult & { cpuMsPerRequest?: Record<string, number | null>; warmup?: Pick<LevelResult, 'seconds' | 'requests' | 'requestsPerS' | 'latencyMs'> })[] = [];
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
    const { child: clients } = await ChildProcessClient.start(path.join(repoRoot, 'bench/load-client.ts'));
    const pids = { ...rt.processes, clients: clients.pid };
    const profiler = args.profile ? await startCpuProfile() : undefined;
    for (const c of args.concurrency) {
      let warmup: (typeof results)[number]['warmup'];
      if (args.warmupSeconds > 0) {
        const w = await clients.request<LevelResult>('run', { base: rt.url, paths, concurrency: c, seconds: args.warmupSeconds });
        warmup = { seconds: w.seconds, requests: w.requests, requestsPerS: w.requestsPerS, latencyMs: w.latencyMs };
        console.log(`  c=${String(c).padStart(3)}  warm-up ${args.warmupSeconds} s (not counted): ${w.requestsPerS.toFixed(1)} req/s, p99 ${w.latencyMs.p99.toFixed(1)} ms, errors ${w.errors.total}`);
        if (w.errors.total > 0) throw new Error(`errors during the warm-up: ${JSON.stringify(w.errors.byStatus)} ${w.errors.samples.join(' | ')}`);
      }
      const before = cpuOf(pids);
      const r = await clients.request<LevelResult>('run', { base: rt.url, paths, concurrency: c, seconds: args.seconds });
      const after = cpuOf(pids);
      // CPU milliseconds each process spent per request: what bounds throughput on a busy machine.
      const cpuMsPerRequest = Object.fromEntries(
        Object.keys(pids).map((name) => [name, after[name] !== undefined && before[name] !== undefined ? Math.round(((after[name]! - before[name]!) * 1000 * 100) / r.requests) / 100 : null]),
      );
      results.push({ ...r, cpuMsPerRequest, warmup });
      console.log(`  CPU ms per request: ${Object.entries(cpuMsPerRequest).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      console.log(
        `  c=${String(c).padStart(3)}  ${r.requestsPerS.toFixed(1).padStart(7)} req/s  p50 ${r.latencyMs.p50.toFixed(1).padStart(6)} ms  p99 ${r.latencyMs.p99.toFixed(1).padStart(6)} ms  ` +
          `requests ${r.requests}  errors ${r.errors.total}${r.errors.total ? ` ${JSON.stringify(r.errors.byStatus)}` : ''}`,
      );
      for (const s of r.errors.samples) console.log(`    ${s}`);
    }
    await clients.stop();
    if (profiler) console.log(`  CPU profile of the HTTP process: ${await profiler.stop(path.join(repoRoot, 'bench/results/load-http.cpuprofile'))}`);
  } finally {
    await rt.stop();
  }
  // Restart as a user sees it: a fresh `npm start` process on the seeded data, until /health answers.
  const restartSeconds: number[] = [];
  try {
    for (let k = 0; k < 3; k++) restartSeconds.push(await timeRestart(dataDir));
    console.log(`  restart on the seeded data (fresh process → /health 200): ${restartSeconds.map((x) => x.toFixed(2)).join(', ')} s`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const totalErrors = results.reduce((a, r) => a + r.errors.total, 0);
  console.log(`  target: zero errors → ${totalErrors === 0 ? 'met' : `NOT met (${totalErrors})`}`);
  mkdirSync(path.join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(repoRoot, 'bench/results/load.json'),
    JSON.stringify({ benchmark: 'load', machine: { ...machine, loadAvg1mAtEnd: machineInfo().loadAvg1m }, client: 'fetch (undici) in a separate client process, closed loop', warmupSeconds: args.warmupSeconds, levels: results, restartSeconds, totalErrors }, null, 2) + '\n',
  );
  console.log('wrote bench/results/load.json');
  if (totalErrors > 0) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
