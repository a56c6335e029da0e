/**
 * WDT, the watchdog timer of the nRF52840/nRF52833 (0x40010000).
 *
 * nRF52840 PS "WDT — Watchdog timer":
 * - START starts the 32.768 kHz down-counter from CRV; the watchdog cannot be stopped except by
 *   a reset. RUNSTATUS reads 1 while it runs.
 * - Timeout = (CRV + 1) / 32768 s. On timeout EVENTS_TIMEOUT is set (interrupting if enabled)
 *   and the system is reset two 32.768 kHz cycles later: `systemReset` is called then.
 * - RREN enables reload request registers RR[0..7]; the counter is reloaded from CRV only once
 *   every enabled RR[n] has been written with 0x6E524635 in the current period. REQSTATUS shows
 *   which enabled registers are still awaited. Other values written to RR[n] do nothing.
 * - CRV, RREN and CONFIG are write-protected while the watchdog runs (writes ignored).
 * - CONFIG.SLEEP (bit 0, 1 = keep running) and CONFIG.HALT (bit 3, 1 = keep running) say whether
 *   the counter pauses while the CPU sleeps or is halted by the debugger. The machine reports
 *   those states with `setCpuSleeping` / `setDebugHalted`; without calls the watchdog always
 *   runs. The nRF52 machines report sleep (the core's `onSleepChange`); virtual time stands
 *   still while a debugger halts the emulated CPU, so they have no halt to report.
 * The counter is computed from the virtual clock; only the timeout is scheduled.
 *
 * PS "Reset behavior": the watchdog is reset by power-on, brown-out, pin and its own reset,
 * but not by a soft reset (SYSRESETREQ) or a CPU lockup. `reset()` returns it to the reset
 * state; the machine decides when to call it.
 *
 * @example
 *   const wdt = new Wdt(ctx, () => machine.systemReset('watchdog'));
 *   wdt.write(0x504, 4, 32767); // CRV: 1 s
 *   wdt.write(0x000, 4, 1); // TASKS_START
 *   wdt.write(0x600, 4, 0x6e524635); // RR[0]: reload
 */
import { ClockEvent } from '../../core/clock-event';
import { type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const WDT_BASE = 0x40010000;
export const WDT_TASKS_START = 0x000;
export const WDT_RUNSTATUS = 0x400;
export const WDT_REQSTATUS = 0x404;
export const WDT_CRV = 0x504;
export const WDT_RREN = 0x508;
export const WDT_CONFIG = 0x50c;
export const WDT_RR0 = 0x600;
export const WDT_RELOAD_VALUE = 0x6e524635;
const LFCLK_HZ = 32768;
/** Cycles of LFCLK between the TIMEOUT event and the reset (PS: two 32.768 kHz cycles). */
const RESET_DELAY_TICKS = 2;

export const WDT_REGISTERS: readonly RegisterInfo[] = [
  { name: 'TASKS_START', offset: 0x000, access: 'write-only', reset: 0 },
  { name: 'EVENTS_TIMEOUT', offset: 0x100, access: 'read-write', reset: 0 },
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  { name: 'RUNSTATUS', offset: WDT_RUNSTATUS, access: 'read-only', reset: 0 },
  { name: 'REQSTATUS', offset: WDT_REQSTATUS, access: 'read-only', reset: 1 },
  { name: 'CRV', offset: WDT_CRV, access: 'read-write', reset: 0xffffffff },
  { name: 'RREN', offset: WDT_RREN, access: 'read-write', reset: 1 },
  { name: 'CONFIG', offset: WDT_CONFIG, access: 'read-write', reset: 1 },
  {
    name: 'RR[%s]',
    offset: WDT_RR0,
    access: 'write-only',
    reset: 0,
    dim: { count: 8, stride: 4 },
  },
];

interface WdtState {
  running: boolean;
  crv: number;
  rren: number;
  config: number;
  reqstatus: number;
  /** Cycles of counting left in the period, frozen while paused. */
  remaining: number;
  /** Cycle at which the period expires when counting; null while paused or stopped. */
  expiresAt: number | null;
  resetAt: number | null;
  sleeping: boolean;
  halted: boolean;
}

export class Wdt extends NrfPeripheral {
  protected override readonly intenMask = 0b1;
  private running = false;
  private crv = 0xffffffff;
  private rren = 1;
  private config = 1;
  private reqstatus = 1;
  private remaining = 0;
  private sleeping = false;
  private halted = false;
  /** End of the period (armed while counting). */
  private readonly timeoutEvent = new ClockEvent(this.ctx.clock, `${this.name} timeout`, () =>
    this.timeout(),
  );
  /** The system reset two LFCLK cycles after TIMEOUT. */
  private readonly resetEvent = new ClockEvent(this.ctx.clock, `${this.name} reset`, () =>
    this.systemReset(),
  );

  constructor(
    ctx: NrfContext,
    private readonly systemReset: () => void,
  ) {
    super('WDT', WDT_BASE, ctx);
  }

  private ticksToCycles(ticks: number): number {
    return Math.round((ticks * this.ctx.clock.frequencyHz) / LFCLK_HZ);
  }

  /** Counting is suspended by CPU sleep or debug halt when CONFIG says so. */
  private get paused(): boolean {
    return (this.sleeping && (this.config & 1) === 0) || (this.halted && (this.config & 8) === 0);
  }

  /** Start a new period of CRV+1 ticks from now. */
  private reload(): void {
    this.reqstatus = this.rren;
    this.remaining = this.ticksToCycles(this.crv + 1);
    this.timeoutEvent.cancel();
    if (!this.paused) this.timeoutEvent.armIn(this.remaining);
  }

  private timeout(): void {
    this.remaining = 0;
    this.generate(0);
    if (!this.resetEvent.armed) this.resetEvent.armIn(this.ticksToCycles(RESET_DELAY_TICKS));
  }

  /** Re-evaluate pausing after a sleep/halt/CONFIG change. */
  private updatePause(): void {
    if (!this.running || this.resetEvent.armed) return;
    const expiresAt = this.timeoutEvent.at;
    if (this.paused && expiresAt !== null) {
      this.remaining = Math.max(0, expiresAt - this.ctx.clock.now);
      this.timeoutEvent.cancel();
    } else if (!this.paused && expiresAt === null) {
      this.timeoutEvent.armIn(this.remaining);
    }
  }

  /** The CPU entered (true) or left (false) sleep (WFI/WFE). */
  setCpuSleeping(sleeping: boolean): void {
    this.sleeping = sleeping;
    this.updatePause();
  }

  /** The debugger halted (true) or resumed (false) the CPU. */
  setDebugHalted(halted: boolean): void {
    this.halted = halted;
    this.updatePause();
  }

  get isRunning(): boolean {
    return this.running;
  }

  protected task(offset: number): void {
    if (offset !== WDT_TASKS_START || this.running) return;
    this.running = true;
    this.reload();
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case WDT_RUNSTATUS:
        return this.running ? 1 : 0;
      case WDT_REQSTATUS:
        return this.reqstatus;
      case WDT_CRV:
        return this.crv;
      case WDT_RREN:
        return this.rren;
      case WDT_CONFIG:
        return this.config;
      default:
        return 0;
    }
  }

  protected writeRegister(offset: number, value: number): void {
    if (offset >= WDT_RR0 && offset < WDT_RR0 + 32) {
      const n = (offset - WDT_RR0) >> 2;
      if (!this.running || value >>> 0 !== WDT_RELOAD_VALUE || this.resetEvent.armed) return;
      this.reqstatus &= ~(1 << n);
      if ((this.reqstatus & this.rren) === 0) this.reload();
      return;
    }
    if (this.running) return; // CRV, RREN and CONFIG are locked once started
    switch (offset) {
      case WDT_CRV:
        this.crv = value >>> 0;
        break;
      case WDT_RREN:
        this.rren = value & 0xff;
        this.reqstatus = this.rren;
        break;
      case WDT_CONFIG:
        this.config = value & 0b1001;
        break;
      default:
        break;
    }
  }

  protected resetRegisters(): void {
    this.timeoutEvent.cancel();
    this.resetEvent.cancel();
    this.running = false;
    this.crv = 0xffffffff;
    this.rren = 1;
    this.config = 1;
    this.reqstatus = 1;
    this.remaining = 0;
  }

  protected saveState(): WdtState {
    return {
      running: this.running,
      crv: this.crv,
      rren: this.rren,
      config: this.config,
      reqstatus: this.reqstatus,
      remaining: this.remaining,
      expiresAt: this.timeoutEvent.at,
      resetAt: this.resetEvent.at,
      sleeping: this.sleeping,
      halted: this.halted,
    };
  }

  protected loadState(state: unknown): void {
    const s = state as WdtState;
    this.resetRegisters();
    this.running = s.running;
    this.crv = s.crv;
    this.rren = s.rren;
    this.config = s.config;
    this.reqstatus = s.reqstatus;
    this.remaining = s.remaining;
    this.sleeping = s.sleeping;
    this.halted = s.halted;
    if (s.expiresAt !== null) this.timeoutEvent.armAt(s.expiresAt);
    if (s.resetAt !== null) this.resetEvent.armAt(s.resetAt);
  }
}
