/**
 * A JTAG host for tests: drives a target through remote_bitbang bytes, as OpenOCD would, one
 * TCK at a time (TMS/TDI set with TCK low, TDO sampled, then TCK high).
 *
 * It knows the ARM JTAG-DP's scans (IR 4 bits, DPACC/APACC 35 bits, results posted to the next
 * scan and collected with a read of RDBUFF), so tests can speak DP, AP and memory transactions
 * and still exercise every layer from the byte stream down.
 *
 * @example
 *   const host = new BitbangHost((bytes) => rb.feed(bytes).reply);
 *   host.resetTap();
 *   host.readIdcode(); // 0x4ba00477
 */
import { IR } from '../jtag-dp';

const RDBUFF = 0xc;

export class BitbangHost {
  /** Transactions whose ACK was not OK/FAULT. */
  waits = 0;

  constructor(private readonly send: (bytes: Uint8Array) => Uint8Array) {}

  /** One TCK cycle; returns TDO sampled before the rising edge. */
  private cycle(tms: number, tdi: number): number {
    const low = 0x30 + (tms << 1) + tdi;
    const reply = this.send(Uint8Array.from([low, 0x52, low + 4]));
    return reply[0] === 0x31 ? 1 : 0;
  }

  /** Five TMS=1 clocks (Test-Logic-Reset), then Run-Test/Idle. */
  resetTap(): void {
    for (let i = 0; i < 5; i++) this.cycle(1, 0);
    this.cycle(0, 0);
  }

  private shift(bits: number[]): number[] {
    const out: number[] = [];
    bits.forEach((b, i) => out.push(this.cycle(i === bits.length - 1 ? 1 : 0, b)));
    this.cycle(1, 0); // Exit1 -> Update
    this.cycle(0, 0); // -> Run-Test/Idle
    return out;
  }

  /** IR scan from Run-Test/Idle; returns the captured IR bits. */
  scanIr(value: number, length = 4): number[] {
    this.cycle(1, 0); // Select-DR
    this.cycle(1, 0); // Select-IR
    this.cycle(0, 0); // Capture-IR
    this.cycle(0, 0); // Shift-IR
    return this.shift(toBitList(value, length));
  }

  /** DR scan from Run-Test/Idle with these bits (LSB first); returns the bits shifted out. */
  scanDr(bits: number[]): number[] {
    this.cycle(1, 0); // Select-DR
    this.cycle(0, 0); // Capture-DR
    this.cycle(0, 0); // Shift-DR
    return this.shift(bits);
  }

  readIdcode(): number {
    this.scanIr(IR.IDCODE);
    return fromBitList(this.scanDr(new Array<number>(32).fill(0)));
  }

  /** One DPACC/APACC scan: returns the ACK and the ReadResult of the transaction before. */
  access(rnw: boolean, a: number, data = 0): { ack: number; value: number } {
    const bits = [rnw ? 1 : 0, (a >> 2) & 1, (a >> 3) & 1, ...toBitList(data >>> 0, 32)];
    const out = this.scanDr(bits);
    const ack = fromBitList(out.slice(0, 3));
    if (ack !== 0b010) this.waits++;
    return { ack, value: fromBitList(out.slice(3)) };
  }

  dpRead(a: number): number {
    this.scanIr(IR.DPACC);
    this.access(true, a);
    return this.access(true, RDBUFF).value;
  }

  dpWrite(a: number, value: number): void {
    this.scanIr(IR.DPACC);
    this.access(false, a, value);
  }

  private selectAp(ap: number, reg: number): void {
    this.dpWrite(0x8, ((ap << 24) | (reg & 0xf0)) >>> 0);
  }

  apRead(ap: number, reg: number): number {
    this.selectAp(ap, reg);
    this.scanIr(IR.APACC);
    this.access(true, reg & 0xc);
    this.scanIr(IR.DPACC);
    return this.access(true, RDBUFF).value;
  }

  apWrite(ap: number, reg: number, value: number): void {
    this.selectAp(ap, reg);
    this.scanIr(IR.APACC);
    this.access(false, reg & 0xc, value);
  }

  /** Power up the debug and system domains (CTRL/STAT requests) and wait for the ACKs. */
  powerUp(): number {
    this.dpWrite(0x4, 0x50000000);
    return this.dpRead(0x4);
  }

  /** 32-bit memory read through AP #0 (CSW word, no increment). */
  read32(address: number): number {
    this.apWrite(0, 0x00, 0x23000002);
    this.apWrite(0, 0x04, address);
    return this.apRead(0, 0x0c);
  }

  write32(address: number, value: number): void {
    this.apWrite(0, 0x00, 0x23000002);
    this.apWrite(0, 0x04, address);
    this.apWrite(0, 0x0c, value);
  }
}

export function toBitList(value: number, length: number): number[] {
  const bits: number[] = [];
  let v = value;
  for (let i = 0; i < length; i++) {
    bits.push(v % 2);
    v = Math.floor(v / 2);
  }
  return bits;
}

export function fromBitList(bits: number[]): number {
  let v = 0;
  for (let i = bits.length - 1; i >= 0; i--) v = v * 2 + bits[i]!;
  return v;
}
