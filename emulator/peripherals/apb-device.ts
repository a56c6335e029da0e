/**
 * Shared base for APB register blocks: 32-bit registers, narrow accesses, identification words.
 *
 * Every CMSDK and MPS2 FPGA block on the APB is a bank of 32-bit registers. A subclass writes
 * `readRegister`/`writeRegister` on word offsets; this base turns byte and halfword accesses
 * into word accesses the way QEMU's bus does for these devices (a narrow read returns the
 * addressed lanes of the word; a narrow write passes the value in its lanes with the other
 * lanes zero), and serves the PrimeCell/CoreSight ID words at 0xFD0-0xFFC.
 */
import type { AccessSize, MmioDevice } from '../core/interfaces';
import { laneValue, readLanes } from '../core/memory/lanes';

/** Offsets of the peripheral and component ID words (PID4-7, PID0-3, CID0-3). */
export const PID4 = 0xfd0;
export const CID3 = 0xffc;

export abstract class ApbDevice implements MmioDevice {
  abstract readonly name: string;
  /** The 12 bytes at 0xFD0..0xFFC (PID4..7, PID0..3, CID0..3), or undefined if the block has none. */
  protected readonly idBytes: readonly number[] | undefined = undefined;

  protected abstract readRegister(offset: number): number;
  protected abstract writeRegister(offset: number, value: number): void;
  /**
   * The value `readRegister` would return, without its side effects (a debugger's read). The
   * default suits blocks whose reads have none; a block with a read-sensitive register
   * (a data register that pops a FIFO) overrides it.
   */
  protected peekRegister(offset: number): number {
    return this.readRegister(offset);
  }

  private word(aligned: number, debug: boolean): number {
    if (this.idBytes && aligned >= PID4 && aligned <= CID3)
      return this.idBytes[(aligned - PID4) >> 2] ?? 0;
    return (debug ? this.peekRegister(aligned) : this.readRegister(aligned)) >>> 0;
  }

  read(offset: number, size: AccessSize): number {
    return readLanes(this.word(offset & ~3, false), offset, size);
  }

  peek(offset: number, size: AccessSize): number {
    return readLanes(this.word(offset & ~3, true), offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const aligned = offset & ~3;
    if (this.idBytes && aligned >= PID4) return; // ID words are read-only
    this.writeRegister(aligned, laneValue(value, offset, size));
  }
}

/** CMSDK blocks share the component ID 0xB105F00D (CID0..3 = 0D F0 05 B1). */
export function cmsdkIds(pid0: number): number[] {
  return [0x04, 0, 0, 0, pid0, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];
}

/**
 * A range the board decodes but we do not model: reads as zero, writes are ignored, and every
 * access is counted so a UI can show that firmware touched it. QEMU's board does the same for
 * these ranges, which keeps lockstep runs identical.
 */
export class UnimplementedDevice implements MmioDevice {
  reads = 0;
  writes = 0;
  lastAccess: { offset: number; write: boolean } | undefined;
  constructor(readonly name: string) {}
  read(offset: number): number {
    this.reads++;
    this.lastAccess = { offset, write: false };
    return 0;
  }
  /** A debugger's read: zero, as ever, and not counted. */
  peek(): number {
    return 0;
  }
  write(offset: number): void {
    this.writes++;
    this.lastAccess = { offset, write: true };
  }
  /** A debugger's write: ignored, and not counted. */
  poke(): void {}
  snapshot(): unknown {
    return { reads: this.reads, writes: this.writes };
  }
  restore(state: unknown): void {
    const s = state as { reads: number; writes: number };
    this.reads = s.reads;
    this.writes = s.writes;
  }
}
