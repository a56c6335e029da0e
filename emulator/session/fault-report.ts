/**
 * Fault reports in words: what the ARMv7-M fault status registers say, for a person.
 *
 * When firmware faults and its own handler only spins or sleeps (the common "HardFault: b ."),
 * the board looks dead and nothing says why. The session notices that (see FaultWatch) and
 * tells the host once, in one line built here from CFSR, HFSR, MMFAR and BFAR (ARMv7-M ARM
 * B3.2.15-B3.2.18: MMFSR bits 7:0, BFSR 15:8, UFSR 31:16; HFSR FORCED and VECTTBL) and the
 * faulting PC with its symbol, e.g.
 * `HardFault (escalated from precise BusFault at 0x4007c074, pc 0x1bf32 in init)`.
 * Pure functions over register values: no core needed to test them.
 *
 * @example
 *   describeFault({ exception: 3, cfsr: 0x8200, hfsr: 0x40000000, bfar: 0x4007c074, mmfar: 0, pc: 0x1bf32 }, () => 'init');
 */

export interface FaultRegisters {
  /** 3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault. */
  exception: number;
  cfsr: number;
  hfsr: number;
  mmfar: number;
  bfar: number;
  /** Return address stacked on entry: the faulting instruction for precise faults. */
  pc: number;
}

const NAMES: Record<number, string> = {
  3: 'HardFault',
  4: 'MemManage fault',
  5: 'BusFault',
  6: 'UsageFault',
};

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const bit = (v: number, n: number): boolean => ((v >>> n) & 1) === 1;

/** The causes CFSR records, in words (several can be set at once). */
export function cfsrCauses(cfsr: number, mmfar: number, bfar: number): string[] {
  const out: string[] = [];
  const mmAt = bit(cfsr, 7) ? ` at ${hex(mmfar)}` : '';
  const bfAt = bit(cfsr, 15) ? ` at ${hex(bfar)}` : '';
  if (bit(cfsr, 0)) out.push('MemManage fault on instruction fetch (execute-never or no access)');
  if (bit(cfsr, 1)) out.push(`MemManage fault on data access${mmAt}`);
  if (bit(cfsr, 3)) out.push('MemManage fault while unstacking on exception return');
  if (bit(cfsr, 4)) out.push('MemManage fault while stacking on exception entry');
  if (bit(cfsr, 5)) out.push('MemManage fault during lazy FP state preservation');
  if (bit(cfsr, 8)) out.push('BusFault on instruction fetch');
  if (bit(cfsr, 9)) out.push(`precise BusFault${bfAt}`);
  if (bit(cfsr, 10)) out.push('imprecise BusFault');
  if (bit(cfsr, 11)) out.push('BusFault while unstacking on exception return');
  if (bit(cfsr, 12)) out.push('BusFault while stacking on exception entry');
  if (bit(cfsr, 13)) out.push('BusFault during lazy FP state preservation');
  if (bit(cfsr, 16)) out.push('UsageFault: undefined instruction');
  if (bit(cfsr, 17))
    out.push('UsageFault: invalid state (branch to an address without the Thumb bit)');
  if (bit(cfsr, 18)) out.push('UsageFault: invalid EXC_RETURN on exception return');
  if (bit(cfsr, 19)) out.push('UsageFault: coprocessor (FPU) not enabled');
  if (bit(cfsr, 24)) out.push('UsageFault: unaligned access');
  if (bit(cfsr, 25)) out.push('UsageFault: divide by zero');
  return out;
}

/**
 * One line: the exception, its cause(s) from the status registers, and where it happened
 * (`symbolOf` names an address, or returns null).
 */
export function describeFault(
  f: FaultRegisters,
  symbolOf: (address: number) => string | null,
): string {
  const name = NAMES[f.exception] ?? `exception ${f.exception}`;
  const causes = cfsrCauses(f.cfsr, f.mmfar, f.bfar);
  const parts: string[] = [];
  if (f.exception === 3 && bit(f.hfsr, 1)) parts.push('vector table read failed');
  if (f.exception === 3 && bit(f.hfsr, 30))
    parts.push(`escalated from ${causes.length ? causes.join(' and ') : 'a configurable fault'}`);
  else if (causes.length > 0) parts.push(causes.join(' and '));
  if (f.exception === 3 && bit(f.hfsr, 31)) parts.push('debug event');
  const sym = symbolOf(f.pc);
  parts.push(`pc ${hex(f.pc)}${sym ? ` in ${sym}` : ''}`);
  return `${name} (${parts.join(', ')})`;
}
