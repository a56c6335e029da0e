/**
 * Instrumentation Trace Macrocell (ARMv7-M ARM C1.7): 32 stimulus ports software writes trace
 * words to, and the enables a debugger sets.
 *
 * A write to ITM_STIMn becomes a software trace packet only while DEMCR.TRCENA (the global
 * enable of the DWT and ITM, C1.6.5), ITM_TCR.ITMENA and bit n of ITM_TER are set; otherwise it
 * is ignored (C1.7.5). Reading a stimulus port returns FIFOREADY in bit 0; the model's trace
 * output never fills, so it reads 1. Packets go to the core's `onItmWrite` observer with their
 * size (the model's equivalent of the SWO pin): the Tock timeline records the kernel's trace
 * events from there. ITM_TPR (unprivileged access per group of 8 ports) is stored and honoured:
 * an unprivileged write to a port whose group bit is clear is ignored. The software lock
 * (LAR/LSR, C1.7.8 and the Cortex-M4 TRM's ITM register summary) is reported as implemented
 * and follows the key, but is not enforced (the debug port's writes bypass it on silicon, and
 * firmware that unlocks first, as CMSIS does, behaves the same).
 *
 * Usage (system/scs.ts): `bus.mapDevice(0xe0000000, 0x1000, itmDevice(itm))`.
 */
import type { CortexM } from '../cortex-m';
import type { AccessSize, MmioDevice } from '../interfaces';

/** Register offsets from 0xE0000000 (C1.7.1, table C1-17; LAR/LSR from CoreSight). */
export const ITM = {
  STIM0: 0x000,
  TER: 0xe00,
  TPR: 0xe40,
  TCR: 0xe80,
  LAR: 0xfb0,
  LSR: 0xfb4,
} as const;

/** ITM_TCR.ITMENA. */
const TCR_ITMENA = 1 << 0;
/** ITM_TCR bits a write keeps: ITMENA, TSENA, SYNCENA, TXENA, SWOENA, TSPrescale, GTSFREQ, TraceBusID. */
const TCR_MASK = 0x007f0f1f;
/** The key that unlocks the software lock. */
const LAR_KEY = 0xc5acce55;

export interface ItmState {
  ter: number;
  tpr: number;
  tcr: number;
  locked: boolean;
}

export class Itm {
  private s: ItmState = { ter: 0, tpr: 0, tcr: 0, locked: true };

  constructor(
    private readonly cpu: CortexM,
    /** DEMCR.TRCENA. */
    private readonly traceEnabled: () => boolean,
  ) {}

  read(off: number): number {
    if (off < 0x80) return 1; // FIFOREADY
    switch (off) {
      case ITM.TER:
        return this.s.ter >>> 0;
      case ITM.TPR:
        return this.s.tpr;
      case ITM.TCR:
        return this.s.tcr;
      case ITM.LSR:
        // SLI (lock implemented) and SLK (locked).
        return 1 | (this.s.locked ? 2 : 0);
      default:
        return 0;
    }
  }

  write(off: number, size: AccessSize, v: number): void {
    if (off < 0x80) {
      this.stimulus(off >>> 2, size, v);
      return;
    }
    switch (off & ~3) {
      case ITM.TER:
        this.s.ter = v >>> 0;
        break;
      case ITM.TPR:
        this.s.tpr = v & 0xf;
        break;
      case ITM.TCR:
        this.s.tcr = v & TCR_MASK;
        break;
      case ITM.LAR:
        this.s.locked = v >>> 0 !== LAR_KEY;
        break;
    }
  }

  /** True while writes to stimulus port `port` become packets. */
  portEnabled(port: number): boolean {
    return (
      this.traceEnabled() && (this.s.tcr & TCR_ITMENA) !== 0 && ((this.s.ter >>> port) & 1) !== 0
    );
  }

  private stimulus(port: number, size: AccessSize, v: number): void {
    if (!this.portEnabled(port)) return;
    if (!this.cpu.privileged() && ((this.s.tpr >>> (port >>> 3)) & 1) === 0) return;
    const value = size === 4 ? v >>> 0 : v & (size === 2 ? 0xffff : 0xff);
    this.cpu.onItmWrite?.(port, value, size);
  }

  reset(): void {
    this.s = { ter: 0, tpr: 0, tcr: 0, locked: true };
  }
  snapshot(): ItmState {
    return { ...this.s };
  }
  restore(s: ItmState | undefined): void {
    this.s = s ? { ...s } : { ter: 0, tpr: 0, tcr: 0, locked: true };
  }
}

/** The ITM as a bus device: stimulus writes keep their size, registers are words. */
export function itmDevice(itm: Itm): MmioDevice {
  // No ITM register changes when read (C1.7): a debugger's read is the same read.
  const read = (offset: number, size: AccessSize): number => {
    const word = itm.read(offset & ~3) >>> 0;
    const shift = (offset & 3) * 8;
    return size === 4 ? word : (word >>> shift) & (size === 2 ? 0xffff : 0xff);
  };
  return {
    name: 'itm',
    read,
    peek: read,
    write(offset: number, size: AccessSize, value: number): void {
      itm.write(offset & ~3, size, value);
    },
  };
}
