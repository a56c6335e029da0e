/**
 * Debug halting registers (ARMv7-M ARM C1.6): DHCSR (halt, step, debug enable), DCRSR/DCRDR
 * (core register transfer) and DEMCR (monitor and vector catch enables).
 *
 * Writes to DHCSR need the DBGKEY. A debugger steps the halted core by writing C_STEP with
 * C_HALT clear (C1.5, table C1-7 "Debug stepping control using the DHCSR"; C1.6.2 C_STEP): the
 * core executes one instruction through its `step()` and halts again; clearing C_HALT (C_STEP
 * clear) leaves Debug state (C1.5.4 "Exiting Debug state"). C_MASKINTS keeps PendSV, SysTick and interrupts from being taken. S_RETIRE_ST
 * and S_RESET_ST are sticky and clear on a read of DHCSR. DEMCR and DHCSR's control bits belong
 * to the debug logic, which a Local reset leaves alone (C1.4 "Debug and reset", C1.6.5): a
 * debugger's reset vector catch (VC_CORERESET) halts the core on its first instruction after
 * SYSRESETREQ, also when the reset was requested while the core was halted (B3.2.6 AIRCR). S_SLEEP
 * reads 1 while the core sleeps in WFI/WFE; C_HALT then wakes it into Debug state (C1.6.2,
 * B1.5.18, B1.5.19). Offsets are relative to the SCS base 0xE000E000.
 *
 * Usage (system/scs.ts): `debug.write(DEBUG.DHCSR, 0xa05f0001)`; `debug.enabled`.
 */
import type { CortexM } from '../cortex-m';

/** Register offsets from 0xE000E000 (C1.6.1, table C1-10). */
export const DEBUG = {
  DHCSR: 0xdf0,
  DCRSR: 0xdf4,
  DCRDR: 0xdf8,
  DEMCR: 0xdfc,
} as const;

/** DHCSR.DBGKEY (writes, bits 31:16). */
const DHCSR_KEY = 0xa05f;
/** DHCSR bits (C1.6.2). */
const DHCSR_C_DEBUGEN = 1 << 0;
const DHCSR_C_HALT = 1 << 1;
const DHCSR_C_STEP = 1 << 2;
const DHCSR_C_MASKINTS = 1 << 3;
const DHCSR_S_REGRDY = 1 << 16;
const DHCSR_S_HALT = 1 << 17;
const DHCSR_S_SLEEP = 1 << 18;
const DHCSR_S_LOCKUP = 1 << 19;
const DHCSR_S_RETIRE_ST = 1 << 24;
const DHCSR_S_RESET_ST = 1 << 25;
/** DFSR bits (C1.6.1): HALTED (debugger request or step), VCATCH. */
const DFSR_HALTED = 1 << 0;
/** DEMCR.VC_CORERESET (C1.6.5). */
const DEMCR_VC_CORERESET = 1 << 0;
/** DCRSR.REGWnR (C1.6.3). */
const DCRSR_REGWNR = 1 << 16;
/** DEMCR: MON_EN and MON_PEND (C1.6.5), and the bits that exist. */
const DEMCR_MON_EN = 1 << 16;
const DEMCR_MON_PEND = 1 << 17;
const DEMCR_MASK = 0x010f07f1;

export interface DebugState {
  dhcsr: number;
  dcrdr: number;
  demcr: number;
}

export class DebugRegisters {
  private readonly s: DebugState = { dhcsr: 0, dcrdr: 0, demcr: 0 };
  /** S_RESET_ST: a reset happened since DHCSR was last read (power-on counts). */
  private resetSt = true;
  /** The core's instruction count when DHCSR was last read (for S_RETIRE_ST). */
  private retiredAt = 0;
  /** A debugger step (C_STEP) is executing: a DHCSR write inside it must not start another. */
  private stepping = false;

  constructor(
    private readonly cpu: CortexM,
    /** Runs when C_DEBUGEN changes (it arms the FPB's comparators). */
    private readonly debugEnableChanged: () => void,
  ) {}

  static owns(off: number): boolean {
    return off >= DEBUG.DHCSR && off <= DEBUG.DEMCR;
  }

  /** DHCSR.C_DEBUGEN: halting debug enabled. */
  get enabled(): boolean {
    return (this.s.dhcsr & DHCSR_C_DEBUGEN) !== 0;
  }

  /** DEMCR.TRCENA (C1.6.5): the DWT and ITM are enabled. */
  get traceEnabled(): boolean {
    return (this.s.demcr & (1 << 24)) !== 0;
  }

  /** DEMCR.MON_EN: the DebugMonitor exception is enabled. */
  get monitorEnabled(): boolean {
    return (this.s.demcr & DEMCR_MON_EN) !== 0;
  }

  /** DEMCR.VC_CORERESET with C_DEBUGEN: a core reset halts before the first instruction. */
  get resetVectorCatch(): boolean {
    return (this.s.demcr & DEMCR_VC_CORERESET) !== 0 && this.enabled;
  }

  /** The core halted on a debugger's request (S_HALT reads from the core). */
  onHalt(): void {
    this.s.dhcsr |= DHCSR_C_HALT;
    this.cpu.exc.dfsr |= DFSR_HALTED;
  }

  /** `peek`: a debugger's side-effect-free read (the sticky status bits stay set). */
  read(off: number, peek = false): number {
    const cpu = this.cpu;
    switch (off) {
      case DEBUG.DHCSR: {
        const halted = cpu.halted ? DHCSR_S_HALT : 0;
        const sleep = cpu.sleeping ? DHCSR_S_SLEEP : 0;
        const lock = cpu.lockedUp ? DHCSR_S_LOCKUP : 0;
        // S_RETIRE_ST and S_RESET_ST (C1.6.2): set when an instruction has completed, and by a
        // reset, since the last read; "cleared to 0 on a read of DHCSR". A debugger's peek
        // (side-effect free) leaves them set.
        const count = cpu.instructionCount;
        const retire = count !== this.retiredAt ? DHCSR_S_RETIRE_ST : 0;
        const resetSt = this.resetSt ? DHCSR_S_RESET_ST : 0;
        if (!peek) {
          this.retiredAt = count;
          this.resetSt = false;
        }
        // Entering Debug state for any reason (request, breakpoint, step, watchpoint, vector
        // catch) leaves C_HALT set (C1.6.2), so a debugger's read-modify-write keeps it halted.
        if (cpu.halted) this.s.dhcsr |= DHCSR_C_HALT;
        const bits = (this.s.dhcsr & 0xf) | DHCSR_S_REGRDY | halted | sleep | lock;
        return (bits | retire | resetSt) >>> 0;
      }
      case DEBUG.DCRDR:
        return this.s.dcrdr;
      case DEBUG.DEMCR:
        return this.s.demcr;
      default:
        return 0; // DCRSR is write-only
    }
  }

  write(off: number, v: number): void {
    const cpu = this.cpu;
    const s = this.s;
    switch (off) {
      case DEBUG.DHCSR: {
        if (v >>> 16 !== DHCSR_KEY) return;
        const changed = ((s.dhcsr ^ v) & DHCSR_C_DEBUGEN) !== 0;
        s.dhcsr = v & 0xf;
        if (changed) this.debugEnableChanged();
        // C_MASKINTS counts only with C_DEBUGEN (C1.6.2).
        const mask = DHCSR_C_MASKINTS | DHCSR_C_DEBUGEN;
        cpu.maskInterrupts = (v & mask) === mask;
        if (v & DHCSR_C_HALT) {
          // C_HALT on a halted core changes nothing (a debugger rewrites DHCSR while halted to
          // change C_MASKINTS).
          if (!cpu.halted) cpu.requestHalt();
        } else if (
          cpu.halted &&
          (v & (DHCSR_C_STEP | DHCSR_C_DEBUGEN)) === (DHCSR_C_STEP | DHCSR_C_DEBUGEN)
        ) {
          // C_STEP with C_HALT clear: the core leaves Debug state, executes one instruction (or
          // takes one exception entry) and halts again with DFSR.HALTED set.
          if (!this.stepping) {
            this.stepping = true;
            try {
              cpu.step();
            } finally {
              this.stepping = false;
            }
          }
          cpu.halted = true;
          cpu.exc.dfsr |= DFSR_HALTED;
        } else {
          // Clearing C_HALT leaves Debug state and withdraws a halt request not yet taken.
          cpu.haltRequested = false;
          cpu.halted = false;
        }
        cpu.attention = true;
        return;
      }
      case DEBUG.DCRSR:
        if (v & DCRSR_REGWNR) this.writeCoreRegister(v & 0x7f, s.dcrdr);
        else s.dcrdr = this.readCoreRegister(v & 0x7f);
        return;
      case DEBUG.DCRDR:
        s.dcrdr = v >>> 0;
        return;
      case DEBUG.DEMCR:
        s.demcr = v & DEMCR_MASK;
        if (v & DEMCR_MON_PEND) cpu.setPending(12);
        return;
      default:
        return;
    }
  }

  /** DCRSR.REGSEL (C1.6.3): r0-r15, xPSR, MSP, PSP, CONTROL/FAULTMASK/BASEPRI/PRIMASK. */
  private readCoreRegister(sel: number): number {
    const cpu = this.cpu;
    if (sel <= 15) return cpu.readRegister(sel);
    switch (sel) {
      case 16:
        return cpu.xpsr;
      case 17:
        return cpu.msp;
      case 18:
        return cpu.psp;
      case 20:
        return (
          ((cpu.control << 24) | (cpu.faultmask << 16) | (cpu.basepri << 8) | cpu.primask) >>> 0
        );
      default:
        return 0;
    }
  }

  private writeCoreRegister(sel: number, v: number): void {
    const cpu = this.cpu;
    if (sel <= 15) cpu.writeRegister(sel, v);
    else if (sel === 16) cpu.xpsr = v;
    else if (sel === 17) cpu.setMsp(v);
    else if (sel === 18) cpu.setPsp(v);
    else if (sel === 20) {
      cpu.primask = v & 1;
      cpu.basepri = (v >>> 8) & cpu.exc.prioMask;
      cpu.faultmask = (v >>> 16) & 1;
      cpu.setControl((v >>> 24) & 7);
    }
    cpu.attention = true;
  }

  /**
   * A core reset: DHCSR's control bits and DEMCR belong to the debug logic and survive it
   * (C1.6.2, C1.6.5); the reset is recorded in S_RESET_ST.
   */
  reset(): void {
    this.resetSt = true;
  }

  snapshot(): DebugState {
    return { ...this.s };
  }

  restore(s: DebugState): void {
    Object.assign(this.s, s);
  }
}
