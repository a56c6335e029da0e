/**
 * The host scheduler for emulator targets in Node: slices run from setImmediate (after pending
 * I/O, so requests and messages are answered between slices), waits use setTimeout, and time is
 * performance.now(). Used by the emulator worker (main/host) and in-process targets (CLI, tests).
 *
 * @example
 *   const t = createEmulatorTarget(spec, nodeScheduler);
 */
import { performance } from 'node:perf_hooks';
import type { SliceScheduler } from '../debug/emulator-target';

export const nodeScheduler: SliceScheduler = {
  now: () => performance.now(),
  soon(task) {
    const h = setImmediate(task);
    return () => clearImmediate(h);
  },
  later(ms, task) {
    const h = setTimeout(task, ms);
    return () => clearTimeout(h);
  },
  // The wall clock: one clock for every thread and process of the host (the worker stamping a
  // chunk, the window showing it). performance.timeOrigin is per thread and per process, taken
  // when each started, and drifts from the wall clock with the monotonic clock it counts from.
  epochMs: () => Date.now(),
  // A memcmp: checkpoints compare megabytes of RAM page by page, at native speed from the
  // first one (a fresh worker's plain-JS loop runs interpreted for the first ~250 ms under load).
  sameBytes: (a, b) => Buffer.compare(a, b) === 0,
};
