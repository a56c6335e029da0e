/**
 * The runner's host scheduler in Node: the monotonic clock of `performance.now()`, waits on
 * timers, and `setImmediate` to let I/O through between slices.
 *
 * A wait with no end (a board waiting for input) is a chain of the longest timers Node allows,
 * so the process stays alive while it waits and uses no CPU; `wake()` ends it at once.
 *
 * @example
 *   const runner = new Runner(session, { scheduler: nodeScheduler, pace: 'realtime', ... });
 */
import { performance } from 'node:perf_hooks';
import type { HostScheduler, HostSleep } from '../session/runner';

/** Node's timers take at most 2^31-1 ms. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export const nodeScheduler: HostScheduler = {
  now: () => performance.now(),
  sleep(ms: number): HostSleep {
    let timer: NodeJS.Timeout | undefined;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const until = performance.now() + ms;
    const arm = (): void => {
      const left = until - performance.now();
      if (left <= 0) return finish();
      timer = setTimeout(arm, Math.min(left, LONGEST_TIMER_MS));
    };
    arm();
    return {
      done,
      wake() {
        if (timer !== undefined) clearTimeout(timer);
        finish();
      },
    };
  },
  yieldToHost: () => new Promise<void>((resolve) => setImmediate(resolve)),
};
