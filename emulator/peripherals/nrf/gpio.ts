/**
 * GPIO ports P0 and P1 of the nRF52840/nRF52833 (Product Specification, "GPIO — General purpose
 * input/output"), as one device mapped at 0x50000000: P0's registers sit at 0x504-0x77C and
 * P1's are the same registers 0x300 higher (port base 0x50000300).
 *
 * Modelled, per the PS:
 * - OUT/OUTSET/OUTCLR and DIR/DIRSET/DIRCLR (DIR is the same bit as PIN_CNF[n].DIR), IN,
 *   PIN_CNF[n] (DIR, INPUT, PULL, DRIVE, SENSE), LATCH (write 1 to clear) and DETECTMODE.
 * - The level of a pin: the OUT bit while the pin is an output; otherwise the level an outside
 *   circuit drives (the host: `setInput`/`release`), else the configured pull (a floating pin
 *   reads low here: the emulator has no analog level).
 * - IN shows a pin's level only while its input buffer is connected (PIN_CNF.INPUT = 0); the
 *   PS: "An input must be connected to get a valid value in the IN register and for the sense
 *   mechanism to have access to the pin".
 * - Pin sense ("Pin sense mechanism"): a connected pin whose SENSE (2 high, 3 low) matches its
 *   level raises its own DETECT; each raise sets its LATCH bit (which is set again at once if
 *   cleared while the condition holds). The port's DETECT signal is the OR of the pins' (default
 *   mode) or "any LATCH bit set" (DETECTMODE = LDETECT). GPIOTE turns its rising edge into PORT.
 * - Other peripherals may take a pin over (GPIOTE in event or task mode) through `override`.
 *
 * Pins the port does not have (P1.16-31 on the nRF52840, P1.10-31 on the nRF52833) have no
 * level: their bits read 0 in OUT, DIR, IN and LATCH; their PIN_CNF registers keep what is
 * written. Addresses the block does not decode BusFault.
 *
 * @example
 *   const gpio = new Gpio(ctx, { onOutput: (port, pin, level) => led(port, pin, level) });
 *   bus.mapDevice(0x50000000, 0x1000, gpio);
 *   gpio.setInput(0, 11, false); // a button pulls P0.11 low
 */
import type { AccessSize, MmioDevice } from '../../core/interfaces';
import { laneValue, mergeLanes, readLanes } from '../../core/memory/lanes';
import { BusErrorSignal } from '../../core/interfaces';
import type { NrfContext } from './nrf-peripheral';
import type { RegisterInfo } from './registers';

export const GPIO_BASE = 0x50000000;
/** P1's registers are P0's plus this offset. */
export const GPIO_P1_OFFSET = 0x300;

export const GPIO_OUT = 0x504;
export const GPIO_OUTSET = 0x508;
export const GPIO_OUTCLR = 0x50c;
export const GPIO_IN = 0x510;
export const GPIO_DIR = 0x514;
export const GPIO_DIRSET = 0x518;
export const GPIO_DIRCLR = 0x51c;
export const GPIO_LATCH = 0x520;
export const GPIO_DETECTMODE = 0x524;
export const GPIO_PIN_CNF = 0x700;

/** PIN_CNF fields (PS "PIN_CNF[n]"). */
export const PIN_CNF_DIR_OUTPUT = 1 << 0;
export const PIN_CNF_INPUT_DISCONNECT = 1 << 1;
export const PIN_CNF_PULL_SHIFT = 2;
export const PIN_CNF_SENSE_SHIFT = 16;
export const PULL_DOWN = 1;
export const PULL_UP = 3;
export const SENSE_HIGH = 2;
export const SENSE_LOW = 3;
/** Implemented PIN_CNF bits: DIR, INPUT, PULL, DRIVE, SENSE. */
const PIN_CNF_MASK = 0x0003070f;
const PIN_CNF_RESET = PIN_CNF_INPUT_DISCONNECT;

/** Registers of one port; offsets from the port's base (0x50000000 for P0, 0x50000300 for P1). */
export const GPIO_REGISTERS: readonly RegisterInfo[] = [
  { name: 'OUT', offset: GPIO_OUT, access: 'read-write', reset: 0 },
  { name: 'OUTSET', offset: GPIO_OUTSET, access: 'read-write', reset: 0 },
  { name: 'OUTCLR', offset: GPIO_OUTCLR, access: 'read-write', reset: 0 },
  { name: 'IN', offset: GPIO_IN, access: 'read-only', reset: 0 },
  { name: 'DIR', offset: GPIO_DIR, access: 'read-write', reset: 0 },
  { name: 'DIRSET', offset: GPIO_DIRSET, access: 'read-write', reset: 0 },
  { name: 'DIRCLR', offset: GPIO_DIRCLR, access: 'read-write', reset: 0 },
  { name: 'LATCH', offset: GPIO_LATCH, access: 'read-write', reset: 0 },
  { name: 'DETECTMODE', offset: GPIO_DETECTMODE, access: 'read-write', reset: 0 },
  {
    name: 'PIN_CNF[%s]',
    offset: GPIO_PIN_CNF,
    access: 'read-write',
    reset: PIN_CNF_RESET,
    dim: { count: 32, stride: 4 },
  },
];

export type GpioPort = 0 | 1;

export interface GpioHost {
  /** The level the chip drives on a pin changed (it became an output, or its output level moved). */
  onOutput?(port: GpioPort, pin: number, level: boolean): void;
}

/** How another peripheral holds a pin: as an input (GPIOTE event mode) or driving it. */
export type PinOverride = { mode: 'input' } | { mode: 'output'; level: boolean };

type PinListener = (port: GpioPort, pin: number, level: boolean) => void;
type DetectListener = (port: GpioPort, high: boolean) => void;

interface PortState {
  out: number;
  pinCnf: number[];
  latch: number;
  detectMode: number;
  /** Pins an outside circuit drives, and the levels it drives. */
  hostDriven: number;
  hostLevel: number;
}

interface GpioState {
  ports: PortState[];
  /** [port*32+pin, override] pairs. */
  overrides: [number, PinOverride][];
}

const freshPort = (): PortState => ({
  out: 0,
  pinCnf: new Array<number>(32).fill(PIN_CNF_RESET),
  latch: 0,
  detectMode: 0,
  hostDriven: 0,
  hostLevel: 0,
});

export class Gpio implements MmioDevice {
  readonly name = 'GPIO';
  /** Bit n set: the port has pin n. */
  private readonly pinMask: readonly [number, number];
  private ports: PortState[] = [freshPort(), freshPort()];
  private overrides = new Map<number, PinOverride>();
  // What listeners last saw (levels, driven levels, DETECT), to notify changes only.
  private levels = [0, 0];
  private driven: (boolean | null)[] = new Array<boolean | null>(64).fill(null);
  private detects = [false, false];
  private readonly pinListeners: PinListener[] = [];
  private readonly detectListeners: DetectListener[] = [];

  /**
   * `p1Pins`: how many pins P1 has (16 on the nRF52840, 10 on the nRF52833). The context is
   * not needed (GPIO has no clock or interrupt of its own) but kept for a uniform constructor.
   */
  constructor(
    _ctx: NrfContext,
    private readonly host: GpioHost = {},
    p1Pins = 16,
  ) {
    if (!Number.isInteger(p1Pins) || p1Pins < 0 || p1Pins > 32)
      throw new Error(`GPIO P1 pin count must be an integer 0-32, got ${p1Pins}`);
    this.pinMask = [0xffffffff, p1Pins === 32 ? 0xffffffff : ((1 << p1Pins) - 1) >>> 0];
    this.settle(false);
  }

  // ---- host side -------------------------------------------------------------------------

  /** An outside circuit drives `pin` to `level` (a pressed button, a sensor). */
  setInput(port: GpioPort, pin: number, level: boolean): void {
    const p = this.portOf(port, pin);
    const bit = (1 << pin) >>> 0;
    p.hostDriven = (p.hostDriven | bit) >>> 0;
    p.hostLevel = level ? (p.hostLevel | bit) >>> 0 : (p.hostLevel & ~bit) >>> 0;
    this.settle(true);
  }

  /** The outside circuit stops driving `pin` (released button): the pull decides its level. */
  release(port: GpioPort, pin: number): void {
    const p = this.portOf(port, pin);
    const bit = (1 << pin) >>> 0;
    p.hostDriven = (p.hostDriven & ~bit) >>> 0;
    p.hostLevel = (p.hostLevel & ~bit) >>> 0;
    this.settle(true);
  }

  /** True when the port has this pin (P1 has 16 on the nRF52840, 10 on the nRF52833). */
  hasPin(port: GpioPort, pin: number): boolean {
    return (
      (port === 0 || port === 1) &&
      Number.isInteger(pin) &&
      pin >= 0 &&
      pin < 32 &&
      ((this.pinMask[port] >>> pin) & 1) === 1
    );
  }

  /** The level on the pin (whoever sets it). */
  pinLevel(port: GpioPort, pin: number): boolean {
    this.portOf(port, pin);
    return this.computeLevel(port, pin);
  }

  /** The level the chip drives on the pin, or null while the chip does not drive it. */
  outputLevel(port: GpioPort, pin: number): boolean | null {
    this.portOf(port, pin);
    return this.computeDriven(port, pin);
  }

  /** The port's DETECT signal (sense mechanism). */
  detect(port: GpioPort): boolean {
    return this.detects[port]!;
  }

  /** Calls `fn` on every change of a pin's level; returns an unsubscribe function. */
  subscribe(fn: PinListener): () => void {
    this.pinListeners.push(fn);
    return () => {
      const i = this.pinListeners.indexOf(fn);
      if (i >= 0) this.pinListeners.splice(i, 1);
    };
  }

  /** Alias of `subscribe` (the name hosts use for pin changes). */
  onChange(fn: PinListener): () => void {
    return this.subscribe(fn);
  }

  /** Calls `fn` when a port's DETECT signal changes (GPIOTE's PORT event is its rising edge). */
  onDetect(fn: DetectListener): () => void {
    this.detectListeners.push(fn);
    return () => {
      const i = this.detectListeners.indexOf(fn);
      if (i >= 0) this.detectListeners.splice(i, 1);
    };
  }

  /** Another peripheral takes the pin over (or gives it back with null). */
  override(port: GpioPort, pin: number, how: PinOverride | null): void {
    this.portOf(port, pin);
    const key = port * 32 + pin;
    if (how === null) this.overrides.delete(key);
    else this.overrides.set(key, { ...how });
    this.settle(true);
  }

  // ---- bus side --------------------------------------------------------------------------

  read(offset: number, size: AccessSize): number {
    const { port, reg } = this.decode(offset);
    return readLanes(this.readRegister(port, reg) >>> 0, offset, size);
  }

  /** Reads of the GPIO have no side effects: a debugger's read is an ordinary one. */
  peek(offset: number, size: AccessSize): number {
    return this.read(offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const { port, reg } = this.decode(offset);
    const v = laneValue(value, offset, size);
    // AHB byte strobes: a narrow write changes only its lanes of a plain register.
    const merge = (old: number): number => mergeLanes(old, value, offset, size);
    const p = this.ports[port]!;
    const mask = this.pinMask[port];
    switch (reg) {
      case GPIO_OUT:
        p.out = (merge(p.out) & mask) >>> 0;
        break;
      case GPIO_OUTSET:
        p.out = ((p.out | v) & mask) >>> 0;
        break;
      case GPIO_OUTCLR:
        p.out = (p.out & ~v) >>> 0;
        break;
      case GPIO_IN:
        return; // read-only: the write is ignored
      case GPIO_DIR:
        this.setDir(port, merge(this.dirOf(port)));
        break;
      case GPIO_DIRSET:
        this.setDir(port, this.dirOf(port) | v);
        break;
      case GPIO_DIRCLR:
        this.setDir(port, this.dirOf(port) & ~v);
        break;
      case GPIO_LATCH:
        p.latch = (p.latch & ~v) >>> 0; // write 1 to clear; settle() re-sets held bits
        break;
      case GPIO_DETECTMODE:
        p.detectMode = merge(p.detectMode) & 1;
        break;
      default: {
        const n = (reg - GPIO_PIN_CNF) >> 2;
        p.pinCnf[n] = merge(p.pinCnf[n]!) & PIN_CNF_MASK;
      }
    }
    this.settle(true);
  }

  reset(): void {
    // Outside circuits keep driving through a chip reset; everything the chip holds resets.
    const kept = this.ports.map((p) => [p.hostDriven, p.hostLevel] as const);
    this.ports = [freshPort(), freshPort()];
    kept.forEach(([d, l], i) => {
      this.ports[i]!.hostDriven = d;
      this.ports[i]!.hostLevel = l;
    });
    this.overrides.clear();
    this.settle(true);
  }

  snapshot(): GpioState {
    return {
      ports: this.ports.map((p) => ({ ...p, pinCnf: [...p.pinCnf] })),
      overrides: [...this.overrides].map(([k, o]) => [k, { ...o }]),
    };
  }

  restore(state: unknown): void {
    const s = state as GpioState;
    this.ports = s.ports.map((p) => ({ ...p, pinCnf: [...p.pinCnf] }));
    this.overrides = new Map(s.overrides.map(([k, o]) => [k, { ...o }]));
    // Listeners re-read the restored state; replaying edges would invent events.
    this.settle(false);
  }

  // ---- internals -------------------------------------------------------------------------

  private portOf(port: GpioPort, pin: number): PortState {
    if (port !== 0 && port !== 1) throw new Error(`GPIO port must be 0 or 1, got ${String(port)}`);
    if (!this.hasPin(port, pin)) throw new Error(`GPIO P${port} has no pin ${String(pin)}`);
    return this.ports[port]!;
  }

  private decode(offset: number): { port: GpioPort; reg: number } {
    const aligned = offset & ~3;
    for (const port of [0, 1] as const) {
      const reg = aligned - port * GPIO_P1_OFFSET;
      if ((reg >= GPIO_OUT && reg <= GPIO_DETECTMODE) || (reg >= GPIO_PIN_CNF && reg < 0x780))
        return { port, reg };
    }
    throw new BusErrorSignal(
      GPIO_BASE + offset,
      `GPIO has no register at offset 0x${offset.toString(16)}`,
    );
  }

  private readRegister(port: GpioPort, reg: number): number {
    const p = this.ports[port]!;
    switch (reg) {
      case GPIO_OUT:
      case GPIO_OUTSET:
      case GPIO_OUTCLR:
        return p.out;
      case GPIO_IN:
        return this.inOf(port);
      case GPIO_DIR:
      case GPIO_DIRSET:
      case GPIO_DIRCLR:
        return this.dirOf(port);
      case GPIO_LATCH:
        return p.latch;
      case GPIO_DETECTMODE:
        return p.detectMode;
      default:
        return p.pinCnf[(reg - GPIO_PIN_CNF) >> 2]!;
    }
  }

  private dirOf(port: GpioPort): number {
    const p = this.ports[port]!;
    let dir = 0;
    for (let n = 0; n < 32; n++) if (p.pinCnf[n]! & PIN_CNF_DIR_OUTPUT) dir |= 1 << n;
    return (dir & this.pinMask[port]) >>> 0;
  }

  private setDir(port: GpioPort, dir: number): void {
    const p = this.ports[port]!;
    const mask = this.pinMask[port];
    for (let n = 0; n < 32; n++) {
      if (!((mask >>> n) & 1)) continue;
      const cnf = p.pinCnf[n]!;
      p.pinCnf[n] = (dir >>> n) & 1 ? cnf | PIN_CNF_DIR_OUTPUT : cnf & ~PIN_CNF_DIR_OUTPUT;
    }
  }

  private computeDriven(port: GpioPort, pin: number): boolean | null {
    const ov = this.overrides.get(port * 32 + pin);
    if (ov !== undefined) return ov.mode === 'output' ? ov.level : null;
    const p = this.ports[port]!;
    if (p.pinCnf[pin]! & PIN_CNF_DIR_OUTPUT) return ((p.out >>> pin) & 1) === 1;
    return null;
  }

  private computeLevel(port: GpioPort, pin: number): boolean {
    if (!((this.pinMask[port] >>> pin) & 1)) return false;
    const driven = this.computeDriven(port, pin);
    if (driven !== null) return driven;
    const p = this.ports[port]!;
    if ((p.hostDriven >>> pin) & 1) return ((p.hostLevel >>> pin) & 1) === 1;
    return ((p.pinCnf[pin]! >>> PIN_CNF_PULL_SHIFT) & 3) === PULL_UP;
  }

  private levelsOf(port: GpioPort): number {
    let l = 0;
    for (let n = 0; n < 32; n++) if (this.computeLevel(port, n)) l |= 1 << n;
    return l >>> 0;
  }

  private inOf(port: GpioPort): number {
    const p = this.ports[port]!;
    let connected = 0;
    for (let n = 0; n < 32; n++)
      if (!(p.pinCnf[n]! & PIN_CNF_INPUT_DISCONNECT)) connected |= 1 << n;
    return (this.levelsOf(port) & connected & this.pinMask[port]) >>> 0;
  }

  /** True when the pin's input is connected and its SENSE is set (a level change can DETECT). */
  senses(port: GpioPort, pin: number): boolean {
    const cnf = this.ports[port]?.pinCnf[pin];
    if (cnf === undefined || cnf & PIN_CNF_INPUT_DISCONNECT) return false;
    const sense = (cnf >>> PIN_CNF_SENSE_SHIFT) & 3;
    return sense === SENSE_HIGH || sense === SENSE_LOW;
  }

  /** Pins whose sense condition holds (input connected, SENSE matching the level). */
  private sensed(port: GpioPort): number {
    const p = this.ports[port]!;
    const lv = this.levelsOf(port);
    let d = 0;
    for (let n = 0; n < 32; n++) {
      if (!((this.pinMask[port] >>> n) & 1)) continue;
      const cnf = p.pinCnf[n]!;
      if (cnf & PIN_CNF_INPUT_DISCONNECT) continue;
      const sense = (cnf >>> PIN_CNF_SENSE_SHIFT) & 3;
      const high = ((lv >>> n) & 1) === 1;
      if ((sense === SENSE_HIGH && high) || (sense === SENSE_LOW && !high)) d |= 1 << n;
    }
    return d >>> 0;
  }

  /**
   * Recompute levels, LATCH and DETECT after any change; with `notify`, tell listeners what
   * changed. Caches are updated before listeners run, so a listener that changes the GPIO
   * again (GPIOTE task via PPI) sees and reports only the newer change.
   */
  private settle(notify: boolean): void {
    const pinChanges: [GpioPort, number, boolean][] = [];
    const outChanges: [GpioPort, number, boolean][] = [];
    const detectChanges: [GpioPort, boolean][] = [];
    for (const port of [0, 1] as const) {
      const p = this.ports[port]!;
      const lv = this.levelsOf(port);
      const diff = (lv ^ this.levels[port]!) >>> 0;
      this.levels[port] = lv;
      for (let n = 0; n < 32; n++) {
        if ((diff >>> n) & 1) pinChanges.push([port, n, ((lv >>> n) & 1) === 1]);
        const d = (this.pinMask[port] >>> n) & 1 ? this.computeDriven(port, n) : null;
        const before = this.driven[port * 32 + n];
        this.driven[port * 32 + n] = d;
        if (d !== null && d !== before) outChanges.push([port, n, d]);
      }
      const sensed = this.sensed(port);
      p.latch = (p.latch | sensed) >>> 0;
      const det = p.detectMode & 1 ? p.latch !== 0 : sensed !== 0;
      if (det !== this.detects[port]) detectChanges.push([port, det]);
      this.detects[port] = det;
    }
    if (!notify) return;
    for (const [port, pin, level] of outChanges) this.host.onOutput?.(port, pin, level);
    for (const [port, pin, level] of pinChanges)
      for (const fn of [...this.pinListeners]) fn(port, pin, level);
    for (const [port, high] of detectChanges)
      for (const fn of [...this.detectListeners]) fn(port, high);
  }
}
