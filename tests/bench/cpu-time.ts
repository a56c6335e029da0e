/**
 * CPU time for benchmarks: what a phase cost this thread (and the whole process, or another
 * process), whatever else loads the machine, beside its wall-clock time. Every bench reads CPU
 * time through here.
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
import { readdirSync, readFileSync } from 'node:fs';
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

/** /proc/<pid>/stat counts CPU time in clock ticks of USER_HZ, 100 on Linux. */
const USER_HZ = 100;

/**
 * CPU milliseconds another process has used so far (user + system, all its threads; Linux
 * /proc/<pid>/stat, 10 ms resolution), or NaN when it cannot be read.
 */
export function pidCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces, hence the last ')'): state is [0],
    // utime [11], stime [12].
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return NaN;
  }
}

/**
 * CPU milliseconds the live threads of process `pid` have used so far, in nanoseconds'
 * resolution (the sum of /proc/<pid>/task/<tid>/schedstat), or NaN when they cannot be read.
 * For sampling a process that does almost nothing over a few seconds, where `pidCpuMs`'s 10 ms
 * ticks are the whole measurement; threads that end between two samples drop out of the sum,
 * so compare samples of a process whose threads live on (an idle emulator, QEMU).
 */
export function pidThreadsCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns / 1e6;
  } catch {
    return NaN;
  }
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

/** The `p`th percentile of measurements, nearest rank (NaN for none). */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** The median of repeated measurements (the upper of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}
