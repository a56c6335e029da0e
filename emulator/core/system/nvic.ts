/**
 * NVIC (ARMv7-M ARM B3.4) and ICTR (B3.2.x SCnSCB): interrupt enables, pending, active and
 * priority registers, and the software trigger register STIR.
 *
 * The state lives in the exception model (exceptions.ts); this block is its register view.
 * Offsets are relative to the System Control Space base 0xE000E000. Set/clear pairs act per bit
 * on interrupts that exist; priority registers are byte-accessible (B3.4.8) and keep only the
 * implemented priority bits.
 *
 * Usage (system/scs.ts): `nvic.read(NVIC.ISER0)`, `nvic.write(NVIC.IPR0 + 4, v)`.
 */
import type { CortexM } from '../cortex-m';
import type { ExceptionModel } from '../exceptions';

/** Register offsets from 0xE000E000 (B3.4.2, table B3-8; ICTR in B3.2.2). */
export const NVIC = {
  ICTR: 0x004,
  ISER0: 0x100,
  ICER0: 0x180,
  ISPR0: 0x200,
  ICPR0: 0x280,
  IABR0: 0x300,
  /** End of the 16 words of each set/clear/active bank. */
  BANK_SIZE: 0x40,
  IPR0: 0x400,
  /** End of the priority registers (124 words, 496 interrupts). */
  IPR_END: 0x5f0,
  STIR: 0xf00,
} as const;

export class Nvic {
  /** Word views over the exception model's byte arrays (each starts its own buffer). */
  private readonly pendingW: Uint32Array;
  private readonly activeW: Uint32Array;
  private readonly enabledW: Uint32Array;

  constructor(
    private readonly cpu: CortexM,
    private readonly exc: ExceptionModel,
  ) {
    // The arrays start their buffers; a tail of fewer than four bytes is read byte by byte.
    const words = (a: Uint8Array): Uint32Array =>
      new Uint32Array(a.buffer, 0, a.buffer.byteLength >>> 2);
    this.pendingW = words(exc.pending);
    this.activeW = words(exc.active);
    this.enabledW = words(exc.enabled);
  }

  /** Offsets this block decodes. */
  static owns(off: number): boolean {
    return (
      off === NVIC.ICTR ||
      (off >= NVIC.ISER0 && off < NVIC.IABR0 + NVIC.BANK_SIZE) ||
      (off >= NVIC.IPR0 && off < NVIC.IPR_END) ||
      off === NVIC.STIR
    );
  }

  /** Byte-writable priority registers (their narrow writes touch only the bytes written). */
  static bytePriority(off: number): number {
    return off >= NVIC.IPR0 && off < NVIC.IPR_END ? 16 + off - NVIC.IPR0 : -1;
  }

  /** Write-one set/clear registers: a narrow write must not see the other lanes' bits. */
  static writeOneRegister(off: number): boolean {
    return off >= NVIC.ISER0 && off < NVIC.IABR0;
  }

  read(off: number): number {
    const exc = this.exc;
    if (off === NVIC.ICTR) return Math.ceil(this.cpu.config.numIrqs / 32) - 1;
    if (off >= NVIC.ISER0 && off < NVIC.ISER0 + NVIC.BANK_SIZE)
      return this.bits(exc.enabled, bank(off, NVIC.ISER0));
    if (off >= NVIC.ICER0 && off < NVIC.ICER0 + NVIC.BANK_SIZE)
      return this.bits(exc.enabled, bank(off, NVIC.ICER0));
    if (off >= NVIC.ISPR0 && off < NVIC.ISPR0 + NVIC.BANK_SIZE)
      return this.bits(exc.pending, bank(off, NVIC.ISPR0));
    if (off >= NVIC.ICPR0 && off < NVIC.ICPR0 + NVIC.BANK_SIZE)
      return this.bits(exc.pending, bank(off, NVIC.ICPR0));
    if (off >= NVIC.IABR0 && off < NVIC.IABR0 + NVIC.BANK_SIZE)
      return this.bits(exc.active, bank(off, NVIC.IABR0));
    if (off >= NVIC.IPR0 && off < NVIC.IPR_END) {
      const e = 16 + (off - NVIC.IPR0);
      return e < exc.numExceptions ? readPriorityWord(exc, e) : 0;
    }
    return 0; // STIR is write-only
  }

  write(off: number, v: number): void {
    const exc = this.exc;
    if (off >= NVIC.ISER0 && off < NVIC.ISER0 + NVIC.BANK_SIZE)
      this.setBits(exc.enabled, bank(off, NVIC.ISER0), v, true);
    else if (off >= NVIC.ICER0 && off < NVIC.ICER0 + NVIC.BANK_SIZE)
      this.setBits(exc.enabled, bank(off, NVIC.ICER0), v, false);
    else if (off >= NVIC.ISPR0 && off < NVIC.ISPR0 + NVIC.BANK_SIZE)
      this.setBits(exc.pending, bank(off, NVIC.ISPR0), v, true);
    else if (off >= NVIC.ICPR0 && off < NVIC.ICPR0 + NVIC.BANK_SIZE)
      this.setBits(exc.pending, bank(off, NVIC.ICPR0), v, false);
    else if (off >= NVIC.IPR0 && off < NVIC.IPR_END) {
      for (let i = 0; i < 4; i++)
        writePriority(this.cpu, 16 + off - NVIC.IPR0 + i, (v >>> (8 * i)) & 0xff);
    } else if (off === NVIC.STIR) {
      // STIR (B3.4.3): pends interrupt INTID.
      if ((v & 0x1ff) + 16 < exc.numExceptions) exc.setPending(16 + (v & 0x1ff));
    }
  }

  private bits(arr: Uint8Array, word: number): number {
    const first = 16 + word * 32;
    const end = Math.min(first + 32, this.exc.numExceptions);
    // Four exceptions at a time through a word view of the same bytes: the kernel reads ISPR on
    // every pass of its main loop, and almost always finds nothing pending.
    const words =
      arr === this.exc.pending
        ? this.pendingW
        : arr === this.exc.active
          ? this.activeW
          : this.enabledW;
    const whole = words.length * 4;
    let v = 0;
    for (let e = first; e < end; e += 4) {
      if (e + 4 <= whole && words[e >>> 2] === 0) continue;
      const stop = Math.min(e + 4, end);
      for (let i = e; i < stop; i++) if (arr[i]) v |= 1 << (i - first);
    }
    return v >>> 0;
  }

  private setBits(arr: Uint8Array, word: number, value: number, set: boolean): void {
    const exc = this.exc;
    // Only the bits written as 1 act (lowest first, as a pass over all 32 would).
    for (let rest = value >>> 0; rest !== 0; rest = (rest & (rest - 1)) >>> 0) {
      const b = 31 - Math.clz32(rest & -rest);
      const e = 16 + word * 32 + b;
      if (e < exc.numExceptions) {
        if (arr === exc.pending) {
          // ISPR pends even a disabled interrupt; ICPR keeps an asserted level pending.
          if (set) exc.setPending(e);
          else exc.clearPendingByIcpr(e);
        } else arr[e] = set ? 1 : 0;
      }
    }
    this.cpu.attention = true;
  }
}

/** Word index of `off` within the set/clear/active bank at `base`. */
function bank(off: number, base: number): number {
  return (off - base) >> 2;
}

/** Four priority bytes from exception `base` (IPRn, SHPRn). */
export function readPriorityWord(exc: ExceptionModel, base: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) v |= (exc.prio[base + i]! & 0xff) << (8 * i);
  return v >>> 0;
}

/** Sets a configurable priority (exceptions 4 and up), keeping the implemented bits. */
export function writePriority(cpu: CortexM, e: number, p: number): void {
  const exc = cpu.exc;
  if (e < 4 || e >= exc.numExceptions) return;
  exc.prio[e] = p & exc.prioMask;
  cpu.attention = true;
}
