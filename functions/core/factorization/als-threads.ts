/**
 * Worker threads for the fast ALS solver. The coordinating thread announces a phase in a shared
 * control block, claims tasks itself alongside the workers (Atomics.add on one counter), and blocks
 * on Atomics.wait until every worker reports done: the fit stays a synchronous call, and a phase
 * costs two atomic notifications instead of a message per task.
 *
 * The worker entry is als-worker.mjs beside the running bundle when it exists (Lambda, the retrain
 * container), else the TypeScript source, loaded through tsx's module hooks (development, tests).
 * The same entry runs the retrain's content model off the calling thread (training/content-model-thread.ts).
 */
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { runTask, type AlsBuffers, type Phase, type Scratch, type Side } from './als-solve.js';
import { Ctrl } from './als-control.js';

/** File name of the bundled worker, emitted next to each bundle that may train (lib/bundle-options.ts). */
export const ALS_WORKER_BUNDLE = 'als-worker.mjs';

/** How long a worker may take to start (module load) before the fit gives up. */
const START_TIMEOUT_MS = 60_000;

/**
 * Code that imports the retrain's worker module (als-worker: the ALS solver's threads and the
 * content-model task), bundled or from source: an expression evaluating to the module's promise.
 */
export function trainingWorkerSource(): string {
  const here = fileURLToPath(import.meta.url);
  const bundled = join(dirname(here), ALS_WORKER_BUNDLE);
  if (existsSync(bundled)) return `import(${JSON.stringify(pathToFileURL(bundled).href)})`;
  const source = pathToFileURL(join(dirname(here), 'als-worker.ts')).href;
  // Workers do not inherit tsx's hooks: register them first (tsx is a dev dependency, as is the source).
  const tsxApi = pathToFileURL(join(dirname(nodeModule.createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/esm/api/index.mjs')).href;
  return `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(source)}); })`;
}

/** A SharedArrayBuffer-backed copy of a typed array (or a zeroed one of `length`). */
export function shared<T extends Float32Array | Float64Array | Int32Array>(ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, from: ArrayLike<number> | number): T {
  const n = typeof from === 'number' ? from : from.length;
  const out = new ctor(new SharedArrayBuffer(n * ctor.BYTES_PER_ELEMENT));
  if (typeof from !== 'number') out.set(from);
  return out;
}

/** The fixed-size control block and the workers of one fit. */
export class AlsThreadPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(Ctrl.Length * 4));
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];

  /** Starts `n` workers over `buffers` (every array in it must be SharedArrayBuffer-backed). */
  constructor(private readonly buffers: AlsBuffers, n: number) {
    const source = trainingWorkerSource();
    for (let k = 0; k < n; k++) {
      const { port1, port2 } = new MessageChannel();
      const code = `const { workerData } = require('node:worker_threads');
${source}.then((m) => m.start(workerData)).catch((err) => {
  workerData.errors.postMessage(String(err && err.stack || err));
  Atomics.store(workerData.ctrl, ${Ctrl.Failed}, 1);
  Atomics.add(workerData.ctrl, ${Ctrl.Ready}, 1);
  Atomics.notify(workerData.ctrl, ${Ctrl.Ready});
});`;
      const w = new Worker(code, { eval: true, workerData: { ctrl: this.ctrl, buffers, errors: port2 }, transferList: [port2] });
      w.unref();
      this.workers.push(w);
      this.ports.push(port1);
    }
    this.await(Ctrl.Ready, n, START_TIMEOUT_MS);
    this.check();
  }

  get size(): number {
    return this.workers.length;
  }

  /** Runs every task of a phase on the workers and this thread; returns when all are done. */
  run(phase: Phase, side: Side, threshold: number, nTasks: number, scratch: Scratch): void {
    const c = this.ctrl;
    Atomics.store(c, Ctrl.Phase, phase);
    Atomics.store(c, Ctrl.Side, side);
    Atomics.store(c, Ctrl.Threshold, threshold);
    Atomics.store(c, Ctrl.Tasks, nTasks);
    Atomics.store(c, Ctrl.Next, 0);
    Atomics.store(c, Ctrl.Done, 0);
    Atomics.add(c, Ctrl.Seq, 1);
    Atomics.notify(c, Ctrl.Seq);
    for (let t = Atomics.add(c, Ctrl.Next, 1); t < nTasks; t = Atomics.add(c, Ctrl.Next, 1)) runTask(this.buffers, phase, side, threshold, t, scratch);
    this.await(Ctrl.Done, this.workers.length, Infinity);
    this.check();
  }

  /** Ends the workers (they return from their loop; terminate() frees them either way). */
  close(): void {
    Atomics.store(this.ctrl, Ctrl.Phase, 4);
    Atomics.add(this.ctrl, Ctrl.Seq, 1);
    Atomics.notify(this.ctrl, Ctrl.Seq);
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
  }

  private await(slot: number, count: number, timeoutMs: number): void {
    const deadline = performance.now() + timeoutMs;
    for (let v = Atomics.load(this.ctrl, slot); v < count; v = Atomics.load(this.ctrl, slot)) {
      const left = deadline - performance.now();
      if (left <= 0) {
        this.close();
        throw new Error(`ALS worker threads did not start within ${timeoutMs / 1000} s`);
      }
      Atomics.wait(this.ctrl, slot, v, Math.min(left, 1000));
    }
  }

  private check(): void {
    if (Atomics.load(this.ctrl, Ctrl.Failed) === 0) return;
    const messages = this.ports.map((p) => receiveMessageOnPort(p)?.message).filter(Boolean);
    this.close();
    throw new Error(`ALS worker failed: ${messages.join('\n') || 'no message'}`);
  }
}
