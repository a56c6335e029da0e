/**
 * CMSDK APB timer: a 32-bit down-counter clocked by PCLK that reloads and interrupts at zero.
 *
 * The counter is not ticked per cycle: it is computed from the virtual clock when read, and a
 * single clock event is scheduled for the next zero crossing, so an idle machine waiting on the
 * timer costs nothing and WFI can skip straight to the interrupt. The external-input enable and
 * external-clock bits are stored but, as in QEMU (no EXTIN wired on MPS2), the counter then
 * does not advance.
 *
 * @example
 *   const t = new CmsdkApbTimer('timer0', clock, { irq: lines, line: 8 });
 */
import { ClockEvent } from '../core/clock-event';
import type { InterruptLines, VirtualClock } from '../core/interfaces';
import { ApbDevice, cmsdkIds } from './apb-device';

export const TIMER_CTRL = 0x000;
export const TIMER_VALUE = 0x004;
export const TIMER_RELOAD = 0x008;
export const TIMER_INTSTATUS = 0x00c; // reads INTSTATUS, writes INTCLEAR

export const CTRL_ENABLE = 1 << 0;
export const CTRL_EXTIN_ENABLE = 1 << 1;
export const CTRL_EXTIN_CLOCK = 1 << 2;
export const CTRL_IRQ_ENABLE = 1 << 3;

export interface TimerWiring {
  irq?: InterruptLines;
  line?: number;
  /** PCLK cycles per core cycle (1 on MPS2: both run at 25 MHz). */
  pclkPerCycle?: number;
}

interface TimerState {
  ctrl: number;
  reload: number;
  intstatus: number;
  /** Counter value at `base` cycles (while running) or frozen value (while stopped). */
  value: number;
  base: number;
}

export class CmsdkApbTimer extends ApbDevice {
  protected override readonly idBytes = cmsdkIds(0x22);
  private s: TimerState = { ctrl: 0, reload: 0, intstatus: 0, value: 0, base: 0 };
  private readonly expiry: ClockEvent;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly wiring: TimerWiring = {},
  ) {
    super();
    this.expiry = new ClockEvent(clock, name, () => this.expire());
  }

  private get running(): boolean {
    return (this.s.ctrl & (CTRL_ENABLE | CTRL_EXTIN_ENABLE | CTRL_EXTIN_CLOCK)) === CTRL_ENABLE;
  }

  reset(): void {
    this.expiry.cancel();
    this.s = { ctrl: 0, reload: 0, intstatus: 0, value: 0, base: this.clock.now };
    this.updateIrq();
  }

  /** Counter value now: counts value, value-1, ..., 0, reload, reload-1, ... one per PCLK. */
  private current(): number {
    if (!this.running) return this.s.value;
    const elapsed = Math.floor((this.clock.now - this.s.base) * (this.wiring.pclkPerCycle ?? 1));
    if (elapsed <= this.s.value) return this.s.value - elapsed;
    if (this.s.reload === 0) return 0;
    return this.s.reload - ((elapsed - this.s.value - 1) % (this.s.reload + 1));
  }

  /** Restart the count from `value` at the present cycle and schedule the next zero. */
  private rebase(value: number): void {
    this.s.value = value >>> 0;
    this.s.base = this.clock.now;
    this.schedule();
  }

  private schedule(): void {
    this.expiry.cancel();
    // With its interrupt disabled an expiry changes nothing visible (the count is computed from
    // the clock on read), so no event is scheduled: an idle machine must not spin through
    // wraps of a free-running counter. Enabling the interrupt rebases and schedules.
    if (!this.running || (this.s.ctrl & CTRL_IRQ_ENABLE) === 0) return;
    const v = this.current();
    // A counter sitting at zero with a zero reload never produces another edge.
    if (v === 0 && this.s.reload === 0) return;
    const ticks = v === 0 ? this.s.reload + 1 : v;
    const cycles = Math.ceil(ticks / (this.wiring.pclkPerCycle ?? 1));
    this.expiry.armIn(cycles);
  }

  private expire(): void {
    if (this.s.ctrl & CTRL_IRQ_ENABLE) this.s.intstatus |= 1;
    this.updateIrq();
    // The count wraps to the reload value at this instant.
    this.s.value = 0;
    this.s.base = this.clock.now;
    this.schedule();
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case TIMER_CTRL:
        return this.s.ctrl;
      case TIMER_VALUE:
        return this.current();
      case TIMER_RELOAD:
        return this.s.reload;
      case TIMER_INTSTATUS:
        return this.s.intstatus;
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    switch (offset) {
      case TIMER_CTRL: {
        const now = this.current();
        this.s.ctrl = value & 0xf;
        this.rebase(now);
        break;
      }
      case TIMER_VALUE:
        this.rebase(value);
        break;
      case TIMER_RELOAD:
        // Writing RELOAD also loads the counter (as the TRM and QEMU do).
        this.s.reload = value >>> 0;
        this.rebase(value);
        break;
      case TIMER_INTSTATUS:
        this.s.intstatus &= ~(value & 1);
        this.updateIrq();
        break;
      default:
        break;
    }
  }

  private updateIrq(): void {
    if (this.wiring.irq && this.wiring.line !== undefined) {
      this.wiring.irq.setLevel(this.wiring.line, this.s.intstatus !== 0);
    }
  }

  snapshot(): TimerState {
    return { ...this.s, value: this.current(), base: this.clock.now };
  }

  restore(state: unknown): void {
    this.s = { ...(state as TimerState) };
    this.schedule();
    this.updateIrq();
  }
}
