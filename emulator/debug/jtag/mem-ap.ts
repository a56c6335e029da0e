/**
 * MEM-AP (the Cortex-M4's AHB-AP): the debugger's window onto the system bus, through which
 * OpenOCD reads and writes memory, peripherals and the core's debug registers.
 *
 * Sources: ADIv5 (ARM IHI 0031) part C "The Memory Access Port":
 * - "MEM-AP registers": CSW 0x00, TAR 0x04, DRW 0x0C, BD0-BD3 0x10-0x1C, CFG 0xF4, BASE 0xF8,
 *   IDR 0xFC; every other address is reserved (RAZ/WI here).
 * - "CSW": Size (2:0) byte/halfword/word (other sizes are not implemented on an AHB-AP; a
 *   write of one leaves Size as it was), AddrInc (5:4) off/single/packed, DeviceEn (6, read
 *   only: the bus can be reached), TrInProg (7, never set: transfers finish at once), Mode
 *   (11:8) basic only, Prot (30:24, stored; bit 29 is the Cortex-M AHB-AP's MasterType,
 *   debugger by default).
 * - "Automatic address increment": single adds the access size to TAR after each DRW access,
 *   packed adds it per sub-transfer. ADIv5 guarantees at least TAR[9:0] and leaves the block
 *   size to the implementation; the Cortex-M4's AHB-AP increments TAR[11:0], wrapping within
 *   4 KiB (Cortex-M4 TRM "AHB-AP"), which debuggers rely on (OpenOCD sets its Cortex-M
 *   auto-increment block to 4 KiB). An access that errors does not increment.
 * - "Byte lanes": a byte or halfword access takes and returns its data on the lanes of
 *   DRW that match TAR[1:0] (little endian, CFG.BE = 0); word accesses are word-aligned
 *   (TAR[1:0] are ignored by the AHB-AP).
 * - "Packed transfers": with AddrInc packed and Size byte or halfword, one DRW access makes as
 *   many transfers as fit from TAR to the end of its word, each on its own lanes.
 * - "BD0-BD3": access address TAR[31:4] with the register's offset in bits 3:2; no increment.
 * - "IDR": 0x24770011, the Cortex-M4 AHB-AP (revision 2, designer ARM, class MEM-AP, type AHB);
 *   "BASE": 0xE00FF003, the Cortex-M4 ROM table, format ADIv5, entry present (Cortex-M4 TRM,
 *   "AHB-AP" and "ROM table").
 * A failed transfer (nothing at the address, a device error, access port protection, debug or
 * system power off) is an error response: the DP sets STICKYERR. DeviceEn reads 0 while the
 * chip's access port protection blocks the AP (nRF52840 PS "Access port protection").
 *
 * @example
 *   const ap = new MemAp(bus);   // bus: SystemBusPort
 */
import type { AccessPort, DapPower } from './jtag-dp';

/** What the MEM-AP drives: the system bus as a bus master, plus the chip's AP gate. */
export interface SystemBusPort {
  /** A read of `size` bytes at `address` (aligned); null on a bus error. */
  read(address: number, size: 1 | 2 | 4): number | null;
  /** A write; false on a bus error. */
  write(address: number, size: 1 | 2 | 4, value: number): boolean;
  /** False while the chip blocks this AP (access port protection). */
  enabled(): boolean;
}

export const MEM_AP_REG = {
  CSW: 0x00,
  TAR: 0x04,
  DRW: 0x0c,
  BD0: 0x10,
  BD3: 0x1c,
  CFG: 0xf4,
  BASE: 0xf8,
  IDR: 0xfc,
} as const;

export const CSW = {
  SIZE: 0x7,
  ADDRINC: 0x3 << 4,
  DEVICEEN: 1 << 6,
  TRINPROG: 1 << 7,
  MODE: 0xf << 8,
  PROT: 0x7f << 24,
  DBGSWENABLE: 1 << 31,
} as const;
export const ADDRINC_OFF = 0;
export const ADDRINC_SINGLE = 1;
export const ADDRINC_PACKED = 2;

/** Cortex-M4 AHB-AP identification and debug base (Cortex-M4 TRM). */
export const AHB_AP_IDR = 0x24770011;
export const CORTEX_M4_ROM_BASE = 0xe00ff000;

/** Reset CSW: word size, no increment, Prot 0x23 (MasterType debugger, privileged data). */
const CSW_RESET = (0x23 << 24) | 0x2;

export class MemAp implements AccessPort {
  readonly name = 'AHB-AP';
  private csw = CSW_RESET;
  private tar = 0;
  /** Transfers made, for statistics. */
  transfers = 0;

  constructor(private readonly bus: SystemBusPort) {}

  private get size(): 1 | 2 | 4 {
    const s = this.csw & CSW.SIZE;
    return s === 0 ? 1 : s === 1 ? 2 : 4;
  }

  private get addrInc(): number {
    return (this.csw & CSW.ADDRINC) >>> 4;
  }

  private readCsw(): number {
    // TrInProg stays 0: every transfer completes before the next scan.
    return (
      ((this.csw & ~(CSW.DEVICEEN | CSW.TRINPROG)) | (this.bus.enabled() ? CSW.DEVICEEN : 0)) >>> 0
    );
  }

  private writeCsw(v: number): void {
    const size = v & CSW.SIZE;
    const keepSize = size > 2 ? this.csw & CSW.SIZE : size;
    const addrInc = v & CSW.ADDRINC;
    this.csw = ((v & (CSW.PROT | CSW.DBGSWENABLE)) | addrInc | keepSize) >>> 0;
  }

  /** Advance TAR[11:0] by `n` bytes (the AHB-AP's 4 KiB auto-increment block). */
  private increment(n: number): void {
    this.tar = ((this.tar & ~0xfff) | ((this.tar + n) & 0xfff)) >>> 0;
  }

  private canTransfer(power: DapPower): boolean {
    return power.debug && power.system && this.bus.enabled();
  }

  /** One transfer of `size` at `address`; the value is placed on (or taken from) its lanes. */
  private transferRead(address: number, size: 1 | 2 | 4): number | null {
    const a = size === 4 ? address & ~3 : size === 2 ? address & ~1 : address;
    const v = this.bus.read(a >>> 0, size);
    if (v === null) return null;
    this.transfers++;
    return size === 4 ? v >>> 0 : (v << (8 * (a & 3))) >>> 0;
  }

  private transferWrite(address: number, size: 1 | 2 | 4, drw: number): boolean {
    const a = size === 4 ? address & ~3 : size === 2 ? address & ~1 : address;
    const lane = size === 4 ? drw >>> 0 : (drw >>> (8 * (a & 3))) & (size === 2 ? 0xffff : 0xff);
    const done = this.bus.write(a >>> 0, size, lane);
    if (done) this.transfers++;
    return done;
  }

  read(address: number, power: DapPower): number | null {
    switch (address) {
      case MEM_AP_REG.CSW:
        return this.readCsw();
      case MEM_AP_REG.TAR:
        return this.tar;
      case MEM_AP_REG.DRW:
        return this.drwRead(power);
      case MEM_AP_REG.CFG:
        return 0; // little endian, no large address or data extensions
      case MEM_AP_REG.BASE:
        return (CORTEX_M4_ROM_BASE | 0x3) >>> 0;
      case MEM_AP_REG.IDR:
        return AHB_AP_IDR;
      default:
        if (address >= MEM_AP_REG.BD0 && address <= MEM_AP_REG.BD3) {
          if (!this.canTransfer(power)) return null;
          return this.transferRead(((this.tar & ~0xf) | (address & 0xc)) >>> 0, this.size);
        }
        return 0;
    }
  }

  write(address: number, value: number, power: DapPower): boolean {
    switch (address) {
      case MEM_AP_REG.CSW:
        this.writeCsw(value);
        return true;
      case MEM_AP_REG.TAR:
        this.tar = value >>> 0;
        return true;
      case MEM_AP_REG.DRW:
        return this.drwWrite(value, power);
      default:
        if (address >= MEM_AP_REG.BD0 && address <= MEM_AP_REG.BD3) {
          if (!this.canTransfer(power)) return false;
          return this.transferWrite(((this.tar & ~0xf) | (address & 0xc)) >>> 0, this.size, value);
        }
        return true; // read-only and reserved registers ignore writes
    }
  }

  /** The transfers one DRW access makes: [address, size] pairs (several when packed). */
  private drwTransfers(): [number, 1 | 2 | 4][] {
    const size = this.size;
    if (this.addrInc !== ADDRINC_PACKED || size === 4) return [[this.tar, size]];
    const list: [number, 1 | 2 | 4][] = [];
    for (let a = this.tar; (a & 3) + size <= 4 && list.length < 4 / size; a += size) {
      list.push([a >>> 0, size]);
      if (((a + size) & 3) === 0) break;
    }
    return list;
  }

  private drwRead(power: DapPower): number | null {
    if (!this.canTransfer(power)) return null;
    let value = 0;
    for (const [a, size] of this.drwTransfers()) {
      const v = this.transferRead(a, size);
      if (v === null) return null;
      value = (value | v) >>> 0;
      if (this.addrInc !== ADDRINC_OFF) this.increment(size);
    }
    return value;
  }

  private drwWrite(value: number, power: DapPower): boolean {
    if (!this.canTransfer(power)) return false;
    for (const [a, size] of this.drwTransfers()) {
      if (!this.transferWrite(a, size, value)) return false;
      if (this.addrInc !== ADDRINC_OFF) this.increment(size);
    }
    return true;
  }

  /** The AP's own reset (power-on of the debug domain). */
  reset(): void {
    this.csw = CSW_RESET;
    this.tar = 0;
  }
}
