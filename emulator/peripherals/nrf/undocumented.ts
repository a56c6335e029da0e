/**
 * Words the Product Specification does not list but the chip accepts: the registers Nordic's
 * errata workarounds and MDK start-up code write, laid over whatever else decodes their page.
 *
 * Nordic's errata sheets and the MDK's `SystemInit` (system_nrf52.c, which
 * system_nrf52840.c / system_nrf52833.c include) poke addresses such as 0x4007C074 (errata 16)
 * or 0x40000EE4 (errata 108/115/217) that no register table names; widely used operating
 * systems write some of them unconditionally at every boot. On the chip these stores complete.
 * Nothing is known of what the words do beyond the workaround itself, so each one is a recorded
 * register file: a read returns what was last written (0 after reset), every access is counted
 * for the UI (the `store`, a RecordingDevice), and nothing else happens. Other offsets of the
 * page go to the device that decodes the page (`inner`: CLOCK/POWER, a recorded peripheral) or,
 * on a page nothing else decodes, BusFault as before. The machine's table (machines/nrf52.ts,
 * UNDOCUMENTED_REGISTERS) says which words, and cites the errata entry or MDK line for each.
 *
 * @example
 *   const page = new UndocumentedWords('undocumented (errata 16)', 0x4007c000, [0x074], null);
 *   bus.mapDevice(0x4007c000, 0x1000, page); // errata 16's word now accepts writes
 */
import { type AccessSize, BusErrorSignal, type MmioDevice } from '../../core/interfaces';
import { RecordingDevice } from './recording';

interface UndocumentedState {
  store: unknown;
  inner: unknown;
}

export class UndocumentedWords implements MmioDevice {
  readonly name: string;
  /** The recorded words (shown in the UI beside the other recorded peripherals). */
  readonly store: RecordingDevice;
  private readonly words: Set<number>;

  constructor(
    name: string,
    readonly base: number,
    offsets: readonly number[],
    private readonly inner: MmioDevice | null,
    readonly size = 0x1000,
  ) {
    for (const o of offsets)
      if (!Number.isInteger(o) || o < 0 || o + 4 > size || o % 4 !== 0)
        throw new RangeError(`${name}: word offset 0x${o.toString(16)} is not inside the page`);
    this.name = inner?.name ?? name;
    this.store = new RecordingDevice(name, size);
    this.words = new Set(offsets);
  }

  /** True when `offset` (any byte of the word) is one of the undocumented words. */
  covers(offset: number): boolean {
    return this.words.has(offset & ~3);
  }

  read(offset: number, size: AccessSize): number {
    if (this.covers(offset)) return this.store.read(offset, size);
    if (this.inner) return this.inner.read(offset, size);
    throw this.undecoded(offset);
  }

  write(offset: number, size: AccessSize, value: number): void {
    if (this.covers(offset)) return this.store.write(offset, size, value);
    if (this.inner) return this.inner.write(offset, size, value);
    throw this.undecoded(offset);
  }

  /**
   * The page's device's promise that a register keeps its value until the next clock event
   * (`MmioDevice.stableUntilEvent`, what lets a polling loop be fast-forwarded: core/spin-loop.ts),
   * passed on for its offsets: CLOCK/POWER's EVENTS registers sit on a page with errata words,
   * and a kernel's start-up wait for the LF clock polls EVENTS_LFCLKSTARTED. A recorded word
   * promises nothing (each read is counted for the UI, a side effect a skipped pass would miss).
   */
  stableUntilEvent(offset: number): boolean {
    if (this.covers(offset)) return false;
    return this.inner?.stableUntilEvent?.(offset) === true;
  }

  /** A debugger's read: the recorded word or the page's device, without side effects. */
  peek(offset: number, size: AccessSize): number {
    if (this.covers(offset)) return this.store.peek(offset, size);
    if (this.inner?.peek) return this.inner.peek(offset, size);
    if (this.inner)
      throw new BusErrorSignal(
        (this.base + offset) >>> 0,
        `${this.inner.name} cannot be read without side effects`,
      );
    throw this.undecoded(offset);
  }

  /** A debugger's write: stored like a firmware write, not counted as one. */
  poke(offset: number, size: AccessSize, value: number): void {
    if (this.covers(offset)) return this.store.poke(offset, size, value);
    if (this.inner?.poke) return this.inner.poke(offset, size, value);
    return this.write(offset, size, value);
  }

  private undecoded(offset: number): BusErrorSignal {
    const address = (this.base + offset) >>> 0;
    return new BusErrorSignal(
      address,
      `0x${address.toString(16).padStart(8, '0')} is not decoded: on this page the chip accepts only the words its errata workarounds write (${this.store.name})`,
    );
  }

  reset(): void {
    this.store.reset();
    this.inner?.reset?.();
  }

  snapshot(): UndocumentedState {
    return { store: this.store.snapshot(), inner: this.inner?.snapshot?.() ?? null };
  }

  restore(state: unknown): void {
    const s = state as UndocumentedState;
    this.store.restore(s.store);
    if (this.inner?.restore) this.inner.restore(s.inner);
  }
}
