/**
 * RNG, the random number generator of the nRF52840/nRF52833 (0x4000D000), made deterministic.
 *
 * nRF52840 PS "RNG — Random number generator": START begins generation, STOP ends it. While
 * running, each new byte is written to VALUE and signalled by EVENTS_VALRDY; firmware has until
 * the next VALRDY to read it. SHORTS bit 0 connects VALRDY to STOP (one byte per START).
 * CONFIG.DERCEN enables bias correction, which makes generation slower.
 *
 * Timing, from the PS RNG electrical specification (typical values): tRNG,START = 128 µs from
 * START until generation begins, then one byte every tRNG,RAW = 30 µs without bias correction
 * or tRNG,BC = 120 µs with it. The first VALRDY therefore comes tRNG,START + one byte time after
 * START. Silicon varies the byte time; the emulator keeps it fixed so runs are reproducible.
 *
 * The bytes come from a small counter-based generator (a 32-bit state stepped by a Weyl
 * constant and mixed), seeded by the machine: the same seed gives the same bytes, so a test or
 * a replay sees the same "random" values. This is not a source of entropy for anything real.
 *
 * @example
 *   const rng = new Rng(ctx, 0x5eed);
 *   rng.write(0x000, 4, 1); // TASKS_START; VALRDY after 158 µs of virtual time
 */
import { ClockEvent } from '../../core/clock-event';
import { type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const RNG_BASE = 0x4000d000;
export const RNG_TASKS_START = 0x000;
export const RNG_TASKS_STOP = 0x004;
export const RNG_EVENTS_VALRDY = 0x100;
export const RNG_CONFIG = 0x504;
export const RNG_VALUE = 0x508;

/** PS RNG electrical specification (typical), microseconds. */
export const T_RNG_START_US = 128;
export const T_RNG_RAW_US = 30;
export const T_RNG_BC_US = 120;

export const RNG_REGISTERS: readonly RegisterInfo[] = [
  { name: 'TASKS_START', offset: 0x000, access: 'write-only', reset: 0 },
  { name: 'TASKS_STOP', offset: 0x004, access: 'write-only', reset: 0 },
  { name: 'EVENTS_VALRDY', offset: 0x100, access: 'read-write', reset: 0 },
  { name: 'SHORTS', offset: 0x200, access: 'read-write', reset: 0 },
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  { name: 'CONFIG', offset: RNG_CONFIG, access: 'read-write', reset: 0 },
  { name: 'VALUE', offset: RNG_VALUE, access: 'read-only', reset: 0 },
];

interface RngState {
  config: number;
  value: number;
  state: number;
  running: boolean;
  nextAt: number | null;
}

export class Rng extends NrfPeripheral {
  protected override readonly shortcuts = [[0, RNG_TASKS_STOP] as const];
  protected override readonly intenMask = 0b1;
  private config = 0;
  private value = 0;
  private state: number;
  private running = false;
  private readonly byteEvent = new ClockEvent(this.ctx.clock, this.name, () => this.byteReady());

  constructor(
    ctx: NrfContext,
    private readonly seed: number,
  ) {
    super('RNG', RNG_BASE, ctx);
    if (!Number.isInteger(seed))
      throw new RangeError(`Rng: seed must be an integer, got ${String(seed)}`);
    this.state = seed >>> 0;
  }

  private cycles(us: number): number {
    return Math.round((us * this.ctx.clock.frequencyHz) / 1e6);
  }

  /** Time to produce one byte with the current CONFIG. */
  private byteTime(): number {
    return this.cycles(this.config & 1 ? T_RNG_BC_US : T_RNG_RAW_US);
  }

  private nextByte(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let h = this.state;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    return h & 0xff;
  }

  private byteReady(): void {
    this.value = this.nextByte();
    this.generate(0);
    // The VALRDY->STOP shortcut may have stopped generation inside generate().
    if (this.running) this.byteEvent.armIn(this.byteTime());
  }

  protected task(offset: number): void {
    if (offset === RNG_TASKS_START) {
      if (this.running) return;
      this.running = true;
      this.byteEvent.armIn(this.cycles(T_RNG_START_US) + this.byteTime());
    } else if (offset === RNG_TASKS_STOP) {
      this.running = false;
      this.byteEvent.cancel();
    }
  }

  protected readRegister(offset: number): number {
    if (offset === RNG_CONFIG) return this.config;
    if (offset === RNG_VALUE) return this.value;
    return 0;
  }

  protected writeRegister(offset: number, value: number): void {
    if (offset === RNG_CONFIG) this.config = value & 1;
  }

  /** True between START and STOP. */
  get isRunning(): boolean {
    return this.running;
  }

  protected resetRegisters(): void {
    this.byteEvent.cancel();
    this.running = false;
    this.config = 0;
    this.value = 0;
    this.state = this.seed >>> 0;
  }

  protected saveState(): RngState {
    return {
      config: this.config,
      value: this.value,
      state: this.state,
      running: this.running,
      nextAt: this.byteEvent.at,
    };
  }

  protected loadState(state: unknown): void {
    const s = state as RngState;
    this.byteEvent.cancel();
    this.config = s.config;
    this.value = s.value;
    this.state = s.state;
    this.running = s.running;
    if (s.nextAt !== null) this.byteEvent.armAt(s.nextAt);
  }
}
