/**
 * CPU time for benchmarks: what a phase cost this thread (and the whole process), whatever else
 * loads the machine, beside its wall-clock time.
 *
 * The shared build machine runs many jobs at once: wall-clock MIPS there vary several times over
 * between identical runs. The calling thread's CPU time (Linux /proc/thread-self/schedstat, in
 * nanoseconds) counts only the time this thread was on a core, so ratios of phases measured
 * that way hold under load. Elsewhere (no /proc) the process's CPU time stands in.
 *
 * @example
 *   const clock = cpuClock();
 *   run();
 *   const { wallMs, cpuMs } = clock.elapsed();
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** CPU milliseconds of the calling thread (the process's where the thread's cannot be read). */
export function threadCpuMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return processCpuMs();
  }
}

/** CPU milliseconds of the whole process (all threads: V8's compiler and GC threads too). */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface CpuClock {
  /** Wall, thread-CPU and process-CPU milliseconds since the clock was made. */
  elapsed(): { wallMs: number; cpuMs: number; processCpuMs: number };
}

/** Starts timing now. */
export function cpuClock(): CpuClock {
  const wall = performance.now();
  const cpu = threadCpuMs();
  const proc = processCpuMs();
  return {
    elapsed: () => ({
      wallMs: performance.now() - wall,
      cpuMs: threadCpuMs() - cpu,
      processCpuMs: processCpuMs() - proc,
    }),
  };
}
