/**
 * Memory aliases and bit-band regions: windows that forward to memory mapped elsewhere.
 *
 * The MPS2 board mirrors its SSRAMs and block RAM at second addresses, and the Cortex-M3/M4
 * bit-band scheme maps each bit of the first megabyte of SRAM and peripheral space to a word in
 * an alias region. Both forward to a target through `MemoryPort`, so they work for RAM and
 * devices alike; the machine maps them as ordinary devices.
 *
 * @example
 *   bus.mapDevice(0x00400000, 0x400000, new RamAlias('ssram1 mirror', ssram1Bytes));
 *   bus.mapDevice(0x22000000, 0x2000000, new BitBandAlias('sram bitband', bus, 0x20000000));
 */
import { type AccessSize, BusErrorSignal, type MmioDevice } from '../core/interfaces';

/** Reads and writes memory (the bus, from a device's point of view). */
export interface MemoryPort {
  read(address: number, size: AccessSize): number;
  write(address: number, size: AccessSize, value: number): void;
  /** Side-effect-free reads and debugger writes (the bus's debug path; see MmioDevice.peek). */
  peek?(address: number, size: AccessSize): number;
  poke?(address: number, size: AccessSize, value: number): void;
}

/**
 * A second window onto the bytes of a RAM region (the target owns the bytes). `target`, when
 * given, is the target's region: its `written` flag is set on every write through the alias.
 * `region`, when given, is the RAM region itself: its `dirty` flag is set likewise (time
 * travel's checkpoints skip regions nothing wrote; see Region.dirty).
 */
export class RamAlias implements MmioDevice {
  private readonly view: DataView;
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
    private readonly target: { written: boolean } | null = null,
    private readonly region: { dirty: boolean } | null = null,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  read(offset: number, size: AccessSize): number {
    const o = offset % this.bytes.length;
    if (size === 4) return this.view.getUint32(o, true);
    if (size === 2) return this.view.getUint16(o, true);
    return this.bytes[o]!;
  }
  write(offset: number, size: AccessSize, value: number): void {
    const o = offset % this.bytes.length;
    if (this.target !== null) this.target.written = true;
    if (this.region !== null) this.region.dirty = true;
    if (size === 4) this.view.setUint32(o, value >>> 0, true);
    else if (size === 2) this.view.setUint16(o, value & 0xffff, true);
    else this.bytes[o] = value & 0xff;
  }
  /** Memory reads have no side effects: a debugger's read is an ordinary one. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }
}

/**
 * Bit-band alias: word N of the alias (at offset 4*N) is bit N%8 of byte N/8 of the target.
 * Reads return 0 or 1; writes set or clear that one bit with a read-modify-write of its byte.
 */
export class BitBandAlias implements MmioDevice {
  constructor(
    readonly name: string,
    private readonly port: MemoryPort,
    private readonly targetBase: number,
  ) {}
  private locate(offset: number): [number, number] {
    return [(this.targetBase + (offset >>> 5)) >>> 0, (offset >>> 2) & 7];
  }
  read(offset: number): number {
    const [addr, bit] = this.locate(offset);
    return (this.port.read(addr, 1) >>> bit) & 1;
  }
  write(offset: number, _size: AccessSize, value: number): void {
    const [addr, bit] = this.locate(offset);
    const old = this.port.read(addr, 1);
    this.port.write(addr, 1, value & 1 ? old | (1 << bit) : old & ~(1 << bit) & 0xff);
  }
  /** A debugger's read of the bit, through the target's side-effect-free path. */
  peek(offset: number): number {
    const [addr, bit] = this.locate(offset);
    if (this.port.peek === undefined)
      throw new BusErrorSignal(
        addr,
        `${this.name}: the target cannot be read without side effects`,
      );
    return (this.port.peek(addr, 1) >>> bit) & 1;
  }
  /** A debugger's write of the bit: a side-effect-free read, then a debugger write. */
  poke(offset: number, size: AccessSize, value: number): void {
    const [addr, bit] = this.locate(offset);
    if (this.port.peek === undefined || this.port.poke === undefined)
      return this.write(offset, size, value);
    const old = this.port.peek(addr, 1);
    this.port.poke(addr, 1, value & 1 ? old | (1 << bit) : old & ~(1 << bit) & 0xff);
  }
}
