/** Slots of the Int32 control block shared by the ALS threads (als-threads.ts, als-worker.ts). */
export const Ctrl = {
  /** Bumped by the coordinator to announce a phase. */
  Seq: 0,
  Phase: 1,
  Side: 2,
  Threshold: 3,
  Tasks: 4,
  /** Next unclaimed task (Atomics.add claims one). */
  Next: 5,
  /** Workers finished with the current phase. */
  Done: 6,
  /** Set by a worker whose task threw (the message is on its error port). */
  Failed: 7,
  /** Workers that have started. */
  Ready: 8,
  Length: 9,
} as const;
