/**
 * The system bus: RAM, ROM and MMIO devices behind a 4 KiB page table.
 *
 * RAM and ROM are flat Uint8Arrays read through DataViews (little-endian, unaligned-safe), so
 * the core's fast path is one page-table lookup and one typed-array access. Devices receive
 * offsets relative to their base. Unmapped addresses throw BusErrorSignal, which the core turns
 * into a precise BusFault. ROM is read-only to the CPU (a write is a bus error) but writable
 * through `load`/debugger paths. Each code region carries a decoded-instruction cache that
 * writes invalidate, so self-modifying code and loaders stay coherent.
 *
 * Usage:
 *   const flash = bus.mapRom(0x0, 0x400000, 'flash');
 *   bus.mapDevice(0x40004000, 0x1000, uart0);
 */
import { type AccessSize, BusErrorSignal, type MmioDevice } from '../interfaces';
import { sized } from './lanes';

export const enum RegionKind {
  Ram = 0,
  Rom = 1,
  Device = 2,
}

/** Compiled code (cpu/translate.ts) as the chunk tables hold it; dropped by writes. */
export interface CompiledCode {
  /** Set when a write dropped it. */
  dead: boolean;
  /** Region halfword offsets whose chunk entry is this code. */
  readonly entries: readonly number[];
}

/**
 * `Region.holeLo`/`holeHi` of a window without a hole: past any offset (regions are smaller
 * than 1 GiB) and a small integer (V8 keeps the fields untagged), so the fast paths' test
 * `o < holeLo` passes at its first comparison.
 */
export const NO_HOLE = 0x3fffffff;

/** Code bookkeeping granule: 256 bytes (128 halfwords); a write drops its chunk's code. */
export const BLOCK_CHUNK_SHIFT = 8;

/** The decode cache grows by this many halfwords (8 KiB of code) at a time (`growCode`). */
const CODE_GROWTH = 4096;

/** Translator caches for one 256-byte chunk of a code region, created when code there gets hot. */
export class CodeChunk {
  /** Compiled code entered at each halfword of the chunk. */
  readonly fns: (CompiledCode | undefined)[] = [];
  /** Entries seen per halfword before code is compiled there. */
  readonly heat = new Uint8Array(128);
  /** Compiled code covering any byte of this chunk (dropped on a write). */
  covering: CompiledCode[] = [];
  constructor() {
    for (let i = 0; i < 128; i++) this.fns.push(undefined);
  }
}

/**
 * Decides what a CPU write to a ROM region does (flash behind a controller such as the nRF
 * NVMC): returns the value to store at the offset (same size), or null to leave the ROM
 * unchanged; may throw BusErrorSignal. Without one, a CPU write to ROM is a bus error.
 */
export type RomWriteHandler = (offset: number, size: AccessSize, value: number) => number | null;

export class Region {
  /** Set on a ROM region whose CPU writes go through a controller (see RomWriteHandler). */
  romWrite: RomWriteHandler | null = null;
  /** Decoded-instruction cache indexed by halfword offset; created on first fetch. */
  code: unknown[] | null = null;
  /** Block caches per 256-byte chunk (with `code`). */
  chunks: (CodeChunk | undefined)[] | null = null;
  readonly end: number;
  /**
   * `base` as an int32 (negative from 0x80000000): the translator's fast paths compute
   * offsets as `(address - lo) | 0` in int32 arithmetic, exact modulo 2^32.
   */
  readonly lo: number;
  /** Aligned views for the core's fast paths. */
  readonly i32: Int32Array;
  readonly u16: Uint16Array;
  /**
   * False while the bytes are still the zeros they were created with: set by every write
   * through the bus (`write`, `writeBlock`, `poke`), by a snapshot restore, and by whoever
   * writes `bytes` directly (a RAM mirror). The core's fast paths reach a region only after a
   * write through the bus, so they need not set it. A machine's power-on skips clearing
   * memory that was never written (a fresh typed array is already zero). Never set back.
   */
  written = false;
  /**
   * Set by every write that may change the bytes: through the bus (`write`, `writeBlock`,
   * `poke`, and `invalidate`, which whoever changes bytes in place calls: a flash erase, a
   * power-on clear), a snapshot restore, a RAM mirror, and by the core when
   * it takes the region (or a window of it) into a fast write path. Cleared by whoever wants to
   * know what changed since (time travel's checkpoints: `History`), together with
   * `CortexM.dropWriteSlots()` so the next CPU write to each region takes the slow path and
   * sets it again. False = the bytes are as they were when it was last cleared, or, never
   * cleared, the zeros the region was created with.
   */
  dirty = false;
  /** For a window (see `window`): the region it is part of and where in it it starts. */
  declare readonly parent: Region | null;
  declare readonly parentOffset: number;
  /**
   * For a window: offsets [holeLo, holeHi) of it (multiples of 32) that the fast paths must
   * leave to the core, the watched granules inside it (data watchpoints, write observers) and
   * whatever lies between them; NO_HOLE in both when there are none. Every fast path checks
   * `fits`, the translator's inline ones the same bounds, so a window can span a whole region
   * around a few watched words.
   */
  declare readonly holeLo: number;
  declare readonly holeHi: number;
  constructor(
    readonly base: number,
    readonly size: number,
    readonly name: string,
    readonly kind: RegionKind,
    readonly bytes: Uint8Array,
    readonly dv: DataView,
    readonly dev: MmioDevice | null,
    window: { parent: Region; offset: number; holeLo: number; holeHi: number } | null = null,
  ) {
    // Set here only, never after (V8 keeps the fields constant: the compiled code that reads
    // them stays valid when the first window is made).
    this.parent = window === null ? null : window.parent;
    this.parentOffset = window === null ? 0 : window.offset;
    this.holeLo = window === null || window.holeLo >= window.holeHi ? NO_HOLE : window.holeLo;
    this.holeHi = window === null || window.holeLo >= window.holeHi ? NO_HOLE : window.holeHi;
    this.end = base + size;
    this.lo = base | 0;
    this.i32 = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
    this.u16 = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1);
  }

  /**
   * A view of `size` bytes from `offset` (a multiple of 4) that shares this region's storage
   * and decoded code: the core caches such windows as fast paths where the MPU allows a whole
   * stretch of a region but not all of it. Call again after `initCode`/`dropCode`. `holeLo`,
   * `holeHi`: offsets in the window the fast paths must leave alone (none when equal).
   */
  window(offset: number, size: number, holeLo = NO_HOLE, holeHi = NO_HOLE): Region {
    const w = new Region(
      this.base + offset,
      size,
      this.name,
      this.kind,
      this.bytes.subarray(offset, offset + size),
      new DataView(this.bytes.buffer, this.bytes.byteOffset + offset, size),
      null,
      { parent: this, offset, holeLo, holeHi },
    );
    w.code = this.code;
    return w;
  }

  /** True when the bytes [off, off + n) of this region (or window) lie in it, clear of its hole. */
  fits(off: number, n: number): boolean {
    // Clear of the hole: off + n <= holeLo or off >= holeHi, as one unsigned comparison (made
    // signed by flipping bit 31 of both sides: int32 values, which TurboFan compares as such)
    // that a run without holes evaluates too (V8 has its type feedback before a debug session
    // needs it).
    return (
      off >= 0 &&
      off <= this.size - n &&
      ((off - this.holeLo + n - 1) ^ -2147483648) >=
        ((this.holeHi - this.holeLo + n - 1) ^ -2147483648)
    );
  }

  /** Drops cached decodes and blocks covering the bytes; true when a block was dropped. */
  invalidate(offset: number, size: number): boolean {
    if (this.parent !== null) return this.parent.invalidate(offset + this.parentOffset, size);
    const code = this.code;
    if (code === null) return false;
    // A 32-bit instruction starting one halfword earlier also covers this byte.
    const first = (offset >>> 1) - 1;
    // Halfwords past the end of the (growing) decode cache hold nothing to drop.
    const last = Math.min((offset + size - 1) >>> 1, code.length - 1);
    for (let i = first < 0 ? 0 : first; i <= last; i++) code[i] = undefined;
    const chunks = this.chunks;
    if (chunks === null) return false;
    let dropped = false;
    const lastChunk = (offset + size - 1) >>> BLOCK_CHUNK_SHIFT;
    for (let c = offset >>> BLOCK_CHUNK_SHIFT; c <= lastChunk; c++) {
      const chunk = chunks[c];
      if (chunk === undefined || chunk.covering.length === 0) continue;
      const list = chunk.covering;
      chunk.covering = [];
      for (const code of list) {
        if (code.dead) continue;
        code.dead = true;
        dropped = true;
        for (const h of code.entries) {
          const owner = chunks[h >>> 7];
          if (owner !== undefined && owner.fns[h & 127] === code) owner.fns[h & 127] = undefined;
        }
      }
    }
    return dropped;
  }

  /** Drops every compiled region (decoded instructions stay): breakpoints changed. */
  dropCompiled(): void {
    if (this.chunks === null) return;
    for (const chunk of this.chunks) {
      if (chunk === undefined) continue;
      for (const code of chunk.covering) code.dead = true;
      chunk.covering = [];
      chunk.fns.fill(undefined);
    }
  }

  /**
   * Allocates the decoded-instruction and block caches (first fetch from this region). The
   * decode cache starts empty and grows (`growCode`) to cover the halfwords code is fetched
   * from: a 4 MiB code region would otherwise cost 2 M elements (hundreds of ms, and a major GC)
   * in every session, however little of it the program uses. Reads past its end are undefined,
   * the same as an instruction not decoded yet.
   */
  initCode(): void {
    // Built by push so V8 keeps them packed arrays (new Array(n) of a large n is a slow
    // dictionary): one element per chunk.
    const chunks: (CodeChunk | undefined)[] = [];
    for (let i = 0, m = (this.size >>> BLOCK_CHUNK_SHIFT) + 1; i < m; i++) chunks.push(undefined);
    this.code = [];
    this.chunks = chunks;
  }

  /**
   * Makes the decode cache (`initCode` done) cover halfword `h`, growing it in place (windows
   * share the array) by whole steps of CODE_GROWTH halfwords, never past the region's end.
   */
  growCode(h: number): void {
    const code = this.code!;
    if (h < code.length) return;
    const n = Math.min(this.size >>> 1, (h + CODE_GROWTH) & ~(CODE_GROWTH - 1));
    while (code.length < n) code.push(undefined);
  }

  /** Forgets every decoded instruction and block (memory replaced wholesale). */
  dropCode(): void {
    this.code = null;
    this.chunks = null;
  }
}

/**
 * One window made when this module loads, so a Region's fields have their final types from the
 * start: V8 records per hidden class which type each field has held, and when that widens (the
 * first window's `parent`, a Region where every region before held null; a debug session makes
 * the first one when it arms a watchpoint) it deoptimizes every compiled function that relied
 * on it. The window fields are set only by the constructor for the same reason (a field written
 * again after construction stops being constant, which compiled code relied on too): without
 * both, the translator's region functions ran deoptimized through the first debug session.
 */
function settleRegionFields(): void {
  const bytes = new Uint8Array(64);
  new Region(0, 64, 'settle', RegionKind.Ram, bytes, new DataView(bytes.buffer), null)
    .window(0, 64, 0, 32)
    .fits(0, 4);
}
settleRegionFields();

const PAGE_SHIFT = 12;
const NO_REGION = 0xffff;
const MIXED = 0xfffe;
const EMPTY = new Uint8Array(0);

export class Bus {
  readonly regions: Region[] = [];
  /**
   * Set when a write through the bus dropped a compiled block (also a device's write during
   * an MMIO access); the core clears it and leaves the running block.
   */
  codeDropped = false;
  private readonly pages = new Uint16Array(1 << (32 - PAGE_SHIFT)).fill(NO_REGION);
  /**
   * Told of every device access made through `read` and `write` (the CPU's and a debugger's
   * ordinary accesses; never `peek`/`poke`): the MMIO access log. Null when nobody listens,
   * which costs one comparison per device access.
   */
  onDeviceAccess:
    ((write: boolean, address: number, size: AccessSize, value: number) => void) | null = null;

  mapRam(base: number, size: number, name: string): Uint8Array {
    const bytes = new Uint8Array(size);
    this.add(
      new Region(base >>> 0, size, name, RegionKind.Ram, bytes, new DataView(bytes.buffer), null),
    );
    return bytes;
  }

  mapRom(base: number, size: number, name: string, onWrite?: RomWriteHandler): Uint8Array {
    const bytes = new Uint8Array(size);
    const r = new Region(
      base >>> 0,
      size,
      name,
      RegionKind.Rom,
      bytes,
      new DataView(bytes.buffer),
      null,
    );
    if (onWrite) r.romWrite = onWrite;
    this.add(r);
    return bytes;
  }

  /**
   * Bytes of a RAM/ROM region changed behind the bus's back (a flash erase, DMA): drop the
   * decoded instructions and blocks that cover them, and mark the region `dirty`.
   */
  invalidate(address: number, length: number): void {
    const r = this.find(address >>> 0);
    if (r === null || r.dev !== null) return;
    r.dirty = true;
    if (r.code !== null && r.invalidate((address >>> 0) - r.base, length)) this.codeDropped = true;
  }

  mapDevice(base: number, size: number, dev: MmioDevice): void {
    this.add(
      new Region(
        base >>> 0,
        size,
        dev.name,
        RegionKind.Device,
        EMPTY,
        new DataView(EMPTY.buffer),
        dev,
      ),
    );
  }

  private add(r: Region): void {
    if (r.size <= 0 || r.base + r.size > 2 ** 32) throw new Error(`region ${r.name}: bad size`);
    for (const o of this.regions) {
      if (r.base < o.end && o.base < r.end) {
        throw new Error(`region ${r.name} overlaps ${o.name}`);
      }
    }
    const idx = this.regions.length;
    this.regions.push(r);
    const firstPage = r.base >>> PAGE_SHIFT;
    const lastPage = (r.end - 1) >>> PAGE_SHIFT;
    for (let p = firstPage; p <= lastPage; p++) {
      const ps = p * 4096;
      const full = ps >= r.base && ps + 4096 <= r.end;
      this.pages[p] = full && this.pages[p] === NO_REGION ? idx : MIXED;
    }
  }

  /** Region holding `address`, or null when unmapped. */
  find(address: number): Region | null {
    const a = address >>> 0;
    const p = this.pages[a >>> PAGE_SHIFT]!;
    if (p < MIXED) return this.regions[p]!;
    if (p === NO_REGION) return null;
    for (const r of this.regions) if (a >= r.base && a < r.end) return r;
    return null;
  }

  /** Read with no side effects beyond the device's own; throws BusErrorSignal when unmapped. */
  read(address: number, size: AccessSize): number {
    const a = address >>> 0;
    const r = this.find(a);
    if (r === null) throw new BusErrorSignal(a, 'unmapped');
    const off = a - r.base;
    if (off + size > r.size) return this.readSplit(a, size);
    if (r.dev !== null) {
      const v = r.dev.read(off, size) >>> 0;
      if (this.onDeviceAccess !== null) this.onDeviceAccess(false, a, size, v);
      return v;
    }
    if (size === 4) return r.dv.getUint32(off, true);
    if (size === 2) return r.dv.getUint16(off, true);
    return r.bytes[off]!;
  }

  private readSplit(a: number, size: AccessSize): number {
    let v = 0;
    for (let i = 0; i < size; i++) v |= this.read(a + i, 1) << (8 * i);
    return v >>> 0;
  }

  /** CPU write: ROM is a bus error. `loader` writes (debugger, ELF load) may write ROM. */
  write(address: number, size: AccessSize, value: number, loader = false): void {
    const a = address >>> 0;
    const r = this.find(a);
    if (r === null) throw new BusErrorSignal(a, 'unmapped');
    const off = a - r.base;
    if (off + size > r.size) {
      for (let i = 0; i < size; i++) this.write(a + i, 1, value >>> (8 * i), loader);
      return;
    }
    if (r.dev !== null) {
      const v = sized(value, size);
      if (this.onDeviceAccess !== null) this.onDeviceAccess(true, a, size, v);
      r.dev.write(off, size, v);
      return;
    }
    if (r.kind === RegionKind.Rom && !loader) {
      if (r.romWrite === null) throw new BusErrorSignal(a, `write to read-only ${r.name}`);
      const stored = r.romWrite(off, size, value);
      if (stored === null) return;
      value = stored;
    }
    r.written = true;
    r.dirty = true;
    if (size === 4) r.dv.setUint32(off, value, true);
    else if (size === 2) r.dv.setUint16(off, value, true);
    else r.bytes[off] = value;
    if (r.code !== null && r.invalidate(off, size)) this.codeDropped = true;
  }

  /** Loader/debugger block write (ROM allowed, devices get byte writes). */
  writeBlock(address: number, data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      const a = (address + i) >>> 0;
      const r = this.find(a);
      if (r === null) throw new BusErrorSignal(a, 'unmapped');
      if (r.dev !== null) {
        r.dev.write(a - r.base, 1, data[i]!);
        i++;
        continue;
      }
      const off = a - r.base;
      const n = Math.min(data.length - i, r.size - off);
      r.written = true;
      r.dirty = true;
      r.bytes.set(data.subarray(i, i + n), off);
      if (r.code !== null && r.invalidate(off, n)) this.codeDropped = true;
      i += n;
    }
  }

  readBlock(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.read(address + i, 1);
    return out;
  }

  // ---- debug access -----------------------------------------------------------------------
  // What a debugger (GDB, the IDE's memory and peripheral views) reads and writes. Like a
  // probe's accesses through the Debug Access Port (ARMv7-M ARM C1.2), they are bus accesses of
  // their own, outside the processor's MPU and its fault handling. Unlike a probe on silicon
  // (whose read of a FIFO register pops it), a read here has no side effect on any device and
  // nothing is counted or logged as a firmware access: devices see them through `peek`/`poke`.

  /**
   * Side-effect-free read. RAM and ROM read as they are; a device answers through its `peek`.
   * Throws BusErrorSignal when nothing is mapped, or when the device has no `peek`.
   */
  peek(address: number, size: AccessSize): number {
    const a = address >>> 0;
    const r = this.find(a);
    if (r === null) throw new BusErrorSignal(a, 'unmapped');
    const off = a - r.base;
    if (off + size > r.size) {
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.peek(a + i, 1) << (8 * i);
      return v >>> 0;
    }
    if (r.dev !== null) {
      if (r.dev.peek === undefined)
        throw new BusErrorSignal(a, `${r.dev.name} cannot be read without side effects`);
      return r.dev.peek(off, size) >>> 0;
    }
    if (size === 4) return r.dv.getUint32(off, true);
    if (size === 2) return r.dv.getUint16(off, true);
    return r.bytes[off]!;
  }

  /**
   * Debugger write: RAM and ROM are written directly (ROM too, as a debugger's flash loader
   * would), devices through `poke` (or `write` when they keep no access counts). Decoded code
   * under the bytes is dropped.
   */
  poke(address: number, size: AccessSize, value: number): void {
    const a = address >>> 0;
    const r = this.find(a);
    if (r === null) throw new BusErrorSignal(a, 'unmapped');
    const off = a - r.base;
    if (off + size > r.size) {
      for (let i = 0; i < size; i++) this.poke(a + i, 1, value >>> (8 * i));
      return;
    }
    if (r.dev !== null) {
      const v = sized(value, size);
      if (r.dev.poke !== undefined) r.dev.poke(off, size, v);
      else r.dev.write(off, size, v);
      return;
    }
    this.write(a, size, value, true);
  }

  /** Side-effect-free block read (devices are read a word at a time where aligned). */
  peekBlock(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let i = 0;
    while (i < length) {
      const a = (address + i) >>> 0;
      const r = this.find(a);
      if (r === null) throw new BusErrorSignal(a, 'unmapped');
      const off = a - r.base;
      if (r.dev === null) {
        const n = Math.min(length - i, r.size - off);
        out.set(r.bytes.subarray(off, off + n), i);
        i += n;
      } else if ((a & 3) === 0 && length - i >= 4 && off + 4 <= r.size) {
        const w = this.peek(a, 4);
        out[i] = w & 0xff;
        out[i + 1] = (w >>> 8) & 0xff;
        out[i + 2] = (w >>> 16) & 0xff;
        out[i + 3] = w >>> 24;
        i += 4;
      } else {
        out[i] = this.peek(a, 1);
        i++;
      }
    }
    return out;
  }

  /** Debugger block write (devices get word writes where aligned, else byte writes). */
  pokeBlock(address: number, data: Uint8Array): void {
    let i = 0;
    while (i < data.length) {
      const a = (address + i) >>> 0;
      const r = this.find(a);
      if (r === null) throw new BusErrorSignal(a, 'unmapped');
      if (r.dev === null) {
        const n = Math.min(data.length - i, r.size - (a - r.base));
        this.writeBlock(a, data.subarray(i, i + n));
        i += n;
      } else if ((a & 3) === 0 && data.length - i >= 4) {
        const w = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
        this.poke(a, 4, w >>> 0);
        i += 4;
      } else {
        this.poke(a, 1, data[i]!);
        i++;
      }
    }
  }

  /** Device reset and RAM clear are the machine's business; the bus only resets devices. */
  resetDevices(): void {
    for (const r of this.regions) r.dev?.reset?.();
  }
}
