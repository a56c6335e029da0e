/**
 * Debug halting registers (ARMv7-M ARM C1.6): DHCSR (halt, step, debug enable), DCRSR/DCRDR
 * (core register transfer) and DEMCR (monitor and vector catch enables).
 *
 * Writes to DHCSR need the DBGKEY. C_STEP and C_MASKINTS are stored; stepping itself is done
 * through the core's `step()`. Offsets are relative to the SCS base 0xE000E000.
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
const DHCSR_S_REGRDY = 1 << 16;
const DHCSR_S_HALT = 1 << 17;
const DHCSR_S_SLEEP = 1 << 18;
const DHCSR_S_LOCKUP = 1 << 19;
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

  /** The core halted (S_HALT reads from the core; C_HALT records the request). */
  onHalt(): void {
    this.s.dhcsr |= DHCSR_C_HALT;
  }

  read(off: number): number {
    const cpu = this.cpu;
    switch (off) {
      case DEBUG.DHCSR: {
        const halted = cpu.halted ? DHCSR_S_HALT : 0;
        const sleep = cpu.sleeping ? DHCSR_S_SLEEP : 0;
        const lock = cpu.lockedUp ? DHCSR_S_LOCKUP : 0;
        return ((this.s.dhcsr & 0xf) | DHCSR_S_REGRDY | halted | sleep | lock) >>> 0;
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
        if (v & DHCSR_C_HALT) cpu.requestHalt();
        else if (cpu.halted) cpu.halted = false;
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

  /** C_DEBUGEN/C_HALT/C_STEP/C_MASKINTS are kept across a core reset (only DEMCR resets). */
  reset(): void {
    this.s.demcr = 0;
  }

  snapshot(): DebugState {
    return { ...this.s };
  }

  restore(s: DebugState): void {
    Object.assign(this.s, s);
  }
}
