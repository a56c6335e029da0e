/**
 * SysTick (ARMv7-M ARM B3.3): a 24-bit down-counter on the core clock or the external reference
 * clock, pending the SysTick exception when it reaches 0 with TICKINT set.
 *
 * The counter is not stepped: its value is computed from the virtual clock (`t0`, `cvrAt0`) and
 * one clock event is scheduled for the next reach of 0, so a running SysTick costs nothing per
 * instruction. Offsets are relative to the System Control Space base 0xE000E000.
 *
 * Usage (system/scs.ts): `systick.write(SYST.CSR, 7)`; `systick.read(SYST.CVR)`.
 */
import type { CortexM } from '../cortex-m';

/** Register offsets from 0xE000E000 (B3.3.2, table B3-7). */
export const SYST = {
  CSR: 0x010,
  RVR: 0x014,
  CVR: 0x018,
  CALIB: 0x01c,
} as const;

/** SYST_CSR bits (B3.3.3). */
const CSR_ENABLE = 1 << 0;
const CSR_TICKINT = 1 << 1;
const CSR_CLKSOURCE = 1 << 2;
const CSR_COUNTFLAG = 1 << 16;
/** SYST_CALIB: NOREF set, no TENMS value (B3.3.6). */
const CALIB_NOREF = 0x80000000;

export interface SysTickState {
  csr: number;
  rvr: number;
  /** Counter value at `t0` (cycles). */
  cvrAt0: number;
  t0: number;
}

export class SysTick {
  private readonly st: SysTickState = { csr: 0, rvr: 0, cvrAt0: 0, t0: 0 };
  private event = -1;

  constructor(private readonly cpu: CortexM) {}

  static owns(off: number): boolean {
    return off >= SYST.CSR && off <= SYST.CALIB;
  }

  /** Counter ticks per core cycle: 1 on the core clock, else the reference clock's ratio. */
  private rate(): number {
    return (this.st.csr & CSR_CLKSOURCE) !== 0
      ? 1
      : this.cpu.config.systickRefHz! / this.cpu.clock.frequencyHz;
  }

  value(): number {
    const st = this.st;
    const now = this.cpu.clock.now;
    if ((st.csr & CSR_ENABLE) === 0) return st.cvrAt0;
    if (now < st.t0) return 0; // at zero, waiting for the reload tick
    const ticks = Math.floor((now - st.t0) * this.rate());
    if (ticks <= st.cvrAt0) return st.cvrAt0 - ticks;
    return st.cvrAt0; // the event will have reloaded; only reachable between event and reload
  }

  private arm(): void {
    const st = this.st;
    const clock = this.cpu.clock;
    if (this.event >= 0) clock.cancel(this.event);
    this.event = -1;
    if ((st.csr & CSR_ENABLE) === 0) return;
    // The counter reaches 0 after cvrAt0 ticks; a zero counter reloads on the next tick.
    const ticksToZero = st.cvrAt0 === 0 ? 1 : st.cvrAt0;
    const at = st.t0 + Math.ceil(ticksToZero / this.rate());
    this.event = clock.schedule(at, () => {
      this.event = -1;
      if (st.cvrAt0 !== 0) {
        // The counter reached 0 now; it reloads on the next tick (period = RVR + 1 ticks).
        st.csr |= CSR_COUNTFLAG;
        if (st.csr & CSR_TICKINT) this.cpu.setPending(15);
        st.t0 = clock.now + Math.ceil(1 / this.rate());
      } else {
        // It was already 0 (after a CVR write or a zero reload): this tick reloads.
        st.t0 = clock.now;
      }
      st.cvrAt0 = st.rvr;
      if (st.rvr !== 0) this.arm();
    });
  }

  /** `debug`: a debugger's read, which leaves COUNTFLAG set. */
  read(off: number, debug = false): number {
    const st = this.st;
    switch (off) {
      case SYST.CSR: {
        // COUNTFLAG clears when software reads CSR (ARMv7-M ARM B3.3, SysTick). A debugger's
        // read leaves it alone: the Cortex-M4 clears it for a DAP read only when the AHB-AP's
        // MasterType says "core", which debuggers do not set (Cortex-M4 TRM, SysTick CSR).
        const v = st.csr;
        if (!debug) st.csr &= ~CSR_COUNTFLAG;
        return v;
      }
      case SYST.RVR:
        return st.rvr;
      case SYST.CVR:
        return this.value();
      case SYST.CALIB:
        return CALIB_NOREF;
      default:
        return 0;
    }
  }

  write(off: number, v: number): void {
    const st = this.st;
    const now = this.cpu.clock.now;
    switch (off) {
      case SYST.CSR: {
        const wasOn = st.csr & CSR_ENABLE;
        const cur = this.value();
        st.csr = (st.csr & CSR_COUNTFLAG) | (v & 7);
        st.cvrAt0 = cur;
        st.t0 = now;
        if ((st.csr & CSR_ENABLE) !== wasOn || st.csr & CSR_ENABLE) this.arm();
        return;
      }
      case SYST.RVR:
        st.rvr = v & 0xffffff;
        return;
      case SYST.CVR:
        // Any write clears the counter and COUNTFLAG; the next tick reloads.
        st.cvrAt0 = 0;
        st.t0 = now;
        st.csr &= ~CSR_COUNTFLAG;
        this.arm();
        return;
      default:
        return;
    }
  }

  reset(): void {
    if (this.event >= 0) this.cpu.clock.cancel(this.event);
    this.event = -1;
    const st = this.st;
    st.csr = st.rvr = st.cvrAt0 = 0;
    st.t0 = this.cpu.clock.now;
  }

  snapshot(): SysTickState & { value: number } {
    return { ...this.st, value: this.value() };
  }

  restore(s: SysTickState & { value: number }): void {
    const st = this.st;
    st.csr = s.csr;
    st.rvr = s.rvr;
    st.cvrAt0 = s.value;
    st.t0 = this.cpu.clock.now;
    this.arm();
  }
}
