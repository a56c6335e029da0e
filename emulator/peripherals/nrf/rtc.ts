/**
 * nRF52 RTC: the 24-bit real-time counter on the 32.768 kHz low-frequency clock.
 *
 * From the nRF52840 Product Specification, "RTC — Real-time counter":
 * - COUNTER (24 bits) increments every PRESCALER+1 LFCLK periods (f = 32768 / (PRESCALER+1));
 *   PRESCALER (12 bits) can only be written while the RTC is stopped, and the prescaler is
 *   restarted by START (of a stopped RTC), CLEAR and TRIGOVRFLW ("Counter register",
 *   "Resolution versus overflow").
 * - TRIGOVRFLW sets COUNTER to 0xFFFFF0; the step 0xFFFFFF -> 0 raises OVRFLW ("Overflow").
 * - TICK comes with every increment ("TICK event").
 * - COMPARE[n] comes when COUNTER steps from CC[n]-1 to CC[n] ("Compare"): a CLEAR with CC = 0
 *   or a START with COUNTER = CC raise nothing; with COUNTER = N, writing N or N+1 to CC "may
 *   not" trigger, N+2 or more will. We make that deterministic: a CC write takes effect at the
 *   next LFCLK edge, so a match on that very edge is missed (always so for N+1 at PRESCALER 0;
 *   N only matches again after a full wrap).
 * - "Event control": EVTEN/EVTENSET/EVTENCLR (0x340-0x348) gate routing of each event to the
 *   PPI, and an event is only generated at all (its EVENTS register set) while it is enabled
 *   in EVTEN or INTEN, for TICK, OVRFLW and COMPARE alike (so a disabled TICK costs nothing). Bits: 0 TICK, 1 OVRFLW, 16+n COMPARE[n], the same as INTENSET.
 *   The RTC has no INTEN register at 0x300 and no SHORTS.
 * RTC0 has 3 CC registers, RTC1 and RTC2 have 4.
 *
 * The LFCLK is taken as always running (the CLOCK model owns its start-up) and its edges are
 * aligned to virtual time 0, so every RTC sees the same edges. COUNTER is computed from the
 * clock when read; a clock event is scheduled only for the next tick at which an enabled event
 * happens: per tick only while TICK is enabled, otherwise the next OVRFLW or COMPARE.
 */
import { ClockEvent } from '../../core/clock-event';
import { INTEN, INTENCLR, INTENSET, type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';
import { cyclesFor, ticksIn } from './timer';

/** The low-frequency clock (LFCLK) that drives the RTC. */
export const LFCLK_HZ = 32768;
/** COUNTER wraps at 2^24. */
const COUNTER_MODULUS = 0x1000000;
export const TRIGOVRFLW_VALUE = 0xfffff0;

const TASK_START = 0x000;
const TASK_STOP = 0x004;
const TASK_CLEAR = 0x008;
const TASK_TRIGOVRFLW = 0x00c;
const EVTEN = 0x340;
const EVTENSET = 0x344;
const EVTENCLR = 0x348;
const COUNTER = 0x504;
const PRESCALER = 0x508;
const CC0 = 0x540;

/** Event indices (register 0x100 + 4n). */
const TICK = 0;
const OVRFLW = 1;
const COMPARE0 = 16;

/** Registers of an RTC with `ccCount` compare registers (3 for RTC0, 4 for RTC1/RTC2). */
export function rtcRegisters(ccCount: number): readonly RegisterInfo[] {
  const cc = { count: ccCount, stride: 4 };
  return [
    { name: 'TASKS_START', offset: TASK_START, access: 'write-only', reset: 0 },
    { name: 'TASKS_STOP', offset: TASK_STOP, access: 'write-only', reset: 0 },
    { name: 'TASKS_CLEAR', offset: TASK_CLEAR, access: 'write-only', reset: 0 },
    { name: 'TASKS_TRIGOVRFLW', offset: TASK_TRIGOVRFLW, access: 'write-only', reset: 0 },
    { name: 'EVENTS_TICK', offset: 0x100, access: 'read-write', reset: 0 },
    { name: 'EVENTS_OVRFLW', offset: 0x104, access: 'read-write', reset: 0 },
    { name: 'EVENTS_COMPARE[%s]', offset: 0x140, access: 'read-write', reset: 0, dim: cc },
    { name: 'INTENSET', offset: INTENSET, access: 'read-write', reset: 0 },
    { name: 'INTENCLR', offset: INTENCLR, access: 'read-write', reset: 0 },
    { name: 'EVTEN', offset: EVTEN, access: 'read-write', reset: 0 },
    { name: 'EVTENSET', offset: EVTENSET, access: 'read-write', reset: 0 },
    { name: 'EVTENCLR', offset: EVTENCLR, access: 'read-write', reset: 0 },
    { name: 'COUNTER', offset: COUNTER, access: 'read-only', reset: 0 },
    { name: 'PRESCALER', offset: PRESCALER, access: 'read-write', reset: 0 },
    { name: 'CC[%s]', offset: CC0, access: 'read-write', reset: 0, dim: cc },
  ];
}

interface RtcState {
  running: boolean;
  /** COUNTER at the base edge (running) or the held COUNTER (stopped). */
  counter: number;
  /** LFCLK edges since virtual time 0 at the last START/CLEAR/TRIGOVRFLW. */
  lfBase: number;
  prescaler: number;
  evten: number;
  cc: number[];
  /** Per CC: the tick (counted from lfBase) whose match a late CC write misses, or -1. */
  missTick: number[];
  /** Tick of the scheduled clock event, or null. */
  pendingTick: number | null;
}

export class Rtc extends NrfPeripheral {
  protected override readonly intenMask: number;
  private s: RtcState;
  /** The next tick at which an enabled event happens (`s.pendingTick`). */
  private readonly tickEvent = new ClockEvent(this.ctx.clock, this.name, () =>
    this.fire(this.s.pendingTick!),
  );

  constructor(
    name: string,
    base: number,
    ctx: NrfContext,
    readonly ccCount: number,
  ) {
    super(name, base, ctx);
    if (!Number.isInteger(ccCount) || ccCount < 1 || ccCount > 4)
      throw new Error(`${name}: an RTC has 1 to 4 CC registers, got ${ccCount}`);
    this.intenMask = ((((1 << ccCount) - 1) << 16) | 0b11) >>> 0;
    this.s = this.initialState();
  }

  private initialState(): RtcState {
    return {
      running: false,
      counter: 0,
      lfBase: 0,
      prescaler: 0,
      evten: 0,
      cc: new Array<number>(this.ccCount).fill(0),
      missTick: new Array<number>(this.ccCount).fill(-1),
      pendingTick: null,
    };
  }

  /** LFCLK edges from virtual time 0 up to the present cycle. */
  private lfNow(): number {
    return ticksIn(this.ctx.clock.now, this.ctx.clock.frequencyHz, LFCLK_HZ);
  }

  /** Increments since the base edge, as of now. */
  private ticksNow(): number {
    return Math.floor(Math.max(0, this.lfNow() - this.s.lfBase) / (this.s.prescaler + 1));
  }

  /** The core cycle at which increment `tick` (counted from the base edge) happens. */
  private cycleOfTick(tick: number): number {
    const edge = this.s.lfBase + tick * (this.s.prescaler + 1);
    return cyclesFor(edge, this.ctx.clock.frequencyHz, LFCLK_HZ);
  }

  private valueAt(tick: number): number {
    return (this.s.counter + tick) % COUNTER_MODULUS;
  }

  /** COUNTER as firmware reads it now. */
  counter(): number {
    return this.s.running ? this.valueAt(this.ticksNow()) : this.s.counter;
  }

  /** Events that may be generated: enabled for an interrupt or for the PPI. */
  private get enabled(): number {
    return (this.inten | this.s.evten) >>> 0;
  }

  protected override publishes(event: number): boolean {
    return ((this.s.evten >>> event) & 1) === 1;
  }

  /** Restart the prescaler at the present edge with COUNTER = `value`. */
  private rebase(value: number): void {
    this.s.counter = value % COUNTER_MODULUS;
    this.s.lfBase = this.lfNow();
    this.s.missTick.fill(-1);
    this.reschedule();
  }

  private unschedule(): void {
    this.tickEvent.cancel();
    this.s.pendingTick = null;
  }

  /** First tick after `after` at which CC[n] matches, skipping a missed one. */
  private compareTick(n: number, after: number): number {
    const delta = (this.s.cc[n]! - this.valueAt(after) + COUNTER_MODULUS) % COUNTER_MODULUS;
    const tick = after + (delta || COUNTER_MODULUS);
    return tick === this.s.missTick[n] ? tick + COUNTER_MODULUS : tick;
  }

  /** Schedule the first tick after `after` (default: the present) that raises an enabled event. */
  private reschedule(after?: number): void {
    const pending = this.s.pendingTick;
    this.unschedule();
    const en = this.enabled;
    if (!this.s.running || en === 0) return;
    let from = after ?? this.ticksNow();
    // A tick due at this very cycle whose event has not run yet is still to come.
    if (after === undefined && pending !== null && pending <= from) from = pending - 1;
    let best = Infinity;
    if (en & (1 << TICK)) best = from + 1;
    if (en & (1 << OVRFLW))
      best = Math.min(best, from + (COUNTER_MODULUS - this.valueAt(from) || COUNTER_MODULUS));
    for (let n = 0; n < this.ccCount; n++)
      if ((en >>> (COMPARE0 + n)) & 1) best = Math.min(best, this.compareTick(n, from));
    if (best === Infinity) return;
    const tick = best;
    this.s.pendingTick = tick;
    this.tickEvent.armAt(this.cycleOfTick(tick));
  }

  private fire(tick: number): void {
    this.s.pendingTick = null;
    const en = this.enabled;
    const v = this.valueAt(tick);
    if (en & (1 << TICK)) this.generate(TICK);
    if (en & (1 << OVRFLW) && v === 0) this.generate(OVRFLW);
    for (let n = 0; n < this.ccCount; n++) {
      if ((en >>> (COMPARE0 + n)) & 1 && this.s.cc[n] === v && this.s.missTick[n] !== tick)
        this.generate(COMPARE0 + n);
    }
    if (!this.tickEvent.armed) this.reschedule(tick);
  }

  protected task(offset: number): void {
    switch (offset) {
      case TASK_START:
        // Latches the prescaler when the RTC starts. Once running, START changes nothing: a
        // driver that re-triggers it must not hold the prescaler back.
        if (!this.s.running) {
          this.s.running = true;
          this.rebase(this.s.counter);
        }
        return;
      case TASK_STOP:
        if (this.s.running) {
          this.s.counter = this.counter();
          this.s.running = false;
          this.unschedule();
        }
        return;
      case TASK_CLEAR:
        this.rebase(0);
        return;
      case TASK_TRIGOVRFLW:
        this.rebase(TRIGOVRFLW_VALUE);
        return;
      default:
        return;
    }
  }

  override read(offset: number, size: 1 | 2 | 4): number {
    return (offset & ~3) === INTEN ? 0 : super.read(offset, size);
  }

  override peek(offset: number, size: 1 | 2 | 4): number {
    return (offset & ~3) === INTEN ? 0 : super.peek(offset, size);
  }

  override write(offset: number, size: 1 | 2 | 4, value: number): void {
    const aligned = offset & ~3;
    if (aligned === INTEN) return; // no INTEN register on the RTC
    super.write(offset, size, value);
    if (aligned === INTENSET || aligned === INTENCLR) this.reschedule();
  }

  protected readRegister(offset: number): number {
    switch (offset) {
      case EVTEN:
      case EVTENSET:
      case EVTENCLR:
        return this.s.evten;
      case COUNTER:
        return this.counter();
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
      case EVTEN:
        this.s.evten = value & this.intenMask;
        this.reschedule();
        return;
      case EVTENSET:
        this.s.evten = (this.s.evten | (value & this.intenMask)) >>> 0;
        this.reschedule();
        return;
      case EVTENCLR:
        this.s.evten = (this.s.evten & ~value) >>> 0;
        this.reschedule();
        return;
      case PRESCALER:
        // "Must be written when RTC is stopped": ignored while running.
        if (!this.s.running) this.s.prescaler = value & 0xfff;
        return;
      default: {
        const n = (offset - CC0) >> 2;
        if (offset >= CC0 && n < this.ccCount) this.writeCc(n, value & 0xffffff);
      }
    }
  }

  private writeCc(n: number, value: number): void {
    this.s.cc[n] = value;
    this.s.missTick[n] = -1;
    if (this.s.running) {
      // The write takes effect at the next LFCLK edge: a match on that edge is missed.
      const tick = this.compareTick(n, this.ticksNow());
      const edge = this.s.lfBase + tick * (this.s.prescaler + 1);
      if (edge <= this.lfNow() + 1) this.s.missTick[n] = tick;
    }
    this.reschedule();
  }

  protected saveState(): unknown {
    return { ...this.s, cc: [...this.s.cc], missTick: [...this.s.missTick] };
  }

  protected loadState(state: unknown): void {
    const s = state as RtcState;
    for (const key of ['cc', 'missTick'] as const) {
      const arr: unknown = s[key];
      if (!Array.isArray(arr) || arr.length !== this.ccCount)
        throw new Error(`${this.name} snapshot: '${key}' must hold ${this.ccCount} values`);
    }
    this.unschedule();
    this.s = { ...s, cc: [...s.cc], missTick: [...s.missTick], pendingTick: null };
    this.reschedule(s.pendingTick !== null ? s.pendingTick - 1 : undefined);
  }

  protected resetRegisters(): void {
    this.unschedule();
    this.s = this.initialState();
  }
}
