/**
 * The fault explainer's model: when a process faults, what happened in plain words. From the
 * fault status registers (CFSR, MMFAR, BFAR: ARMv7-M ARM B3.2.15-B3.2.18, causes worded by
 * emulator/session/fault-report.ts), the faulting PC and SP, the process table (each process's
 * flash and RAM, and inside its RAM the stack, heap and grant regions when known) and the last
 * system call the timeline saw, it says where the address falls (the process's own stack, heap
 * or grant region, another process, the kernel's RAM, flash, a peripheral, unmapped), whether
 * it looks like a stack overflow (an access just below the stack's bottom, or a stacking fault),
 * and where to look in the source (the PC).
 *
 * @example
 *   const e = explainFault({ cfsr: 0x82, mmfar: 0x20007ff0, bfar: 0, pc: 0x40a12, sp: 0x20008004,
 *     process: 'fault_stack', processes, memoryMap });
 *   e.summary; // "fault_stack wrote 0x20007ff0, just below its stack: a stack overflow"
 */
import type { MemoryRegion } from '../target';
import { cfsrCauses } from '../../session/fault-report';
import { mpuRanges, type MpuRegion, type ProcessView } from './processes-view';

export interface FaultProcess {
  name: string;
  slot: number;
  flash: { start: number; end: number };
  ram: { start: number; end: number };
  /** The process's stack (its lowest address is where an overflow lands below), if known. */
  stack?: { start: number; end: number };
  heap?: { start: number; end: number };
  grant?: { start: number; end: number };
}

export interface FaultInput {
  cfsr: number;
  mmfar: number;
  bfar: number;
  /** The faulting instruction (stacked PC). */
  pc: number;
  /** The process stack pointer at the fault. */
  sp: number;
  /** The process that faulted (by name), when known. */
  process: string | null;
  processes: readonly FaultProcess[];
  memoryMap: readonly MemoryRegion[];
  /** The last system call the process made, in words ("command console 1"). */
  lastSyscall?: string | null;
}

export interface FaultExplanation {
  /** One sentence. */
  summary: string;
  /** The status registers' causes, one per line. */
  causes: string[];
  /** The address the fault is about (MMFAR / BFAR when valid), or null. */
  address: number | null;
  /** What that address is. */
  where: string | null;
  stackOverflow: boolean;
  /** The source location to open (the faulting PC). */
  pc: number;
  lastSyscall: string | null;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const within = (a: number, r: { start: number; end: number } | undefined): boolean =>
  r !== undefined && a >= r.start && a < r.end;
/** How far below a stack an access still reads as an overflow (one exception frame and more). */
const OVERFLOW_SLACK = 256;

/** What an address is, from the process table and the memory map. */
export function placeOf(
  address: number,
  own: FaultProcess | undefined,
  processes: readonly FaultProcess[],
  memoryMap: readonly MemoryRegion[],
): string {
  if (own) {
    if (within(address, own.stack)) return `its own stack`;
    if (within(address, own.heap)) return `its own heap`;
    if (within(address, own.grant)) return `its grant region (kernel memory inside its RAM)`;
    if (within(address, own.ram)) return `its own RAM`;
    if (within(address, own.flash)) return `its own flash`;
  }
  for (const p of processes) {
    if (p === own) continue;
    if (within(address, p.ram)) return `the RAM of process ${p.name} (slot ${p.slot})`;
    if (within(address, p.flash)) return `the flash of process ${p.name} (slot ${p.slot})`;
  }
  const r = memoryMap.find((m) => address >= m.start && address < m.start + m.size);
  if (!r) return 'unmapped memory';
  if (r.kind === 'ram') return `the kernel's RAM (${r.name})`;
  if (r.kind === 'flash') return `the kernel's flash (${r.name})`;
  if (r.kind === 'peripheral') return `a peripheral (${r.name})`;
  return `the system region (${r.name})`;
}

export function explainFault(f: FaultInput): FaultExplanation {
  const causes = cfsrCauses(f.cfsr, f.mmfar, f.bfar);
  const mmValid = (f.cfsr & (1 << 7)) !== 0;
  const bfValid = (f.cfsr & (1 << 15)) !== 0;
  const address = mmValid ? f.mmfar >>> 0 : bfValid ? f.bfar >>> 0 : null;
  const own = f.processes.find((p) => p.name === f.process);
  const where = address !== null ? placeOf(address, own, f.processes, f.memoryMap) : null;
  const stacking = (f.cfsr & ((1 << 4) | (1 << 12))) !== 0;
  const bottom = own?.stack?.start ?? own?.ram.start;
  const below = (a: number): boolean =>
    bottom !== undefined && a < bottom && a >= bottom - OVERFLOW_SLACK;
  const stackOverflow =
    (address !== null && below(address)) || (stacking && (below(f.sp) || f.sp < (bottom ?? 0)));
  const who = f.process ?? 'The program';
  let summary: string;
  if (stackOverflow)
    summary = `${who} overflowed its stack: ${address !== null ? `it touched ${hex(address)}` : `its stack pointer ${hex(f.sp)} went`} below the stack's bottom${bottom !== undefined ? ` (${hex(bottom)})` : ''}.`;
  else if (address !== null)
    summary = `${who} ${causes[0]?.includes('instruction') ? 'executed' : 'accessed'} ${hex(address)}, in ${where}, which the MPU does not let it reach.`;
  else summary = `${who} faulted: ${causes.join('; ') || 'no cause recorded in CFSR'}.`;
  return {
    summary,
    causes,
    address,
    where,
    stackOverflow,
    pc: f.pc >>> 0,
    lastSyscall: f.lastSyscall ?? null,
  };
}

const rangeText = (start: number, end: number): string => `${hex(start)}-${hex(end)}`;

/**
 * Which of the process's MPU regions the address falls in, in words. An unprivileged access
 * that no enabled region (or subregion) covers is refused: the default memory map applies to
 * privileged code only (ARMv7-M ARM B3.5.1, MPU_CTRL.PRIVDEFENA); a covered one is refused by
 * the region's AP bits (table B3-15) or XN (B3.5.9).
 */
export function mpuVerdict(address: number, regions: readonly MpuRegion[], write: boolean): string {
  for (const r of regions) {
    if (!r.enabled || address < r.start || address >= r.start + r.size) continue;
    const sub = Math.floor((address - r.start) / (r.size / 8));
    if (r.subregionsDisabled[sub]) continue; // a disabled subregion lets the access fall through to lower-numbered regions
    const user = r.access.split('/')[1] ?? '';
    const refused =
      user === 'none' ? 'no unprivileged access' : write && user === 'RO' ? 'read-only' : null;
    return `MPU region ${r.number} (${rangeText(r.start, r.start + r.size)}, ${r.access}${r.executeNever ? ', XN' : ''}) covers it${refused ? `: ${refused}` : ''}`;
  }
  const near = regions
    .filter((r) => r.enabled)
    .map((r) => {
      const ranges = mpuRanges(r);
      const sub = address >= r.start && address < r.start + r.size;
      return sub
        ? `MPU region ${r.number} spans it but its subregion ${Math.floor((address - r.start) / (r.size / 8))} is disabled (open: ${ranges.map((x) => rangeText(x.start, x.end)).join(', ')})`
        : null;
    })
    .find((x) => x !== null);
  return near ?? 'no MPU region covers it, so an unprivileged access is refused';
}

/** A process's last fault, as the kernel recorded it, explained; null when it has none. */
export function explainProcessFault(
  p: ProcessView,
  all: readonly ProcessView[],
  memoryMap: readonly MemoryRegion[],
): (FaultExplanation & { mpu: string | null }) | null {
  if (!p.fault) return null;
  const place = (v: ProcessView): FaultProcess => {
    const kb = v.memory.ram.kernelBreak;
    return {
      name: v.name,
      slot: v.slot,
      flash: v.flash,
      ram: v.ram,
      ...(kb !== null && kb < v.ram.end ? { grant: { start: kb, end: v.ram.end } } : {}),
    };
  };
  const e = explainFault({
    cfsr: p.fault.cfsr,
    mmfar: p.fault.mmfar,
    bfar: p.fault.bfar,
    pc: p.fault.pc,
    sp: p.fault.extra.sp ?? 0,
    process: p.name,
    processes: all.map(place),
    memoryMap,
    lastSyscall: p.lastSyscall,
  });
  // CFSR.MMFSR bit 0 IACCVIOL: an instruction fetch; otherwise DACCVIOL (B3.2.15). The kernel
  // records no read/write bit, so a data access is judged as a write only when it is read-only.
  const write = (p.fault.cfsr & 1) === 0;
  return {
    ...e,
    mpu: e.address !== null ? mpuVerdict(e.address, p.mpu, write) : null,
  };
}
