/**
 * CLOCK and POWER of the nRF52840/nRF52833: two peripherals that share ID 0, one 4 KiB block at
 * 0x40000000 and one interrupt line, modelled as one device.
 *
 * nRF52840 PS "CLOCK — Clock control":
 * - HFCLKSTART starts the 64 MHz crystal oscillator (HFXO): HFCLKRUN reads 1 at once, and after
 *   the start-up time EVENTS_HFCLKSTARTED is set and HFCLKSTAT reads SRC=Xtal, STATE=Running.
 *   HFCLKSTOP returns HFCLK to the internal oscillator (HFCLKSTAT reads 0 again).
 * - LFCLKSTART starts the 32.768 kHz clock from the source in LFCLKSRC, copied to LFCLKSRCCOPY
 *   when the task is triggered; after the source's start-up time EVENTS_LFCLKSTARTED is set and
 *   LFCLKSTAT reads that source with STATE=Running. LFCLKSTOP stops it.
 * - CAL calibrates the RC oscillator (EVENTS_DONE when finished). CTSTART starts the
 *   calibration timer (EVENTS_CTSTARTED), which raises EVENTS_CTTO after CTIV x 0.25 s and then
 *   stops; CTSTOP stops it early (EVENTS_CTSTOPPED).
 * Start-up times, from the PS electrical specification (typical): HFXO 0.36 ms, LFXO 0.25 s,
 * LFRC 0.6 ms. Not stated there, our choices: the synthesized LFCLK (LFSYNT) is ready after
 * 0.6 ms like the LFRC, and an RC calibration takes 1 ms. The emulated core clock does not
 * change with the HFCLK source; timers, RTCs and the UARTE keep exact virtual time. The CLOCK
 * state is exposed (`lfclkRunning`, `hfxoRunning`) for a machine that wants to enforce it.
 *
 * nRF52840 PS "POWER — Power supply":
 * - RESETREAS records why the chip last reset (bits written 1 are cleared; 0 after power-on).
 *   The machine reports resets with `noteReset`; RESETREAS, GPREGRET and GPREGRET2 are retained
 *   registers, kept by `reset()` and cleared only by `powerOnReset()`.
 * - SYSTEMOFF=1 enters System OFF: the optional `onSystemOff` hook is called (the machine stops
 *   the core and waits for a wake-up source).
 * - TASKS_CONSTLAT/TASKS_LOWPWR select the sub-power mode (recorded only).
 * - EVENTS_SLEEPENTER/SLEEPEXIT: raised when the machine calls `cpuSleep(true/false)`.
 * - USB supply: `setVbus(present)` raises USBDETECTED/USBREMOVED and sets USBREGSTATUS.VBUSDETECT;
 *   the USB regulator output is reported ready (USBPWRRDY, USBREGSTATUS.OUTPUTRDY) 1 ms after
 *   detection (our choice of time).
 * - POFCON, DCDCEN, DCDCEN0 and RAM[n].POWER are stored; the supply is ideal, so POFWARN never
 *   fires and MAINREGSTATUS reads 0 (normal voltage mode, VDD supplied, as on both boards).
 *
 * CLOCK and POWER have INTENSET/INTENCLR only; their event bits do not overlap, so one INTEN
 * value serves both.
 *
 * @example
 *   const cp = new ClockPower(ctx);
 *   cp.onSystemOff = () => core.requestHalt();
 *   cp.write(0x008, 4, 1); // TASKS_LFCLKSTART (LFCLKSRC=RC): LFCLKSTARTED 0.6 ms later
 */
import { ClockEvent } from '../../core/clock-event';
import { type NrfContext, NrfPeripheral } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const CLOCK_BASE = 0x40000000;

// Tasks.
export const TASKS_HFCLKSTART = 0x000;
export const TASKS_HFCLKSTOP = 0x004;
export const TASKS_LFCLKSTART = 0x008;
export const TASKS_LFCLKSTOP = 0x00c;
export const TASKS_CAL = 0x010;
export const TASKS_CTSTART = 0x014;
export const TASKS_CTSTOP = 0x018;
export const TASKS_CONSTLAT = 0x078;
export const TASKS_LOWPWR = 0x07c;

/** Event indices (register 0x100 + 4n). */
export const EV = {
  HFCLKSTARTED: 0,
  LFCLKSTARTED: 1,
  POFWARN: 2,
  DONE: 3,
  CTTO: 4,
  SLEEPENTER: 5,
  SLEEPEXIT: 6,
  USBDETECTED: 7,
  USBREMOVED: 8,
  USBPWRRDY: 9,
  CTSTARTED: 10,
  CTSTOPPED: 11,
} as const;

// CLOCK registers.
const HFCLKRUN = 0x408;
const HFCLKSTAT = 0x40c;
const LFCLKRUN = 0x414;
const LFCLKSTAT = 0x418;
const LFCLKSRCCOPY = 0x41c;
const LFCLKSRC = 0x518;
const HFXODEBOUNCE = 0x528;
const CTIV = 0x538;
const TRACECONFIG = 0x55c;
const LFRCMODE = 0x5b4;
// POWER registers.
const RESETREAS = 0x400;
const RAMSTATUS = 0x428;
const USBREGSTATUS = 0x438;
const SYSTEMOFF = 0x500;
const POFCON = 0x510;
const GPREGRET = 0x51c;
const GPREGRET2 = 0x520;
const DCDCEN = 0x578;
const DCDCEN0 = 0x580;
const MAINREGSTATUS = 0x640;
const RAM_BASE = 0x900;
const RAM_COUNT = 9;

/** LFCLKSRC.SRC values. */
export const LFCLK_RC = 0;
export const LFCLK_XTAL = 1;
export const LFCLK_SYNTH = 2;

/** Start-up times in microseconds (see the header for their sources). */
export const T_START_HFXO_US = 360;
export const T_START_LFXO_US = 250_000;
export const T_START_LFRC_US = 600;
export const T_START_LFSYNT_US = 600;
export const T_CAL_US = 1000;
export const T_USBREG_US = 1000;

const STATE_RUNNING = 1 << 16;

/** RESETREAS bits (PS "RESETREAS"). */
export const RESET_REASON = {
  pin: 1 << 0,
  dog: 1 << 1,
  sreq: 1 << 2,
  lockup: 1 << 3,
  off: 1 << 16,
  lpcomp: 1 << 17,
  dif: 1 << 18,
  nfc: 1 << 19,
  vbus: 1 << 20,
} as const;
export type ResetReason = keyof typeof RESET_REASON;

const task = (name: string, offset: number): RegisterInfo => ({
  name,
  offset,
  access: 'write-only',
  reset: 0,
});
const event = (name: string, n: number): RegisterInfo => ({
  name,
  offset: 0x100 + 4 * n,
  access: 'read-write',
  reset: 0,
});

export const CLOCK_REGISTERS: readonly RegisterInfo[] = [
  task('TASKS_HFCLKSTART', TASKS_HFCLKSTART),
  task('TASKS_HFCLKSTOP', TASKS_HFCLKSTOP),
  task('TASKS_LFCLKSTART', TASKS_LFCLKSTART),
  task('TASKS_LFCLKSTOP', TASKS_LFCLKSTOP),
  task('TASKS_CAL', TASKS_CAL),
  task('TASKS_CTSTART', TASKS_CTSTART),
  task('TASKS_CTSTOP', TASKS_CTSTOP),
  event('EVENTS_HFCLKSTARTED', EV.HFCLKSTARTED),
  event('EVENTS_LFCLKSTARTED', EV.LFCLKSTARTED),
  event('EVENTS_DONE', EV.DONE),
  event('EVENTS_CTTO', EV.CTTO),
  event('EVENTS_CTSTARTED', EV.CTSTARTED),
  event('EVENTS_CTSTOPPED', EV.CTSTOPPED),
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  { name: 'HFCLKRUN', offset: HFCLKRUN, access: 'read-only', reset: 0 },
  { name: 'HFCLKSTAT', offset: HFCLKSTAT, access: 'read-only', reset: 0 },
  { name: 'LFCLKRUN', offset: LFCLKRUN, access: 'read-only', reset: 0 },
  { name: 'LFCLKSTAT', offset: LFCLKSTAT, access: 'read-only', reset: 0 },
  { name: 'LFCLKSRCCOPY', offset: LFCLKSRCCOPY, access: 'read-only', reset: 0 },
  { name: 'LFCLKSRC', offset: LFCLKSRC, access: 'read-write', reset: 0 },
  { name: 'HFXODEBOUNCE', offset: HFXODEBOUNCE, access: 'read-write', reset: 0x10 },
  { name: 'CTIV', offset: CTIV, access: 'read-write', reset: 0 },
  { name: 'TRACECONFIG', offset: TRACECONFIG, access: 'read-write', reset: 0 },
  { name: 'LFRCMODE', offset: LFRCMODE, access: 'read-write', reset: 0 },
];

export const POWER_REGISTERS: readonly RegisterInfo[] = [
  task('TASKS_CONSTLAT', TASKS_CONSTLAT),
  task('TASKS_LOWPWR', TASKS_LOWPWR),
  event('EVENTS_POFWARN', EV.POFWARN),
  event('EVENTS_SLEEPENTER', EV.SLEEPENTER),
  event('EVENTS_SLEEPEXIT', EV.SLEEPEXIT),
  event('EVENTS_USBDETECTED', EV.USBDETECTED),
  event('EVENTS_USBREMOVED', EV.USBREMOVED),
  event('EVENTS_USBPWRRDY', EV.USBPWRRDY),
  { name: 'INTENSET', offset: 0x304, access: 'read-write', reset: 0 },
  { name: 'INTENCLR', offset: 0x308, access: 'read-write', reset: 0 },
  { name: 'RESETREAS', offset: RESETREAS, access: 'read-write', reset: 0 },
  { name: 'RAMSTATUS', offset: RAMSTATUS, access: 'read-only', reset: 0 },
  { name: 'USBREGSTATUS', offset: USBREGSTATUS, access: 'read-only', reset: 0 },
  { name: 'SYSTEMOFF', offset: SYSTEMOFF, access: 'write-only', reset: 0 },
  { name: 'POFCON', offset: POFCON, access: 'read-write', reset: 0 },
  { name: 'GPREGRET', offset: GPREGRET, access: 'read-write', reset: 0 },
  { name: 'GPREGRET2', offset: GPREGRET2, access: 'read-write', reset: 0 },
  { name: 'DCDCEN', offset: DCDCEN, access: 'read-write', reset: 0 },
  { name: 'DCDCEN0', offset: DCDCEN0, access: 'read-write', reset: 0 },
  { name: 'MAINREGSTATUS', offset: MAINREGSTATUS, access: 'read-only', reset: 0 },
  {
    name: 'RAM[%s].POWER',
    offset: RAM_BASE,
    access: 'read-write',
    reset: 0xffff,
    dim: { count: RAM_COUNT, stride: 0x10 },
  },
  {
    name: 'RAM[%s].POWERSET',
    offset: RAM_BASE + 4,
    access: 'write-only',
    reset: 0xffff, // the PS lists the RAM[n].POWER reset value here too
    dim: { count: RAM_COUNT, stride: 0x10 },
  },
  {
    name: 'RAM[%s].POWERCLR',
    offset: RAM_BASE + 8,
    access: 'write-only',
    reset: 0xffff, // the PS lists the RAM[n].POWER reset value here too
    dim: { count: RAM_COUNT, stride: 0x10 },
  },
];

const PENDING = ['hfxo', 'lfclk', 'cal', 'ct', 'usbreg'] as const;
type Pending = (typeof PENDING)[number];

interface ClockPowerState {
  hfclkrun: number;
  hfclkstat: number;
  lfclkrun: number;
  lfclkstat: number;
  lfclksrccopy: number;
  lfclksrc: number;
  hfxodebounce: number;
  ctiv: number;
  traceconfig: number;
  lfrcmode: number;
  resetreas: number;
  usbregstatus: number;
  pofcon: number;
  gpregret: number;
  gpregret2: number;
  dcdcen: number;
  dcdcen0: number;
  ram: number[];
  constLat: boolean;
  pending: [Pending, number][];
}

export class ClockPower extends NrfPeripheral {
  protected override readonly intenMask = 0xfff;
  /** Called when firmware writes SYSTEMOFF=1 (the machine enters System OFF). */
  onSystemOff: (() => void) | undefined = undefined;

  private hfclkrun = 0;
  private hfclkstat = 0;
  private lfclkrun = 0;
  private lfclkstat = 0;
  private lfclksrccopy = 0;
  private lfclksrc = 0;
  private hfxodebounce = 0x10;
  private ctiv = 0;
  private traceconfig = 0;
  private lfrcmode = 0;
  private resetreas = 0;
  private usbregstatus = 0;
  private pofcon = 0;
  private gpregret = 0;
  private gpregret2 = 0;
  private dcdcen = 0;
  private dcdcen0 = 0;
  private readonly ram = new Array<number>(RAM_COUNT).fill(0xffff);
  private constLat = false;
  /** The timed operations in progress (oscillator start-ups, calibration, the CT timer). */
  private readonly timed: Record<Pending, ClockEvent> = {
    hfxo: this.operation('hfxo'),
    lfclk: this.operation('lfclk'),
    cal: this.operation('cal'),
    ct: this.operation('ct'),
    usbreg: this.operation('usbreg'),
  };

  constructor(ctx: NrfContext) {
    super('CLOCK', CLOCK_BASE, ctx);
  }

  private cycles(us: number): number {
    return Math.round((us * this.ctx.clock.frequencyHz) / 1e6);
  }

  private operation(what: Pending): ClockEvent {
    return new ClockEvent(this.ctx.clock, `${this.name} ${what}`, () => this.complete(what));
  }

  private arm(what: Pending, at: number): void {
    this.timed[what].armAt(at);
  }

  private disarm(what: Pending): void {
    this.timed[what].cancel();
  }

  private armed(what: Pending): boolean {
    return this.timed[what].armed;
  }

  /** A timed operation finished. */
  private complete(what: Pending): void {
    switch (what) {
      case 'hfxo':
        this.hfclkstat = 1 | STATE_RUNNING;
        this.generate(EV.HFCLKSTARTED);
        break;
      case 'lfclk':
        this.lfclkstat = (this.lfclksrccopy & 3) | STATE_RUNNING;
        this.generate(EV.LFCLKSTARTED);
        break;
      case 'cal':
        this.generate(EV.DONE);
        break;
      case 'ct':
        this.generate(EV.CTTO);
        break;
      case 'usbreg':
        this.usbregstatus |= 2;
        this.generate(EV.USBPWRRDY);
        break;
    }
  }

  private lfStartUs(src: number): number {
    if (src === LFCLK_XTAL) return T_START_LFXO_US;
    if (src === LFCLK_SYNTH) return T_START_LFSYNT_US;
    return T_START_LFRC_US;
  }

  protected task(offset: number): void {
    const now = this.ctx.clock.now;
    switch (offset) {
      case TASKS_HFCLKSTART:
        this.hfclkrun = 1;
        if (this.hfclkstat & STATE_RUNNING) this.generate(EV.HFCLKSTARTED);
        else if (!this.armed('hfxo')) this.arm('hfxo', now + this.cycles(T_START_HFXO_US));
        break;
      case TASKS_HFCLKSTOP:
        this.hfclkrun = 0;
        this.hfclkstat = 0;
        this.disarm('hfxo');
        break;
      case TASKS_LFCLKSTART:
        this.lfclkrun = 1;
        if (this.lfclkstat & STATE_RUNNING) this.generate(EV.LFCLKSTARTED);
        else if (!this.armed('lfclk')) {
          this.lfclksrccopy = this.lfclksrc;
          if ((this.lfclksrc & 3) === LFCLK_RC) this.lfrcmode = (this.lfrcmode & 1) * 0x10001;
          this.arm('lfclk', now + this.cycles(this.lfStartUs(this.lfclksrc & 3)));
        }
        break;
      case TASKS_LFCLKSTOP:
        this.lfclkrun = 0;
        this.lfclkstat = 0;
        this.disarm('lfclk');
        break;
      case TASKS_CAL:
        if (!this.armed('cal')) this.arm('cal', now + this.cycles(T_CAL_US));
        break;
      case TASKS_CTSTART:
        this.arm('ct', now + this.cycles(this.ctiv * 250_000));
        this.generate(EV.CTSTARTED);
        break;
      case TASKS_CTSTOP:
        this.disarm('ct');
        this.generate(EV.CTSTOPPED);
        break;
      case TASKS_CONSTLAT:
        this.constLat = true;
        break;
      case TASKS_LOWPWR:
        this.constLat = false;
        break;
      default:
        break;
    }
  }

  protected readRegister(offset: number): number {
    if (offset >= RAM_BASE && offset < RAM_BASE + RAM_COUNT * 0x10) {
      return (offset & 0xf) === 0 ? this.ram[(offset - RAM_BASE) >> 4]! : 0;
    }
    switch (offset) {
      case HFCLKRUN:
        return this.hfclkrun;
      case HFCLKSTAT:
        return this.hfclkstat;
      case LFCLKRUN:
        return this.lfclkrun;
      case LFCLKSTAT:
        return this.lfclkstat;
      case LFCLKSRCCOPY:
        return this.lfclksrccopy;
      case LFCLKSRC:
        return this.lfclksrc;
      case HFXODEBOUNCE:
        return this.hfxodebounce;
      case CTIV:
        return this.ctiv;
      case TRACECONFIG:
        return this.traceconfig;
      case LFRCMODE:
        return this.lfrcmode;
      case RESETREAS:
        return this.resetreas;
      case USBREGSTATUS:
        return this.usbregstatus;
      case POFCON:
        return this.pofcon;
      case GPREGRET:
        return this.gpregret;
      case GPREGRET2:
        return this.gpregret2;
      case DCDCEN:
        return this.dcdcen;
      case DCDCEN0:
        return this.dcdcen0;
      default:
        return 0; // RAMSTATUS, MAINREGSTATUS, write-only and reserved registers
    }
  }

  protected writeRegister(offset: number, value: number): void {
    if (offset >= RAM_BASE && offset < RAM_BASE + RAM_COUNT * 0x10) {
      const n = (offset - RAM_BASE) >> 4;
      const r = offset & 0xf;
      if (r === 0) this.ram[n] = value >>> 0;
      else if (r === 4) this.ram[n] = (this.ram[n]! | value) >>> 0;
      else if (r === 8) this.ram[n] = (this.ram[n]! & ~value) >>> 0;
      return;
    }
    switch (offset) {
      case LFCLKSRC:
        this.lfclksrc = value & 0x30003;
        break;
      case HFXODEBOUNCE:
        this.hfxodebounce = value & 0xff;
        break;
      case CTIV:
        this.ctiv = value & 0x7f;
        break;
      case TRACECONFIG:
        this.traceconfig = value & 0x30003;
        break;
      case LFRCMODE:
        this.lfrcmode = (this.lfrcmode & 0x10000) | (value & 1);
        break;
      case RESETREAS:
        this.resetreas = (this.resetreas & ~value) >>> 0;
        break;
      case SYSTEMOFF:
        if (value & 1) this.onSystemOff?.();
        break;
      case POFCON:
        this.pofcon = value & 0xf1f;
        break;
      case GPREGRET:
        this.gpregret = value & 0xff;
        break;
      case GPREGRET2:
        this.gpregret2 = value & 0xff;
        break;
      case DCDCEN:
        this.dcdcen = value & 1;
        break;
      case DCDCEN0:
        this.dcdcen0 = value & 1;
        break;
      default:
        break; // read-only and reserved registers ignore writes
    }
  }

  /** LFCLK has started and not been stopped (RTCs count only then on silicon). */
  get lfclkRunning(): boolean {
    return (this.lfclkstat & STATE_RUNNING) !== 0;
  }

  /** HFCLK runs from the crystal (needed by RADIO on silicon). */
  get hfxoRunning(): boolean {
    return (this.hfclkstat & STATE_RUNNING) !== 0;
  }

  /** Sub-power mode: true after TASKS_CONSTLAT, false after TASKS_LOWPWR (the reset mode). */
  get constantLatency(): boolean {
    return this.constLat;
  }

  /** The machine reports why the chip reset; the bit is added to RESETREAS. */
  noteReset(reason: ResetReason): void {
    const bit = RESET_REASON[reason];
    if (bit === undefined) throw new RangeError(`ClockPower: unknown reset reason '${reason}'`);
    this.resetreas = (this.resetreas | bit) >>> 0;
  }

  /** The CPU entered (true) or left (false) sleep: EVENTS_SLEEPENTER / EVENTS_SLEEPEXIT. */
  cpuSleep(entering: boolean): void {
    this.generate(entering ? EV.SLEEPENTER : EV.SLEEPEXIT);
  }

  /** VBUS appeared or disappeared on the USB connector. */
  setVbus(present: boolean): void {
    const was = (this.usbregstatus & 1) !== 0;
    if (present === was) return;
    if (present) {
      this.usbregstatus = 1;
      this.generate(EV.USBDETECTED);
      this.arm('usbreg', this.ctx.clock.now + this.cycles(T_USBREG_US));
    } else {
      this.usbregstatus = 0;
      this.disarm('usbreg');
      this.generate(EV.USBREMOVED);
    }
  }

  /** Reset that also clears the retained registers (power-on or brown-out). */
  powerOnReset(): void {
    this.reset();
    this.resetreas = 0;
    this.gpregret = 0;
    this.gpregret2 = 0;
  }

  protected resetRegisters(): void {
    for (const ev of Object.values(this.timed)) ev.cancel();
    this.hfclkrun = 0;
    this.hfclkstat = 0;
    this.lfclkrun = 0;
    this.lfclkstat = 0;
    this.lfclksrccopy = 0;
    this.lfclksrc = 0;
    this.hfxodebounce = 0x10;
    this.ctiv = 0;
    this.traceconfig = 0;
    this.lfrcmode = 0;
    // RESETREAS, GPREGRET and GPREGRET2 are retained through a system reset.
    this.usbregstatus = 0;
    this.pofcon = 0;
    this.dcdcen = 0;
    this.dcdcen0 = 0;
    this.ram.fill(0xffff);
    this.constLat = false;
  }

  protected saveState(): ClockPowerState {
    return {
      hfclkrun: this.hfclkrun,
      hfclkstat: this.hfclkstat,
      lfclkrun: this.lfclkrun,
      lfclkstat: this.lfclkstat,
      lfclksrccopy: this.lfclksrccopy,
      lfclksrc: this.lfclksrc,
      hfxodebounce: this.hfxodebounce,
      ctiv: this.ctiv,
      traceconfig: this.traceconfig,
      lfrcmode: this.lfrcmode,
      resetreas: this.resetreas,
      usbregstatus: this.usbregstatus,
      pofcon: this.pofcon,
      gpregret: this.gpregret,
      gpregret2: this.gpregret2,
      dcdcen: this.dcdcen,
      dcdcen0: this.dcdcen0,
      ram: [...this.ram],
      constLat: this.constLat,
      pending: PENDING.filter((k) => this.timed[k].armed).map((k) => [k, this.timed[k].at!]),
    };
  }

  protected loadState(state: unknown): void {
    const s = state as ClockPowerState;
    for (const ev of Object.values(this.timed)) ev.cancel();
    this.hfclkrun = s.hfclkrun;
    this.hfclkstat = s.hfclkstat;
    this.lfclkrun = s.lfclkrun;
    this.lfclkstat = s.lfclkstat;
    this.lfclksrccopy = s.lfclksrccopy;
    this.lfclksrc = s.lfclksrc;
    this.hfxodebounce = s.hfxodebounce;
    this.ctiv = s.ctiv;
    this.traceconfig = s.traceconfig;
    this.lfrcmode = s.lfrcmode;
    this.resetreas = s.resetreas;
    this.usbregstatus = s.usbregstatus;
    this.pofcon = s.pofcon;
    this.gpregret = s.gpregret;
    this.gpregret2 = s.gpregret2;
    this.dcdcen = s.dcdcen;
    this.dcdcen0 = s.dcdcen0;
    s.ram.forEach((v, i) => (this.ram[i] = v));
    this.constLat = s.constLat;
    for (const [what, at] of s.pending) this.arm(what, at);
  }
}
