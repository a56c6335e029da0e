/**
 * The register model every nRF52 peripheral shares: tasks, events, shortcuts and interrupts.
 *
 * nRF52840 Product Specification §6.1 ("Peripheral interface"): a peripheral at
 * 0x40000000 + ID·0x1000 owns interrupt line ID. Writing 1 to a TASKS_x register (offsets
 * 0x000-0x07C) starts an action; the peripheral signals with EVENTS_x registers (0x100-0x17C)
 * that stay 1 until firmware writes 0. INTEN/INTENSET/INTENCLR (0x300/0x304/0x308) enable the
 * interrupt for event n at bit n (the event at 0x100 + 4n), and the line is asserted while any
 * enabled event is set. SHORTS (0x200) connects an event straight to a task inside the
 * peripheral. Every generated event is also published to the PPI, which may trigger tasks of
 * other peripherals. Subclasses implement their tasks and their other registers and call
 * `generate` for events; this base is the only place these semantics are written.
 *
 * All registers are 32 bits. Narrow reads return the addressed lanes; narrow writes pass their
 * lanes with the others zero, as the APB bridge does.
 *
 * @example
 *   class Rng extends NrfPeripheral {
 *     protected readonly shortcuts = [[0, 0x004]] as const; // VALRDY -> STOP
 *     protected task(offset: number) { if (offset === 0x000) this.start(); }
 *     ...
 *   }
 */
import type { AccessSize, InterruptLines, MmioDevice, VirtualClock } from '../../core/interfaces';
import { laneValue, readLanes } from '../../core/memory/lanes';

export const TASKS_END = 0x080;
export const EVENTS_START = 0x100;
export const EVENTS_END = 0x180;
export const SHORTS = 0x200;
export const INTEN = 0x300;
export const INTENSET = 0x304;
export const INTENCLR = 0x308;

/** Index of the event whose register is at `offset` (0x100 + 4n -> n). */
export const eventIndex = (offset: number): number => (offset - EVENTS_START) >> 2;

/**
 * EasyDMA's view of memory: only Data RAM is reachable. Reads and writes outside it throw a
 * BusErrorSignal naming the pointer (the core turns it into a BusFault; see the machine).
 */
export interface DmaPort {
  read(address: number, length: number): Uint8Array;
  write(address: number, data: Uint8Array): void;
  /** True when [address, address+length) lies in Data RAM. */
  inRam(address: number, length: number): boolean;
}

/** What a peripheral is given by the machine that maps it. */
export interface NrfContext {
  clock: VirtualClock;
  irq: InterruptLines;
  dma: DmaPort;
  /** Called with the absolute address of every event as it is generated (PPI routing). */
  publish?(eventAddress: number): void;
}

export interface NrfPeripheralState {
  events: number[];
  inten: number;
  shorts: number;
  extra: unknown;
}

export abstract class NrfPeripheral implements MmioDevice {
  /** Peripheral ID: its interrupt line. */
  readonly id: number;
  protected readonly events = new Uint8Array(32);
  protected inten = 0;
  protected shorts = 0;
  /**
   * SHORTS bit n connects event index `[n][0]` to the task at offset `[n][1]`; holes are bits
   * the peripheral does not implement (they read 0).
   */
  protected readonly shortcuts: readonly (readonly [event: number, task: number] | undefined)[] =
    [];
  /** Bits of INTEN this peripheral implements (others read 0). */
  protected readonly intenMask: number = 0xffffffff;
  private irqHigh = false;

  constructor(
    readonly name: string,
    readonly base: number,
    protected readonly ctx: NrfContext,
  ) {
    this.id = (base >>> 12) & 0x3f;
  }

  /** Start the task at `offset` (0x000-0x07C). Unknown offsets do nothing, as on the chip. */
  protected abstract task(offset: number): void;
  /** A register outside the task/event/SHORTS/INTEN ranges (word offset). */
  protected abstract readRegister(offset: number): number;
  protected abstract writeRegister(offset: number, value: number): void;
  /** Subclass state for snapshots (plain data). */
  protected abstract saveState(): unknown;
  protected abstract loadState(state: unknown): void;
  /** Return subclass registers to their reset values. */
  protected abstract resetRegisters(): void;

  /** Gate publishing of an event to the PPI (RTC's EVTEN); every event publishes by default. */
  protected publishes(_event: number): boolean {
    return true;
  }

  /** Trigger a task as the PPI or a shortcut does (the same as firmware writing 1). */
  triggerTask(offset: number): void {
    this.task(offset);
  }

  /** Raise event `n`: set its register, follow shortcuts, publish to PPI, update the line. */
  protected generate(n: number): void {
    this.events[n] = 1;
    this.updateIrq();
    if (this.publishes(n)) this.ctx.publish?.(this.base + EVENTS_START + 4 * n);
    for (let bit = 0; bit < this.shortcuts.length; bit++) {
      const sc = this.shortcuts[bit];
      if (sc !== undefined && sc[0] === n && (this.shorts >>> bit) & 1) this.task(sc[1]);
    }
  }

  /** True while event `n`'s register is set. */
  eventSet(n: number): boolean {
    return this.events[n] === 1;
  }

  /** Re-evaluate the line; `force` drives it even when unchanged (after a restore). */
  protected updateIrq(force = false): void {
    let high = false;
    const en = this.inten;
    if (en !== 0) {
      for (let n = 0; n < 32; n++) {
        if (this.events[n] === 1 && (en >>> n) & 1) {
          high = true;
          break;
        }
      }
    }
    if (force || high !== this.irqHigh) {
      this.irqHigh = high;
      this.ctx.irq.setLevel(this.id, high);
    }
  }

  /**
   * The value `readRegister` would return, without its side effects (a debugger's read). The
   * default suits registers whose reads have none; a peripheral with a read-sensitive register
   * (the legacy UART's RXD pops its FIFO) overrides it.
   */
  protected peekRegister(offset: number): number {
    return this.readRegister(offset);
  }

  private word(aligned: number, debug: boolean): number {
    if (aligned < TASKS_END) return 0; // tasks are write-only
    if (aligned >= EVENTS_START && aligned < EVENTS_END) return this.events[eventIndex(aligned)]!;
    if (aligned === SHORTS) return this.shorts;
    if (aligned === INTEN || aligned === INTENSET || aligned === INTENCLR) return this.inten;
    return (debug ? this.peekRegister(aligned) : this.readRegister(aligned)) >>> 0;
  }

  read(offset: number, size: AccessSize): number {
    return readLanes(this.word(offset & ~3, false), offset, size);
  }

  /**
   * EVENTS_x registers: the peripheral sets an event register when the event happens, and only
   * a firmware write of 0 clears it (nRF52840 PS §6.1 "Peripheral interface", Events); reading
   * it has no effect. In this model an
   * event happens only in `generate`, which runs from a task (a CPU write, a PPI channel or a
   * shortcut, themselves started by a CPU write or an event) or from a scheduled clock event,
   * never from a read. So between CPU accesses the register can change only at a clock event.
   */
  stableUntilEvent(offset: number): boolean {
    const aligned = offset & ~3;
    return aligned >= EVENTS_START && aligned < EVENTS_END;
  }

  peek(offset: number, size: AccessSize): number {
    return readLanes(this.word(offset & ~3, true), offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const aligned = offset & ~3;
    const v = laneValue(value, offset, size);
    if (aligned < TASKS_END) {
      if (v & 1) this.task(aligned);
    } else if (aligned >= EVENTS_START && aligned < EVENTS_END) {
      // Firmware clears an event by writing 0; writing 1 sets it (it then interrupts like one).
      this.events[eventIndex(aligned)] = v & 1;
      this.updateIrq();
    } else if (aligned === SHORTS) {
      let mask = 0;
      this.shortcuts.forEach((sc, bit) => {
        if (sc !== undefined) mask |= 1 << bit;
      });
      this.shorts = (v & mask) >>> 0;
    } else if (aligned === INTEN) {
      this.inten = v & this.intenMask;
      this.updateIrq();
    } else if (aligned === INTENSET) {
      this.inten = (this.inten | (v & this.intenMask)) >>> 0;
      this.updateIrq();
    } else if (aligned === INTENCLR) {
      this.inten = (this.inten & ~v) >>> 0;
      this.updateIrq();
    } else {
      this.writeRegister(aligned, v);
    }
  }

  reset(): void {
    this.events.fill(0);
    this.inten = 0;
    this.shorts = 0;
    this.resetRegisters();
    this.updateIrq();
  }

  snapshot(): NrfPeripheralState {
    return {
      events: Array.from(this.events),
      inten: this.inten,
      shorts: this.shorts,
      extra: this.saveState(),
    };
  }

  restore(state: unknown): void {
    const s = state as NrfPeripheralState;
    this.events.set(s.events);
    this.inten = s.inten;
    this.shorts = s.shorts;
    this.loadState(s.extra);
    this.updateIrq(true);
  }
}
