/**
 * Flash Patch and Breakpoint unit (ARMv7-M ARM C1.11): six instruction address comparators
 * used as breakpoints (REPLACE selects the halfword). Remapping is not modelled.
 *
 * The comparators act only while FP_CTRL.ENABLE and DHCSR.C_DEBUGEN are set. Compiled code
 * never runs over an address they match: every change tells the core, which drops its compiled
 * code and re-arms the interpreter's breakpoint check. Offsets are relative to 0xE0002000.
 *
 * Usage (system/scs.ts): `fpb.write(FPB.COMP0, addr | 1 | (1 << 30))`; `fpb.match(pc)`.
 */

/** Register offsets from 0xE0002000 (C1.11.2, table C1-29). */
export const FPB = {
  CTRL: 0x000,
  REMAP: 0x004,
  COMP0: 0x008,
  /** End of the eight comparator words (six code comparators and two literal ones). */
  COMP_END: 0x028,
} as const;

/** FP_CTRL: NUM_CODE = 6, NUM_LIT = 2 (C1.11.3). */
const CTRL_NUM = (2 << 8) | (6 << 4);
/** FP_CTRL.KEY: writes take effect only with it set. */
const CTRL_KEY = 1 << 1;

export interface FpbState {
  ctrl: number;
  comp: number[];
}

export class Fpb {
  private ctrl = 0;
  private readonly comp = new Uint32Array(8);

  /** `changed` runs after every write (breakpoints may have appeared or gone). */
  constructor(private readonly changed: () => void) {}

  get enabled(): boolean {
    return (this.ctrl & 1) !== 0;
  }

  /** Some code comparator is enabled (only then can a breakpoint match). */
  get anyComparator(): boolean {
    for (let i = 0; i < 6; i++) if ((this.comp[i]! & 1) !== 0) return true;
    return false;
  }

  read(off: number): number {
    if (off === FPB.CTRL) return (this.ctrl & 1) | CTRL_NUM;
    if (off >= FPB.COMP0 && off < FPB.COMP_END) return this.comp[(off - FPB.COMP0) >> 2]!;
    return 0;
  }

  write(off: number, v: number): void {
    if (off === FPB.CTRL) {
      if (v & CTRL_KEY) this.ctrl = v & 1;
    } else if (off >= FPB.COMP0 && off < FPB.COMP_END) {
      this.comp[(off - FPB.COMP0) >> 2] = v & 0xdffffffd;
    }
    this.changed();
  }

  /** A code comparator matches `pc` (REPLACE 01: lower halfword, 10: upper, 11: both). */
  match(pc: number): boolean {
    for (let i = 0; i < 6; i++) {
      const c = this.comp[i]!;
      if ((c & 1) === 0) continue;
      const base = c & 0x1ffffffc;
      const rep = c >>> 30;
      if ((rep & 1 && pc === base) || (rep & 2 && pc === base + 2)) return true;
    }
    return false;
  }

  reset(): void {
    this.ctrl = 0;
    this.comp.fill(0);
  }

  snapshot(): FpbState {
    return { ctrl: this.ctrl, comp: [...this.comp] };
  }

  restore(s: FpbState): void {
    this.ctrl = s.ctrl;
    this.comp.set(s.comp);
  }
}
