/**
 * Data Watchpoint and Trace unit (ARMv7-M ARM C1.8): CYCCNT and the four comparators as data
 * address watchpoints (FUNCTION 5 read, 6 write, 7 either).
 *
 * The core runs data accesses that a watchpoint may match through its checked path (its fast
 * paths hold windows that no armed comparator covers), and `check` there sets MATCHED and,
 * with halting debug enabled, stops the core after the access's instruction. PC-match and
 * trace functions are not modelled. Offsets are relative to the DWT base 0xE0001000.
 *
 * Usage (system/scs.ts): `dwt.write(DWT.FUNCTION0, 6)`; `if (dwt.armed) dwt.check(a, 4, true)`.
 */
import type { CortexM } from '../cortex-m';
import type { AccessSize } from '../interfaces';

/** Register offsets from 0xE0001000 (C1.8.7, table C1-21); comparator n at +0x10 * n. */
export const DWT = {
  CTRL: 0x000,
  CYCCNT: 0x004,
  COMP0: 0x020,
  MASK0: 0x024,
  FUNCTION0: 0x028,
  /** Bytes between comparators. */
  STRIDE: 0x10,
  /** End of the four comparators. */
  COMP_END: 0x060,
} as const;

/** DWT_CTRL.NUMCOMP = 4 (bits 31:28). */
const CTRL_NUMCOMP_4 = 0x40000000;
/** DWT_CTRL.CYCCNTENA. */
const CTRL_CYCCNTENA = 1;
/** DWT_FUNCTION.MATCHED (C1.8.17). */
const FUNCTION_MATCHED = 1 << 24;
/** DFSR.DWTTRAP (C1.6.1): a watchpoint halted the core. */
const DFSR_DWTTRAP = 1 << 2;

export interface DwtState {
  ctrl: number;
  cyc: number;
  comp: number[];
  mask: number[];
  func: number[];
}

export class Dwt {
  private ctrl = 0;
  private cycBase = 0;
  private cycFrozen = 0;
  private readonly comp = new Uint32Array(4);
  private readonly mask = new Uint32Array(4);
  private readonly func = new Uint32Array(4);
  /** A comparator is a data watchpoint (FUNCTION 5-7). */
  armed = false;

  constructor(
    private readonly cpu: CortexM,
    /** Runs when the armed watchpoints change (the core rebuilds its fast paths). */
    private readonly changed: () => void,
    /** Halting debug is enabled (DHCSR.C_DEBUGEN): a match stops the core. */
    private readonly halting: () => boolean,
  ) {}

  read(off: number): number {
    if (off === DWT.CTRL) return (CTRL_NUMCOMP_4 | this.ctrl) >>> 0;
    if (off === DWT.CYCCNT) return this.cycles();
    if (off >= DWT.COMP0 && off < DWT.COMP_END) {
      const i = (off - DWT.COMP0) >> 4;
      const r = (off - DWT.COMP0) & 0xf;
      return r === 0 ? this.comp[i]! : r === 4 ? this.mask[i]! : r === 8 ? this.func[i]! : 0;
    }
    return 0;
  }

  write(off: number, v: number): void {
    if (off === DWT.CTRL) {
      const c = this.cycles();
      this.ctrl = v & CTRL_CYCCNTENA;
      this.setCycles(c);
    } else if (off === DWT.CYCCNT) this.setCycles(v);
    else if (off >= DWT.COMP0 && off < DWT.COMP_END) {
      const i = (off - DWT.COMP0) >> 4;
      const r = (off - DWT.COMP0) & 0xf;
      if (r === 0) this.comp[i] = v;
      else if (r === 4) this.mask[i] = v & 0x1f;
      else if (r === 8) this.func[i] = v & 0xf;
      this.refresh();
    }
  }

  private cycles(): number {
    return (this.ctrl & CTRL_CYCCNTENA ? this.cpu.clock.now - this.cycBase : this.cycFrozen) >>> 0;
  }

  private setCycles(v: number): void {
    if (this.ctrl & CTRL_CYCCNTENA) this.cycBase = this.cpu.clock.now - (v >>> 0);
    else this.cycFrozen = v >>> 0;
  }

  private refresh(): void {
    // Data address comparators (FUNCTION 5-7, C1.8.17); PC comparators are not modelled.
    this.armed = false;
    for (let i = 0; i < 4; i++) if ((this.func[i]! & 0xf) >= 5) this.armed = true;
    this.changed();
  }

  /** The address range comparator `i` matches (COMP with MASK low bits ignored). */
  private range(i: number): [number, number] {
    const ignore = (2 ** this.mask[i]! - 1) >>> 0;
    const lo = (this.comp[i]! & ~ignore) >>> 0;
    return [lo, lo + ignore];
  }

  /** True when a data watchpoint matches some `write` access within [a, a + length). */
  watches(a: number, length: number, write: boolean): boolean {
    for (let i = 0; i < 4; i++) {
      const f = this.func[i]! & 0xf;
      if (f < 5 || (f === 5 && write) || (f === 6 && !write)) continue;
      const [lo, hi] = this.range(i);
      if (a + length - 1 >= lo && a <= hi) return true;
    }
    return false;
  }

  /**
   * The address ranges ([lo, hi], inclusive) of the data watchpoints that match `write`
   * accesses: the core keeps its fast paths off them (and only them) when the MPU is off.
   */
  watchedRanges(write: boolean): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < 4; i++) {
      const f = this.func[i]! & 0xf;
      if (f < 5 || (f === 5 && write) || (f === 6 && !write)) continue;
      out.push(this.range(i));
    }
    return out;
  }

  /** An access the core made: sets MATCHED, and stops the core under halting debug. */
  check(a: number, size: AccessSize, write: boolean): void {
    for (let i = 0; i < 4; i++) {
      const f = this.func[i]! & 0xf;
      if (f < 5) continue;
      if (f === 5 && write) continue; // 5 = read watchpoint
      if (f === 6 && !write) continue; // 6 = write watchpoint
      const [lo, hi] = this.range(i);
      if (a + size - 1 >= lo && a <= hi) {
        this.func[i]! |= FUNCTION_MATCHED;
        if (this.halting()) {
          this.cpu.exc.dfsr |= DFSR_DWTTRAP;
          this.cpu.watchHit = {
            kind: 'watchpoint',
            address: a >>> 0,
            access: write ? 'write' : 'read',
            size,
          };
          this.cpu.attention = true;
        }
      }
    }
  }

  reset(): void {
    this.ctrl = 0;
    this.cycFrozen = 0;
    this.comp.fill(0);
    this.mask.fill(0);
    this.func.fill(0);
    this.refresh();
  }

  snapshot(): DwtState {
    return {
      ctrl: this.ctrl,
      cyc: this.cycles(),
      comp: [...this.comp],
      mask: [...this.mask],
      func: [...this.func],
    };
  }

  restore(s: DwtState): void {
    this.ctrl = s.ctrl;
    this.setCycles(s.cyc);
    this.comp.set(s.comp);
    this.mask.set(s.mask);
    this.func.set(s.func);
    this.refresh();
  }
}
