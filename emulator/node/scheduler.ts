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
  epochMs: () => performance.timeOrigin + performance.now(),
};
