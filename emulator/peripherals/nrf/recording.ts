/**
 * A placeholder for an nRF52 peripheral the emulator does not model: a register file that
 * remembers what firmware wrote and counts every access.
 *
 * The nRF52840 has many peripherals (RADIO, USBD, SAADC, TWIM, SPIM, QSPI, CryptoCell...) that a
 * kernel may touch while booting even when an application never uses them. Mapping each one as
 * a RecordingDevice keeps such firmware running (reads return what was last written, 0 after
 * reset, as an idle block mostly does) and shows in the UI exactly which registers it used, so
 * the next peripheral to model is chosen from evidence. Nothing here has side effects: no task
 * starts, no event is ever raised, no interrupt line moves.
 *
 * Registers are 32-bit words; a narrow write replaces only its byte lanes of the stored word
 * and a narrow read returns its lanes, as the nRF APB bridge presents 32-bit registers.
 *
 * @example
 *   const saadc = new RecordingDevice('SAADC', 0x1000);
 *   bus.mapDevice(0x40007000, 0x1000, saadc);
 *   saadc.accesses(); // [{ offset: 0x500, reads: 0, writes: 1, lastValue: 1 }, ...]
 */
import { type AccessSize, BusErrorSignal, type MmioDevice } from '../../core/interfaces';
import { mergeLanes, readLanes, sized } from '../../core/memory/lanes';

/** How many recent accesses are kept. */
export const RECENT_ACCESSES = 64;

/** Per-register totals for the UI. */
export interface RegisterAccessCount {
  /** Word offset from the device base. */
  offset: number;
  reads: number;
  writes: number;
  /** Last value read or written (the whole word). */
  lastValue: number;
}

/** One entry of the recent-access log. */
export interface RecordedAccess {
  /** Running number of the access since reset (orders the log). */
  seq: number;
  kind: 'read' | 'write';
  /** Byte offset as accessed (narrow accesses keep their lane). */
  offset: number;
  size: AccessSize;
  /** Value read or written, as the bus carried it (sized). */
  value: number;
}

interface RecordingState {
  words: number[];
  counts: [offset: number, reads: number, writes: number, last: number][];
  recent: RecordedAccess[];
  seq: number;
}

export class RecordingDevice implements MmioDevice {
  private readonly words: Uint32Array;
  private counts = new Map<number, { reads: number; writes: number; last: number }>();
  /** Ring of the last RECENT_ACCESSES accesses, oldest first once read through `recent()`. */
  private log: RecordedAccess[] = [];
  private seq = 0;
  /**
   * The last snapshot, kept while nothing changed: most recorded blocks are never touched, and
   * reverse execution snapshots every device at each checkpoint. Snapshots are read-only data.
   */
  private lastSnapshot: RecordingState | null = null;

  constructor(
    readonly name: string,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size <= 0 || size % 4 !== 0)
      throw new RangeError(
        `RecordingDevice ${name}: size must be a positive multiple of 4 bytes, got ${size}`,
      );
    this.words = new Uint32Array(size / 4);
  }

  private check(offset: number, size: AccessSize): number {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.size)
      throw new BusErrorSignal(offset, `${this.name}: offset outside its ${this.size}-byte block`);
    return offset & ~3;
  }

  private count(word: number, kind: 'read' | 'write', whole: number): void {
    let c = this.counts.get(word);
    if (c === undefined) {
      c = { reads: 0, writes: 0, last: 0 };
      this.counts.set(word, c);
    }
    if (kind === 'read') c.reads++;
    else c.writes++;
    c.last = whole >>> 0;
  }

  private remember(kind: 'read' | 'write', offset: number, size: AccessSize, value: number): void {
    this.lastSnapshot = null;
    const entry: RecordedAccess = { seq: this.seq++, kind, offset, size, value };
    if (this.log.length < RECENT_ACCESSES) this.log.push(entry);
    else this.log[entry.seq % RECENT_ACCESSES] = entry;
  }

  read(offset: number, size: AccessSize): number {
    const word = this.check(offset, size);
    const whole = this.words[word >>> 2]!;
    const value = readLanes(whole, offset, size);
    this.count(word, 'read', whole);
    this.remember('read', offset, size, value);
    return value;
  }

  /** A debugger's read: the stored value, not counted and not remembered. */
  peek(offset: number, size: AccessSize): number {
    return readLanes(this.words[this.check(offset, size) >>> 2]!, offset, size);
  }

  write(offset: number, size: AccessSize, value: number): void {
    const word = this.store(offset, size, value);
    this.count(word, 'write', this.words[word >>> 2]!);
    this.remember('write', offset, size, sized(value, size));
  }

  /** A debugger's write: stored like a firmware write, not counted and not remembered. */
  poke(offset: number, size: AccessSize, value: number): void {
    this.store(offset, size, value);
  }

  /** Stores a write's byte lanes into its word; returns the word's offset. */
  private store(offset: number, size: AccessSize, value: number): number {
    const word = this.check(offset, size);
    const i = word >>> 2;
    this.lastSnapshot = null;
    this.words[i] = mergeLanes(this.words[i]!, value, offset, size);
    return word;
  }

  /** Registers touched since reset, by offset, with their read/write counts and last value. */
  accesses(): RegisterAccessCount[] {
    return [...this.counts.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([offset, c]) => ({ offset, reads: c.reads, writes: c.writes, lastValue: c.last }));
  }

  /** The last RECENT_ACCESSES accesses, oldest first. */
  recent(): RecordedAccess[] {
    return [...this.log].sort((a, b) => a.seq - b.seq).map((e) => ({ ...e }));
  }

  /** Total number of accesses since reset. */
  get accessCount(): number {
    return this.seq;
  }

  reset(): void {
    this.lastSnapshot = null;
    this.words.fill(0);
    this.counts.clear();
    this.log = [];
    this.seq = 0;
  }

  snapshot(): RecordingState {
    this.lastSnapshot ??= {
      words: Array.from(this.words),
      counts: [...this.counts.entries()].map(([o, c]) => [o, c.reads, c.writes, c.last]),
      recent: this.recent(),
      seq: this.seq,
    };
    return this.lastSnapshot;
  }

  restore(state: unknown): void {
    const s = state as RecordingState;
    if (!s || !Array.isArray(s.words) || s.words.length !== this.words.length)
      throw new TypeError(`${this.name}: snapshot does not match a ${this.size}-byte block`);
    this.lastSnapshot = null;
    this.words.set(s.words);
    this.counts = new Map(s.counts.map(([o, r, w, l]) => [o, { reads: r, writes: w, last: l }]));
    this.seq = s.seq;
    // Re-place entries in their ring slots so later accesses overwrite the oldest.
    this.log = [];
    const ordered = s.recent.map((e) => ({ ...e }));
    if (ordered.length < RECENT_ACCESSES) this.log = ordered;
    else for (const e of ordered) this.log[e.seq % RECENT_ACCESSES] = e;
  }
}
