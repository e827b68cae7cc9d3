/**
 * Where `rankForReceiver` spends its time at 100k products (besides scoring): a per-phase split by
 * timing the same call with a no-op scorer and with the ONNX kernel. Run with `--cpu-prof` for a profile.
 *
 *   npx tsx bench/support/profile-ranking.ts [N=100000] [iters=200]
 */
import { createOnnxScoreAll } from '../../functions/adapters/onnx-score-kernel.js';
import { rankForReceiver, type ScoreAll } from '../../functions/core/ranking/recommend.js';
import { latencyStats, syntheticCatalog } from './synthetic.js';

const n = Number(process.argv[2] ?? 100_000);
const iters = Number(process.argv[3] ?? 200);
const cat = syntheticCatalog(n, 64, { seed: n });
const onnx = createOnnxScoreAll({ intraOpNumThreads: 1 });
const zeros = new Float32Array(n);
const constant: ScoreAll = () => zeros;
const now = Date.UTC(2025, 0, 1);
for (const [name, scoreAll] of [['no-op scorer', constant], ['onnx t=1', onnx]] as const) {
  const t: number[] = [];
  for (let it = 0; it < iters + 30; it++) {
    const u = cat.users[it % cat.users.length];
    const s = performance.now();
    await rankForReceiver(cat.snapshot, { history: cat.history.get(u.id)!, profile: u, now }, { userId: u.id, num: 10, minPrice: 20, maxPrice: 150, minPromoted: 3, country: u.country }, { scoreAll });
    if (it >= 30) t.push(performance.now() - s);
  }
  console.log(name.padEnd(14), latencyStats(t));
}
const t: number[] = [];
const u0 = cat.snapshot.userFactors.slice(0, 64);
for (let it = 0; it < iters; it++) {
  const s = performance.now();
  await onnx(cat.snapshot.itemFactors, 64, u0);
  t.push(performance.now() - s);
}
console.log('kernel alone  ', latencyStats(t));
await onnx.release();
