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

export interface AccessLogChunk {
  entries: AccessRecord[];
  /** The `seq` to ask for next. */
  next: number;
  /** Entries between the asked-for `seq` and the first returned that were dropped or cleared. */
  missed: number;
}

const FLAG_WRITE = 1;
const FLAG_DEBUGGER = 2;

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
  ): void {
    const i = this.head & this.mask;
    this.cycles[i] = cycle;
    this.addresses[i] = address;
    this.values[i] = value;
    this.pcs[i] = pc;
    this.flags[i] = (write ? FLAG_WRITE : 0) | (byDebugger ? FLAG_DEBUGGER : 0) | (size << 2);
    this.head++;
  }

  /** Up to `max` entries from `seq` on (the oldest kept, when `seq` fell out of the ring). */
  since(seq: number, max = 10_000): AccessLogChunk {
    const oldest = Math.max(this.floor, this.head - this.capacity);
    const from = Math.max(seq, oldest);
    const to = Math.min(this.head, from + Math.max(0, max));
    const entries: AccessRecord[] = [];
    for (let s = from; s < to; s++) {
      const i = s & this.mask;
      const f = this.flags[i]!;
      entries.push({
        seq: s,
        cycle: this.cycles[i]!,
        write: (f & FLAG_WRITE) !== 0,
        size: (f >>> 2) as 1 | 2 | 4,
        address: this.addresses[i]!,
        value: this.values[i]!,
        pc: this.pcs[i]!,
        debugger: (f & FLAG_DEBUGGER) !== 0,
      });
    }
    return { entries, next: to, missed: Math.max(0, from - seq) };
  }

  /** Forget every entry (sequence numbers keep counting, so readers are not confused). */
  clear(): void {
    this.floor = this.head;
  }
}
