/**
 * nRF52 TIMER: the 8/16/24/32-bit timer/counter clocked from the 16 MHz peripheral clock.
 *
 * From the nRF52840 Product Specification, "TIMER — Timer/counter":
 * - Timer mode (MODE=0) counts at f = 16 MHz / 2^PRESCALER (PRESCALER 0-9; larger values act as
 *   9 here); Counter and LowPowerCounter modes (MODE=1/2) add one per COUNT task. In both modes
 *   START starts and STOP stops; counting resumes from the held value. The deprecated SHUTDOWN
 *   ("shut down timer") is taken as STOP that also loses the count (it reads 0 afterwards).
 * - BITMODE selects the counter width (0: 16, 1: 8, 2: 24, 3: 32 bits); the counter wraps to 0.
 * - COMPARE[n] is generated when the counter is incremented and then equals CC[n]: CLEAR, a
 *   CC write or a mode change never produce it. Only the low BITMODE bits of CC are compared
 *   (the PS does not say; this is our reading, and CC keeps all 32 bits it was written with).
 * - CAPTURE[n] copies the counter to CC[n]; CLEAR sets it to 0.
 * - SHORTS bit n is COMPARE[n]->CLEAR, bit 8+n COMPARE[n]->STOP; INTENSET bit 16+n COMPARE[n].
 *   There is no INTEN register at 0x300 on this peripheral (it reads 0, writes are ignored).
 * TIMER0-2 have 4 CC registers, TIMER3-4 have 6.
 *
 * The counter is never ticked: it is computed from the virtual clock, and one clock event is
 * scheduled for the next compare match only while the timer runs in Timer mode, so a stopped or
 * idle timer costs no host time. A compare's shortcut takes effect at the exact cycle of the
 * match even when the core runs the event a few cycles late.
 *
 * The exact integer helpers `ticksIn`/`cyclesFor` are shared with the RTC.
 */
import { ClockEvent } from '../../core/clock-event';
import { INTEN, type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

/** The TIMER's base clock (PS: "TIMER runs on the high-frequency clock source", PCLK16M). */
export const TIMER_BASE_HZ = 16_000_000;

/** Whole ticks of a `tickHz` clock within `cycles` core cycles (exact for integer inputs). */
export function ticksIn(cycles: number, coreHz: number, tickHz: number): number {
  // Split off whole seconds so every product stays far below 2^53.
  const seconds = Math.floor(cycles / coreHz);
  const rest = cycles - seconds * coreHz;
  return seconds * tickHz + Math.floor((rest * tickHz) / coreHz);
}

/** The first core cycle at which `ticksIn` reaches `ticks` (inverse of `ticksIn`). */
export function cyclesFor(ticks: number, coreHz: number, tickHz: number): number {
  const seconds = Math.floor(ticks / tickHz);
  const rest = ticks - seconds * tickHz;
  return seconds * coreHz + Math.ceil((rest * coreHz) / tickHz);
}

const TASK_START = 0x000;
const TASK_STOP = 0x004;
const TASK_COUNT = 0x008;
const TASK_CLEAR = 0x00c;
const TASK_SHUTDOWN = 0x010;
const TASK_CAPTURE0 = 0x040;
const MODE = 0x504;
const BITMODE = 0x508;
const PRESCALER = 0x510;
const CC0 = 0x540;
/** Event index of COMPARE[0] (EVENTS_COMPARE[0] is at 0x140). */
const COMPARE0_EVENT = 16;

/** Counter width for each BITMODE value. */
const BITMODE_WIDTH = [16, 8, 24, 32] as const;

/** Registers of a TIMER with `ccCount` capture/compare registers (4 or 6 on the nRF52840). */
export function timerRegisters(ccCount: number): readonly RegisterInfo[] {
  const cc = { count: ccCount, stride: 4 };
  return [
    { name: 'TASKS_START', offset: TASK_START, access: 'write-only', reset: 0 },
    { name: 'TASKS_STOP', offset: TASK_STOP, access: 'write-only', reset: 0 },
    { name: 'TASKS_COUNT', offset: TASK_COUNT, access: 'write-only', reset: 0 },
    { name: 'TASKS_CLEAR', offset: TASK_CLEAR, access: 'write-only', reset: 0 },
    { name: 'TASKS_SHUTDOWN', offset: TASK_SHUTDOWN, access: 'write-only', reset: 0 },
    { name: 'TASKS_CAPTURE[%s]', offset: TASK_CAPTURE0, access: 'write-only', reset: 0, dim: cc },
    { name: 'EVENTS_COMPARE[%s]', offset: 0x140, access: 'read-write', reset: 0, dim: cc },
    { name: 'SHORTS', offset: 0x200, access: 'read-write', reset: 0 },
    { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
    { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
    { name: 'MODE', offset: MODE, access: 'read-write', reset: 0 },
    { name: 'BITMODE', offset: BITMODE, access: 'read-write', reset: 0 },
    { name: 'PRESCALER', offset: PRESCALER, access: 'read-write', reset: 4 },
    { name: 'CC[%s]', offset: CC0, access: 'read-write', reset: 0, dim: cc },
  ];
}

interface TimerState {
  mode: number;
  bitmode: number;
  prescaler: number;
  cc: number[];
  running: boolean;
  /** Counter value at `baseCycle` (Timer mode while running) or the held value otherwise. */
  value: number;
  baseCycle: number;
  /** Tick (counted from `baseCycle`) of the scheduled compare, or null. */
  pendingTick: number | null;
}

export class Timer extends NrfPeripheral {
  protected override readonly shortcuts: readonly (readonly [number, number] | undefined)[];
  protected override readonly intenMask: number;
  private s: TimerState;
  /** The next compare match (`s.pendingTick`). */
  private readonly matchEvent = new ClockEvent(this.ctx.clock, this.name, () =>
    this.fire(this.s.pendingTick!),
  );
  /** Cycle of the compare being processed (shortcuts act at the match, not when run). */
  private eventCycle: number | undefined;
  /** Bumped by every rebase, so a compare handler knows a shortcut restarted the count. */
  private epoch = 0;

  constructor(
    name: string,
    base: number,
    ctx: NrfContext,
    readonly ccCount: number,
  ) {
    super(name, base, ctx);
    if (!Number.isInteger(ccCount) || ccCount < 1 || ccCount > 6)
      throw new Error(`${name}: a TIMER has 1 to 6 CC registers, got ${ccCount}`);
    const shortcuts: ([number, number] | undefined)[] = new Array<undefined>(8 + ccCount);
    for (let n = 0; n < ccCount; n++) {
      shortcuts[n] = [COMPARE0_EVENT + n, TASK_CLEAR];
      shortcuts[8 + n] = [COMPARE0_EVENT + n, TASK_STOP];
    }
    this.shortcuts = shortcuts;
    this.intenMask = (((1 << ccCount) - 1) << 16) >>> 0;
    this.s = this.initialState();
  }

  private initialState(): TimerState {
    return {
      mode: 0,
      bitmode: 0,
      prescaler: 4,
      cc: new Array<number>(this.ccCount).fill(0),
      running: false,
      value: 0,
      baseCycle: this.ctx.clock.now,
      pendingTick: null,
    };
  }

  private get timerMode(): boolean {
    return this.s.mode === 0;
  }

  /** 2^width of the counter. */
  private get modulus(): number {
    return 2 ** BITMODE_WIDTH[this.s.bitmode & 3]!;
  }

  private get tickHz(): number {
    return TIMER_BASE_HZ / 2 ** Math.min(this.s.prescaler, 9);
  }

  private time(): number {
    return this.eventCycle ?? this.ctx.clock.now;
  }

  /** Ticks since `baseCycle` at cycle `at`. */
  private ticksAt(at: number): number {
    return ticksIn(Math.max(0, at - this.s.baseCycle), this.ctx.clock.frequencyHz, this.tickHz);
  }

  /** The counter now (as of the compare being processed, inside a compare handler). */
  counter(): number {
    if (!this.s.running || !this.timerMode) return this.s.value;
    return (this.s.value + this.ticksAt(this.time())) % this.modulus;
  }

  /** Restart counting from `value` at the present cycle and re-arm the next compare. */
  private rebase(value: number): void {
    this.s.value = value % this.modulus;
    this.s.baseCycle = this.time();
    this.epoch++;
    this.unschedule();
    this.reschedule();
  }

  private unschedule(): void {
    this.matchEvent.cancel();
    this.s.pendingTick = null;
  }

  /** Schedule the first compare match after tick `after` (default: the present tick). */
  private reschedule(after?: number): void {
    const pending = this.s.pendingTick;
    this.unschedule();
    if (!this.s.running || !this.timerMode) return;
    let from = after ?? this.ticksAt(this.time());
    // A match due at this very cycle whose event has not run yet is still to come.
    if (after === undefined && pending !== null && pending <= from) from = pending - 1;
    const m = this.modulus;
    const v = (this.s.value + from) % m;
    let best = Infinity;
    for (const cc of this.s.cc) {
      const delta = ((cc % m) - v + m) % m || m;
      best = Math.min(best, from + delta);
    }
    if (best === Infinity) return;
    const tick = best;
    const at = this.s.baseCycle + cyclesFor(tick, this.ctx.clock.frequencyHz, this.tickHz);
    this.s.pendingTick = tick;
    this.matchEvent.armAt(at);
  }

  private fire(tick: number): void {
    this.s.pendingTick = null;
    const epoch = this.epoch;
    this.eventCycle = this.s.baseCycle + cyclesFor(tick, this.ctx.clock.frequencyHz, this.tickHz);
    const v = (this.s.value + tick) % this.modulus;
    try {
      this.compareMatch(v);
    } finally {
      this.eventCycle = undefined;
    }
    // A CLEAR/STOP shortcut rebased (and re-armed) already; otherwise arm the next match.
    if (epoch === this.epoch && !this.matchEvent.armed) this.reschedule(tick);
  }

  /** The counter has just been incremented to `v`: raise COMPARE for every equal CC. */
  private compareMatch(v: number): void {
    for (let n = 0; n < this.ccCount; n++)
      if (this.s.cc[n]! % this.modulus === v) this.generate(COMPARE0_EVENT + n);
  }

  protected task(offset: number): void {
    switch (offset) {
      case TASK_START:
        if (!this.s.running) {
          this.s.running = true;
          this.rebase(this.s.value);
        }
        return;
      case TASK_STOP:
        if (this.s.running) {
          this.s.value = this.counter();
          this.s.running = false;
          this.epoch++;
          this.unschedule();
        }
        return;
      case TASK_SHUTDOWN:
        this.s.running = false;
        this.rebase(0);
        return;
      case TASK_COUNT:
        if (this.s.running && !this.timerMode) {
          this.s.value = (this.s.value + 1) % this.modulus;
          this.compareMatch(this.s.value);
        }
        return;
      case TASK_CLEAR:
        this.rebase(0);
        return;
      default: {
        const n = (offset - TASK_CAPTURE0) >> 2;
        if (offset >= TASK_CAPTURE0 && n < this.ccCount) {
          this.s.cc[n] = this.counter();
          this.reschedule();
        }
      }
    }
  }

  override read(offset: number, size: 1 | 2 | 4): number {
    return (offset & ~3) === INTEN ? 0 : super.read(offset, size);
  }

  override peek(offset: number, size: 1 | 2 | 4): number {
    return (offset & ~3) === INTEN ? 0 : super.peek(offset, size);
  }

  override write(offset: number, size: 1 | 2 | 4, value: number): void {
    if ((offset & ~3) !== INTEN) super.write(offset, size, value);
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case MODE:
        return this.s.mode;
      case BITMODE:
        return this.s.bitmode;
      case PRESCALER:
        return this.s.prescaler;
      default: {
        const n = (offset - CC0) >> 2;
        return offset >= CC0 && n < this.ccCount ? this.s.cc[n]! : 0;
      }
    }
  }

  protected writeRegister(offset: number, value: number): void {
    switch (offset) {
      case MODE:
      case BITMODE:
      case PRESCALER: {
        // Hold the present count, change the setting, continue counting from there.
        const now = this.counter();
        if (offset === MODE) this.s.mode = value & 3;
        else if (offset === BITMODE) this.s.bitmode = value & 3;
        else this.s.prescaler = value & 0xf;
        this.rebase(now);
        return;
      }
      default: {
        const n = (offset - CC0) >> 2;
        if (offset >= CC0 && n < this.ccCount) {
          this.s.cc[n] = value >>> 0;
          this.reschedule();
        }
      }
    }
  }

  protected saveState(): unknown {
    // Plain data: the base cycle is absolute virtual time, which the clock's snapshot restores.
    return { ...this.s, cc: [...this.s.cc] };
  }

  protected loadState(state: unknown): void {
    const s = state as TimerState;
    if (!Array.isArray(s.cc) || s.cc.length !== this.ccCount)
      throw new Error(`${this.name} snapshot: 'cc' must hold ${this.ccCount} values`);
    this.unschedule();
    this.s = { ...s, cc: [...s.cc], pendingTick: null };
    this.epoch++;
    this.reschedule(s.pendingTick !== null ? s.pendingTick - 1 : undefined);
  }

  protected resetRegisters(): void {
    this.unschedule();
    this.epoch++;
    this.s = this.initialState();
  }
}
