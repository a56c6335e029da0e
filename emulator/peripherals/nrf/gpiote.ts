/**
 * GPIOTE, GPIO tasks and events (nRF52840 Product Specification, "GPIOTE — GPIO tasks and
 * events"), at 0x40006000 (ID 6).
 *
 * Eight channels, each configured by CONFIG[n]: MODE (0 disabled, 1 Event, 3 Task), PSEL and
 * PORT (the pin), POLARITY (1 LoToHi, 2 HiToLo, 3 Toggle) and OUTINIT.
 * - Event mode takes the pin over as an input (whatever GPIO's DIR says) and raises IN[n] on
 *   the edge POLARITY selects.
 * - Task mode takes the pin over as an output starting at OUTINIT; TASKS_OUT[n] acts as
 *   POLARITY says (set, clear or toggle), TASKS_SET[n] drives it high and TASKS_CLR[n] low.
 *   Tasks of a channel that is not in task mode do nothing.
 * - PORT is raised on a rising edge of a GPIO port's DETECT signal (the sense mechanism).
 * Interrupt enables: INTENSET/INTENCLR bit n for IN[n], bit 31 for PORT.
 *
 * When two channels name the same pin (the PS forbids it), the higher channel's hold wins.
 * Registers other than the tasks, events, INTEN and CONFIG BusFault.
 *
 * @example
 *   const gpiote = new Gpiote(ctx, gpio);
 *   gpiote.write(0x510, 4, 0x00030d03); // CONFIG[0]: task, P0.13, toggle, OUTINIT low
 *   gpiote.write(0x000, 4, 1);          // TASKS_OUT[0]: P0.13 toggles high
 */
import { BusErrorSignal } from '../../core/interfaces';
import type { Gpio, GpioPort, PinOverride } from './gpio';
import { NrfPeripheral, type NrfContext } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const GPIOTE_BASE = 0x40006000;
export const GPIOTE_CHANNELS = 8;
export const GPIOTE_TASKS_OUT = 0x000;
export const GPIOTE_TASKS_SET = 0x030;
export const GPIOTE_TASKS_CLR = 0x060;
export const GPIOTE_EVENTS_IN = 0x100;
export const GPIOTE_EVENTS_PORT = 0x17c;
export const GPIOTE_CONFIG = 0x510;
/** Event index of PORT (0x17C). */
export const GPIOTE_PORT_EVENT = 31;

export const MODE_DISABLED = 0;
export const MODE_EVENT = 1;
export const MODE_TASK = 3;
export const POLARITY_NONE = 0;
export const POLARITY_LOTOHI = 1;
export const POLARITY_HITOLO = 2;
export const POLARITY_TOGGLE = 3;
/** MODE, PSEL, PORT, POLARITY, OUTINIT. */
const CONFIG_MASK = 0x00133f03;

export const GPIOTE_REGISTERS: readonly RegisterInfo[] = [
  {
    name: 'TASKS_OUT[%s]',
    offset: GPIOTE_TASKS_OUT,
    access: 'write-only',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
  {
    name: 'TASKS_SET[%s]',
    offset: GPIOTE_TASKS_SET,
    access: 'write-only',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
  {
    name: 'TASKS_CLR[%s]',
    offset: GPIOTE_TASKS_CLR,
    access: 'write-only',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
  {
    name: 'EVENTS_IN[%s]',
    offset: GPIOTE_EVENTS_IN,
    access: 'read-write',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
  { name: 'EVENTS_PORT', offset: GPIOTE_EVENTS_PORT, access: 'read-write', reset: 0 },
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  {
    name: 'CONFIG[%s]',
    offset: GPIOTE_CONFIG,
    access: 'read-write',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
];

/** Decoded CONFIG[n]. */
export function decodeConfig(v: number): {
  mode: number;
  port: GpioPort;
  pin: number;
  polarity: number;
  outInit: boolean;
} {
  return {
    mode: v & 3,
    pin: (v >>> 8) & 0x1f,
    port: ((v >>> 13) & 1) as GpioPort,
    polarity: (v >>> 16) & 3,
    outInit: ((v >>> 20) & 1) === 1,
  };
}

interface GpioteState {
  config: number[];
  outLevel: boolean[];
}

export class Gpiote extends NrfPeripheral {
  protected override readonly intenMask = 0x800000ff;
  private config = new Array<number>(GPIOTE_CHANNELS).fill(0);
  /** Level each task-mode channel drives. */
  private outLevel = new Array<boolean>(GPIOTE_CHANNELS).fill(false);
  /** Pins this block holds (port*32+pin), to give back when a channel lets go. */
  private held = new Set<number>();
  private restoring = false;

  constructor(
    ctx: NrfContext,
    private readonly gpio: Gpio,
  ) {
    super('GPIOTE', GPIOTE_BASE, ctx);
    gpio.subscribe((port, pin, level) => this.onPin(port, pin, level));
    gpio.onDetect((_port, high) => {
      if (high && !this.restoring) this.generate(GPIOTE_PORT_EVENT);
    });
  }

  protected task(offset: number): void {
    const group = offset >= GPIOTE_TASKS_CLR ? 2 : offset >= GPIOTE_TASKS_SET ? 1 : 0;
    const n = (offset - [GPIOTE_TASKS_OUT, GPIOTE_TASKS_SET, GPIOTE_TASKS_CLR][group]!) >> 2;
    if (n >= GPIOTE_CHANNELS) return; // a hole in the task range
    const c = decodeConfig(this.config[n]!);
    if (c.mode !== MODE_TASK) return;
    let level = this.outLevel[n]!;
    if (group === 1) level = true;
    else if (group === 2) level = false;
    else if (c.polarity === POLARITY_LOTOHI) level = true;
    else if (c.polarity === POLARITY_HITOLO) level = false;
    else if (c.polarity === POLARITY_TOGGLE) level = !level;
    this.outLevel[n] = level;
    this.applyHolds();
  }

  /**
   * True when an edge on the pin would raise an event whose interrupt is enabled: an Event
   * channel on the pin with IN[n] enabled, or PORT enabled while the pin's SENSE is set.
   */
  interruptOnPin(port: GpioPort, pin: number): boolean {
    for (let n = 0; n < GPIOTE_CHANNELS; n++) {
      const c = decodeConfig(this.config[n]!);
      if (c.mode === MODE_EVENT && c.port === port && c.pin === pin && (this.inten >>> n) & 1)
        return true;
    }
    return ((this.inten >>> GPIOTE_PORT_EVENT) & 1) === 1 && this.gpio.senses(port, pin);
  }

  protected readRegister(offset: number): number {
    const n = (offset - GPIOTE_CONFIG) >> 2;
    if (n >= 0 && n < GPIOTE_CHANNELS) return this.config[n]!;
    throw this.undecoded(offset);
  }

  protected writeRegister(offset: number, value: number): void {
    const n = (offset - GPIOTE_CONFIG) >> 2;
    if (!(n >= 0 && n < GPIOTE_CHANNELS)) throw this.undecoded(offset);
    const v = value & CONFIG_MASK;
    this.config[n] = v;
    const c = decodeConfig(v);
    // Writing a task-mode configuration drives the pin to OUTINIT at once.
    if (c.mode === MODE_TASK) this.outLevel[n] = c.outInit;
    this.applyHolds();
  }

  protected saveState(): GpioteState {
    return { config: [...this.config], outLevel: [...this.outLevel] };
  }

  protected loadState(state: unknown): void {
    const s = state as GpioteState;
    this.config = [...s.config];
    this.outLevel = [...s.outLevel];
    this.restoring = true;
    try {
      this.applyHolds();
    } finally {
      this.restoring = false;
    }
  }

  protected resetRegisters(): void {
    this.config.fill(0);
    this.outLevel.fill(false);
    this.restoring = true;
    try {
      this.applyHolds();
    } finally {
      this.restoring = false;
    }
  }

  /** Make the GPIO's overrides match the channels' configurations. */
  private applyHolds(): void {
    const want = new Map<number, PinOverride>();
    for (let n = 0; n < GPIOTE_CHANNELS; n++) {
      const c = decodeConfig(this.config[n]!);
      const key = c.port * 32 + c.pin;
      if (c.mode === MODE_EVENT) want.set(key, { mode: 'input' });
      else if (c.mode === MODE_TASK) want.set(key, { mode: 'output', level: this.outLevel[n]! });
    }
    for (const key of [...this.held]) {
      if (want.has(key)) continue;
      this.held.delete(key);
      this.gpio.override((key >> 5) as GpioPort, key & 31, null);
    }
    for (const [key, how] of want) {
      // A pin the port does not have is simply not connected (no fault, as on the chip).
      if (!this.gpio.hasPin((key >> 5) as GpioPort, key & 31)) continue;
      this.held.add(key);
      this.gpio.override((key >> 5) as GpioPort, key & 31, how);
    }
  }

  private onPin(port: GpioPort, pin: number, level: boolean): void {
    if (this.restoring) return;
    for (let n = 0; n < GPIOTE_CHANNELS; n++) {
      const c = decodeConfig(this.config[n]!);
      if (c.mode !== MODE_EVENT || c.port !== port || c.pin !== pin) continue;
      if (
        c.polarity === POLARITY_TOGGLE ||
        (c.polarity === POLARITY_LOTOHI && level) ||
        (c.polarity === POLARITY_HITOLO && !level)
      )
        this.generate(n);
    }
  }

  private undecoded(offset: number): BusErrorSignal {
    return new BusErrorSignal(
      this.base + offset,
      `GPIOTE has no register at offset 0x${offset.toString(16)}`,
    );
  }
}
