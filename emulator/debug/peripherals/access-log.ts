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
 * Pure TypeScript, deterministic.
 *
 * @example
 *   const log = new AccessLog(1024);
 *   log.record(cycle, true, 4, 0x4000251c, 0x41, pc, false);
 *   const { entries, next, missed } = log.since(0, 500);
 */
import type { AccessRecord } from '../target';
import { CALLER_DEPTH } from './call-chain';

export interface AccessLogChunk {
  entries: AccessRecord[];
  /** The `seq` to ask for next. */
  next: number;
  /** Entries between the asked-for `seq` and the first returned that were dropped or cleared. */
  missed: number;
}

/** Which entries `since` returns (see there). */
export interface AccessLogFilter {
  /** Flattened [lo, hi) address pairs. */
  ranges: readonly number[];
  /** Also every access the debugger made. */
  debugger: boolean;
}

const FLAG_WRITE = 1;
const FLAG_DEBUGGER = 2;
/** A peripheral's EasyDMA transfer: `pc` holds the peripheral's base, `value` the length. */
const FLAG_DMA = 32;

export class AccessLog {
  readonly capacity: number;
  private readonly cycles: Float64Array;
  private readonly addresses: Uint32Array;
  private readonly values: Uint32Array;
  private readonly pcs: Uint32Array;
  private readonly flags: Uint8Array;
  /** Sequence number of the next entry recorded. */
  private head = 0;
  /** Entries below this were cleared. */
  private floor = 0;

  private readonly mask: number;
  /**
   * Return addresses of each entry's callers (`CALLER_DEPTH` per entry, 0 ends a shorter
   * chain), or null while nobody walks call chains (see call-chain.ts and `callersAt`).
   */
  callers: Uint32Array | null = null;

  /** `capacity` is rounded up to a power of two (an index is then a mask, not a division). */
  constructor(capacity = 1 << 17) {
    capacity = 2 ** Math.ceil(Math.log2(Math.max(1, capacity)));
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.cycles = new Float64Array(capacity);
    this.addresses = new Uint32Array(capacity);
    this.values = new Uint32Array(capacity);
    this.pcs = new Uint32Array(capacity);
    this.flags = new Uint8Array(capacity);
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
    const i = this.head & this.mask;
    this.cycles[i] = cycle;
    this.addresses[i] = address;
    this.values[i] = value;
    this.pcs[i] = pc;
    this.flags[i] = (write ? FLAG_WRITE : 0) | (byDebugger ? FLAG_DEBUGGER : 0) | (size << 2);
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
    const i = this.head & this.mask;
    this.cycles[i] = cycle;
    this.addresses[i] = address;
    this.values[i] = length;
    this.pcs[i] = peripheral;
    this.flags[i] = (write ? FLAG_WRITE : 0) | FLAG_DMA | (1 << 2);
    if (this.callers !== null) this.callers[i * CALLER_DEPTH] = 0;
    this.head++;
  }

  /** The slot of `callers` where the entry in ring slot `i` keeps its chain (allocated on first use). */
  callersAt(i: number): number {
    if (this.callers === null) this.callers = new Uint32Array(this.capacity * CALLER_DEPTH);
    return i * CALLER_DEPTH;
  }

  /**
   * Up to `max` entries from `seq` on (the oldest kept, when `seq` fell out of the ring), before
   * `until` (default: all recorded). With `filter`, only entries whose address lies in one of
   * its [lo, hi) ranges, or (`filter.debugger`) that the debugger made; the scan still covers
   * every entry in between, so `next` passes the ones left out.
   */
  since(seq: number, max = 10_000, until = Infinity, filter?: AccessLogFilter): AccessLogChunk {
    const oldest = Math.max(this.floor, this.head - this.capacity);
    const from = Math.max(seq, oldest);
    const end = Math.max(from, Math.min(this.head, until));
    const limit = Math.max(0, max);
    const entries: AccessRecord[] = [];
    let s = from;
    if (filter === undefined) {
      const to = Math.min(end, from + limit);
      for (; s < to; s++) entries.push(this.entry(s));
    } else {
      const ranges = filter.ranges;
      for (; s < end && entries.length < limit; s++) {
        const i = s & this.mask;
        const f = this.flags[i]!;
        let pass = filter.debugger && (f & FLAG_DEBUGGER) !== 0;
        if (!pass) {
          // A transfer belongs to its peripheral's registers' range.
          const a = f & FLAG_DMA ? this.pcs[i]! : this.addresses[i]!;
          for (let k = 0; k + 1 < ranges.length; k += 2)
            if (a >= ranges[k]! && a < ranges[k + 1]!) {
              pass = true;
              break;
            }
        }
        if (pass) entries.push(this.entry(s));
      }
    }
    return { entries, next: s, missed: Math.max(0, from - seq) };
  }

  private entry(s: number): AccessRecord {
    const i = s & this.mask;
    const f = this.flags[i]!;
    let callers: number[] | undefined;
    if (this.callers !== null && !(f & (FLAG_DEBUGGER | FLAG_DMA))) {
      callers = [];
      for (let k = i * CALLER_DEPTH; k < (i + 1) * CALLER_DEPTH; k++) {
        const c = this.callers[k]!;
        if (c === 0) break;
        callers.push(c);
      }
    }
    return {
      seq: s,
      cycle: this.cycles[i]!,
      write: (f & FLAG_WRITE) !== 0,
      size: (f >>> 2) as 1 | 2 | 4,
      address: this.addresses[i]!,
      value: this.values[i]!,
      pc: this.pcs[i]!,
      debugger: (f & FLAG_DEBUGGER) !== 0,
      ...(callers ? { callers } : {}),
      ...(f & FLAG_DMA ? { dma: true } : {}),
    };
  }

  /** Forget every entry (sequence numbers keep counting, so readers are not confused). */
  clear(): void {
    this.floor = this.head;
  }
}
