/**
 * Tock processes as GDB threads: the thread source the GDB server uses, over the process table
 * (processes.ts). Thread 1 is the core; process slot i is thread i + 2.
 *
 * A process's registers are its suspended context (saved r4-r11 plus the exception frame on
 * its stack), so `thread N` then `bt` in GDB walks the app's own stack. Two cases read the live
 * core instead:
 * - the core is executing the process (Thread mode on the process stack, its stack pointer in
 *   the process's RAM): the thread is marked current and its registers are the core's;
 * - the core is in an exception handler entered from the process (EXC_RETURN in lr returns to
 *   Thread mode on the process stack; ARMv7-M ARM B1.5.8): r4-r11 are still the process's, in
 *   the core, and the rest is the fresh exception frame at PSP (a breakpoint in the SVC handler
 *   shows the app at its `svc`).
 *
 * @example
 *   const threads = await tockThreadSource(kernelElf);
 *   if (threads.ok) new GdbServer(target, { threads: threads.value });
 */
import { err, ok, type Result } from '../../core/result';
import { cachedMemory, DebugInfo } from '../../formats/dwarf/index';
import type { ServerThread, ThreadSource } from '../../gdb/server';
import type { CoreRegisters, DebugTarget } from '../target';
import { ProcessTable, withLiveCore, type ProcessRecord } from './processes';

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** GDB thread id of a process slot. */
export const threadIdOfSlot = (slot: number): number => slot + 2;

interface Snapshot {
  processes: ProcessRecord[];
  core: CoreRegisters;
  /** Slot of the process the core is executing right now, if any. */
  currentSlot: number | null;
}

async function read(table: ProcessTable, target: DebugTarget): Promise<Result<Snapshot>> {
  const core = await target.readRegisters();
  if (!core.ok) return core;
  const mem = cachedMemory((a, n) => target.readMemory(a, n));
  const processes = await table.read(mem);
  if (!processes.ok) return processes;
  const c = core.value;
  const onCpu = await withLiveCore(processes.value, c, mem);
  // Running now: GDB reads the core itself (the current thread carries no registers).
  const running = onCpu !== null && (c.xpsr & 0x1ff) === 0;
  const currentSlot = running ? onCpu : null;
  return ok({ processes: processes.value, core: c, currentSlot });
}

/**
 * A suspended process's registers as GDB should see them: its own context, and the system
 * registers as the process runs (Thread mode, unprivileged, on the process stack: CONTROL
 * nPRIV|SPSEL; ARMv7-M ARM B1.4.4), with the kernel's MSP and masks from the core, so GDB's
 * M-profile unwinder finds every register it reads.
 */
function processView(core: CoreRegisters, p: ProcessRecord): Partial<CoreRegisters> {
  const own = p.registers ?? { sp: p.stored.sp, psp: p.stored.sp, pc: p.stored.pc };
  return {
    msp: core.msp,
    primask: core.primask,
    basepri: core.basepri,
    faultmask: core.faultmask,
    control: 3,
    ...own,
  };
}

function describeThread(p: ProcessRecord, current: boolean): string {
  return current ? `${p.state}, running on the core` : p.state;
}

/** A thread source over a resolved process table. */
export function threadSourceOf(table: ProcessTable): ThreadSource {
  return {
    async threads(target) {
      const s = await read(table, target);
      if (!s.ok) return s;
      return ok(
        s.value.processes.map((p): ServerThread => {
          const current = p.slot === s.value.currentSlot;
          return {
            id: threadIdOfSlot(p.slot),
            name: p.name,
            extra: describeThread(p, current),
            current,
            registers: current ? null : processView(s.value.core, p),
          };
        }),
      );
    },
    async describe(target) {
      const s = await read(table, target);
      if (!s.ok) return s;
      const lines = [
        ' Thread  Slot  Name              State         PC          SP          RAM',
        ...s.value.processes.map((p) => {
          const r = p.registers;
          const pc = r?.pc ?? p.stored.pc;
          const sp = r?.sp ?? p.stored.sp;
          return `${String(threadIdOfSlot(p.slot)).padStart(7)}  ${String(p.slot).padStart(4)}  ${p.name.padEnd(16).slice(0, 16)}  ${p.state.padEnd(12)}  ${hex(pc)}  ${hex(sp)}  ${hex(p.ram.start)}-${hex(p.ram.end)}`;
        }),
      ];
      if (s.value.processes.length === 0) lines.push(' (no processes loaded)');
      return ok(lines.join('\n'));
    },
  };
}

/** A thread source reading the kernel's process table through the kernel ELF's DWARF. */
export async function tockThreadSource(elf: Uint8Array): Promise<Result<ThreadSource>> {
  const info = DebugInfo.load(elf, { name: 'kernel' });
  if (!info.ok) return err(`the kernel ELF: ${info.error}`);
  const table = ProcessTable.fromDebugInfo(info.value);
  if (!table.ok) return table;
  return ok(threadSourceOf(table.value));
}
