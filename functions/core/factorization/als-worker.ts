/**
 * An ALS worker thread: waits on the shared control block, claims tasks of the announced phase
 * until none are left, reports done, and waits again (no event loop turns, no messages per task).
 * Started by als-threads.ts; its source runs under tsx in development and as als-worker.mjs next to
 * the bundled entry in Lambda and the retrain container. The module also carries the content-model
 * task, so one worker bundle serves the retrain.
 */
import type { MessagePort } from 'node:worker_threads';
import { Phase, runTask, scratchFor, type AlsBuffers, type Side } from './als-solve.js';
import { Ctrl } from './als-control.js';

export { contentModelTask } from '../training/content-model-thread.js';

export interface AlsWorkerData {
  ctrl: Int32Array;
  buffers: AlsBuffers;
  errors: MessagePort;
}

export function start({ ctrl, buffers, errors }: AlsWorkerData): void {
  const scratch = scratchFor(buffers);
  let seq = 0;
  Atomics.add(ctrl, Ctrl.Ready, 1);
  Atomics.notify(ctrl, Ctrl.Ready);
  for (;;) {
    Atomics.wait(ctrl, Ctrl.Seq, seq);
    seq = Atomics.load(ctrl, Ctrl.Seq);
    const phase = Atomics.load(ctrl, Ctrl.Phase) as Phase;
    if (phase === Phase.Exit) return;
    const side = Atomics.load(ctrl, Ctrl.Side) as Side;
    const threshold = Atomics.load(ctrl, Ctrl.Threshold);
    const nTasks = Atomics.load(ctrl, Ctrl.Tasks);
    try {
      for (let t = Atomics.add(ctrl, Ctrl.Next, 1); t < nTasks; t = Atomics.add(ctrl, Ctrl.Next, 1)) runTask(buffers, phase, side, threshold, t, scratch);
    } catch (err) {
      errors.postMessage(err instanceof Error ? (err.stack ?? err.message) : String(err));
      Atomics.store(ctrl, Ctrl.Failed, 1);
    }
    Atomics.add(ctrl, Ctrl.Done, 1);
    Atomics.notify(ctrl, Ctrl.Done);
  }
}
