/**
 * Kernel cost from the emulator's exception records: the cycles of a null system call round
 * trip and of a context switch between two processes, for `npm run bench:syscall`
 * (tests/bench/syscall-bench.ts) and the kernel test that holds the kernel to its figures
 * (tests/kernel/syscall-cycles.test.ts).
 *
 * Why from the records: the emulator counts Cortex-M4 cycles (exception entry 12, return 10,
 * tail-chain 6: Cortex-M4 TRM r0p1 section 3.9.1, emulator/core/exceptions.ts) and the Tock
 * views' recorder (emulator/debug/tock/recorder.ts) stamps every exception entry and return
 * with that count, so a trap's cost is the distance between the process leaving Thread mode on
 * the process stack and its return there. The entry stamp is taken after the entry's stacking,
 * so the 12 entry cycles are added back: a figure is "from the `svc` (or the interrupt) taken to
 * the first instruction of a process again".
 *
 * - Null system call: a trap by SVC from a process, answered and returned to the same process,
 *   with no interrupt taken in between (an interrupt would be the interrupt's cost, not the
 *   call's). The kinds are told apart by class and arguments (`NULL_CALLS`).
 * - Context switch: a SysTick (timeslice end) taken in one process and the next return into a
 *   different process, again with no other interrupt in between.
 *
 * @example
 *   const rec = new TockRecorder({ core: session.core, dma: [] });
 *   rec.start({ timeline: true });
 *   // ... run the sysbench pair ...
 *   const costs = kernelCosts(rec.fetch(0), (pc) => appOf(pc));
 *   summary(costs.syscalls.get('yield-no-wait')!); // { count, min, median, max }
 */
import { EXCEPTION_ENTRY_CYCLES } from '../../emulator/core/exceptions';
import { RECORD_WORDS, RecordKind, type RecorderChunk } from '../../emulator/debug/tock/recorder';

const SVC = 11;
const SYSTICK = 15;
/** The kernel's own `svc` that enters a process (cm_switch_to_user in kernel/arch/cortex-m). */
const KERNEL_SWITCH_SVC = 0xff;

/** The null system calls the sysbench_calls app makes, by what the kernel sees in r0/r1. */
export const NULL_CALLS: readonly { name: string; svc: number; r0: number; r1?: number }[] = [
  { name: 'yield-no-wait', svc: 0, r0: 0 },
  { name: 'memop 2 (RAM start)', svc: 5, r0: 2 },
  { name: 'command 8 0 (low-level debug exists)', svc: 2, r0: 8, r1: 0 },
];

export interface KernelCosts {
  /** Cycles of each clean round trip, by `NULL_CALLS` name. */
  syscalls: Map<string, number[]>;
  /** Cycles of each clean timeslice switch between two processes. */
  switches: number[];
}

export interface Summary {
  count: number;
  min: number;
  median: number;
  max: number;
}

export function summary(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    count: s.length,
    min: s[0] ?? NaN,
    median: s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!,
    max: s[s.length - 1] ?? NaN,
  };
}

/**
 * Walks the records of `chunk`; `appOf(pc)` names the process a code address belongs to
 * (undefined outside every app).
 */
export function kernelCosts(
  chunk: RecorderChunk,
  appOf: (pc: number) => string | undefined,
): KernelCosts {
  const syscalls = new Map<string, number[]>(NULL_CALLS.map((c) => [c.name, []]));
  const switches: number[] = [];
  // The trap out of a process being timed: its cycle stamp, kind, process and whether only
  // the kernel ran since (no interrupt taken).
  let open: { at: number; exc: number; app: string | undefined; call?: string } | null = null;
  let clean = false;
  const n = chunk.cycles.length;
  for (let i = 0; i < n; i++) {
    const w = (k: number): number => chunk.words[i * RECORD_WORDS + k]!;
    const kind = w(0);
    const at = chunk.cycles[i]!;
    if (kind === RecordKind.ExceptionEntry) {
      const exc = w(1);
      const lr = w(2) >>> 0;
      const fromProcess = (lr & 0xc) === 0xc; // Thread mode, process stack (EXC_RETURN).
      if (fromProcess) {
        const app = appOf(w(3) >>> 0);
        let call: string | undefined;
        if (exc === SVC) {
          const svc = w(9);
          call = NULL_CALLS.find(
            (c) =>
              c.svc === svc && c.r0 === w(5) >>> 0 && (c.r1 === undefined || c.r1 === w(6) >>> 0),
          )?.name;
        }
        open = { at, exc, app, call };
        clean = true;
      } else if (!(exc === SVC && w(9) === KERNEL_SWITCH_SVC)) {
        clean = false;
      }
    } else if (kind === RecordKind.ExceptionReturn) {
      const excReturn = w(2) >>> 0;
      const tail = w(3);
      if (tail !== 0 || (excReturn & 0xf) !== 0xd || open === null) continue;
      const cycles = at - open.at + EXCEPTION_ENTRY_CYCLES;
      const app = appOf(w(4) >>> 0);
      if (clean && open.app !== undefined && app !== undefined) {
        if (open.exc === SVC && open.call !== undefined && app === open.app) {
          syscalls.get(open.call)!.push(cycles);
        } else if (open.exc === SYSTICK && app !== open.app) {
          switches.push(cycles);
        }
      }
      open = null;
    }
  }
  return { syscalls, switches };
}
