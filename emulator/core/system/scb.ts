/**
 * System Control Block (ARMv7-M ARM B3.2): CPUID, ICSR, VTOR, AIRCR, SCR, CCR, the system
 * handler priorities and SHCSR, the fault status and address registers, CPACR.
 *
 * The exception state behind most of these is the exception model's (exceptions.ts); CCR and
 * SCR are the core's, which consults them on every access and sleep. Offsets are relative to
 * the System Control Space base 0xE000E000. Reserved words read 0 and ignore writes, as QEMU
 * 7.2 does.
 *
 * Usage (system/scs.ts): `scb.read(SCB.ICSR)`, `scb.write(SCB.AIRCR, 0x05fa0004)`.
 */
import type { CortexM } from '../cortex-m';
import type { ExceptionModel } from '../exceptions';
import { readPriorityWord, writePriority } from './nvic';

/** Register offsets from 0xE000E000 (B3.2.2, table B3-4). */
export const SCB = {
  CPUID: 0xd00,
  ICSR: 0xd04,
  VTOR: 0xd08,
  AIRCR: 0xd0c,
  SCR: 0xd10,
  CCR: 0xd14,
  SHPR1: 0xd18,
  SHPR2: 0xd1c,
  SHPR3: 0xd20,
  SHCSR: 0xd24,
  CFSR: 0xd28,
  HFSR: 0xd2c,
  DFSR: 0xd30,
  MMFAR: 0xd34,
  BFAR: 0xd38,
  AFSR: 0xd3c,
  CPACR: 0xd88,
} as const;

/** Cortex-M4 r0p0, as QEMU 7.2 reports it. */
const CPUID_M4 = 0x410fc240;
/** AIRCR.VECTKEY (writes) and VECTKEYSTAT (reads). */
const AIRCR_VECTKEY = 0x05fa;
const AIRCR_VECTKEYSTAT = 0xfa05;
/** ICSR bits (B3.2.4). */
const ICSR = {
  NMIPENDSET: 1 << 31,
  PENDSVSET: 1 << 28,
  PENDSVCLR: 1 << 27,
  PENDSTSET: 1 << 26,
  PENDSTCLR: 1 << 25,
} as const;
/** AIRCR bits (B3.2.6). */
const AIRCR_VECTCLRACTIVE = 1 << 1;
const AIRCR_SYSRESETREQ = 1 << 2;

export class Scb {
  constructor(
    private readonly cpu: CortexM,
    private readonly exc: ExceptionModel,
  ) {}

  static owns(off: number): boolean {
    return (off >= SCB.CPUID && off <= SCB.AFSR) || off === SCB.CPACR;
  }

  /** First exception of a byte-writable SHPRn register at `off`, or -1. */
  static bytePriority(off: number): number {
    return off >= SCB.SHPR1 && off < SCB.SHCSR ? 4 + off - SCB.SHPR1 : -1;
  }

  /** Write-one-to-clear registers: a narrow write must not see the other lanes' bits. */
  static writeOneRegister(off: number): boolean {
    return off >= SCB.CFSR && off < SCB.MMFAR;
  }

  read(off: number): number {
    const cpu = this.cpu;
    const exc = this.exc;
    switch (off) {
      case SCB.CPUID:
        return CPUID_M4;
      case SCB.ICSR:
        return this.icsr();
      case SCB.VTOR:
        return exc.vtor;
      case SCB.AIRCR:
        return ((AIRCR_VECTKEYSTAT << 16) | (exc.prigroup << 8)) >>> 0;
      case SCB.SCR:
        return cpu.scr;
      case SCB.CCR:
        return cpu.ccr;
      case SCB.SHPR1:
      case SCB.SHPR2:
      case SCB.SHPR3:
        return readPriorityWord(exc, 4 + (off - SCB.SHPR1));
      case SCB.SHCSR:
        return this.shcsr();
      case SCB.CFSR:
        return exc.cfsr >>> 0;
      case SCB.HFSR:
        return exc.hfsr >>> 0;
      case SCB.DFSR:
        return exc.dfsr;
      case SCB.MMFAR:
        return exc.mmfar;
      case SCB.BFAR:
        return exc.bfar;
      case SCB.CPACR:
        return cpu.config.fpu ? cpu.cpacr : 0;
      default:
        return 0; // AFSR and reserved words
    }
  }

  write(off: number, v: number): void {
    const cpu = this.cpu;
    const exc = this.exc;
    switch (off) {
      case SCB.ICSR:
        if (v & ICSR.NMIPENDSET) exc.setPending(2);
        if (v & ICSR.PENDSVSET) exc.setPending(14);
        if (v & ICSR.PENDSVCLR) exc.pending[14] = 0;
        if (v & ICSR.PENDSTSET) exc.setPending(15);
        if (v & ICSR.PENDSTCLR) exc.pending[15] = 0;
        cpu.attention = true;
        return;
      case SCB.VTOR:
        exc.vtor = v & 0xffffff80;
        return;
      case SCB.AIRCR:
        if (v >>> 16 !== AIRCR_VECTKEY) return;
        exc.prigroup = (v >>> 8) & 7;
        if (v & AIRCR_VECTCLRACTIVE) {
          for (let e = 1; e < exc.numExceptions; e++) exc.active[e] = 0;
        }
        if (v & AIRCR_SYSRESETREQ) cpu.requestSystemReset();
        cpu.attention = true;
        return;
      case SCB.SCR:
        cpu.scr = v & 0x16;
        return;
      case SCB.CCR:
        cpu.ccr = (v & 0x31b) | 0x200;
        return;
      case SCB.SHPR1:
      case SCB.SHPR2:
      case SCB.SHPR3: {
        const base = 4 + (off - SCB.SHPR1);
        for (let i = 0; i < 4; i++) writePriority(cpu, base + i, (v >>> (8 * i)) & 0xff);
        return;
      }
      case SCB.SHCSR: {
        // B3.2.13: active and pending bits of the system handlers, and the fault enables.
        const a = exc.active;
        a[4] = v & 1;
        a[5] = (v >>> 1) & 1;
        a[6] = (v >>> 3) & 1;
        a[11] = (v >>> 7) & 1;
        a[12] = (v >>> 8) & 1;
        a[14] = (v >>> 10) & 1;
        a[15] = (v >>> 11) & 1;
        exc.pending[6] = (v >>> 12) & 1;
        exc.pending[4] = (v >>> 13) & 1;
        exc.pending[5] = (v >>> 14) & 1;
        exc.pending[11] = (v >>> 15) & 1;
        exc.shcsrEna = (v >>> 16) & 7;
        cpu.attention = true;
        return;
      }
      case SCB.CFSR:
        exc.cfsr &= ~v;
        return;
      case SCB.HFSR:
        exc.hfsr &= ~v;
        return;
      case SCB.DFSR:
        exc.dfsr &= ~v;
        return;
      case SCB.MMFAR:
        exc.mmfar = v >>> 0;
        return;
      case SCB.BFAR:
        exc.bfar = v >>> 0;
        return;
      case SCB.CPACR:
        if (cpu.config.fpu) cpu.cpacr = v & (0xf << 20);
        return;
      default:
        return;
    }
  }

  private shcsr(): number {
    const a = this.exc.active;
    const p = this.exc.pending;
    return (
      ((a[4]! << 0) |
        (a[5]! << 1) |
        (a[6]! << 3) |
        (a[11]! << 7) |
        (a[12]! << 8) |
        (a[14]! << 10) |
        (a[15]! << 11) |
        (p[6]! << 12) |
        (p[4]! << 13) |
        (p[5]! << 14) |
        (p[11]! << 15) |
        (this.exc.shcsrEna << 16)) >>>
      0
    );
  }

  /** ICSR (B3.2.4): pending bits, ISRPENDING, VECTPENDING, RETTOBASE, VECTACTIVE. */
  private icsr(): number {
    const exc = this.exc;
    let isrPending = 0;
    for (let e = 16; e < exc.numExceptions; e++) {
      if (exc.pending[e] && exc.isEnabled(e)) isrPending = 1;
    }
    const retToBase = exc.activeCount() <= 1 ? 1 : 0;
    return (
      ((exc.pending[2]! << 31) |
        (exc.pending[14]! << 28) |
        (exc.pending[15]! << 26) |
        (isrPending << 22) |
        (exc.vectPending() << 12) |
        (retToBase << 11) |
        this.cpu.ipsr) >>>
      0
    );
  }
}
