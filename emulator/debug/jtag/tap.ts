/**
 * A JTAG test access port (IEEE 1149.1): the 16-state TAP controller, the instruction register
 * and the data registers it selects, clocked one TCK at a time.
 *
 * Why bit by bit: OpenOCD's remote_bitbang adapter (the only way an unmodified OpenOCD 0.12 can
 * reach a simulated chip over TCP) sends every TCK edge with its TMS and TDI levels and samples
 * TDO between edges, so the TAP must behave as the wires do. The device behind the TAP (an ARM
 * JTAG-DP, jtag-dp.ts) only sees whole registers: `capture` when a data register is loaded
 * (Capture-DR), `update` with the bits shifted in (Update-DR), exactly as IEEE 1149.1 clause 6
 * describes the controller and clause 7-9 the registers.
 *
 * Timing kept from the standard: TMS and TDI are sampled on the rising edge of TCK, which moves
 * the controller and, in Shift-IR/Shift-DR, shifts the register one place towards TDO; TDO shows
 * the register's least significant bit while in a Shift state (it changes on the falling edge,
 * so a sample taken between a falling and the next rising edge sees the bit about to leave).
 * Outside the Shift states TDO is not driven; we answer 1 (the pull-up every board fits).
 * Capture happens on the edge leaving Capture-xR and update on the falling edge in Update-xR;
 * we do both on entering the state, which nothing outside the TAP can tell apart.
 * Test-Logic-Reset selects the IDCODE instruction (clause 7.2.1: "the IDCODE instruction, if
 * provided, shall be loaded" at reset), and TRST forces Test-Logic-Reset.
 *
 * Register length mismatches behave as on silicon: shifting fewer bits than a register holds
 * leaves the remaining captured bits in the low end; shifting more passes the extra bits through
 * (what came in `length` clocks earlier comes out).
 *
 * @example
 *   const tap = new JtagTap(device);           // device: JtagDevice (irLength, registers)
 *   tap.clock(1, 0); ...                        // TMS, TDI on each rising edge
 *   const tdo = tap.tdo();
 */

/** TAP controller states (IEEE 1149.1 figure 6-1). */
export enum TapState {
  TestLogicReset,
  RunTestIdle,
  SelectDrScan,
  CaptureDr,
  ShiftDr,
  Exit1Dr,
  PauseDr,
  Exit2Dr,
  UpdateDr,
  SelectIrScan,
  CaptureIr,
  ShiftIr,
  Exit1Ir,
  PauseIr,
  Exit2Ir,
  UpdateIr,
}

/** Next state for TMS = 0 and TMS = 1, by state (IEEE 1149.1 figure 6-1). */
const NEXT: readonly (readonly [TapState, TapState])[] = [
  [TapState.RunTestIdle, TapState.TestLogicReset], // TestLogicReset
  [TapState.RunTestIdle, TapState.SelectDrScan], // RunTestIdle
  [TapState.CaptureDr, TapState.SelectIrScan], // SelectDrScan
  [TapState.ShiftDr, TapState.Exit1Dr], // CaptureDr
  [TapState.ShiftDr, TapState.Exit1Dr], // ShiftDr
  [TapState.PauseDr, TapState.UpdateDr], // Exit1Dr
  [TapState.PauseDr, TapState.Exit2Dr], // PauseDr
  [TapState.ShiftDr, TapState.UpdateDr], // Exit2Dr
  [TapState.RunTestIdle, TapState.SelectDrScan], // UpdateDr
  [TapState.CaptureIr, TapState.TestLogicReset], // SelectIrScan
  [TapState.ShiftIr, TapState.Exit1Ir], // CaptureIr
  [TapState.ShiftIr, TapState.Exit1Ir], // ShiftIr
  [TapState.PauseIr, TapState.UpdateIr], // Exit1Ir
  [TapState.PauseIr, TapState.Exit2Ir], // PauseIr
  [TapState.ShiftIr, TapState.UpdateIr], // Exit2Ir
  [TapState.RunTestIdle, TapState.SelectDrScan], // UpdateIr
];

/**
 * A register value as bits, least significant (first shifted out) first. Registers of the
 * ARM JTAG-DP are at most 35 bits, beyond 32-bit integer operators, so bits are kept as bytes.
 */
export type Bits = Uint8Array;

/** Bits of `value` (up to 53 bits), least significant first. */
export function toBits(value: number, length: number): Bits {
  const b = new Uint8Array(length);
  let v = value;
  for (let i = 0; i < length; i++) {
    b[i] = v % 2;
    v = Math.floor(v / 2);
  }
  return b;
}

/** The number `bits[from .. from+length)` encode, least significant first. */
export function fromBits(bits: Bits, from = 0, length = bits.length - from): number {
  let v = 0;
  for (let i = length - 1; i >= 0; i--) v = v * 2 + (bits[from + i] ?? 0);
  return v;
}

/** A data register a JTAG instruction selects. */
export interface DataRegister {
  readonly length: number;
  /** Capture-DR: the bits loaded for shifting out. */
  capture(): Bits;
  /** Update-DR: the bits shifted in. */
  update(bits: Bits): void;
}

/** What sits behind the TAP: its instruction register and the data registers it selects. */
export interface JtagDevice {
  readonly irLength: number;
  /** Value captured into the IR (IEEE 1149.1 7.1.1: its two low bits must be 01). */
  readonly irCapture: number;
  /** The instruction loaded by Test-Logic-Reset (IDCODE where there is one, else BYPASS). */
  readonly resetInstruction: number;
  /** The data register an instruction selects (BYPASS for unknown instructions). */
  dataRegister(instruction: number): DataRegister;
  /** Test-Logic-Reset was entered (TRST or five TMS=1 clocks). */
  tapReset?(): void;
}

/** The one-bit BYPASS register (IEEE 1149.1 clause 10): captures 0. */
export const BYPASS: DataRegister = {
  length: 1,
  capture: () => new Uint8Array(1),
  update: () => undefined,
};

export class JtagTap {
  private state = TapState.TestLogicReset;
  private instruction: number;
  /** Bits available to shift out: the captured register, then the bits shifted in. */
  private stream = new Uint8Array(64);
  private shifted = 0;
  private captured = 0;
  private selected: DataRegister;

  constructor(private readonly device: JtagDevice) {
    this.instruction = device.resetInstruction;
    this.selected = device.dataRegister(this.instruction);
  }

  get tapState(): TapState {
    return this.state;
  }

  get currentInstruction(): number {
    return this.instruction;
  }

  /** TRST: asynchronous reset to Test-Logic-Reset. */
  trst(): void {
    this.enter(TapState.TestLogicReset);
  }

  /** TDO as it is between clocks. */
  tdo(): number {
    if (this.state !== TapState.ShiftDr && this.state !== TapState.ShiftIr) return 1;
    return this.stream[this.shifted]!;
  }

  /** One rising edge of TCK with these TMS and TDI levels. */
  clock(tms: number, tdi: number): void {
    const s = this.state;
    if (s === TapState.ShiftDr || s === TapState.ShiftIr) {
      const at = this.shifted + this.captured;
      if (at >= this.stream.length) this.grow();
      this.stream[at] = tdi & 1;
      this.shifted++;
    }
    this.enter(NEXT[s]![tms & 1]!);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.stream.length * 2);
    bigger.set(this.stream);
    this.stream = bigger;
  }

  private load(bits: Bits): void {
    if (bits.length > this.stream.length) this.stream = new Uint8Array(bits.length * 2);
    this.stream.fill(0);
    this.stream.set(bits);
    this.captured = bits.length;
    this.shifted = 0;
  }

  /** The register's bits after shifting: the `length` bits that moved in at the top. */
  private shiftedValue(length: number): Bits {
    return this.stream.slice(this.shifted, this.shifted + length);
  }

  private enter(next: TapState): void {
    this.state = next;
    switch (next) {
      case TapState.TestLogicReset:
        this.instruction = this.device.resetInstruction;
        this.selected = this.device.dataRegister(this.instruction);
        this.device.tapReset?.();
        return;
      case TapState.CaptureIr:
        this.load(toBits(this.device.irCapture, this.device.irLength));
        return;
      case TapState.UpdateIr:
        this.instruction = fromBits(this.shiftedValue(this.device.irLength));
        this.selected = this.device.dataRegister(this.instruction);
        return;
      case TapState.CaptureDr:
        this.load(this.selected.capture());
        return;
      case TapState.UpdateDr:
        this.selected.update(this.shiftedValue(this.selected.length));
        return;
      default:
        return;
    }
  }
}
