/**
 * CMSDK APB watchdog: a 32-bit down-counter that raises an interrupt (NMI on MPS2) at zero and,
 * if the interrupt is still pending at the next zero, requests a system reset.
 *
 * LOAD sets the reload value and restarts the count; INTCLR clears the interrupt and restarts
 * it; CONTROL enables the counter and interrupt (INTEN) and the reset output (RESEN). Writes
 * are ignored while LOCK is engaged (write 0x1ACCE551 to unlock, anything else to lock). The
 * count is computed from the virtual clock and only the next expiry is scheduled.
 *
 * @example
 *   const wd = new CmsdkApbWatchdog('watchdog', clock, { nmi: () => core.setPending(2), reset });
 */
import { ClockEvent } from '../core/clock-event';
import type { VirtualClock } from '../core/interfaces';
import { ApbDevice } from './apb-device';

export const WDOG_LOAD = 0x000;
export const WDOG_VALUE = 0x004;
export const WDOG_CONTROL = 0x008;
export const WDOG_INTCLR = 0x00c;
export const WDOG_RIS = 0x010;
export const WDOG_MIS = 0x014;
export const WDOG_LOCK = 0xc00;
export const WDOG_ITCR = 0xf00;
export const WDOG_ITOP = 0xf04;

export const CONTROL_INTEN = 1 << 0;
export const CONTROL_RESEN = 1 << 1;
export const UNLOCK_KEY = 0x1acce551;

export interface WatchdogWiring {
  /** The interrupt output: level changes (the MPS2 board wires it to NMI). */
  interrupt?: (high: boolean) => void;
  /** Reset output: the board resets the system. */
  reset?: () => void;
}

interface WatchdogState {
  load: number;
  control: number;
  ris: number;
  locked: boolean;
  itcr: number;
  itop: number;
  value: number;
  base: number;
}

export class CmsdkApbWatchdog extends ApbDevice {
  protected override readonly idBytes = [
    0x04, 0, 0, 0, 0x24, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
  ];
  private s: WatchdogState;
  private readonly expiry: ClockEvent;

  constructor(
    readonly name: string,
    private readonly clock: VirtualClock,
    private readonly wiring: WatchdogWiring = {},
  ) {
    super();
    this.s = this.initial();
    this.expiry = new ClockEvent(clock, name, () => this.expire());
  }

  private initial(): WatchdogState {
    return {
      load: 0xffffffff,
      control: 0,
      ris: 0,
      locked: false,
      itcr: 0,
      itop: 0,
      value: 0xffffffff,
      base: this.clock.now,
    };
  }

  reset(): void {
    this.expiry.cancel();
    this.s = this.initial();
    this.updateIrq();
  }

  private get running(): boolean {
    return (this.s.control & CONTROL_INTEN) !== 0;
  }

  private current(): number {
    if (!this.running) return this.s.value;
    return Math.max(0, this.s.value - Math.floor(this.clock.now - this.s.base));
  }

  private restart(value: number): void {
    this.s.value = value >>> 0;
    this.s.base = this.clock.now;
    this.schedule();
  }

  private schedule(): void {
    this.expiry.cancel();
    // A count of zero (LOAD = 0) expires on the next cycle, not at the present one.
    if (this.running) this.expiry.armIn(Math.max(1, this.current()));
  }

  private expire(): void {
    if (this.s.ris && this.s.control & CONTROL_RESEN) {
      this.wiring.reset?.();
      return;
    }
    this.s.ris = 1;
    this.updateIrq();
    this.restart(this.s.load);
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case WDOG_LOAD:
        return this.s.load;
      case WDOG_VALUE:
        return this.current();
      case WDOG_CONTROL:
        return this.s.control;
      case WDOG_RIS:
        return this.s.ris;
      case WDOG_MIS:
        return this.s.ris & this.s.control & CONTROL_INTEN;
      case WDOG_LOCK:
        return this.s.locked ? 1 : 0;
      case WDOG_ITCR:
        return this.s.itcr;
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    if (offset === WDOG_LOCK) {
      this.s.locked = value >>> 0 !== UNLOCK_KEY;
      return;
    }
    if (this.s.locked) return;
    switch (offset) {
      case WDOG_LOAD:
        this.s.load = value >>> 0;
        this.restart(value);
        break;
      case WDOG_CONTROL: {
        const now = this.current();
        this.s.control = value & 3;
        this.restart(now);
        break;
      }
      case WDOG_INTCLR:
        this.s.ris = 0;
        this.restart(this.s.load);
        break;
      case WDOG_ITCR:
        this.s.itcr = value & 1;
        break;
      case WDOG_ITOP:
        this.s.itop = value & 3;
        break;
      default:
        break;
    }
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = this.s.itcr
      ? (this.s.itop & 2) !== 0
      : (this.s.ris & this.s.control & CONTROL_INTEN) !== 0;
    this.wiring.interrupt?.(level);
  }

  snapshot(): WatchdogState {
    return { ...this.s, value: this.current(), base: this.clock.now };
  }

  restore(state: unknown): void {
    this.s = { ...(state as WatchdogState) };
    this.schedule();
    this.updateIrq();
  }
}
