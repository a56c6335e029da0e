/**
 * MMIO access log: every peripheral access the firmware (or the debugger, when it asks for an
 * ordinary read) makes, kept in a fixed ring of typed arrays so recording costs a few stores.
 *
 * The emulator records at full speed while the log is on (see the session's `accessLog`), and
 * a reader (the host service, over the emulator worker) drains it with `since(seq)`: entries
 * carry an increasing sequence number, so a slow reader learns how many it missed instead of
 * stalling the chip. Names, field decoding and source lines are added by the reader (from the
 * SVD and DWARF), never at record time.
 *
 * A kernel polling a register fills the ring within about a second, so a filter set later
 * would find nothing of the rare entries that matter most: the debugger's own reads and the
 * peripherals' EasyDMA transfers are also kept in a small ring of their own (`RARE_CAPACITY`),
 * which a filtered `since` searches for the stretch the main ring has already dropped.
 * Likewise a flood from one peripheral (a UART's registers polled at full speed) must not push
 * a quiet peripheral's few entries out: an entry leaving the ring whose peripheral has fewer
 * than `PERIPHERAL_QUOTA` entries after it in the ring moves to that peripheral's own small ring
 * (`spill`, with its call chain), searched like the rare ring. So every peripheral keeps at
 * least its last `PERIPHERAL_QUOTA` entries, whatever the others do.
 *
 * That bookkeeping stays almost off the recording path (a flood records tens of millions of
 * entries a minute, and counting each one per peripheral doubled the cost of recording it):
 * recording stores the entry and compares the head with the next turn, nothing else. The ring is
 * cut into `TURNS` stretches: only when the head crosses into the next (`turn`) is the stretch
 * just written counted per peripheral (by runs of one peripheral's entries: a flood's stretch is
 * one run) and the stretch about to be overwritten searched, in one tight loop, for entries to
 * keep. Counting only the entries
 * recorded so far, a turn may keep a few more than the rule asks (never fewer).
 *
 * Pure TypeScript, deterministic.
 *
 * @example
 *   const log = new AccessLog(1024);
 *   log.record(cycle, true, 4, 0x4000251c, 0x41, pc, false);
 *   const { entries, next, missed } = log.since(0, 500);
 */
import type { AccessSize } from '../../core/interfaces';
import type { AccessRecord } from '../target';
import { ChainTable } from './call-chain';

export interface AccessLogChunk {
  entries: AccessRecord[];
  /** The `seq` to ask for next. */
  next: number;
  /**
   * Entries between the asked-for `seq` and the ring's oldest that were dropped or cleared (for
   * a filtered read: not searched, except the entries kept apart: the debugger's, EasyDMA
   * transfers and each peripheral's last PERIPHERAL_QUOTA).
   */
  missed: number;
}

/**
 * A page of entries as columns (what crosses the emulator worker's port: typed arrays whose
 * buffers are moved, not thousands of objects built, cloned and collected on the emulator's
 * thread). `recordsOf` makes the `AccessRecord`s.
 */
export interface AccessLogColumns {
  seq: Float64Array;
  cycle: Float64Array;
  address: Uint32Array;
  value: Uint32Array;
  pc: Uint32Array;
  /** Bit 0 write, 1 debugger, 2 dma, 3 has callers; bits 4-6 the size in bytes. */
  flags: Uint8Array;
  /** Every entry's callers one after another; entry i's end at `callerEnds[i]`. */
  callers: Uint32Array;
  callerEnds: Uint32Array;
}

/** Columns for `n` entries (no call chains yet). */
export function newColumns(n: number): AccessLogColumns {
  return {
    seq: new Float64Array(n),
    cycle: new Float64Array(n),
    address: new Uint32Array(n),
    value: new Uint32Array(n),
    pc: new Uint32Array(n),
    flags: new Uint8Array(n),
    callers: new Uint32Array(0),
    callerEnds: new Uint32Array(n),
  };
}

/** The entries of `c`, as objects. */
export function recordsOf(c: AccessLogColumns): AccessRecord[] {
  const n = c.seq.length;
  const entries = new Array<AccessRecord>(n);
  let from = 0;
  for (let i = 0; i < n; i++) {
    const f = c.flags[i]!;
    const r: AccessRecord = {
      seq: c.seq[i]!,
      cycle: c.cycle[i]!,
      write: (f & 1) !== 0,
      size: (f >>> 4) as 1 | 2 | 4,
      address: c.address[i]!,
      value: c.value[i]!,
      pc: c.pc[i]!,
      debugger: (f & 2) !== 0,
    };
    const to = c.callerEnds[i]!;
    if (f & 8) r.callers = Array.from(c.callers.subarray(from, to));
    if (f & 4) r.dma = true;
    from = to;
    entries[i] = r;
  }
  return entries;
}

const COLUMNS = Symbol('access-log columns');

/**
 * `head` with the entries of `columns` (made into objects only if someone reads `entries`): the
 * emulator target's reply, which the worker's port sends as the columns themselves
 * (`columnsOf`).
 */
export function withColumns<T extends object>(
  head: T,
  columns: AccessLogColumns,
): T & { entries: AccessRecord[] } {
  let entries: AccessRecord[] | null = null;
  return Object.defineProperty({ ...head, [COLUMNS]: columns }, 'entries', {
    enumerable: true,
    get: () => (entries ??= recordsOf(columns)),
  }) as unknown as T & { entries: AccessRecord[] };
}

/** The columns a `withColumns` reply was made from (null for any other). */
export function columnsOf(reply: object): AccessLogColumns | null {
  return (reply as { [COLUMNS]?: AccessLogColumns })[COLUMNS] ?? null;
}

/** Which entries `since` returns (see there). */
export interface AccessLogFilter {
  /**
   * Flattened [lo, hi) address pairs; more than `LINEAR_RANGES` pairs must be sorted and
   * disjoint (they are searched by halves: an exact filter of a peripheral's registers is a
   * few dozen ranges, tested for every entry a read passes).
   */
  ranges: readonly number[];
  /**
   * The [lo, hi) pairs an EasyDMA transfer's peripheral base must lie in, when not `ranges`: a
   * filter for transfers only must not pass the CPU's accesses to the same peripheral.
   */
  dma?: readonly number[];
  /** Also every access the debugger made. */
  debugger: boolean;
  /**
   * Also every entry the log keeps apart however busy the others are (the debugger's, EasyDMA
   * transfers, the quiet peripherals' entries moved to their own rings), and in the ring the
   * entries of peripherals with fewer than PERIPHERAL_QUOTA in the stretch read: what a reader
   * skipping ahead fetches so that it drops only the floods.
   */
  kept?: boolean;
}

const FLAG_WRITE = 1;
const FLAG_DEBUGGER = 2;
/** A peripheral's EasyDMA transfer: `pc` holds the peripheral's base, `value` the length. */
const FLAG_DMA = 32;
/** The entry's call chain was walked (its slot of `callers` is its own, not a stale one). */
const FLAG_CHAINED = 64;

/**
 * An entry's words in a ring's `words` (one Int32Array, four words a slot, slot `i` at `i << 2`):
 * recording stores into one array, not five (each typed array a store goes to costs V8 a load of
 * its base and length: five of them took twice the time of the whole record). Read back with
 * `>>> 0` (addresses, values and PCs are unsigned).
 */
const W_ADDRESS = 0;
const W_VALUE = 1;
const W_PC = 2;
const W_FLAGS = 3;

/** Debugger and EasyDMA entries kept apart (see the header); a power of two. */
export const RARE_CAPACITY = 1 << 13;

/**
 * Entries per peripheral kept when they leave the main ring while their peripheral has fewer
 * than this many left in it (see the header); a power of two.
 */
export const PERIPHERAL_QUOTA = 1 << 9;

/** Stretches of the main ring the retention bookkeeping works by (see the header). */
export const TURNS = 8;
/** Peripheral pages (`pageOf`). */
const PAGES = 0x200;

/**
 * The peripheral an address belongs to, for the quota: its 4 KB page in 0x400xx000 (APB/AHB
 * peripherals: nRF52840 PS v1.7, "Peripheral interface", one ID per 4 KB) or 0x500xx000 (GPIO).
 */
function pageOf(address: number): number {
  return ((address >>> 12) & 0xff) | ((address >>> 20) & 0x100);
}

/** The bits of an address `pageOf` reads. */
const PAGE_BITS = 0x100ff000;

/**
 * Adds the entries of ring slots [from, to) of `words` to `per`'s row at `w`, by page: a run of
 * one page's entries (a flood: the whole stretch) is one count. Counting here, once a stretch,
 * and not as each entry is recorded (comparing its page with the one before) took ~3 ns an
 * entry off recording (the compare and its rarely taken call kept V8 from compiling `record`'s
 * stores tightly); this loop costs well under 1 ns an entry.
 */
function countRuns(per: Int32Array, w: number, words: Int32Array, from: number, to: number): void {
  for (let i = from; i < to;) {
    const key = words[i << 2]! & PAGE_BITS;
    const start = i++;
    while (i < to && (words[i << 2]! & PAGE_BITS) === key) i++;
    per[w + pageOf(key)]! += i - start;
  }
}

/** Adds `per`'s row at `w` to `counts`. */
function addRow(counts: Int32Array, per: Int32Array, w: number): void {
  for (let p = 0; p < PAGES; p++) counts[p]! += per[w + p]!;
}

/**
 * Subtracts `per`'s row at `l` from `counts`; whether a page of the row is left with fewer
 * than PERIPHERAL_QUOTA.
 */
function subtractRow(counts: Int32Array, per: Int32Array, l: number): boolean {
  let short = false;
  for (let p = 0; p < PAGES; p++) {
    const c = per[l + p]!;
    counts[p]! -= c;
    short ||= c !== 0 && counts[p]! < PERIPHERAL_QUOTA;
  }
  return short;
}

/** An entry kept apart (rare or spilled), as a filtered read gathers them. */
interface Kept {
  seq: number;
  cycle: number;
  address: number;
  value: number;
  pc: number;
  flags: number;
  /** Its call chain's number in `chains` (when FLAG_CHAINED is set in `flags`). */
  chain: number;
}

/**
 * A small ring of entries kept apart from the main ring, each with its sequence number: the
 * rare ring (the debugger's and EasyDMA's entries, copied as they are recorded) and each
 * peripheral's spill ring (its entries the main ring drops while it has few left, see
 * `PERIPHERAL_QUOTA`). Entries go in in sequence order, so a read stops at the first past its
 * stretch.
 */
class KeptRing {
  private readonly mask: number;
  private readonly seqs: Float64Array;
  private readonly cycles: Float64Array;
  /** Four words a slot, as the main ring's (`W_ADDRESS`...). */
  readonly words: Int32Array;
  /** Each chained entry's call chain (its number in the log's `chains`). */
  private readonly chainIds: Int32Array;
  /** Entries put in so far (the ring holds the last `capacity`). */
  head = 0;

  /** `capacity`: a power of two. */
  constructor(readonly capacity: number) {
    this.mask = capacity - 1;
    this.seqs = new Float64Array(capacity);
    this.cycles = new Float64Array(capacity);
    this.words = new Int32Array(capacity * 4);
    this.chainIds = new Int32Array(capacity);
  }

  /** Copies the entry at `b` (its first word) of ring `words`, sequence number `seq`. */
  put(seq: number, cycle: number, words: Int32Array, b: number, chain: number): void {
    const r = this.head & this.mask;
    const o = r << 2;
    this.seqs[r] = seq;
    this.cycles[r] = cycle;
    this.words[o + W_ADDRESS] = words[b + W_ADDRESS]!;
    this.words[o + W_VALUE] = words[b + W_VALUE]!;
    this.words[o + W_PC] = words[b + W_PC]!;
    this.words[o + W_FLAGS] = words[b + W_FLAGS]!;
    this.chainIds[r] = chain;
    this.head++;
  }

  /** Whether it holds every entry put in with a sequence number from `seq` on. */
  holdsFrom(seq: number): boolean {
    return this.head <= this.capacity || this.seqs[this.head & this.mask]! <= seq;
  }

  /**
   * Appends to `out` the held entries with sequence numbers in [start, stop) that pass `filter`
   * (all of them with `filter.kept`); whether it appended any.
   */
  gather(start: number, stop: number, filter: AccessLogFilter, out: Kept[]): boolean {
    const before = out.length;
    for (let n = Math.max(0, this.head - this.capacity); n < this.head; n++) {
      const r = n & this.mask;
      const seq = this.seqs[r]!;
      if (seq < start) continue;
      if (seq >= stop) break;
      const o = r << 2;
      const f = this.words[o + W_FLAGS]!;
      const address = this.words[o + W_ADDRESS]! >>> 0;
      const pc = this.words[o + W_PC]! >>> 0;
      // A transfer belongs to its peripheral's registers' range (its pc is the base).
      if (!filter.kept && !passes(filter, f, f & FLAG_DMA ? pc : address)) continue;
      out.push({
        seq,
        cycle: this.cycles[r]!,
        address,
        value: this.words[o + W_VALUE]! >>> 0,
        pc,
        flags: f,
        chain: f & FLAG_CHAINED ? this.chainIds[r]! : 0,
      });
    }
    return out.length > before;
  }
}

/** Entries the emulator's ring holds unless told otherwise (older ones are overwritten). */
export const ACCESS_LOG_CAPACITY = 1 << 17;

export class AccessLog {
  readonly capacity: number;
  private readonly cycles: Float64Array;
  /** Four words a slot (`W_ADDRESS`, `W_VALUE`, `W_PC`, `W_FLAGS`): see `W_ADDRESS`. */
  private readonly words: Int32Array;
  /** Sequence number of the next entry recorded. */
  private head = 0;
  /** Entries below this were cleared. */
  private floor = 0;

  private readonly mask: number;
  /** The kept-apart ring of the debugger's and EasyDMA's entries. */
  private readonly rare = new KeptRing(RARE_CAPACITY);
  /** Entries per peripheral page (`pageOf`) in the counted stretches of the main ring. */
  private readonly inRing = new Int32Array(PAGES);
  /** Each stretch's entries per page (`PAGES` per stretch), counted at its `turn`. */
  private readonly perStretch: Int32Array;
  /** Entries per stretch (a power of two: capacity / TURNS, at least 1), and its log2. */
  private readonly stretch: number;
  private readonly stretchShift: number;
  /** The sequence number at which the next `turn` is due. */
  private nextTurn: number;
  /** `perStretch`'s row (its first index) of the stretch being written. */
  private row = 0;
  /** The debugger's and EasyDMA's entries per page since the last turn (not counted). */
  private readonly rarePer = new Int32Array(PAGES);
  private rareSinceTurn = 0;
  /** Each page's spilled entries (allocated on its first). */
  private readonly spills: (KeptRing | undefined)[] = [];
  /** The call chains entries have (see `chain`). */
  readonly chains = new ChainTable();
  /** Each entry's call chain's number in `chains` (allocated on the first; see `chain`). */
  private chainIds: Int32Array | null = null;

  /** `capacity` is rounded up to a power of two (an index is then a mask, not a division). */
  constructor(capacity = ACCESS_LOG_CAPACITY) {
    // Small integers (`| 0`): V8 keeps a field first given a fraction-capable number (`**`, `/`,
    // Math.log2 answer doubles) as a boxed double, and `record` reads `mask` and `nextTurn` at
    // every access (measured: ~1 ns an entry more).
    capacity = (2 ** Math.ceil(Math.log2(Math.max(1, capacity)))) | 0;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.cycles = new Float64Array(capacity);
    this.words = new Int32Array(capacity * 4);
    this.stretch = Math.max(1, capacity / TURNS) | 0;
    this.stretchShift = Math.log2(this.stretch) | 0;
    this.perStretch = new Int32Array((capacity / this.stretch) * PAGES);
    this.nextTurn = this.stretch;
  }

  /** Entries recorded so far (including those the ring has dropped). */
  get recorded(): number {
    return this.head;
  }

  record(
    cycle: number,
    write: boolean,
    size: 1 | 2 | 4,
    address: number,
    value: number,
    pc: number,
    byDebugger: boolean,
  ): number {
    // `put`'s stores written out here, not called: where V8 does not inline this into its
    // caller (the call-chain listener's), an access pays one call, not two.
    const h = this.head;
    if (h === this.nextTurn) this.turn();
    const i = h & this.mask;
    const b = i << 2;
    const words = this.words;
    this.cycles[i] = cycle;
    words[b + W_ADDRESS] = address;
    words[b + W_VALUE] = value;
    words[b + W_PC] = pc;
    words[b + W_FLAGS] = (write ? FLAG_WRITE : 0) | (size << 2);
    this.head = h + 1;
    if (byDebugger) this.byDebugger(i);
    return i;
  }

  /** Marks the entry just recorded in slot `i` as the debugger's and keeps it apart. */
  private byDebugger(i: number): void {
    this.words[(i << 2) + W_FLAGS]! |= FLAG_DEBUGGER;
    this.keepApart(i);
  }

  /**
   * The bus's listener (`Bus.onDeviceAccess`) recording every access into this log, as `record`
   * does: the cycle is `at.clock.now`, the PC `at.pc`, and the access is the debugger's while
   * `debugging.depth` is not 0. A new function each call: a caller turning the log off and on
   * keeps the one it made (the bus's call sites then keep calling the function they have seen).
   *
   * Why a closure of its own and not a call to `record`: the bus calls the listener at every
   * device access, from paths V8 compiles with many other calls inlined (the core's checked
   * store inlines the bus's `write`, its region search and alignment check), and V8 stops
   * inlining past a budget of bytecode per compiled function. A listener calling `record` (70 +
   * 154 bytes) was inlined into the checked store in some fresh processes and not in others,
   * where each access then paid two calls. This is one function (186 bytes), the ring's arrays
   * and mask constants of its closure: inlined (the read paths) or not (the checked store, in
   * the traces seen), an access pays at most one call.
   */
  recorder(
    at: { readonly clock: { readonly now: number }; readonly pc: number },
    debugging: { readonly depth: number },
  ): (write: boolean, address: number, size: AccessSize, value: number) => void {
    const clock = at.clock;
    const cycles = this.cycles;
    const words = this.words;
    const mask = this.mask;
    // Literal offsets and flags (each named constant is a load from the module's context in
    // the bytecode V8 budgets): W_ADDRESS, W_VALUE, W_PC, W_FLAGS and FLAG_WRITE.
    const recordAccess = (
      write: boolean,
      address: number,
      size: AccessSize,
      value: number,
    ): void => {
      const h = this.head;
      if (h === this.nextTurn) this.turn();
      const i = h & mask;
      const b = i << 2;
      cycles[i] = clock.now;
      words[b] = address;
      words[b + 1] = value;
      // The PC's bits as they are (read back unsigned, as every word).
      words[b + 2] = at.pc;
      words[b + 3] = (write ? 1 : 0) | (size << 2);
      this.head = h + 1;
      if (debugging.depth !== 0) this.byDebugger(i);
    };
    return recordAccess;
  }

  /**
   * An EasyDMA transfer: the peripheral at base `peripheral` read or wrote `length` bytes of
   * RAM at `address` (kept as an entry whose `dma` is set; its `pc` is the peripheral's base).
   */
  recordDma(
    cycle: number,
    peripheral: number,
    write: boolean,
    address: number,
    length: number,
  ): void {
    const flags = (write ? FLAG_WRITE : 0) | FLAG_DMA | (1 << 2);
    this.keepApart(this.put(cycle, address, length, peripheral, flags));
  }

  /** Writes the next entry into the ring; its slot. */
  private put(cycle: number, address: number, value: number, pc: number, flags: number): number {
    const h = this.head;
    if (h === this.nextTurn) this.turn();
    const i = h & this.mask;
    const b = i << 2;
    const words = this.words;
    this.cycles[i] = cycle;
    words[b + W_ADDRESS] = address;
    words[b + W_VALUE] = value;
    words[b + W_PC] = pc;
    words[b + W_FLAGS] = flags;
    this.head = h + 1;
    return i;
  }

  /**
   * Copies the debugger's or EasyDMA's entry just written to slot `i` (the newest) to the rare
   * ring; the turn takes it back out of its page's count.
   */
  private keepApart(i: number): void {
    const b = i << 2;
    this.rare.put(this.head - 1, this.cycles[i]!, this.words, b, 0);
    this.rarePer[pageOf(this.words[b + W_ADDRESS]! >>> 0)]!++;
    this.rareSinceTurn++;
  }

  /**
   * The head (`nextTurn`) enters a new stretch of the ring: the stretch just written is counted
   * per peripheral page, and the entries of the stretch about to be overwritten (once the ring
   * is full) whose page has fewer than PERIPHERAL_QUOTA entries after them in the ring move to
   * the page's spill ring. Entries after them not yet recorded are not counted, so this keeps
   * at least what the rule asks. The debugger's and EasyDMA's entries are in the rare ring
   * already and are not counted.
   */
  private turn(): void {
    const n = this.stretch;
    const per = this.perStretch;
    const words = this.words;
    // The stretch just written, counted by runs of one page, less its debugger and EasyDMA
    // entries (counted in the runs, kept apart already). Rows are small integers, each loop in a
    // function of its own: V8 compiles them well then.
    const w = this.row;
    const written = (this.head - n) & this.mask;
    countRuns(per, w, words, written, written + n);
    if (this.rareSinceTurn !== 0) {
      const rarePer = this.rarePer;
      for (let p = 0; p < PAGES; p++) per[w + p]! -= rarePer[p]!;
      rarePer.fill(0);
      this.rareSinceTurn = 0;
    }
    addRow(this.inRing, per, w);
    this.nextTurn += n;
    // The stretch about to be written (overwritten, once the ring is full) counts from zero.
    const leaving = this.head & this.mask;
    const l = (leaving >>> this.stretchShift) * PAGES;
    this.row = l;
    if (this.head >= this.capacity && subtractRow(this.inRing, per, l)) {
      // A page is left short: runs of one page that is not short are passed over whole; in the
      // others, `per`'s row counts down what is left of the page in the stretch after each
      // entry, and an entry with fewer than PERIPHERAL_QUOTA after it moves to a spill ring.
      const seq0 = this.head - this.capacity - leaving;
      const inRing = this.inRing;
      const end = leaving + n;
      for (let i = leaving; i < end;) {
        const key = words[i << 2]! & PAGE_BITS;
        const page = pageOf(key);
        if (inRing[page]! >= PERIPHERAL_QUOTA) {
          i++;
          while (i < end && (words[i << 2]! & PAGE_BITS) === key) i++;
          continue;
        }
        if ((words[(i << 2) + W_FLAGS]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0) {
          const after = --per[l + page]! + inRing[page]!;
          if (after < PERIPHERAL_QUOTA) this.spill(page, i, seq0 + i);
        }
        i++;
      }
    }
    per.fill(0, l, l + PAGES);
  }

  /** Copies the entry in ring slot `i` (sequence number `seq`) to its page's spill ring. */
  private spill(page: number, i: number, seq: number): void {
    const spill = (this.spills[page] ??= new KeptRing(PERIPHERAL_QUOTA));
    const b = i << 2;
    const chained = (this.words[b + W_FLAGS]! & FLAG_CHAINED) !== 0;
    spill.put(seq, this.cycles[i]!, this.words, b, chained ? this.chainIds![i]! : 0);
  }

  /**
   * The kept-apart entries (rare and spilled) with sequence numbers in [start, stop) that pass
   * `filter`, in order.
   */
  private keptApart(start: number, stop: number, filter: AccessLogFilter): Kept[] {
    const out: Kept[] = [];
    // Each ring's entries are in order: only entries from more than one need sorting.
    let rings = this.rare.gather(start, stop, filter, out) ? 1 : 0;
    for (const spill of this.spills)
      if (spill !== undefined && spill.gather(start, stop, filter, out)) rings++;
    if (rings > 1) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /**
   * The ring's entries with sequence numbers in [from, to) per page (`pageOf`), the debugger's
   * and EasyDMA's left out. Whole stretches counted at their turn (all but the one being
   * written) are added from their `perStretch` rows, which count exactly that; only the ends
   * are scanned. A reader skipping ahead through a flood asks for nearly the whole ring at every
   * poll: scanning it all took a few ms of the emulator's thread each time.
   */
  private pagesIn(from: number, to: number): Int32Array {
    const counts = new Int32Array(PAGES);
    const n = this.stretch;
    // Stretch k (sequence numbers [k, k + n), k a multiple of n) is counted in its row once the
    // head has passed into the next one; from >= the ring's oldest, so all of it is in the ring.
    const counted = this.nextTurn - n;
    const a = Math.ceil(from / n) * n;
    const b = Math.min(Math.floor(to / n) * n, counted);
    if (a >= b) {
      this.scanPages(counts, from, to);
      return counts;
    }
    this.scanPages(counts, from, a);
    for (let k = a; k < b; k += n)
      addRow(counts, this.perStretch, ((k & this.mask) >>> this.stretchShift) * PAGES);
    this.scanPages(counts, b, to);
    return counts;
  }

  /**
   * The ring's entries in [from, to) of the pages `quiet` (`pagesIn`) has with fewer than
   * PERIPHERAL_QUOTA, the debugger's and EasyDMA's left out; a run of another page's entries is
   * passed over whole.
   */
  private quietIn(from: number, to: number, quiet: Int32Array): number[] {
    const out: number[] = [];
    const words = this.words;
    const mask = this.mask;
    for (let q = from; q < to;) {
      const b = (q & mask) << 2;
      const key = words[b + W_ADDRESS]! & PAGE_BITS;
      q++;
      if (quiet[pageOf(key)]! >= PERIPHERAL_QUOTA) {
        while (q < to && (words[(q & mask) << 2]! & PAGE_BITS) === key) q++;
        continue;
      }
      if ((words[b + W_FLAGS]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0) out.push(q - 1);
    }
    return out;
  }

  /** Adds the ring's entries [from, to) to `counts` per page, as `pagesIn` counts them. */
  private scanPages(counts: Int32Array, from: number, to: number): void {
    for (let q = from; q < to; q++) {
      const b = (q & this.mask) << 2;
      if ((this.words[b + W_FLAGS]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0)
        counts[pageOf(this.words[b + W_ADDRESS]! >>> 0)]!++;
    }
  }

  /**
   * The entry just recorded in ring slot `i` (`record`'s answer) was made from call chain `id`
   * (its number in `chains`: `CallChainWalker.chainOf`).
   */
  chain(i: number, id: number): void {
    (this.chainIds ??= new Int32Array(this.capacity))[i] = id;
    this.words[(i << 2) + W_FLAGS]! |= FLAG_CHAINED;
  }

  /**
   * Up to `max` entries from `seq` on (the oldest kept, when `seq` fell out of the ring), before
   * `until` (default: all recorded). With `filter`, only entries whose address lies in one of
   * its [lo, hi) ranges, or (`filter.debugger`) that the debugger made; the scan still covers
   * every entry in between, so `next` passes the ones left out.
   */
  since(seq: number, max = 10_000, until = Infinity, filter?: AccessLogFilter): AccessLogChunk {
    const { columns, next, missed } = this.columns(seq, max, until, filter);
    return { entries: recordsOf(columns), next, missed };
  }

  /**
   * `since` as columns (see `AccessLogColumns`), without making an object per entry. With
   * `newest`, the ring's part of the read takes the newest matches before `until` rather than
   * the oldest (a view following a flood its filter matches needs only the tail: the ring is
   * searched backwards from the end and stops once the page is full); `next` is then the end, and
   * `passed` counts the matches between the read's start and the first entry taken that were
   * left out (the entries kept apart, before the ring's oldest, still come first).
   */
  columns(
    seq: number,
    max = 10_000,
    until = Infinity,
    filter?: AccessLogFilter,
    newest = false,
  ): { columns: AccessLogColumns; next: number; missed: number; passed: number } {
    const oldest = Math.max(this.floor, this.head - this.capacity);
    const start = Math.max(seq, this.floor);
    const limit = Math.max(0, max);
    // Kept-apart entries first (a filtered read from before the ring's oldest), then ring slots:
    // unfiltered the run [from, s), filtered those in `slots`.
    let rare: Kept[] = [];
    let slots: number[] | null = null;
    let next: number | null = null;
    if (filter !== undefined && start < oldest) {
      rare = this.keptApart(start, Math.min(oldest, until), filter);
      if (rare.length > limit) {
        next = rare[limit]!.seq;
        rare = rare.slice(0, limit);
      }
    }
    let from = Math.max(seq, oldest);
    const ringFrom = from;
    let passed = 0;
    let s = from;
    if (next === null) {
      const end = Math.max(from, Math.min(this.head, until));
      if (filter === undefined) {
        if (newest) {
          from = Math.max(from, end - (limit - rare.length));
          passed = from - ringFrom;
        }
        s = Math.max(from, Math.min(end, from + limit - rare.length));
      } else if (newest) {
        slots = [];
        const quiet = filter.kept === true ? this.pagesIn(from, end) : null;
        const want = limit - rare.length;
        let q = end;
        while (q > from && slots.length < want) if (this.matches(--q, filter, quiet)) slots.push(q);
        slots.reverse();
        for (let r = from; r < q; r++) if (this.matches(r, filter, quiet)) passed++;
        s = end;
      } else {
        slots = [];
        // With `kept`: the entries per page of the stretch read (a page with fewer is quiet).
        const quiet = filter.kept === true ? this.pagesIn(from, end) : null;
        // A kept read with no range (a reader skipping ahead): the debugger's and EasyDMA's
        // entries come from the rare ring, which has a copy of each (while it holds them all),
        // and the ring is searched only for the quiet pages' own entries, a run of another
        // page's passed over whole (a flood's run: the whole stretch, no page quiet: none).
        if (quiet !== null && filter.ranges.length === 0 && this.rare.holdsFrom(from)) {
          const held: Kept[] = [];
          this.rare.gather(from, end, filter, held);
          const own = anyQuiet(quiet) ? this.quietIn(from, end, quiet) : [];
          let i = 0;
          let j = 0;
          while ((i < held.length || j < own.length) && rare.length + slots.length < limit)
            slots.push(
              j === own.length || (i < held.length && held[i]!.seq < own[j]!)
                ? held[i++]!.seq
                : own[j++]!,
            );
          // As the scan below: past the last entry taken when the page is full, else the end.
          s =
            rare.length + slots.length < limit
              ? end
              : slots.length > 0
                ? slots[slots.length - 1]! + 1
                : from;
        }
        for (; s < end && rare.length + slots.length < limit; s++)
          if (this.matches(s, filter, quiet)) slots.push(s);
      }
    }
    // Call chains: of the entries made with one (FLAG_CHAINED; never the debugger's or
    // EasyDMA's), by number in `chains`.
    const chains = this.chains;
    let total = 0;
    for (const k of rare) if (k.flags & FLAG_CHAINED) total += chains.length(k.chain);
    if (this.chainIds !== null) {
      if (slots === null) for (let q = from; q < s; q++) total += this.chainLength(q);
      else for (const q of slots) total += this.chainLength(q);
    }
    const c = newColumns(rare.length + (slots === null ? s - from : slots.length));
    c.callers = new Uint32Array(total);
    let o = 0;
    let at = 0;
    for (const k of rare) {
      c.seq[o] = k.seq;
      c.cycle[o] = k.cycle;
      c.address[o] = k.address;
      c.value[o] = k.value;
      c.pc[o] = k.pc;
      c.flags[o] = columnFlags(k.flags);
      if (k.flags & FLAG_CHAINED) at = chains.copy(k.chain, c.callers, at);
      c.callerEnds[o] = at;
      o++;
    }
    if (slots === null) for (let q = from; q < s; q++) at = this.copySlot(c, o++, q, at);
    else for (const q of slots) at = this.copySlot(c, o++, q, at);
    const first = next ?? s;
    return {
      columns: c,
      next: first,
      missed: Math.max(0, (next !== null ? next : ringFrom) - seq),
      passed,
    };
  }

  /** Whether ring entry `q` passes `filter` in a read (`quiet`: `pagesIn` of a kept read). */
  private matches(q: number, filter: AccessLogFilter, quiet: Int32Array | null): boolean {
    const words = this.words;
    const b = (q & this.mask) << 2;
    const f = words[b + W_FLAGS]!;
    const address = words[b + W_ADDRESS]! >>> 0;
    // A transfer belongs to its peripheral's registers' range.
    if (passes(filter, f, f & FLAG_DMA ? words[b + W_PC]! >>> 0 : address)) return true;
    return (
      quiet !== null &&
      ((f & (FLAG_DEBUGGER | FLAG_DMA)) !== 0 || quiet[pageOf(address)]! < PERIPHERAL_QUOTA)
    );
  }

  /** The length of the call chain of entry `q` (in the ring), 0 for none. */
  private chainLength(q: number): number {
    const i = q & this.mask;
    return this.words[(i << 2) + W_FLAGS]! & FLAG_CHAINED
      ? this.chains.length(this.chainIds![i]!)
      : 0;
  }

  /**
   * Writes entry `q` (in the ring) to row `o` of `c`, its call chain at `at` of `c.callers`;
   * returns where the next chain goes.
   */
  private copySlot(c: AccessLogColumns, o: number, q: number, at: number): number {
    const i = q & this.mask;
    const b = i << 2;
    const words = this.words;
    const f = words[b + W_FLAGS]!;
    c.seq[o] = q;
    c.cycle[o] = this.cycles[i]!;
    // Uint32Array columns: the signed words are stored back as the unsigned values they were.
    c.address[o] = words[b + W_ADDRESS]!;
    c.value[o] = words[b + W_VALUE]!;
    c.pc[o] = words[b + W_PC]!;
    c.flags[o] = columnFlags(f);
    if (f & FLAG_CHAINED) at = this.chains.copy(this.chainIds![i]!, c.callers, at);
    c.callerEnds[o] = at;
    return at;
  }

  /** Forget every entry (sequence numbers keep counting, so readers are not confused). */
  clear(): void {
    this.floor = this.head;
  }
}

/** Whether a page has entries, but fewer than PERIPHERAL_QUOTA, in `counts` (`pagesIn`). */
function anyQuiet(counts: Int32Array): boolean {
  for (let p = 0; p < PAGES; p++) if (counts[p]! > 0 && counts[p]! < PERIPHERAL_QUOTA) return true;
  return false;
}

/** A column's flags (see `AccessLogColumns`) from the ring's flags `f`. */
function columnFlags(f: number): number {
  return (
    (f & FLAG_WRITE ? 1 : 0) |
    (f & FLAG_DEBUGGER ? 2 : 0) |
    (f & FLAG_DMA ? 4 : 0) |
    (f & FLAG_CHAINED ? 8 : 0) |
    (((f >>> 2) & 7) << 4)
  );
}

/** Whether an entry with flags `f` at (filter) address `a` passes `filter`. */
function passes(filter: AccessLogFilter, f: number, a: number): boolean {
  if (filter.debugger && (f & FLAG_DEBUGGER) !== 0) return true;
  return inRanges(f & FLAG_DMA && filter.dma !== undefined ? filter.dma : filter.ranges, a);
}

/** Filter ranges (pairs) up to which a linear search is used (see `AccessLogFilter.ranges`). */
export const LINEAR_RANGES = 8;

/** Whether `a` lies in one of the [lo, hi) pairs of `ranges` (see `AccessLogFilter.ranges`). */
export function inRanges(ranges: readonly number[], a: number): boolean {
  const pairs = ranges.length >> 1;
  if (pairs <= LINEAR_RANGES) {
    for (let k = 0; k < pairs * 2; k += 2) if (a >= ranges[k]! && a < ranges[k + 1]!) return true;
    return false;
  }
  // The last pair starting at or below `a`.
  let lo = 0;
  let hi = pairs;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (ranges[m * 2]! <= a) lo = m + 1;
    else hi = m;
  }
  return lo > 0 && a < ranges[lo * 2 - 1]!;
}
