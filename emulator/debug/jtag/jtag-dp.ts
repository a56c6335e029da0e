/**
 * ARM JTAG Debug Port (ADIv5 JTAG-DP, DPv0): the JTAG side of an ARM Debug Access Port, with its
 * DP registers and the access ports it reaches.
 *
 * Why a JTAG-DP on a chip that has only SWD: OpenOCD 0.12's remote_bitbang adapter speaks JTAG
 * only, so the emulated nRF52 presents the JTAG flavour of the same debug port. Everything past
 * the scan chains (DP registers, MEM-AP, CTRL-AP) is what the silicon's SW-DP reaches too.
 *
 * Sources: ARM Debug Interface Architecture Specification ADIv5.0 to ADIv5.2 (ARM IHI 0031),
 * part B "The Debug Port":
 * - "The JTAG-DP" / "JTAG-DP register descriptions": a 4-bit IR (captures 0b0001); ABORT 0b1000,
 *   DPACC 0b1010, APACC 0b1011 (35-bit scan chains), IDCODE 0b1110 (32 bits), BYPASS 0b1111;
 *   every other instruction selects BYPASS.
 * - "DPACC and APACC scan chains": shifted in, bit 0 RnW, bits 2:1 A[3:2], bits 34:3 DATAIN;
 *   captured, bits 2:0 ACK (0b010 OK/FAULT, 0b001 WAIT) and bits 34:3 ReadResult, the result
 *   of the *previous* read (reads are posted: the value of an access comes out on the next
 *   DPACC/APACC scan, usually a read of RDBUFF). Our transactions finish within the Update-DR
 *   that starts them, so WAIT is never answered; errors are reported, as the JTAG-DP does, only
 *   through CTRL/STAT.STICKYERR.
 * - "CTRL/STAT": CSYSPWRUPREQ/CDBGPWRUPREQ and CDBGRSTREQ are requests, their ACK bits answer
 *   them (the power controller here grants at once: the handshake completes by the next read);
 *   STICKYERR (an AP transaction failed), STICKYCMP, STICKYORUN are write-one-to-clear on a
 *   JTAG-DP; ORUNDETECT, TRNMODE, TRNCNT and MASKLANE are stored (pushed compare/verify are not
 *   implemented: TRNMODE other than normal is kept but has no effect).
 * - "SELECT": APSEL (31:24) and APBANKSEL (7:4) choose the AP register an APACC reaches.
 * - "RDBUFF": on a JTAG-DP it reads as zero and has no effect; a read of it is how a debugger
 *   collects the result of the access before it.
 * - "ABORT": DAPABORT (bit 0) ends a stalled AP transaction; none ever stalls here.
 * - DPACC address 0x0 is reserved on a DPv0 JTAG-DP (RAZ/WI).
 * Access ports are queried with the debug and system power state; a MEM-AP refuses bus
 * transfers while either is off (what the spec leaves to the implementation; we answer an
 * error, never a made-up value).
 *
 * @example
 *   const dp = new JtagDp({ idcode: 0x4ba00477, aps: [ahbAp, ctrlAp] });
 *   const tap = new JtagTap(dp);
 */
import { BYPASS, type Bits, type DataRegister, fromBits, type JtagDevice, toBits } from './tap';

/** JTAG-DP instructions (IR values). */
export const IR = {
  ABORT: 0b1000,
  DPACC: 0b1010,
  APACC: 0b1011,
  IDCODE: 0b1110,
  BYPASS: 0b1111,
} as const;

/** ACK values captured into bits 2:0 of DPACC/APACC. */
export const ACK_OK_FAULT = 0b010;
export const ACK_WAIT = 0b001;

/** DP register addresses (A[3:2] << 2). */
export const DP_REG = { RESERVED: 0x0, CTRL_STAT: 0x4, SELECT: 0x8, RDBUFF: 0xc } as const;

/** CTRL/STAT bits. */
export const CTRL = {
  ORUNDETECT: 1 << 0,
  STICKYORUN: 1 << 1,
  TRNMODE: 3 << 2,
  STICKYCMP: 1 << 4,
  STICKYERR: 1 << 5,
  MASKLANE: 0xf << 8,
  TRNCNT: 0xfff << 12,
  CDBGRSTREQ: 1 << 26,
  CDBGRSTACK: 1 << 27,
  CDBGPWRUPREQ: 1 << 28,
  CDBGPWRUPACK: 1 << 29,
  CSYSPWRUPREQ: 1 << 30,
  CSYSPWRUPACK: 1 << 31,
} as const;

/** Power state an access port sees (CTRL/STAT's acknowledged requests). */
export interface DapPower {
  debug: boolean;
  system: boolean;
}

/**
 * An access port: registers addressed by APBANKSEL:A[3:2] (0x00-0xFC). A read answers a value
 * or null, a write true or false; null/false is an error response (STICKYERR).
 */
export interface AccessPort {
  readonly name: string;
  read(address: number, power: DapPower): number | null;
  write(address: number, value: number, power: DapPower): boolean;
}

export interface JtagDpOptions {
  /** The JTAG-DP's IDCODE (bit 0 is 1). */
  idcode: number;
  /** Access ports by APSEL. */
  aps: readonly AccessPort[];
  /** CTRL/STAT.CDBGRSTREQ was raised or lowered (a debug reset request, if the chip has one). */
  debugResetRequest?(asserted: boolean): void;
}

/** Reads of APSEL values with no AP behind them: ADIv5 "AP identification" says IDR reads 0. */
const ABSENT_AP: AccessPort = {
  name: 'absent',
  read: () => 0,
  write: () => true,
};

export interface JtagDpState {
  ctrlStat: number;
  select: number;
  readResult: number;
}

export class JtagDp implements JtagDevice {
  readonly irLength = 4;
  readonly irCapture = 0b0001;
  readonly resetInstruction = IR.IDCODE;
  private ctrlStat = 0;
  private select = 0;
  /** What the next DPACC/APACC capture shows as ReadResult (the last read's value). */
  private readResult = 0;
  /** Counts of transactions, for tests and statistics. */
  readonly counts = { dp: 0, ap: 0, errors: 0 };

  private readonly idcodeRegister: DataRegister;
  private readonly dpacc: DataRegister;
  private readonly apacc: DataRegister;
  private readonly abort: DataRegister;

  constructor(private readonly options: JtagDpOptions) {
    const idcode = options.idcode >>> 0;
    this.idcodeRegister = {
      length: 32,
      capture: () => toBits(idcode, 32),
      update: () => undefined,
    };
    this.dpacc = this.accessChain((rnw, a, data) => this.dpAccess(rnw, a, data));
    this.apacc = this.accessChain((rnw, a, data) => this.apAccess(rnw, a, data));
    this.abort = {
      length: 35,
      capture: () => toBits(ACK_OK_FAULT, 35),
      // DAPABORT ends a stalled transaction; ours never stall, so there is nothing to end.
      update: () => undefined,
    };
  }

  private accessChain(access: (rnw: boolean, a: number, data: number) => void): DataRegister {
    return {
      length: 35,
      capture: (): Bits => {
        const bits = new Uint8Array(35);
        bits.set(toBits(ACK_OK_FAULT, 3), 0);
        bits.set(toBits(this.readResult >>> 0, 32), 3);
        return bits;
      },
      update: (bits: Bits): void => {
        const rnw = bits[0] === 1;
        const a = fromBits(bits, 1, 2) << 2;
        const data = fromBits(bits, 3, 32) >>> 0;
        access(rnw, a, data);
      },
    };
  }

  dataRegister(instruction: number): DataRegister {
    switch (instruction) {
      case IR.IDCODE:
        return this.idcodeRegister;
      case IR.DPACC:
        return this.dpacc;
      case IR.APACC:
        return this.apacc;
      case IR.ABORT:
        return this.abort;
      default:
        return BYPASS;
    }
  }

  /** CTRL/STAT as read: the ACK bits answer their requests. */
  private readCtrlStat(): number {
    let v = this.ctrlStat & ~(CTRL.CDBGRSTACK | CTRL.CDBGPWRUPACK | CTRL.CSYSPWRUPACK);
    if (v & CTRL.CDBGRSTREQ) v |= CTRL.CDBGRSTACK;
    if (v & CTRL.CDBGPWRUPREQ) v |= CTRL.CDBGPWRUPACK;
    if (v & CTRL.CSYSPWRUPREQ) v |= CTRL.CSYSPWRUPACK;
    return v >>> 0;
  }

  get power(): DapPower {
    return {
      debug: (this.ctrlStat & CTRL.CDBGPWRUPREQ) !== 0,
      system: (this.ctrlStat & CTRL.CSYSPWRUPREQ) !== 0,
    };
  }

  private dpAccess(rnw: boolean, a: number, data: number): void {
    this.counts.dp++;
    if (rnw) {
      this.readResult =
        a === DP_REG.CTRL_STAT ? this.readCtrlStat() : a === DP_REG.SELECT ? this.select : 0;
      return;
    }
    if (a === DP_REG.CTRL_STAT) {
      const sticky = CTRL.STICKYORUN | CTRL.STICKYCMP | CTRL.STICKYERR;
      const kept = this.ctrlStat & sticky & ~data;
      const writable =
        CTRL.ORUNDETECT |
        CTRL.TRNMODE |
        CTRL.MASKLANE |
        CTRL.TRNCNT |
        CTRL.CDBGRSTREQ |
        CTRL.CDBGPWRUPREQ |
        CTRL.CSYSPWRUPREQ;
      const before = this.ctrlStat;
      this.ctrlStat = ((data & writable) | kept) >>> 0;
      if ((before ^ this.ctrlStat) & CTRL.CDBGRSTREQ)
        this.options.debugResetRequest?.((this.ctrlStat & CTRL.CDBGRSTREQ) !== 0);
    } else if (a === DP_REG.SELECT) {
      this.select = data >>> 0;
    }
    // RDBUFF and the reserved address ignore writes.
  }

  private apAccess(rnw: boolean, a: number, data: number): void {
    this.counts.ap++;
    const ap = this.options.aps[this.select >>> 24] ?? ABSENT_AP;
    const address = (this.select & 0xf0) | a;
    if (rnw) {
      const v = ap.read(address, this.power);
      if (v === null) {
        this.error();
        this.readResult = 0;
      } else this.readResult = v >>> 0;
    } else if (!ap.write(address, data, this.power)) this.error();
  }

  private error(): void {
    this.counts.errors++;
    this.ctrlStat |= CTRL.STICKYERR;
  }

  /** A power-on reset of the debug port (the chip's power-on, not a TAP reset). */
  powerOnReset(): void {
    this.ctrlStat = 0;
    this.select = 0;
    this.readResult = 0;
  }

  snapshot(): JtagDpState {
    return { ctrlStat: this.ctrlStat, select: this.select, readResult: this.readResult };
  }
}
