/**
 * NVMC, the non-volatile memory controller of the nRF52840/nRF52833 (0x4001E000): the only way
 * firmware changes its flash and UICR.
 *
 * nRF52840 PS "NVMC — Non-volatile memory controller":
 * - CONFIG.WEN selects read-only (Ren 0), write (Wen 1) or erase (Een 2) mode.
 * - "Writing to flash": with Wen, a full 32-bit word written to a word-aligned flash or UICR
 *   address is programmed. Programming only turns 1 bits into 0 (the stored word becomes
 *   old AND new); only an erase brings bits back to 1. Byte or halfword writes "will result in
 *   a hard fault": here a BusErrorSignal. A write while not in Wen mode does not program
 *   anything: it is ignored and counted in `ignoredWrites` (the machine logs it).
 * - "Erasing a page in flash": with Een, writing a page's address to ERASEPAGE (or its
 *   deprecated aliases ERASEPCR1 at the same offset and ERASEPCR0) sets the 4 KiB page to 0xFF.
 *   ERASEALL (write 1) erases all flash and the UICR; ERASEUICR (write 1) erases the UICR.
 *   ERASEPAGEPARTIAL erases a page in slices of ERASEPAGEPARTIALCFG milliseconds; the page is
 *   erased once the slices add up to tERASEPAGE.
 * - READY/READYNEXT read 0 while an operation is in progress (computed from `ctx.clock.now`,
 *   no clock event is needed: nothing is signalled at the end).
 * - "Writing to flash" / "Erasing a page in flash": the CPU is halted if it executes code from
 *   the flash while the NVMC writes or erases it, for tWRITE / tERASEPAGE. Modelled through
 *   `NvmcMemory.stall`: when the writing instruction ran from flash, the core stalls for the
 *   operation's time after it (the cycles pass, awake), so code in flash finds READY at 1
 *   instead of polling it. Code running from RAM is not held and sees READY 0 meanwhile (if
 *   it branches back into flash before the end, the emulator does not stall it then).
 * Timings, from the PS electrical specification (maximum values): tWRITE 41 µs,
 * tERASEPAGE 85 ms, tERASEALL 169 ms; ERASEUICR takes tERASEPAGE.
 *
 * The NVMC has no tasks, events or interrupt. The instruction cache registers (ICACHECNF, IHIT,
 * IMISS) are stored only: no cache is modelled, so the counters stay as written.
 * Addresses outside the code area given to ERASEPAGE, or not page aligned, are ignored (and
 * recorded in `lastIgnored`) rather than guessed at.
 *
 * @example
 *   const nvmc = new Nvmc(ctx, { flash, uicr, invalidate: (a, n) => bus.invalidate(a, n) });
 *   bus.mapRom(0, flash.length, 'flash', (o, s, v) => nvmc.flashWrite(o, s, v));
 */
import { type AccessSize, BusErrorSignal, type MmioDevice } from '../../core/interfaces';
import { laneValue, readLanes } from '../../core/memory/lanes';
import type { NrfContext } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const NVMC_BASE = 0x4001e000;
export const FLASH_PAGE_SIZE = 4096;
const UICR_ADDRESS = 0x10001000;

export const NVMC_READY = 0x400;
export const NVMC_READYNEXT = 0x408;
export const NVMC_CONFIG = 0x504;
export const NVMC_ERASEPAGE = 0x508;
export const NVMC_ERASEALL = 0x50c;
export const NVMC_ERASEPCR0 = 0x510;
export const NVMC_ERASEUICR = 0x514;
export const NVMC_ERASEPAGEPARTIAL = 0x518;
export const NVMC_ERASEPAGEPARTIALCFG = 0x51c;
export const NVMC_ICACHECNF = 0x540;
export const NVMC_IHIT = 0x548;
export const NVMC_IMISS = 0x54c;

/** CONFIG.WEN values. */
export const WEN_REN = 0;
export const WEN_WEN = 1;
export const WEN_EEN = 2;

/** PS electrical specification (max), in microseconds. */
export const T_WRITE_US = 41;
export const T_ERASEPAGE_US = 85_000;
export const T_ERASEALL_US = 169_000;

/** Registers modelled (ERASEPCR1 is an alias of ERASEPAGE at 0x508). */
export const NVMC_REGISTERS: readonly RegisterInfo[] = [
  { name: 'READY', offset: NVMC_READY, access: 'read-only', reset: 1 },
  { name: 'READYNEXT', offset: NVMC_READYNEXT, access: 'read-only', reset: 1 },
  { name: 'CONFIG', offset: NVMC_CONFIG, access: 'read-write', reset: 0 },
  { name: 'ERASEPAGE', offset: NVMC_ERASEPAGE, access: 'write-only', reset: 0 },
  { name: 'ERASEALL', offset: NVMC_ERASEALL, access: 'write-only', reset: 0 },
  { name: 'ERASEPCR0', offset: NVMC_ERASEPCR0, access: 'write-only', reset: 0 },
  { name: 'ERASEUICR', offset: NVMC_ERASEUICR, access: 'write-only', reset: 0 },
  { name: 'ERASEPAGEPARTIAL', offset: NVMC_ERASEPAGEPARTIAL, access: 'write-only', reset: 0 },
  {
    name: 'ERASEPAGEPARTIALCFG',
    offset: NVMC_ERASEPAGEPARTIALCFG,
    access: 'read-write',
    reset: 0x0a,
  },
  { name: 'ICACHECNF', offset: NVMC_ICACHECNF, access: 'read-write', reset: 0 },
  { name: 'IHIT', offset: NVMC_IHIT, access: 'read-write', reset: 0 },
  { name: 'IMISS', offset: NVMC_IMISS, access: 'read-write', reset: 0 },
];

/** The memories behind the NVMC, as the machine maps them. */
export interface NvmcMemory {
  /** Code flash, mapped at address 0. */
  flash: Uint8Array;
  /** UICR page, mapped at 0x10001000. */
  uicr: Uint8Array;
  /** Bytes changed behind the bus (an erase): drop decoded code covering them. */
  invalidate(address: number, length: number): void;
  /**
   * An operation started that keeps flash busy for `cycles`: a CPU executing from flash is
   * halted that long (the machine asks the core to stall when its PC is in flash).
   */
  stall?(cycles: number): void;
}

/** An operation the NVMC refused, for logs and the UI. */
export interface NvmcIgnored {
  address: number;
  reason: string;
}

interface NvmcState {
  config: number;
  partialCfg: number;
  icachecnf: number;
  ihit: number;
  imiss: number;
  busyUntil: number;
  partial: [page: number, ms: number][];
  ignoredWrites: number;
  lastIgnoredAddress: number | null;
  lastIgnored: NvmcIgnored | null;
}

export class Nvmc implements MmioDevice {
  readonly name = 'NVMC';
  readonly base = NVMC_BASE;
  private config = 0;
  private partialCfg = 0x0a;
  private icachecnf = 0;
  private ihit = 0;
  private imiss = 0;
  /** Cycle at which the current operation ends (READY reads 0 before it). */
  private busyUntil = 0;
  /** Milliseconds of partial erase applied so far, by page address. */
  private partial = new Map<number, number>();
  /** Flash/UICR word writes dropped because CONFIG.WEN was not Wen. */
  ignoredWrites = 0;
  /** Address of the last such write. */
  lastIgnoredAddress: number | null = null;
  /** The last refused operation of any kind (ignored write, bad erase address, wrong mode). */
  lastIgnored: NvmcIgnored | null = null;

  constructor(
    private readonly ctx: NrfContext,
    private readonly mem: NvmcMemory,
  ) {
    if (mem.flash.length % FLASH_PAGE_SIZE !== 0)
      throw new RangeError(
        `Nvmc: flash size ${mem.flash.length} is not a whole number of 4 KiB pages`,
      );
  }

  private cycles(us: number): number {
    return Math.round((us * this.ctx.clock.frequencyHz) / 1e6);
  }

  private busy(us: number): void {
    const now = this.ctx.clock.now;
    const until = Math.max(this.busyUntil, now + this.cycles(us));
    this.busyUntil = until;
    // "The CPU is halted if the CPU executes code from the flash while the NVMC is writing to
    // the flash" (and the same while it erases): code running from flash next runs when the
    // operation is over, and reads READY as 1 at once.
    this.mem.stall?.(until - now);
  }

  /** True while an operation started by firmware is still in progress. */
  get ready(): boolean {
    return this.ctx.clock.now >= this.busyUntil;
  }

  private refuse(address: number, reason: string): null {
    this.lastIgnored = { address: address >>> 0, reason };
    return null;
  }

  /** A CPU write into flash or UICR: the value to store, or null when nothing is programmed. */
  private program(
    area: Uint8Array,
    base: number,
    offset: number,
    size: AccessSize,
    value: number,
  ): number | null {
    const address = (base + offset) >>> 0;
    if ((this.config & 3) !== WEN_WEN) {
      this.ignoredWrites++;
      this.lastIgnoredAddress = address;
      return this.refuse(address, 'write while NVMC CONFIG.WEN is not Wen');
    }
    if (size !== 4 || (offset & 3) !== 0)
      throw new BusErrorSignal(
        address,
        `NVMC programs whole aligned words only (${size}-byte write at 0x${address.toString(16)})`,
      );
    const dv = new DataView(area.buffer, area.byteOffset, area.byteLength);
    const old = dv.getUint32(offset, true);
    this.busy(T_WRITE_US);
    return (old & value) >>> 0;
  }

  /** RomWriteHandler of the flash region (base 0). */
  flashWrite(offset: number, size: AccessSize, value: number): number | null {
    return this.program(this.mem.flash, 0, offset, size, value);
  }

  /** RomWriteHandler of the UICR region (base 0x10001000). */
  uicrWrite(offset: number, size: AccessSize, value: number): number | null {
    return this.program(this.mem.uicr, UICR_ADDRESS, offset, size, value);
  }

  private erasing(address: number, what: string): boolean {
    if ((this.config & 3) === WEN_EEN) return true;
    this.refuse(address, `${what} while NVMC CONFIG.WEN is not Een`);
    return false;
  }

  private pageAddress(value: number, what: string): number | null {
    const a = value >>> 0;
    if (a >= this.mem.flash.length || a % FLASH_PAGE_SIZE !== 0) {
      this.refuse(a, `${what}: 0x${a.toString(16)} is not the start of a flash page`);
      return null;
    }
    return a;
  }

  private erasePage(address: number): void {
    this.mem.flash.fill(0xff, address, address + FLASH_PAGE_SIZE);
    this.partial.delete(address);
    this.mem.invalidate(address, FLASH_PAGE_SIZE);
  }

  private eraseUicr(): void {
    this.mem.uicr.fill(0xff);
    this.mem.invalidate(UICR_ADDRESS, this.mem.uicr.length);
  }

  read(offset: number, size: AccessSize): number {
    return readLanes(this.readWord(offset & ~3), offset, size);
  }

  /** Reads of the NVMC have no side effects: a debugger's read is an ordinary one. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  private readWord(offset: number): number {
    switch (offset) {
      case NVMC_READY:
      case NVMC_READYNEXT:
        return this.ready ? 1 : 0;
      case NVMC_CONFIG:
        return this.config;
      case NVMC_ERASEPAGEPARTIALCFG:
        return this.partialCfg;
      case NVMC_ICACHECNF:
        return this.icachecnf;
      case NVMC_IHIT:
        return this.ihit;
      case NVMC_IMISS:
        return this.imiss;
      default:
        return 0; // write-only and reserved registers read 0
    }
  }

  write(offset: number, size: AccessSize, value: number): void {
    const aligned = offset & ~3;
    const v = laneValue(value, offset, size);
    const reg = NVMC_BASE + aligned;
    switch (aligned) {
      case NVMC_CONFIG:
        this.config = v & 3;
        break;
      case NVMC_ERASEPAGE:
      case NVMC_ERASEPCR0: {
        if (!this.erasing(reg, 'ERASEPAGE')) break;
        const page = this.pageAddress(v, 'ERASEPAGE');
        if (page === null) break;
        this.erasePage(page);
        this.busy(T_ERASEPAGE_US);
        break;
      }
      case NVMC_ERASEALL:
        if ((v & 1) === 0 || !this.erasing(reg, 'ERASEALL')) break;
        this.mem.flash.fill(0xff);
        this.partial.clear();
        this.mem.invalidate(0, this.mem.flash.length);
        this.eraseUicr();
        this.busy(T_ERASEALL_US);
        break;
      case NVMC_ERASEUICR:
        if ((v & 1) === 0 || !this.erasing(reg, 'ERASEUICR')) break;
        this.eraseUicr();
        this.busy(T_ERASEPAGE_US);
        break;
      case NVMC_ERASEPAGEPARTIAL: {
        if (!this.erasing(reg, 'ERASEPAGEPARTIAL')) break;
        const page = this.pageAddress(v, 'ERASEPAGEPARTIAL');
        if (page === null) break;
        const ms = (this.partial.get(page) ?? 0) + this.partialCfg;
        if (ms * 1000 >= T_ERASEPAGE_US) this.erasePage(page);
        else this.partial.set(page, ms);
        this.busy(this.partialCfg * 1000);
        break;
      }
      case NVMC_ERASEPAGEPARTIALCFG:
        this.partialCfg = v & 0x7f;
        break;
      case NVMC_ICACHECNF:
        this.icachecnf = v & 0x101;
        break;
      case NVMC_IHIT:
        this.ihit = v;
        break;
      case NVMC_IMISS:
        this.imiss = v;
        break;
      default:
        break; // read-only and reserved registers ignore writes
    }
  }

  reset(): void {
    this.config = 0;
    this.partialCfg = 0x0a;
    this.icachecnf = 0;
    this.ihit = 0;
    this.imiss = 0;
    this.busyUntil = 0;
    this.partial.clear();
  }

  snapshot(): NvmcState {
    return {
      config: this.config,
      partialCfg: this.partialCfg,
      icachecnf: this.icachecnf,
      ihit: this.ihit,
      imiss: this.imiss,
      busyUntil: this.busyUntil,
      partial: [...this.partial.entries()],
      ignoredWrites: this.ignoredWrites,
      lastIgnoredAddress: this.lastIgnoredAddress,
      lastIgnored: this.lastIgnored === null ? null : { ...this.lastIgnored },
    };
  }

  restore(state: unknown): void {
    const s = state as NvmcState;
    this.config = s.config;
    this.partialCfg = s.partialCfg;
    this.icachecnf = s.icachecnf;
    this.ihit = s.ihit;
    this.imiss = s.imiss;
    this.busyUntil = s.busyUntil;
    this.partial = new Map(s.partial);
    this.ignoredWrites = s.ignoredWrites;
    this.lastIgnoredAddress = s.lastIgnoredAddress;
    this.lastIgnored = s.lastIgnored === null ? null : { ...s.lastIgnored };
  }
}
