/**
 * bench:load's clients, in their own process so that their work (fetch, parsing, timing) is not
 * counted against the server's event loop. One request `run` `{ base, paths, concurrency, seconds }`
 * → one LevelResult; progress goes to stdout.
 */
import { serveParent } from '../bin/local/child-process.js';
import { latencyStats, type LatencyStats } from './support/synthetic.js';

export interface LevelResult {
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

const parent = serveParent({
  run: (payload) => {
    const { base, paths, concurrency, seconds } = payload as { base: string; paths: string[]; concurrency: number; seconds: number };
    return runLevel(base, paths, concurrency, seconds);
  },
});
parent.ready();
