/**
 * CMSDK APB dual timer: two SP804-style down-counters sharing one interrupt line.
 *
 * Each half has LOAD, VALUE, CONTROL (one-shot, 16/32-bit size, prescale /1 /16 /256,
 * interrupt enable, periodic or free-running mode, enable), INTCLR, RIS, MIS and BGLOAD; the
 * block's interrupt is the OR of both masked interrupts. As in the single timer, counters are
 * computed from the virtual clock and only the next zero crossing is scheduled. Counts are
 * unsigned: in 32-bit mode LOAD may be anything up to 0xFFFFFFFF (ARM DDI 0479, "Dual-input
 * timers", TimerXLoad: a 32-bit value), so the size mask is applied with `>>> 0`, never with a
 * bare `&`, which would make values from 0x80000000 negative.
 *
 * @example
 *   const dt = new CmsdkApbDualTimer('dualtimer', clock, { irq: lines, line: 10 });
 */
import { ClockEvent } from '../core/clock-event';
import type { InterruptLines, VirtualClock } from '../core/interfaces';
import { ApbDevice, cmsdkIds } from './apb-device';

/** Register offsets within one half; the second half sits at +DUALTIMER_STRIDE. */
export const DT_LOAD = 0x00;
export const DT_VALUE = 0x04;
export const DT_CONTROL = 0x08;
export const DT_INTCLR = 0x0c;
export const DT_RIS = 0x10;
export const DT_MIS = 0x14;
export const DT_BGLOAD = 0x18;
export const DUALTIMER_STRIDE = 0x20;
export const DT_ITCR = 0xf00;
export const DT_ITOP = 0xf04;

export const CONTROL_ONESHOT = 1 << 0;
export const CONTROL_SIZE32 = 1 << 1;
export const CONTROL_PRESCALE_SHIFT = 2;
export const CONTROL_INTEN = 1 << 5;
export const CONTROL_PERIODIC = 1 << 6;
export const CONTROL_ENABLE = 1 << 7;
/** CONTROL after reset: interrupts enabled, everything else off (TRM reset value 0x20). */
export const CONTROL_RESET = CONTROL_INTEN;

const PRESCALE = [1, 16, 256, 256];

interface HalfState {
  load: number;
  control: number;
  ris: number;
  /** Counter at `base` cycles, in counter ticks. */
  value: number;
  base: number;
  /** One-shot counter that reached zero and stopped. */
  done: boolean;
}

export interface DualTimerWiring {
  irq?: InterruptLines;
  line?: number;
}

export class CmsdkApbDualTimer extends ApbDevice {
  protected override readonly idBytes = cmsdkIds(0x23);
  private halves: [HalfState, HalfState] = [this.fresh(), this.fresh()];
  private readonly expiries: [ClockEvent, ClockEvent];
  private itcr = 0;
  private itop = 0;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly wiring: DualTimerWiring = {},
  ) {
    super();
    this.expiries = [
      new ClockEvent(clock, `${name} timer 1`, () => this.expire(0)),
      new ClockEvent(clock, `${name} timer 2`, () => this.expire(1)),
    ];
  }

  private fresh(): HalfState {
    return { load: 0, control: CONTROL_RESET, ris: 0, value: 0xffffffff, base: 0, done: false };
  }

  reset(): void {
    for (const i of [0, 1] as const) {
      this.expiries[i].cancel();
      this.halves[i] = { ...this.fresh(), base: this.clock.now };
    }
    this.itcr = 0;
    this.itop = 0;
    this.updateIrq();
  }

  /** `v` cut to the counter's size, unsigned (0..0xFFFF or 0..0xFFFFFFFF). */
  private sized(h: HalfState, v: number): number {
    return h.control & CONTROL_SIZE32 ? v >>> 0 : v & 0xffff;
  }

  private divider(h: HalfState): number {
    return PRESCALE[(h.control >> CONTROL_PRESCALE_SHIFT) & 3]!;
  }

  private running(h: HalfState): boolean {
    return (h.control & CONTROL_ENABLE) !== 0 && !h.done;
  }

  /** Length of a full period after a wrap: LOAD in periodic mode, the full range when free-running. */
  private period(h: HalfState): number {
    return this.sized(h, h.control & CONTROL_PERIODIC ? h.load : 0xffffffff);
  }

  private current(i: 0 | 1): number {
    const h = this.halves[i];
    const v = this.sized(h, h.value);
    if (!this.running(h)) return v;
    const ticks = Math.floor((this.clock.now - h.base) / this.divider(h));
    if (ticks <= v) return v - ticks;
    if (h.control & CONTROL_ONESHOT) return 0;
    const p = this.period(h);
    if (p === 0) return 0;
    return p - ((ticks - v - 1) % (p + 1));
  }

  private rebase(i: 0 | 1, value: number): void {
    const h = this.halves[i];
    h.value = value >>> 0;
    h.base = this.clock.now;
    this.schedule(i);
  }

  private schedule(i: 0 | 1): void {
    this.expiries[i].cancel();
    const h = this.halves[i];
    if (!this.running(h)) return;
    const v = this.current(i);
    const p = this.period(h);
    if (v === 0 && p === 0) return;
    const ticks = v === 0 ? p + 1 : v;
    // Align to the prescaler: the next tick boundary relative to base.
    const d = this.divider(h);
    const elapsed = this.clock.now - h.base;
    const cycles = d - (elapsed % d) + (ticks - 1) * d;
    this.expiries[i].armIn(cycles);
  }

  private expire(i: 0 | 1): void {
    const h = this.halves[i];
    h.ris = 1;
    h.value = 0;
    h.base = this.clock.now;
    if (h.control & CONTROL_ONESHOT) h.done = true;
    this.updateIrq();
    this.schedule(i);
  }

  protected readRegister(offset: number): number {
    if (offset === DT_ITCR) return this.itcr;
    if (offset >= 2 * DUALTIMER_STRIDE) return 0;
    const i = offset >= DUALTIMER_STRIDE ? 1 : 0;
    const h = this.halves[i];
    switch (offset - i * DUALTIMER_STRIDE) {
      case DT_LOAD:
      case DT_BGLOAD:
        return h.load;
      case DT_VALUE:
        return this.current(i);
      case DT_CONTROL:
        return h.control;
      case DT_RIS:
        return h.ris;
      case DT_MIS:
        return h.ris & (h.control & CONTROL_INTEN ? 1 : 0);
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    if (offset === DT_ITCR) {
      this.itcr = value & 1;
      this.updateIrq();
      return;
    }
    if (offset === DT_ITOP) {
      this.itop = value & 3;
      this.updateIrq();
      return;
    }
    if (offset >= 2 * DUALTIMER_STRIDE) return;
    const i = offset >= DUALTIMER_STRIDE ? 1 : 0;
    const h = this.halves[i];
    switch (offset - i * DUALTIMER_STRIDE) {
      case DT_LOAD:
        h.load = value >>> 0;
        h.done = false;
        this.rebase(i, value);
        break;
      case DT_BGLOAD:
        // Takes effect at the next wrap; the current count is left alone.
        h.load = value >>> 0;
        this.schedule(i);
        break;
      case DT_CONTROL: {
        const now = this.current(i);
        const wasEnabled = h.control & CONTROL_ENABLE;
        h.control = value & 0xef;
        if (!wasEnabled && h.control & CONTROL_ENABLE) h.done = false;
        this.rebase(i, now);
        break;
      }
      case DT_INTCLR:
        h.ris = 0;
        break;
      default:
        break;
    }
    this.updateIrq();
  }

  /** The combined line: OR of both masked interrupts, or ITOP bits in integration-test mode. */
  get interruptLevel(): boolean {
    if (this.itcr) return (this.itop & 3) !== 0;
    return this.halves.some((h) => h.ris && h.control & CONTROL_INTEN);
  }

  private updateIrq(): void {
    if (this.wiring.irq && this.wiring.line !== undefined) {
      this.wiring.irq.setLevel(this.wiring.line, this.interruptLevel);
    }
  }

  snapshot(): unknown {
    const halves = ([0, 1] as const).map((i) => ({
      ...this.halves[i],
      value: this.current(i),
      base: this.clock.now,
    }));
    return { halves, itcr: this.itcr, itop: this.itop };
  }

  restore(state: unknown): void {
    const s = state as { halves: HalfState[]; itcr: number; itop: number };
    this.halves = [{ ...s.halves[0]! }, { ...s.halves[1]! }];
    this.itcr = s.itcr;
    this.itop = s.itop;
    this.schedule(0);
    this.schedule(1);
    this.updateIrq();
  }
}
