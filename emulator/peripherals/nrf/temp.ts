/**
 * TEMP, the die temperature sensor of the nRF52840/nRF52833 (0x4000C000).
 *
 * nRF52840 PS "TEMP — Temperature sensor": START begins one measurement; when it is done the
 * result is in TEMP (signed, in 0.25 °C steps) and EVENTS_DATARDY is set. STOP abandons a
 * measurement in progress. Every measurement must be started again (one-shot). The PS
 * electrical specification gives tTEMP = 36 µs for one measurement; that is the delay used.
 * A0-A5, B0-B5 and T0-T4 hold the linearisation coefficients (reset values from the PS; the
 * factory copies live in FICR). Firmware may rewrite them; the emulated die does not use them:
 * it reports the temperature set by the host (`setTemperature`, 25 °C by default), rounded to
 * the nearest 0.25 °C.
 *
 * @example
 *   const temp = new Temp(ctx, 21.5);
 *   temp.write(0x000, 4, 1); // 36 µs later: EVENTS_DATARDY = 1, TEMP = 86 (21.5 °C)
 */
import { ClockEvent } from '../../core/clock-event';
import { TEMP_COEFFICIENTS } from './ficr';
import { type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const TEMP_BASE = 0x4000c000;
export const TEMP_TASKS_START = 0x000;
export const TEMP_TASKS_STOP = 0x004;
export const TEMP_TEMP = 0x508;
/** PS electrical specification: time for one measurement. */
export const T_TEMP_US = 36;

/** Coefficient registers: [name, offset, reset, writable bits]. */
const COEFFICIENTS: readonly (readonly [string, number, number, number])[] = [
  ...TEMP_COEFFICIENTS.a.map((v, i) => [`A${i}`, 0x520 + 4 * i, v, 0xfff] as const),
  ...TEMP_COEFFICIENTS.b.map((v, i) => [`B${i}`, 0x540 + 4 * i, v, 0x3fff] as const),
  ...TEMP_COEFFICIENTS.t.map((v, i) => [`T${i}`, 0x560 + 4 * i, v, 0xff] as const),
];

export const TEMP_REGISTERS: readonly RegisterInfo[] = [
  { name: 'TASKS_START', offset: 0x000, access: 'write-only', reset: 0 },
  { name: 'TASKS_STOP', offset: 0x004, access: 'write-only', reset: 0 },
  { name: 'EVENTS_DATARDY', offset: 0x100, access: 'read-write', reset: 0 },
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  { name: 'TEMP', offset: TEMP_TEMP, access: 'read-only', reset: 0 },
  ...COEFFICIENTS.map(([name, offset, reset]) => ({
    name,
    offset,
    access: 'read-write' as const,
    reset,
  })),
];

interface TempState {
  celsius: number;
  result: number;
  coefficients: number[];
  doneAt: number | null;
}

export class Temp extends NrfPeripheral {
  protected override readonly intenMask = 0b1;
  private celsius: number;
  private result = 0;
  private coefficients = COEFFICIENTS.map((c) => c[2]);
  private readonly measurement = new ClockEvent(this.ctx.clock, this.name, () => {
    this.result = Math.round(this.celsius * 4) | 0;
    this.generate(0);
  });

  constructor(ctx: NrfContext, celsius = 25) {
    super('TEMP', TEMP_BASE, ctx);
    this.celsius = Temp.check(celsius);
  }

  private static check(celsius: number): number {
    if (!Number.isFinite(celsius))
      throw new RangeError(`Temp: temperature must be a finite number of °C, got ${celsius}`);
    return celsius;
  }

  /** The die temperature the next measurement reports (°C). */
  setTemperature(celsius: number): void {
    this.celsius = Temp.check(celsius);
  }

  get temperature(): number {
    return this.celsius;
  }

  protected task(offset: number): void {
    if (offset === TEMP_TASKS_START) {
      // A START during a measurement restarts it.
      this.measurement.armIn(Math.round((T_TEMP_US * this.ctx.clock.frequencyHz) / 1e6));
    } else if (offset === TEMP_TASKS_STOP) {
      this.measurement.cancel();
    }
  }

  protected readRegister(offset: number): number {
    if (offset === TEMP_TEMP) return this.result >>> 0;
    const i = COEFFICIENTS.findIndex((c) => c[1] === offset);
    return i < 0 ? 0 : this.coefficients[i]!;
  }

  protected writeRegister(offset: number, value: number): void {
    const i = COEFFICIENTS.findIndex((c) => c[1] === offset);
    if (i >= 0) this.coefficients[i] = value & COEFFICIENTS[i]![3];
  }

  protected resetRegisters(): void {
    this.measurement.cancel();
    this.result = 0;
    this.coefficients = COEFFICIENTS.map((c) => c[2]);
  }

  protected saveState(): TempState {
    return {
      celsius: this.celsius,
      result: this.result,
      coefficients: [...this.coefficients],
      doneAt: this.measurement.at,
    };
  }

  protected loadState(state: unknown): void {
    const s = state as TempState;
    this.measurement.cancel();
    this.celsius = s.celsius;
    this.result = s.result;
    this.coefficients = [...s.coefficients];
    if (s.doneAt !== null) this.measurement.armAt(s.doneAt);
  }
}
