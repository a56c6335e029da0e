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
 * That bookkeeping stays off the recording path (a flood records tens of millions of entries a
 * minute, and counting each one per peripheral doubled the cost of recording it): the ring is
 * cut into `TURNS` stretches, and only when the head crosses into the next (`turn`) are the
 * stretch just written counted per peripheral and the stretch about to be overwritten searched,
 * in one tight loop, for entries to keep. Counting only the entries recorded so far, a turn may
 * keep a few more than the rule asks (never fewer).
 *
 * Pure TypeScript, deterministic.
 *
 * @example
 *   const log = new AccessLog(1024);
 *   log.record(cycle, true, 4, 0x4000251c, 0x41, pc, false);
 *   const { entries, next, missed } = log.since(0, 500);
 */
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
  /** Flattened [lo, hi) address pairs. */
  ranges: readonly number[];
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

/** Debugger and EasyDMA entries kept apart (see the header); a power of two. */
export const RARE_CAPACITY = 1 << 13;
const RARE_MASK = RARE_CAPACITY - 1;

/**
 * Entries per peripheral kept when they leave the main ring while their peripheral has fewer
 * than this many left in it (see the header); a power of two.
 */
export const PERIPHERAL_QUOTA = 1 << 9;
const QUOTA_MASK = PERIPHERAL_QUOTA - 1;

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
 * Adds the entries of slots [from, from + n) per page (`pageOf`) of their address `words` into
 * `per`'s row at `w`, a run of one page at a time (a flood is one long run).
 */
function countPages(words: Int32Array, from: number, n: number, per: Int32Array, w: number): void {
  const end = from + n;
  let key = words[from]! & PAGE_BITS;
  let run = 0;
  for (let i = from; i < end; i++) {
    const k = words[i]! & PAGE_BITS;
    if (k === key) {
      run++;
      continue;
    }
    per[w + pageOf(key)]! += run;
    key = k;
    run = 1;
  }
  per[w + pageOf(key)]! += run;
}

/** `countPages` of the entries whose `flags` are neither the debugger's nor EasyDMA's. */
function countPagesOf(
  flags: Uint8Array,
  words: Int32Array,
  from: number,
  n: number,
  per: Int32Array,
  w: number,
): void {
  for (let i = from; i < from + n; i++)
    if ((flags[i]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0) per[w + pageOf(words[i]!)]!++;
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

/** A peripheral's own ring of entries the main ring dropped (see `PERIPHERAL_QUOTA`). */
interface Spill {
  seqs: Float64Array;
  cycles: Float64Array;
  /** address, value, pc of each. */
  words: Uint32Array;
  flags: Uint8Array;
  /** Each chained entry's call chain (its number in the log's `chains`). */
  chainIds: Int32Array;
  head: number;
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

/** Entries the emulator's ring holds unless told otherwise (older ones are overwritten). */
export const ACCESS_LOG_CAPACITY = 1 << 17;

export class AccessLog {
  readonly capacity: number;
  private readonly cycles: Float64Array;
  private readonly addresses: Uint32Array;
  /** `addresses` as signed words (what the retention's loops read: small integers for V8). */
  private readonly addressWords: Int32Array;
  private readonly values: Uint32Array;
  private readonly pcs: Uint32Array;
  private readonly flags: Uint8Array;
  /** Sequence number of the next entry recorded. */
  private head = 0;
  /** Entries below this were cleared. */
  private floor = 0;

  private readonly mask: number;
  /** The kept-apart ring: sequence number and slot data of each debugger or EasyDMA entry. */
  private readonly rareSeqs = new Float64Array(RARE_CAPACITY);
  private readonly rareCycles = new Float64Array(RARE_CAPACITY);
  private readonly rareWords = new Uint32Array(RARE_CAPACITY * 3);
  private readonly rareFlags = new Uint8Array(RARE_CAPACITY);
  private rareHead = 0;
  /** Entries per peripheral page (`pageOf`) in the counted stretches of the main ring. */
  private readonly inRing = new Int32Array(PAGES);
  /** Each stretch's entries per page (`PAGES` per stretch), counted at its `turn`. */
  private readonly perStretch: Int32Array;
  /** Entries per stretch (a power of two: capacity / TURNS, at least 1), and its log2. */
  private readonly stretch: number;
  private readonly stretchShift: number;
  /** The sequence number at which the next `turn` is due. */
  private nextTurn: number;
  /** `rareHead` at the last `turn`. */
  private rareAtTurn = 0;
  /** Each page's spilled entries (allocated on its first). */
  private readonly spills: (Spill | undefined)[] = [];
  /** The call chains entries have (see `chain`). */
  readonly chains = new ChainTable();
  /** Each entry's call chain's number in `chains` (allocated on the first; see `chain`). */
  private chainIds: Int32Array | null = null;

  /** `capacity` is rounded up to a power of two (an index is then a mask, not a division). */
  constructor(capacity = ACCESS_LOG_CAPACITY) {
    capacity = 2 ** Math.ceil(Math.log2(Math.max(1, capacity)));
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.cycles = new Float64Array(capacity);
    this.addresses = new Uint32Array(capacity);
    this.addressWords = new Int32Array(this.addresses.buffer);
    this.values = new Uint32Array(capacity);
    this.pcs = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.stretch = Math.max(1, capacity / TURNS);
    this.stretchShift = Math.log2(this.stretch);
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
    if (this.head === this.nextTurn) this.turn();
    const i = this.head & this.mask;
    this.cycles[i] = cycle;
    this.addresses[i] = address;
    this.values[i] = value;
    this.pcs[i] = pc;
    this.flags[i] = (write ? FLAG_WRITE : 0) | (byDebugger ? FLAG_DEBUGGER : 0) | (size << 2);
    if (byDebugger) this.keepApart(i);
    this.head++;
    return i;
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
    if (this.head === this.nextTurn) this.turn();
    const i = this.head & this.mask;
    this.cycles[i] = cycle;
    this.addresses[i] = address;
    this.values[i] = length;
    this.pcs[i] = peripheral;
    this.flags[i] = (write ? FLAG_WRITE : 0) | FLAG_DMA | (1 << 2);
    this.keepApart(i);
    this.head++;
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
    const words = this.addressWords;
    // Count the stretch just written, its debugger and EasyDMA entries taken back out (they
    // are the newest of the rare ring, unless there were more than it holds). Slots and rows
    // are small integers, each loop in a function of its own: V8 compiles them well then.
    const written = (this.head - n) & this.mask;
    const w = (written >>> this.stretchShift) * PAGES;
    per.fill(0, w, w + PAGES);
    const rare = this.rareHead - this.rareAtTurn;
    if (rare === 0) countPages(words, written, n, per, w);
    else if (rare > RARE_CAPACITY) countPagesOf(this.flags, words, written, n, per, w);
    else {
      countPages(words, written, n, per, w);
      for (let r = this.rareAtTurn; r < this.rareHead; r++)
        per[w + pageOf(this.rareWords[(r & RARE_MASK) * 3]!)]!--;
    }
    this.rareAtTurn = this.rareHead;
    addRow(this.inRing, per, w);
    this.nextTurn += n;
    if (this.head < this.capacity) return;
    // The stretch about to be overwritten leaves the count; is any of its pages short?
    const leaving = this.head & this.mask;
    const l = (leaving >>> this.stretchShift) * PAGES;
    if (!subtractRow(this.inRing, per, l)) return;
    // Runs of one page that is not short are passed over whole; in the others, `per`'s row
    // counts down what is left of the page in the stretch after each entry.
    const seq0 = this.head - this.capacity - leaving;
    const inRing = this.inRing;
    const flags = this.flags;
    const end = leaving + n;
    for (let i = leaving; i < end;) {
      const key = words[i]! & PAGE_BITS;
      const page = pageOf(key);
      if (inRing[page]! >= PERIPHERAL_QUOTA) {
        i++;
        while (i < end && (words[i]! & PAGE_BITS) === key) i++;
        continue;
      }
      if ((flags[i]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0) {
        const after = --per[l + page]! + inRing[page]!;
        if (after < PERIPHERAL_QUOTA) this.spill(page, i, seq0 + i);
      }
      i++;
    }
  }

  /** Copies the entry in ring slot `i` (sequence number `seq`) to its page's spill ring. */
  private spill(page: number, i: number, seq: number): void {
    let spill = this.spills[page];
    if (spill === undefined)
      this.spills[page] = spill = {
        seqs: new Float64Array(PERIPHERAL_QUOTA),
        cycles: new Float64Array(PERIPHERAL_QUOTA),
        words: new Uint32Array(PERIPHERAL_QUOTA * 3),
        flags: new Uint8Array(PERIPHERAL_QUOTA),
        chainIds: new Int32Array(PERIPHERAL_QUOTA),
        head: 0,
      };
    const r = spill.head & QUOTA_MASK;
    const f = this.flags[i]!;
    spill.seqs[r] = seq;
    spill.cycles[r] = this.cycles[i]!;
    spill.words[r * 3] = this.addresses[i]!;
    spill.words[r * 3 + 1] = this.values[i]!;
    spill.words[r * 3 + 2] = this.pcs[i]!;
    spill.flags[r] = f;
    if (f & FLAG_CHAINED) spill.chainIds[r] = this.chainIds![i]!;
    spill.head++;
  }

  /**
   * The kept-apart entries (rare and spilled) with sequence numbers in [start, stop) that pass
   * `filter`, in order.
   */
  private keptApart(start: number, stop: number, filter: AccessLogFilter): Kept[] {
    const out: Kept[] = [];
    for (let r = Math.max(0, this.rareHead - RARE_CAPACITY); r < this.rareHead; r++) {
      const k = r & RARE_MASK;
      const seq = this.rareSeqs[k]!;
      if (seq < start) continue;
      if (seq >= stop) break;
      const f = this.rareFlags[k]!;
      // A transfer belongs to its peripheral's registers' range (its pc is the base).
      if (!filter.kept && !passes(filter, f, this.rareWords[k * 3 + (f & FLAG_DMA ? 2 : 0)]!))
        continue;
      out.push({
        seq,
        cycle: this.rareCycles[k]!,
        address: this.rareWords[k * 3]!,
        value: this.rareWords[k * 3 + 1]!,
        pc: this.rareWords[k * 3 + 2]!,
        flags: f,
        chain: 0,
      });
    }
    let spilled = false;
    for (const spill of this.spills) {
      if (spill === undefined) continue;
      for (let r = Math.max(0, spill.head - PERIPHERAL_QUOTA); r < spill.head; r++) {
        const k = r & QUOTA_MASK;
        const seq = spill.seqs[k]!;
        if (seq < start) continue;
        if (seq >= stop) break;
        const f = spill.flags[k]!;
        const address = spill.words[k * 3]!;
        if (!filter.kept && !passes(filter, f, address)) continue;
        spilled = true;
        out.push({
          seq,
          cycle: spill.cycles[k]!,
          address,
          value: spill.words[k * 3 + 1]!,
          pc: spill.words[k * 3 + 2]!,
          flags: f,
          chain: spill.chainIds[k]!,
        });
      }
    }
    if (spilled) out.sort((a, b) => a.seq - b.seq);
    return out;
  }

  /** The ring's entries with sequence numbers in [from, to) per page (`pageOf`). */
  private pagesIn(from: number, to: number): Int32Array {
    const counts = new Int32Array(PAGES);
    for (let q = from; q < to; q++) {
      const i = q & this.mask;
      if ((this.flags[i]! & (FLAG_DEBUGGER | FLAG_DMA)) === 0)
        counts[pageOf(this.addresses[i]!)]!++;
    }
    return counts;
  }

  /** Copies the entry being recorded in slot `i` (sequence number `head`) to the rare ring. */
  private keepApart(i: number): void {
    const r = this.rareHead & RARE_MASK;
    this.rareSeqs[r] = this.head;
    this.rareCycles[r] = this.cycles[i]!;
    this.rareWords[r * 3] = this.addresses[i]!;
    this.rareWords[r * 3 + 1] = this.values[i]!;
    this.rareWords[r * 3 + 2] = this.pcs[i]!;
    this.rareFlags[r] = this.flags[i]!;
    this.rareHead++;
  }

  /**
   * The entry just recorded in ring slot `i` (`record`'s answer) was made from call chain `id`
   * (its number in `chains`: `CallChainWalker.chainOf`).
   */
  chain(i: number, id: number): void {
    (this.chainIds ??= new Int32Array(this.capacity))[i] = id;
    this.flags[i]! |= FLAG_CHAINED;
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

  /** `since` as columns (see `AccessLogColumns`), without making an object per entry. */
  columns(
    seq: number,
    max = 10_000,
    until = Infinity,
    filter?: AccessLogFilter,
  ): { columns: AccessLogColumns; next: number; missed: number } {
    const oldest = Math.max(this.floor, this.head - this.capacity);
    const start = Math.max(seq, this.floor);
    const limit = Math.max(0, max);
    // Kept-apart entries first (a filtered read from before the ring's oldest), then ring slots.
    let rare: Kept[] = [];
    const slots: number[] = [];
    let next: number | null = null;
    if (filter !== undefined && start < oldest) {
      rare = this.keptApart(start, Math.min(oldest, until), filter);
      if (rare.length > limit) {
        next = rare[limit]!.seq;
        rare = rare.slice(0, limit);
      }
    }
    const from = Math.max(seq, oldest);
    let s = from;
    if (next === null) {
      const end = Math.max(from, Math.min(this.head, until));
      if (filter === undefined) {
        const to = Math.min(end, from + limit - rare.length);
        for (; s < to; s++) slots.push(s);
      } else {
        // With `kept`: the entries per page of the stretch read (a page with fewer is quiet).
        const quiet = filter.kept === true ? this.pagesIn(from, end) : null;
        for (; s < end && rare.length + slots.length < limit; s++) {
          const i = s & this.mask;
          const f = this.flags[i]!;
          // A transfer belongs to its peripheral's registers' range.
          if (
            passes(filter, f, f & FLAG_DMA ? this.pcs[i]! : this.addresses[i]!) ||
            (quiet !== null &&
              (f & (FLAG_DEBUGGER | FLAG_DMA) ||
                quiet[pageOf(this.addresses[i]!)]! < PERIPHERAL_QUOTA))
          )
            slots.push(s);
        }
      }
    }
    // Call chains: of the entries made with one (FLAG_CHAINED; never the debugger's or
    // EasyDMA's), by number in `chains`.
    const chains = this.chains;
    const ids = this.chainIds;
    let total = 0;
    for (const k of rare) if (k.flags & FLAG_CHAINED) total += chains.length(k.chain);
    for (const q of slots) {
      const i = q & this.mask;
      if (this.flags[i]! & FLAG_CHAINED) total += chains.length(ids![i]!);
    }
    const c = newColumns(rare.length + slots.length);
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
    for (const q of slots) {
      const i = q & this.mask;
      const f = this.flags[i]!;
      c.seq[o] = q;
      c.cycle[o] = this.cycles[i]!;
      c.address[o] = this.addresses[i]!;
      c.value[o] = this.values[i]!;
      c.pc[o] = this.pcs[i]!;
      c.flags[o] = columnFlags(f);
      if (f & FLAG_CHAINED) at = chains.copy(ids![i]!, c.callers, at);
      c.callerEnds[o] = at;
      o++;
    }
    const first = next ?? s;
    return { columns: c, next: first, missed: Math.max(0, (next !== null ? next : from) - seq) };
  }

  /** Forget every entry (sequence numbers keep counting, so readers are not confused). */
  clear(): void {
    this.floor = this.head;
  }
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
  const ranges = filter.ranges;
  for (let k = 0; k + 1 < ranges.length; k += 2)
    if (a >= ranges[k]! && a < ranges[k + 1]!) return true;
  return false;
}
