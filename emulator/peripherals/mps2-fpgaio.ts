/**
 * MPS2 FPGA I/O block: user LEDs, buttons, and the free-running clock counters.
 *
 * LED0 drives the two user LEDs, BUTTON reads the push buttons (none pressed headless),
 * CLK1HZ and CLK100HZ count seconds and hundredths since reset, COUNTER counts PRESCALE+1
 * periods of the 25 MHz reference through the PSCNTR down-counter, and MISC holds SPI/CLCD
 * control bits. All counters derive from the virtual clock, so reading them is deterministic.
 * Writing a counter sets its value from that instant.
 */
import type { VirtualClock } from '../core/interfaces';
import { ApbDevice } from './apb-device';

export const FPGAIO_LED0 = 0x00;
export const FPGAIO_BUTTON = 0x08;
export const FPGAIO_CLK1HZ = 0x10;
export const FPGAIO_CLK100HZ = 0x14;
export const FPGAIO_COUNTER = 0x18;
export const FPGAIO_PRESCALE = 0x1c;
export const FPGAIO_PSCNTR = 0x20;
export const FPGAIO_MISC = 0x4c;

/** Frequency of the reference that feeds the prescaler, as on the board and in QEMU. */
export const PRESCALE_CLOCK_HZ = 25_000_000;

interface FpgaioState {
  led0: number;
  buttons: number;
  misc: number;
  prescale: number;
  /** Counter values captured at `*Base` (cycles). */
  clk1hz: number;
  clk1hzBase: number;
  clk100hz: number;
  clk100hzBase: number;
  counter: number;
  counterBase: number;
}

export class Mps2Fpgaio extends ApbDevice {
  private s: FpgaioState;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
  ) {
    super();
    this.s = this.initial();
  }

  private initial(): FpgaioState {
    const now = this.clock.now;
    return {
      led0: 0,
      buttons: 0,
      misc: 0,
      prescale: 0,
      clk1hz: 0,
      clk1hzBase: now,
      clk100hz: 0,
      clk100hzBase: now,
      counter: 0,
      counterBase: now,
    };
  }

  reset(): void {
    this.s = this.initial();
  }

  /** Host side: press or release the two push buttons (bit 0, bit 1). */
  setButtons(mask: number): void {
    this.s.buttons = mask & 3;
  }

  /** LED0 bits as last written by the firmware. */
  get leds(): number {
    return this.s.led0;
  }

  private refTicks(base: number): number {
    return Math.floor(((this.clock.now - base) * PRESCALE_CLOCK_HZ) / this.clock.frequencyHz);
  }

  private ticksAt(base: number, hz: number): number {
    return Math.floor(((this.clock.now - base) * hz) / this.clock.frequencyHz);
  }

  protected readRegister(offset: number): number {
    const s = this.s;
    switch (offset) {
      case FPGAIO_LED0:
        return s.led0;
      case FPGAIO_BUTTON:
        return s.buttons;
      case FPGAIO_CLK1HZ:
        return (s.clk1hz + this.ticksAt(s.clk1hzBase, 1)) >>> 0;
      case FPGAIO_CLK100HZ:
        return (s.clk100hz + this.ticksAt(s.clk100hzBase, 100)) >>> 0;
      case FPGAIO_COUNTER:
        return (s.counter + Math.floor(this.refTicks(s.counterBase) / (s.prescale + 1))) >>> 0;
      case FPGAIO_PRESCALE:
        return s.prescale;
      case FPGAIO_PSCNTR:
        return s.prescale - (this.refTicks(s.counterBase) % (s.prescale + 1));
      case FPGAIO_MISC:
        return s.misc;
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    const s = this.s;
    const now = this.clock.now;
    switch (offset) {
      case FPGAIO_LED0:
        s.led0 = value & 3;
        break;
      case FPGAIO_CLK1HZ:
        s.clk1hz = value >>> 0;
        s.clk1hzBase = now;
        break;
      case FPGAIO_CLK100HZ:
        s.clk100hz = value >>> 0;
        s.clk100hzBase = now;
        break;
      case FPGAIO_COUNTER:
        s.counter = value >>> 0;
        s.counterBase = now;
        break;
      case FPGAIO_PRESCALE:
        s.counter = this.readRegister(FPGAIO_COUNTER);
        s.prescale = value >>> 0;
        s.counterBase = now;
        break;
      case FPGAIO_MISC:
        s.misc = value >>> 0;
        break;
      default:
        break;
    }
  }

  snapshot(): FpgaioState {
    return { ...this.s };
  }

  restore(state: unknown): void {
    this.s = { ...(state as FpgaioState) };
  }
}
